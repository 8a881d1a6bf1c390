// Schemas: the record definitions of schemas/*.schema.json, loaded at start (not compiled in).
// Every stage reads fields by their index in the kind's schema; names, aliases, types, lengths,
// enumerations, conditional rules and personal-data tags all come from the files.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"

namespace gongshi {

// What a field holds, from the schema's `format` (or `enum`) keyword; drives validation.
enum class FieldFormat : uint8_t {
  kText,               // free or short text
  kEnum,               // one of `enum`, after x-gongshi-enum-aliases and prefixes
  kUscc,               // 统一社会信用代码, GB 32100
  kOrgCode,            // 组织机构代码, GB 11714
  kIdNumber,           // 证件号码; GB 11643 checked when the id-type field says 身份证
  kDate,               // YYYY-MM-DD or YYYY/MM/DD (optionally followed by a time)
  kMoneyWanYuan,       // decimal in 万元, at most 6 places, kept as an exact count of 0.01 yuan
  kPenaltyCategories,  // multi-valued 处罚类别, both vocabularies, kept as a bit set
};

// x-gongshi-personal: how a field identifies a natural person; the redaction policy must cover it.
enum class PersonalKind : uint8_t { kNone, kName, kNameIfNaturalPerson, kIdNumber, kIdType };
std::string_view PersonalKindCode(PersonalKind kind);

// A string-keyed map that looks up by string_view without building a std::string (the validator
// looks up enum aliases and penalty terms for every record).
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, TransparentStringHash, std::equal_to<>>;

struct FieldSpec {
  std::string name;   // canonical snake_case
  std::string title;  // the standard's Chinese name
  std::vector<std::string> aliases;
  FieldFormat format = FieldFormat::kText;
  bool allows_string = true;
  bool allows_number = false;
  bool allows_boolean = false;
  bool allows_array = false;
  bool required = false;
  bool publish = true;                   // x-gongshi-publish: false keeps a side-channel field out
  uint32_t max_length_chars = 0;         // 0 = no limit
  std::vector<std::string> enum_values;  // canonical values (items.enum for multi-valued fields)
  StringMap<std::string> enum_aliases;   // input value -> canonical value
  std::vector<std::string> enum_prefixes;  // e.g. "其他": "其他-xxx" is accepted as 其他
  // kPenaltyCategories: input term -> bit set over enum_values.
  StringMap<uint64_t> vocabulary;
  PersonalKind personal = PersonalKind::kNone;
  bool not_future = false;                   // x-gongshi-not-future (dates)
  int not_before_field = -1;                 // x-gongshi-not-before (dates): this field >= that one
  int id_type_field = -1;                    // x-gongshi-id-type-field (id numbers)
  std::string placeholder;                   // x-gongshi-placeholder.value
  std::string placeholder_allowed_category;  // subject_category value that may use it
  int placeholder_requires_field = -1;       // field required with the placeholder
  int64_t max_cents = 0;                     // from x-gongshi-max-wan-yuan; 0 = no limit
};

// One `allOf` entry: if <field> matches, then <required> must be present (and positive).
struct ConditionalRule {
  int if_field = -1;
  bool contains = false;  // `contains` on a multi-valued field, else const/enum on a single value
  std::vector<std::string> values;  // canonical values that trigger the rule (single-valued)
  uint64_t value_mask = 0;          // bits that trigger the rule (multi-valued)
  std::vector<int> then_required;
  std::vector<int> then_positive;  // then.properties.F.exclusiveMinimum: 0
  RejectReason reason = RejectReason::kFieldMissing;
};

class RecordSchema {
 public:
  RecordKind kind() const { return kind_; }
  const std::string& version() const { return version_; }
  const std::string& path() const { return path_; }
  const std::vector<FieldSpec>& fields() const { return fields_; }
  const FieldSpec& field(int index) const { return fields_[index]; }
  int field_count() const { return static_cast<int>(fields_.size()); }
  // Index of a canonical name, or -1.
  int FieldIndex(std::string_view canonical_name) const;
  // Index of a canonical name or alias as it appears in input, or -1.
  int LookupKey(std::string_view key) const;
  // Index of `value` (after aliases and prefixes) among the field's enum values, or -1.
  int EnumIndex(int field, std::string_view value) const;

  const std::vector<ConditionalRule>& rules() const { return rules_; }
  // Identity fields in order; kSubjectKey stands for the spec's subject key (USCC, else keyed ID
  // number, else name).
  static constexpr int kSubjectKey = -2;
  const std::vector<int>& identity() const { return identity_; }
  int withdraw_field() const { return withdraw_field_; }
  const std::vector<std::string>& withdraw_values() const { return withdraw_values_; }
  // x-gongshi-repair-field: a record with this field is a credit-repair event, which needs only
  // x-gongshi-repair-required (the fields that find the published record). -1 = none.
  int repair_field() const { return repair_field_; }
  const std::vector<int>& repair_required() const { return repair_required_; }
  const std::vector<std::string>& kind_values() const { return kind_values_; }
  const std::vector<std::string>& kind_prefixes() const { return kind_prefixes_; }
  const std::vector<int>& kind_marker_fields() const { return kind_marker_fields_; }
  int max_depth() const { return max_depth_; }

  // Loads and checks one schema file. Errors name the file and the keyword.
  static Result<RecordSchema> LoadFile(const std::string& path);

 private:
  RecordKind kind_ = RecordKind::kUnknown;
  std::string version_;
  std::string path_;
  std::vector<FieldSpec> fields_;
  StringMap<int> by_key_;
  std::vector<ConditionalRule> rules_;
  std::vector<int> identity_;
  int withdraw_field_ = -1;
  std::vector<std::string> withdraw_values_;
  int repair_field_ = -1;
  std::vector<int> repair_required_;
  std::vector<std::string> kind_values_;
  std::vector<std::string> kind_prefixes_;
  std::vector<int> kind_marker_fields_;
  int max_depth_ = 2;
};

// Both kinds. Owned by the service; stages borrow it.
class SchemaSet {
 public:
  // Loads license.schema.json and penalty.schema.json from `dir`.
  static Result<SchemaSet> Load(const std::string& dir);
  const RecordSchema& For(RecordKind kind) const {
    return kind == RecordKind::kLicense ? license_ : penalty_;
  }
  // A value of the `kind` field ("penalty", "行政处罚", "CF"...) -> kind.
  RecordKind KindFromValue(std::string_view value) const;
  // Kind from a field name: an exchange-code prefix (CF_, XK_) or a marker field of one kind.
  RecordKind KindFromKey(std::string_view key) const;
  // "license-2021.1+penalty-2021.1": goes into manifests and batch ids.
  std::string version() const { return license_.version() + "+" + penalty_.version(); }

 private:
  RecordSchema license_;
  RecordSchema penalty_;
};

// Where data files live: $GONGSHI_DATA_DIR, else an installed share/gongshi next to the binary,
// else the source tree the binary was built from.
std::string DataDir();
std::string SchemasDir();   // DataDir()/schemas
std::string HolidaysDir();  // DataDir()/pipeline/calendar/holidays (or share/gongshi/holidays)

}  // namespace gongshi
