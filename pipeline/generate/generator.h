// Generator: realistic synthetic 双公示 records as NDJSON, for `gongshi generate`, the demo, the
// tests and the benchmarks. Deterministic for given options; every outcome the pipeline knows comes
// in a configurable share, and each invalid record is broken in exactly one way.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"
#include "pipeline/record/reject_reason.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

// How natural persons' personal data is written into free text.
//   kRealistic: the few tidy forms agencies' texts mostly show (plain, full-width, spaced); the
//     output for a seed is what it has always been (tests and benchmarks compare it byte for byte).
//   kAdversarial: on top of that, every form clerks really type, drawn at random: ID numbers (18
//     and 15 digits), mobiles, bank cards and e-mails grouped and separated every which way, in
//     full-width or mixed digits, with +86/0086 prefixes, glued to letters, '*' or each other;
//     names spaced or followed by 某; and negative controls (dates, 文号, money, licence numbers,
//     USCCs, landlines, numbers that fail the checksums) that a redactor must leave alone. Drawn
//     from a random stream of its own, so the records themselves (kinds, intents, reasons) are the
//     ones realistic mode gives for the seed.
enum class PiiForms : uint8_t { kRealistic, kAdversarial };
std::string_view PiiFormsName(PiiForms forms);  // "realistic", "adversarial"
std::optional<PiiForms> PiiFormsFromName(std::string_view name);

// Shares are fractions of all records; what the five outcome shares leave is new records. Shares of
// duplicates, updates and withdrawals are met once earlier records exist to refer to (the first
// such records come out as new ones).
struct GeneratorOptions {
  uint64_t seed = 1;
  // Exact re-sends of an earlier record's latest version, possibly under other field names or with
  // the other date separator: the same content, so the outcome is `duplicate`.
  double duplicate_share = 0.05;
  // Same identity, changed content (penalty_content, fine, license_content, valid_to, remark).
  double update_share = 0.03;
  // Revocation of an earlier published record: license status 2/无效, penalty status 1/撤销.
  double withdraw_share = 0.01;
  // Valid but not for publication: a minor subject (under 18 at the decision date, by the 身份证
  // birth date), a confidential flag, or a warning-only penalty (警告 and/or 通报批评 only).
  double withheld_share = 0.01;
  // Broken in exactly one way, cycling through every RejectReason except kNone.
  double invalid_share = 0.02;
  // Penalty subjects that are natural persons (自然人); license holders are natural persons at 60%
  // of this share. Of the other subjects 30% are 个体工商户, the rest 法人及非法人组织.
  double natural_person_share = 0.25;
  // Records named by exchange codes (CF_*, XK_*); the rest use snake_case, and 8% of those the
  // Chinese names.
  double exchange_code_share = 0.5;
  double penalty_share = 0.5;
  // Day number (days since 1970-01-01) of "today": decisions fall in the two years before it.
  // 0 = TodayInShanghai(), which makes the output depend on the date; set it for byte-identical
  // output across days.
  int32_t today = 0;
  // A record_too_large reject is made just over this; at least 8 KiB, so that other records
  // always fit.
  size_t max_record_bytes = 256 * 1024;
  // "utf-8", or "gb18030" (each line transcoded whole with iconv).
  std::string encoding = "utf-8";
  // Published records that duplicates, updates and withdrawals draw on: the pool keeps this many
  // (a bounded sample of recent ones), so memory does not grow with the record count.
  size_t pool_capacity = 4096;
  PiiForms pii_forms = PiiForms::kRealistic;
};

// What a generated record is meant to be: the outcome the pipeline should give it.
enum class Intent : uint8_t { kNew, kDuplicate, kUpdate, kWithdraw, kWithheld, kInvalid };
inline constexpr size_t kIntentCount = 6;
std::string_view IntentName(Intent intent);  // "new", "duplicate", ... "invalid"

// What the generator wrote into a record's free text on purpose: personal data a redactor must
// find, and negative controls it must leave as they are.
enum class PlantedKind : uint8_t { kIdNumber, kMobile, kBankCard, kEmail, kName, kNegative };
inline constexpr size_t kPlantedKindCount = 6;
std::string_view PlantedKindName(PlantedKind kind);  // "id_number", "mobile", ... "negative"

