// Fuzz target for the validate stage (pipeline/validate/validator.h): one message parsed (UTF-8)
// and validated in a batch after a valid record, as the file pass and the service run them. Every
// record ends pending (valid) or rejected with a reason of the enum; a valid record holds what the
// later stages rely on (required fields, canonical enum values, dates that are not in the future
// and in order, amounts within the schema's limits, identifiers that pass their checks); its
// normalised values validate again to the same; views stay inside the message, the arena or the
// schema's canonical strings.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/schema/schema.h"
#include "pipeline/validate/validator.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/record_checks.h"

namespace gongshi {
namespace {

using fuzz::Decision;

// The unit tests' "today" (tests/validate): fixed, so an input means the same on every day.
constexpr int32_t kToday = DaysFromCivil(2026, 11, 30);

std::string_view TrimSpaces(std::string_view s) {
  for (;;) {
    if (!s.empty() &&
        (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
      s.remove_prefix(1);
    } else if (s.substr(0, 3) == "\xE3\x80\x80") {
      s.remove_prefix(3);
    } else if (!s.empty() &&
               (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
    } else if (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") {
      s.remove_suffix(3);
    } else {
      return s;
    }
  }
}

struct Target {
  const SchemaSet& schemas;
  JsonParser parser;
  Validator validator;
  std::string neighbour_message;  // tests/fixtures/penalty_valid.json
  Decision neighbour;
  RecordBatch batch;

  static const SchemaSet& LoadSchemas() {
    static auto loaded = SchemaSet::Load(SchemasDir());
    if (!loaded) {
      std::fprintf(stderr, "validator_fuzz: %s\n", loaded.error().ToString().c_str());
      std::exit(2);
    }
    return *loaded;
  }

  static std::string ReadFixture(const char* name) {
    const std::string path = std::string(GONGSHI_FUZZ_FIXTURES_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) {
      std::fprintf(stderr, "validator_fuzz: cannot read %s\n", path.c_str());
      std::exit(2);
    }
    return s;
  }

  Target()
      : schemas(LoadSchemas()),
        parser(schemas, {}),
        validator(schemas, {.today = kToday}),
        neighbour_message(ReadFixture("penalty_valid.json")) {
    batch.arena = Arena(fuzz::kArenaBlock);
    JsonParser fresh_parser(schemas, {});
    const Validator fresh_validator(schemas, {.today = kToday});
    fuzz::FillBatch(batch, {neighbour_message});
    fresh_parser.Process(batch);
    fresh_validator.Process(batch);
    neighbour = Decision::Of(batch.records[0]);
    GONGSHI_FUZZ_CHECK(neighbour.outcome == Outcome::kPending, "the neighbour fixture validates");
  }

  // What a valid record promises the later stages (dedupe, redact, the feed writers).
  void CheckValid(const Record& r) {
    const RecordSchema& schema = schemas.For(r.kind);
    const bool repair = schema.repair_field() >= 0 && r.present.test(schema.repair_field());
    if (repair) {
      for (int i : schema.repair_required()) {
        CHECK_RECORD(r.present.test(i),
                     "a valid credit-repair event lacks a field that finds "
                     "the record",
                     r);
      }
    } else {
      for (int i = 0; i < schema.field_count(); ++i) {
        CHECK_RECORD(!schema.field(i).required || r.present.test(i),
                     "a valid record lacks a required field", r);
      }
    }
    for (int i = 0; i < schema.field_count(); ++i) {
      if (!r.present.test(i)) continue;
      const FieldSpec& spec = schema.field(i);
      const std::string_view value = r.fields[i];
      const int64_t derived = r.values[i];
      CHECK_RECORD(!TrimSpaces(value).empty(), "a valid record has a blank field present", r);
      if (spec.max_length_chars != 0) {
        CHECK_RECORD(Validator::CountChars(value) <= spec.max_length_chars,
                     "a valid record has a field over its length", r);
      }
      switch (spec.format) {
        case FieldFormat::kText: break;
        case FieldFormat::kEnum: {
          CHECK_RECORD(derived >= 0 && static_cast<size_t>(derived) < spec.enum_values.size(),
                       "an enum field's index is outside its values", r);
          const std::string& canonical = spec.enum_values[static_cast<size_t>(derived)];
          CHECK_RECORD(value.substr(0, canonical.size()) == canonical,
                       "an enum field does not publish its canonical value", r);
          break;
        }
        case FieldFormat::kUscc:
          CHECK_RECORD((!spec.placeholder.empty() && value == spec.placeholder) || UsccValid(value),
                       "a valid record has a USCC that fails its check", r);
          break;
        case FieldFormat::kOrgCode:
          CHECK_RECORD(OrgCodeValid(value), "a valid record has an org code that fails its check",
                       r);
          break;
        case FieldFormat::kIdNumber: break;  // checked only for 身份证; re-validation covers it
        case FieldFormat::kDate: {
          CHECK_RECORD(ParseDate(TrimSpaces(value)) == derived,
                       "a date's day number is not the date it was given", r);
          // The feeds write dates back from the day number.
          CHECK_RECORD(ParseDate(FormatDate(static_cast<int32_t>(derived))) == derived,
                       "a valid date does not survive FormatDate", r);
          CHECK_RECORD(!spec.not_future || derived <= kToday, "a valid date is in the future", r);
          if (spec.not_before_field >= 0 && r.present.test(spec.not_before_field)) {
            CHECK_RECORD(derived >= r.values[spec.not_before_field],
                         "a valid date range ends before it starts", r);
          }
          break;
        }
        case FieldFormat::kMoneyWanYuan:
          CHECK_RECORD(Validator::ParseWanYuan(value) == derived && derived >= 0,
                       "an amount's exact value is not the amount given", r);
          CHECK_RECORD(spec.max_cents == 0 || derived <= spec.max_cents,
                       "a valid amount is above the schema's limit", r);
          break;
        case FieldFormat::kPenaltyCategories: {
          const auto mask = static_cast<uint64_t>(derived);
          CHECK_RECORD(mask != 0, "a valid record has no penalty category", r);
          CHECK_RECORD(spec.enum_values.size() >= 64 || mask >> spec.enum_values.size() == 0,
                       "a penalty category bit names no category", r);
          std::string joined;
          for (size_t b = 0; b < spec.enum_values.size() && b < 64; ++b) {
            if (!(mask >> b & 1)) continue;
            if (!joined.empty()) joined += "、";
            joined += spec.enum_values[b];
          }
          CHECK_RECORD(value == joined, "the categories published are not the ones derived", r);
          break;
        }
      }
    }
  }

  void Check(std::string_view message) {
    fuzz::FillBatch(batch, {neighbour_message, message});
    const fuzz::ArenaWindow window(batch.arena);
    parser.Process(batch);
    const Decision parsed = Decision::Of(batch.records[1]);
    validator.Process(batch);
    bool spilled = false;
    const fuzz::BatchMemory memory{std::string_view(batch.bytes.data(), batch.bytes.size()),
                                   window.Used(spilled)};
    const Record& r = batch.records[1];
    CHECK_RECORD(!spilled, "validating one message used more than 16 MiB of arena", r);
    CHECK_RECORD(Decision::Of(batch.records[0]) == neighbour,
                 "the message changed how its neighbour validates", batch.records[0]);
    fuzz::CheckOutcome(r, schemas, memory);
    if (parsed.outcome == Outcome::kRejected) {
      CHECK_RECORD(Decision::Of(r) == parsed, "the validator changed a parse reject", r);
      return;
    }
    fuzz::CheckViews(r, schemas, memory, /*gb18030=*/false, /*allow_canonical=*/true);
    if (r.outcome != Outcome::kPending) return;
    CheckValid(r);

    // A valid record's normalised values are valid values: validating them again accepts the
    // record and derives the same (a replay or a second stage reading them sees what the first
    // one did).
    Record again = r;
    validator.Validate(again, batch.arena);
    if (!(Decision::Of(again) == Decision::Of(r))) {
      fuzz::PrintRecord(again);
      CHECK_RECORD(false, "a valid record's normalised values do not validate to themselves", r);
    }
  }
};

}  // namespace
}  // namespace gongshi

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gongshi::Target target;
  target.Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
