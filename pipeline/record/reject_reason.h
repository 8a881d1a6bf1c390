// RejectReason: why a record went to the dead-letter instead of the feed. The snake_case code of
// each reason is stable: it is written into dead-letter entries, used as a metric label value and
// named by the schemas' conditional rules (`x-gongshi-reason`). Add new reasons at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gongshi {

// X(enumerator, code, what a person reading the dead-letter should know)
#define GONGSHI_REJECT_REASONS(X)                                                                  \
  X(kNone, "none", "not rejected")                                                                 \
  X(kRecordTooLarge, "record_too_large", "the message is larger than input.max_record_bytes")      \
  X(kInvalidEncoding, "invalid_encoding",                                                          \
    "the bytes are not valid in the source's encoding (UTF-8, or GB18030 where configured)")       \
  X(kJsonSyntax, "json_syntax", "the message is not well-formed JSON")                             \
  X(kJsonNotObject, "json_not_object", "the message is JSON but not an object")                    \
  X(kJsonTrailingGarbage, "json_trailing_garbage", "bytes follow the end of the JSON object")      \
  X(kJsonDuplicateKey, "json_duplicate_key", "a field appears twice (possibly under two aliases)") \
  X(kJsonTooDeep, "json_too_deep", "the message nests deeper than the schema allows")              \
  X(kKindUnknown, "kind_unknown",                                                                  \
    "neither a kind field, the field names nor config tell the kind")                              \
  X(kFieldWrongType, "field_wrong_type", "a field has the wrong JSON type")                        \
  X(kFieldMissing, "field_missing", "a required field is missing or empty")                        \
  X(kFieldTooLong, "field_too_long", "a field is longer than the schema allows")                   \
  X(kEnumInvalid, "enum_invalid", "a field is not one of its enumerated values")                   \
  X(kPenaltyCategoryInvalid, "penalty_category_invalid",                                           \
    "a penalty category is in neither the 1996 nor the 2021 vocabulary")                           \
  X(kUsccFormat, "uscc_format",                                                                    \
    "a unified social credit code is not 18 characters of its alphabet")                           \
  X(kUsccChecksum, "uscc_checksum", "a unified social credit code fails its GB 32100 check")       \
  X(kUsccPlaceholderNotAllowed, "uscc_placeholder_not_allowed",                                    \
    "the all-zero USCC placeholder is allowed only for 个体工商户 with a registration number")     \
  X(kOrgCodeChecksum, "org_code_checksum", "an organisation code fails its GB 11714 check")        \
  X(kIdNumberChecksum, "id_number_checksum", "an ID number fails its GB 11643 check")              \
  X(kIdNumberBirthDate, "id_number_birth_date", "an ID number holds no real, past birth date")     \
  X(kDateFormat, "date_format", "a date is not YYYY-MM-DD or YYYY/MM/DD")                          \
  X(kDecisionDateInFuture, "decision_date_in_future", "the decision date is after today")          \
  X(kDateRangeOrder, "date_range_order", "a date range ends before it starts")                     \
  X(kMoneyFormat, "money_format", "an amount is not a decimal with at most 6 places")              \
  X(kMoneyImplausible, "money_implausible",                                                        \
    "an amount in 万元 is implausibly large (unit error?)")                                        \
  X(kFineAmountMissing, "fine_amount_missing", "罚款 is a category but no positive fine is given") \
  X(kConfiscationAmountMissing, "confiscation_amount_missing",                                     \
    "没收 is a category but no positive confiscated amount is given")                              \
  X(kSuspendedLicenseMissing, "suspended_license_missing",                                         \
    "暂扣/吊销 is a category but the licence is not named")                                        \
  X(kBusinessRegNoMissing, "business_reg_no_missing",                                              \
    "the USCC placeholder is used without a business registration number")                         \
  X(kKafkaTombstone, "kafka_tombstone", "a tombstone (null value): a delete marker, not a record")

enum class RejectReason : uint8_t {
#define GONGSHI_REJECT_ENUM(name, code, text) name,
  GONGSHI_REJECT_REASONS(GONGSHI_REJECT_ENUM)
#undef GONGSHI_REJECT_ENUM
};

std::string_view RejectReasonCode(RejectReason reason);
std::string_view RejectReasonText(RejectReason reason);
std::optional<RejectReason> RejectReasonFromCode(std::string_view code);
// Every reason except kNone, in declaration order.
std::span<const RejectReason> AllRejectReasons();

}  // namespace gongshi