// One planted token. The canonical value is personal data by construction (synthetic, but shaped
// like the real thing): tests may write it to their own files, nothing may print it.
struct PlantedToken {
  PlantedKind kind = PlantedKind::kNegative;
  std::string_view field;  // the field's canonical (schema) name: "violation_facts", "remark"...
  // Exactly as written into the field's text: UTF-8, as the field reads once the JSON string is
  // unescaped (the line itself may carry \u escapes or be GB18030).
  std::string_view bytes;
  // kIdNumber, kMobile, kBankCard: ASCII digits (and 'X' for an ID check character), without
  // prefix (+86...) or separators. kEmail: "local@domain" in ASCII. kName: the full name without
  // separators. kNegative: the exact text (= bytes).
  std::string_view canonical;
};

struct GeneratedRecord {
  Intent intent = Intent::kNew;
  RejectReason reason = RejectReason::kNone;        // kInvalid: the one reason that applies
  WithholdReason withhold = WithholdReason::kNone;  // kWithheld: why
  RecordKind kind = RecordKind::kUnknown;
  // Every token planted in the line's fields, in field order. Views into the generator: valid
  // until its next Next() call (copy what must outlive it). The storage is reused, so a warm
  // generator allocates nothing for them. For an invalid record, the tokens of fields the break
  // cut off the line (json_syntax, json_not_object) are left out.
  std::span<const PlantedToken> planted;
};

// Shares in [0, 1] summing to at most 1, a known encoding, max_record_bytes >= 8 KiB, a pool of
// at least one record. Errors name the option.
Status CheckGeneratorOptions(const GeneratorOptions& options);

// Not thread-safe; one Generator per thread. Borrows `schemas`, which must outlive it. Field names
// of each naming style come from the schema's aliases, so a renamed exchange code needs no change
// here.
class Generator {
 public:
  // `options` must pass CheckGeneratorOptions (Create() checks them); otherwise this aborts.
  Generator(const SchemaSet& schemas, GeneratorOptions options);
  ~Generator();
  Generator(Generator&&) noexcept;
  Generator& operator=(Generator&&) noexcept;

  static Result<Generator> Create(const SchemaSet& schemas, GeneratorOptions options);

  // Writes the next record into `line` (cleared first; reuse it so its capacity is kept), one JSON
  // line without the trailing newline, in the configured encoding.
  GeneratedRecord Next(std::string& line);

  // Published records that later duplicates, updates and withdrawals may refer to.
  size_t pool_size() const;
  size_t pool_capacity() const;
  int32_t today() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The Kafka key a producer should give a generated line: its 文号 (decision document number), so
// that every version of a decision lands on one partition and keeps its order. Empty when the
// line has none (or is not a JSON object of a known kind).
std::string PartitionKey(const SchemaSet& schemas, std::string_view line, RecordKind kind);

struct GenerateSummary {
  uint64_t lines = 0;
  uint64_t bytes = 0;  // including the newlines
  std::array<uint64_t, kIntentCount> by_intent{};
  std::array<uint64_t, kPlantedKindCount> planted{};  // tokens by PlantedKind
};

// One line of the planted side file (no newline), for the record on input line `line_number`
// (1-based): {"line":N,"intent":"new","tokens":[{"kind":"mobile","field":"remark","bytes":"...",
// "canonical":"..."},...]}, UTF-8.
void AppendPlantedJson(std::string& out, uint64_t line_number, const GeneratedRecord& record);

// Writes `count` records to `out`, each followed by '\n', and when `planted` is given one
// AppendPlantedJson line per record to it. Fails with kInvalidConfig for bad options and kIo when
// a file cannot be written.
Result<GenerateSummary> WriteRecords(const SchemaSet& schemas, const GeneratorOptions& options,
                                     uint64_t count, std::FILE* out, std::FILE* planted = nullptr);

}  // namespace gongshi
