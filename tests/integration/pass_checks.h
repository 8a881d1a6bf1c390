// What the integration tests check about a pass, shared by the everyday and the 1M-record test:
// generated input with its intended outcomes, the published set, the independent leak scan
// (pipeline/leak_scan), the dead-letter's reasons.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/generate/generator.h"
#include "pipeline/leak_scan/leak_scan.h"
#include "tests/support/process.h"

namespace gongshi::testing {

namespace fs = std::filesystem;

inline const int32_t kToday = DaysFromCivil(2026, 11, 30);

struct Expected {
  std::array<uint64_t, kIntentCount> intents{};
  std::map<std::string, uint64_t> reasons;
  std::map<std::string, uint64_t> withheld;
  uint64_t count = 0;
};

// Writes `count` generated records to `path` and returns what each was meant to become.
inline Expected Generate(const std::string& path, uint64_t count, uint64_t seed,
                         std::string encoding = "utf-8") {
  GeneratorOptions options;
  options.seed = seed;
  options.today = kToday;
  options.max_record_bytes = 16 << 10;
  options.encoding = encoding;
  auto generator = Generator::Create(Schemas(), options);
  EXPECT_TRUE(generator);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  Expected expected;
  expected.count = count;
  std::string line;
  for (uint64_t i = 0; i < count; ++i) {
    const GeneratedRecord r = generator->Next(line);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out);
    ++expected.intents[static_cast<size_t>(r.intent)];
    if (r.intent == Intent::kInvalid) ++expected.reasons[std::string(RejectReasonCode(r.reason))];
    if (r.intent == Intent::kWithheld) {
      ++expected.withheld[std::string(WithholdReasonCode(r.withhold))];
    }
  }
  std::fclose(out);
  return expected;
}

// A config with "today" fixed (the generator's), small batches (many batch boundaries to crash
// at) and `input_extra` added to the input section (e.g. ", encoding: gb18030").
inline std::string WriteConfig(const TempDir& dir, const std::string& input_extra = "",
                               uint64_t max_records = 2000) {
  const std::string path = dir / "gongshi.yaml";
  WriteFile(path, "today: 2026-11-30\ninput: {max_record_bytes: 16384" + input_extra +
                      "}\nbatch: {max_records: " + std::to_string(max_records) + "}\n");
  return path;
}

// One HMAC key for every run of a test, so that identities (and sealed bytes) of different
// output directories can be compared.
inline const std::string kKeyEnv = "GONGSHI_HMAC_KEY=integration-test-key-0123456789";

inline ProcessResult RunPass(const TempDir& dir, const std::string& input, const std::string& out,
                             const std::string& config, std::vector<std::string> env = {}) {
  env.push_back(kKeyEnv);
  return Run({"run", "--input", input, "--out", out, "--config", config}, dir.path(), env);
}

