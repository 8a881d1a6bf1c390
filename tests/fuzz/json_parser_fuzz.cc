// Fuzz target for the parse stage (pipeline/parse/json_parser.h): one message, read as a UTF-8
// source (no default kind, license by default, penalty by the per-source table) and as a GB18030
// source, in a batch between well-formed neighbours as a source lays it out. Every record ends
// pending or rejected with a reason of the enum, views stay inside the message or the arena, and
// the message's bytes decide the result: not the parser's state from earlier messages, not the
// neighbours.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "pipeline/parse/json_parser.h"
#include "pipeline/schema/schema.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/record_checks.h"

namespace gongshi {
namespace {

using fuzz::Decision;

// ASCII only, so it reads the same as UTF-8 and GB18030. It goes through the arena (an escaped
// string, an array joined with 、) and the parser's reused buffers, so a message that leaves them
// in a bad state shows in its neighbour.
constexpr std::string_view kNeighbour =
    R"({"kind":"penalty","subject_name":"\u67d0\u516c\u53f8","penalty_categories":)"
    R"(["\u7f5a\u6b3e","\u8b66\u544a"],"fine_wan_yuan":1.5,"remark":"n","confidential":false})";

struct Config {
  const char* name;
  ParserOptions options;
};

struct Target {
  const SchemaSet& schemas;
  Config configs[4];
  std::unique_ptr<JsonParser> parsers[4];
  Decision neighbour;  // what a fresh parser makes of kNeighbour
  RecordBatch batch;

  static const SchemaSet& LoadSchemas() {
    static auto loaded = SchemaSet::Load(SchemasDir());
    if (!loaded) {
      std::fprintf(stderr, "json_parser_fuzz: %s\n", loaded.error().ToString().c_str());
      std::exit(2);
    }
    return *loaded;
  }

  Target()
      : schemas(LoadSchemas()),
        configs{
            {"utf-8", {}},
            {"utf-8, license by default", {.default_kind = RecordKind::kLicense}},
            {"utf-8, penalty by source", {.default_kind_by_source = {RecordKind::kPenalty}}},
            {"gb18030", {.encoding = SourceEncoding::kGb18030}},
        } {
    for (int c = 0; c < 4; ++c)
      parsers[c] = std::make_unique<JsonParser>(schemas, configs[c].options);
    batch.arena = Arena(fuzz::kArenaBlock);
    JsonParser fresh(schemas, {});
    fuzz::FillBatch(batch, {kNeighbour});
    fresh.Process(batch);
    neighbour = Decision::Of(batch.records[0]);
    GONGSHI_FUZZ_CHECK(neighbour.outcome == Outcome::kPending, "the neighbour message parses");
  }

  // Parses `messages` with parser `c`; returns the arena bytes the parse used.
  fuzz::BatchMemory Run(int c, std::string_view a, std::string_view b) {
    fuzz::FillBatch(batch, {a, b});
    const fuzz::ArenaWindow window(batch.arena);
    parsers[c]->Process(batch);
    bool spilled = false;
    const std::string_view used = window.Used(spilled);
    if (spilled) fuzz::PrintEscaped("message", a.size() > b.size() ? a : b);
    GONGSHI_FUZZ_CHECK(!spilled, "parsing one message used more than 16 MiB of arena");
    return {std::string_view(batch.bytes.data(), batch.bytes.size()), used};
  }

  void CheckNeighbour(const Record& r, const Config& config) {
    if (Decision::Of(r) == neighbour) return;
    std::fprintf(stderr, "  config: %s\n", config.name);
    CHECK_RECORD(false, "the message changed how its neighbour parses", r);
  }

  void Check(std::string_view message) {
    for (int c = 0; c < 4; ++c) {
      const bool gb18030 = configs[c].options.encoding == SourceEncoding::kGb18030;
      // The message first, its neighbour after it.
      fuzz::BatchMemory memory = Run(c, message, kNeighbour);
      const Record& first = batch.records[0];
      fuzz::CheckOutcome(first, schemas, memory);
      fuzz::CheckViews(first, schemas, memory, gb18030, /*allow_canonical=*/false);
      const Decision decision = Decision::Of(first);
      CheckNeighbour(batch.records[1], configs[c]);

      // The neighbour first: the same message, the same parser, now warm from another record.
      memory = Run(c, kNeighbour, message);
      CheckNeighbour(batch.records[0], configs[c]);
      const Record& second = batch.records[1];
      fuzz::CheckOutcome(second, schemas, memory);
      fuzz::CheckViews(second, schemas, memory, gb18030, /*allow_canonical=*/false);
      if (!(Decision::Of(second) == decision)) {
        std::fprintf(stderr, "  config: %s; first run: outcome %d reason %.*s\n", configs[c].name,
                     static_cast<int>(decision.outcome),
                     static_cast<int>(RejectReasonCode(decision.reason).size()),
                     RejectReasonCode(decision.reason).data());
        CHECK_RECORD(false, "the same message parsed twice gives two results", second);
      }
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