// Every feed line, sorted: the published set.
inline std::vector<std::string> PublishedSet(const std::string& out) {
  std::vector<std::string> lines;
  for (const char* kind : {"license", "penalty"}) {
    const fs::path dir = fs::path(out) / "feeds" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".ndjson") continue;
      std::istringstream in(ReadFile(entry.path().string()));
      std::string line;
      while (std::getline(in, line)) lines.push_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

inline std::set<std::string> FileNames(const std::string& dir) {
  std::set<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

// The independent leak check: pipeline/leak_scan (the auditors' scan, which shares no code with
// the redactor) over every file of the output directory and every entry of its state. The counts
// are by class; `where` lists the first findings (file, line, field, class: never a value) so a
// failing expectation says where to look.
struct LeakCount {
  uint64_t id = 0, mobile = 0, card = 0, email = 0, name = 0;
  std::string where;
  uint64_t total() const { return id + mobile + card + email + name; }
};

inline void AddReport(const LeakReport& report, LeakCount& leaks) {
  leaks.id += report.count(LeakClass::kIdNumber);
  leaks.mobile += report.count(LeakClass::kMobile);
  leaks.card += report.count(LeakClass::kBankCard);
  leaks.email += report.count(LeakClass::kEmail);
  leaks.name += report.count(LeakClass::kName);
  for (const LeakFinding& f : report.first_findings) {
    leaks.where += fmt::format("\n  {}:{} {}{}{}: {}", f.file, f.line, f.field,
                               f.column_family.empty() ? "" : " column family ", f.column_family,
                               LeakClassName(f.kind));
  }
}

// Counts what the scan finds in `text`, read as an NDJSON file (used on generated input, which
// must hold plenty to find).
inline void ScanText(std::string_view text, LeakCount& leaks) {
  auto scanner = LeakScanner::Create(Schemas());
  ASSERT_TRUE(scanner) << scanner.error().message();
  LeakReport report;
  scanner->ScanFileBytes("input.ndjson", text, report);
  AddReport(report, leaks);
}

// The whole output directory and its state (OUT/state).
inline LeakCount ScanOutput(const std::string& out) {
  LeakCount leaks;
  auto report = ScanForLeaks(out, Schemas());
  if (!report) {
    ADD_FAILURE() << "leak scan of " << out << ": " << report.error().message();
    leaks.id = leaks.mobile = leaks.card = leaks.email = leaks.name = 1;
    return leaks;
  }
  AddReport(*report, leaks);
  return leaks;
}

inline std::map<std::string, uint64_t> DeadLetterReasons(const std::string& out) {
  std::map<std::string, uint64_t> reasons;
  simdjson::dom::parser parser;
  for (const auto& entry : fs::directory_iterator(fs::path(out) / "dlq")) {
    const std::string text = ReadFile(entry.path().string());
    for (simdjson::dom::element line : parser.parse_many(text)) {
      ++reasons[std::string(std::string_view(line["reason"]))];
    }
  }
  return reasons;
}

inline void ExpectCountsMatch(const std::map<std::string, uint64_t>& summary,
                              const Expected& expected) {
  EXPECT_EQ(summary.at("read"), expected.count);
  EXPECT_EQ(summary.at("published") + summary.at("updated") + summary.at("duplicate") +
                summary.at("withdrawn") + summary.at("withheld") + summary.at("rejected"),
            summary.at("read"))
      << "the outcomes add up to what was read";
  EXPECT_EQ(summary.at("published"), expected.intents[static_cast<size_t>(Intent::kNew)]);
  EXPECT_EQ(summary.at("updated"), expected.intents[static_cast<size_t>(Intent::kUpdate)]);
  EXPECT_EQ(summary.at("duplicate"), expected.intents[static_cast<size_t>(Intent::kDuplicate)]);
  EXPECT_EQ(summary.at("withdrawn"), expected.intents[static_cast<size_t>(Intent::kWithdraw)]);
  EXPECT_EQ(summary.at("withheld"), expected.intents[static_cast<size_t>(Intent::kWithheld)]);
  EXPECT_EQ(summary.at("rejected"), expected.intents[static_cast<size_t>(Intent::kInvalid)]);
  for (const auto& [reason, n] : expected.reasons) {
    EXPECT_EQ(
        summary.count("reject_reasons." + reason) ? summary.at("reject_reasons." + reason) : 0, n)
        << reason;
  }
  for (const auto& [reason, n] : expected.withheld) {
    EXPECT_EQ(summary.at("withheld_reasons." + reason), n) << reason;
  }
}

// Issue 2's acceptance checks on one pass over `count` generated records in `dir`: every reject
// reason is in the input, the run succeeds, its counts match the generator, every reason reaches
// the dead-letter with its count, and no ID, mobile or card number is left in clear.
struct AcceptedPass {
  Expected expected;
  ProcessResult result;
  std::map<std::string, uint64_t> summary;
};

inline AcceptedPass RunAcceptedPass(const TempDir& dir, uint64_t count, uint64_t seed,
                                    uint64_t max_records = 2000) {
  AcceptedPass pass;
  pass.expected = Generate(dir / "in.ndjson", count, seed);
  // Every reason a file can carry: kafka_tombstone comes only from a Kafka message with a null
  // value (tests/integration/dead_letter_topic_test.cc).
  EXPECT_EQ(pass.expected.reasons.size(), AllRejectReasons().size() - 1)
      << "every reason the generator knows how to make is in this input";
  pass.result = RunPass(dir, dir / "in.ndjson", dir / "out", WriteConfig(dir, "", max_records));
  EXPECT_EQ(pass.result.exit_code, 0) << pass.result.err;
  pass.summary = ParseSummary(pass.result.out);
  if (pass.result.exit_code != 0) return pass;
  ExpectCountsMatch(pass.summary, pass.expected);
  EXPECT_EQ(DeadLetterReasons(dir / "out"), pass.expected.reasons);
  const LeakCount leaks = ScanOutput(dir / "out");
  EXPECT_EQ(leaks.id, 0u) << leaks.where;
  EXPECT_EQ(leaks.mobile, 0u) << leaks.where;
  EXPECT_EQ(leaks.card, 0u) << leaks.where;
  EXPECT_EQ(leaks.email, 0u) << leaks.where;
  EXPECT_EQ(leaks.name, 0u) << leaks.where;
  return pass;
}

}  // namespace gongshi::testing
