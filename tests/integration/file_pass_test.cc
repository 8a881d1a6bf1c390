// `gongshi run --input` end to end, through the real binary: the counts add up and match what the
// generator meant each record to be; every reject reason reaches the dead-letter with its count;
// no personal data in clear in any output file (checked by a scanner written independently here);
// a second run is all duplicates; a run killed with SIGKILL and run again publishes the same set as
// an uninterrupted run; GB18030 sources; memory stays bounded.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/calendar/civil_date.h"
#include "pipeline/generate/generator.h"
#include "pipeline/validate/identifiers.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using testing::ParseSummary;
using testing::ProcessResult;
using testing::TempDir;

const int32_t kToday = DaysFromCivil(2026, 11, 30);

struct Expected {
  std::array<uint64_t, kIntentCount> intents{};
  std::map<std::string, uint64_t> reasons;
  std::map<std::string, uint64_t> withheld;
  uint64_t count = 0;
};

// Writes `count` generated records to `path` and returns what each was meant to become.
Expected Generate(const std::string& path, uint64_t count, uint64_t seed,
                  std::string encoding = "utf-8") {
  GeneratorOptions options;
  options.seed = seed;
  options.today = kToday;
  options.max_record_bytes = 16 << 10;
  options.encoding = encoding;
  auto generator = Generator::Create(testing::Schemas(), options);
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

std::string WriteConfig(const TempDir& dir, const std::string& extra = "") {
  const std::string path = dir / "gongshi.yaml";
  testing::WriteFile(
      path,
      "today: 2026-11-30\ninput: {max_record_bytes: 16384" +
          std::string(extra.find("encoding") != std::string::npos ? ", encoding: gb18030" : "") +
          "}\nbatch: {max_records: 2000}\n");
  return path;
}

// One HMAC key for every run of a test, so that identities (and sealed bytes) of different
// output directories can be compared.
const std::string kKeyEnv = "GONGSHI_HMAC_KEY=integration-test-key-0123456789";

ProcessResult RunPass(const TempDir& dir, const std::string& input, const std::string& out,
                      const std::string& config, std::vector<std::string> env = {}) {
  env.push_back(kKeyEnv);
  return testing::Run({"run", "--input", input, "--out", out, "--config", config}, dir.path(), env);
}

// Every feed line, sorted: the published set.
std::vector<std::string> PublishedSet(const std::string& out) {
  std::vector<std::string> lines;
  for (const char* kind : {"license", "penalty"}) {
    const fs::path dir = fs::path(out) / "feeds" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".ndjson") continue;
      std::istringstream in(testing::ReadFile(entry.path().string()));
      std::string line;
      while (std::getline(in, line)) lines.push_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::set<std::string> FileNames(const std::string& dir) {
  std::set<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

// The independent leak check: full-width digits folded, digit groups joined across single
// spaces and hyphens, then the plain definitions: a GB 11643 ID number (check character and the
// real birth date of characters 7-14: without the date, one 18-digit licence number in 11 would
// count), 11 digits 1[3-9]..., 16-19 digits passing Luhn.
struct LeakCount {
  uint64_t id = 0, mobile = 0, card = 0;
};

bool RealBirthDate(const std::string& id) {
  const int y = std::stoi(id.substr(6, 4)), m = std::stoi(id.substr(10, 2)),
            d = std::stoi(id.substr(12, 2));
  return y >= 1900 && y <= 2026 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

void CheckDigits(const std::string& digits, LeakCount& leaks) {
  const size_t n = digits.size();
  if (n == 18 && IdChecksumValid(digits) && RealBirthDate(digits)) ++leaks.id;
  if (n == 11 && digits[0] == '1' && digits[1] >= '3') ++leaks.mobile;
  if (n >= 16 && n <= 19 && digits.find('X') == std::string::npos && LuhnValid(digits))
    ++leaks.card;
}

void ScanText(std::string_view text, LeakCount& leaks) {
  std::string digits;
  bool pending_separator = false;
  for (size_t i = 0; i < text.size();) {
    char d = 0;
    size_t width = 1;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= '0' && c <= '9') {
      d = static_cast<char>(c);
    } else if ((c == 'X' || c == 'x') && digits.size() == 17) {
      d = 'X';
    } else if (c == 0xEF && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xBC &&
               static_cast<unsigned char>(text[i + 2]) >= 0x90 &&
               static_cast<unsigned char>(text[i + 2]) <= 0x99) {
      d = static_cast<char>('0' + static_cast<unsigned char>(text[i + 2]) - 0x90);
      width = 3;
    }
    if (d != 0) {
      digits.push_back(d);
      pending_separator = false;
    } else if ((c == ' ' || c == '-') && !digits.empty() && !pending_separator) {
      pending_separator = true;
    } else {
      CheckDigits(digits, leaks);
      digits.clear();
      pending_separator = false;
    }
    i += width;
  }
  CheckDigits(digits, leaks);
}

LeakCount ScanOutput(const std::string& out) {
  static const std::set<std::string, std::less<>> kSkip = {"record_id", "batch_id",
                                                           "sha256",    "previous_manifest_sha256",
                                                           "feed_file", "original_sealed"};
  static const std::set<std::string, std::less<>> kCodes = {"uscc", "authority_uscc",
                                                            "source_unit_uscc", "org_code"};
  LeakCount leaks;
  simdjson::dom::parser parser;
  for (const char* sub : {"feeds", "dlq", "withheld"}) {
    const fs::path dir = fs::path(out) / sub;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string text = testing::ReadFile(entry.path().string());
      for (simdjson::dom::element line : parser.parse_many(text)) {
        simdjson::dom::object object;
        if (line.get(object)) continue;
        for (auto [key, value] : object) {
          std::string_view s;
          if (value.get(s) || kSkip.count(key)) continue;
          if (kCodes.count(key) && (UsccValid(s) || OrgCodeValid(s) || s == "00000000000000000X")) {
            continue;
          }
          ScanText(s, leaks);
        }
      }
    }
  }
  return leaks;
}

std::map<std::string, uint64_t> DeadLetterReasons(const std::string& out) {
  std::map<std::string, uint64_t> reasons;
  simdjson::dom::parser parser;
  for (const auto& entry : fs::directory_iterator(fs::path(out) / "dlq")) {
    const std::string text = testing::ReadFile(entry.path().string());
    for (simdjson::dom::element line : parser.parse_many(text)) {
      ++reasons[std::string(std::string_view(line["reason"]))];
    }
  }
  return reasons;
}

void ExpectCountsMatch(const std::map<std::string, uint64_t>& summary, const Expected& expected) {
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

class FilePassTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(FilePassTest, CountsMatchTheGeneratorAndEveryReasonReachesTheDeadLetter) {
  const Expected expected = Generate(dir_ / "in.ndjson", 40000, 11);
  // Every reason the generator knows how to make is in this input.
  EXPECT_EQ(expected.reasons.size(), AllRejectReasons().size());
  const std::string config = WriteConfig(dir_);
  const ProcessResult result = RunPass(dir_, dir_ / "in.ndjson", dir_ / "out", config);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = ParseSummary(result.out);
  ExpectCountsMatch(summary, expected);
  EXPECT_EQ(DeadLetterReasons(dir_ / "out"), expected.reasons);

  const LeakCount leaks = ScanOutput(dir_ / "out");
  EXPECT_EQ(leaks.id, 0u);
  EXPECT_EQ(leaks.mobile, 0u);
  EXPECT_EQ(leaks.card, 0u);
  // The input did hold personal data: the scanner finds it there.
  LeakCount input_leaks;
  ScanText(testing::ReadFile(dir_ / "in.ndjson"), input_leaks);
  EXPECT_GT(input_leaks.id, 100u);
  EXPECT_GT(input_leaks.mobile, 100u);

  const ProcessResult verify = testing::Run({"verify-feeds", dir_ / "out"}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const ProcessResult scan = testing::Run({"scan-leaks", dir_ / "out"}, dir_.path());
  EXPECT_EQ(scan.exit_code, 0) << scan.out << scan.err;

  // The second run over the same input and state publishes nothing new.
  const auto before = PublishedSet(dir_ / "out");
  const ProcessResult again = RunPass(dir_, dir_ / "in.ndjson", dir_ / "out", config);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto second = ParseSummary(again.out);
  EXPECT_EQ(second.at("read"), expected.count);
  EXPECT_EQ(second.at("published") + second.at("updated") + second.at("withdrawn") +
                second.at("withheld"),
            0u);
  EXPECT_EQ(second.at("rejected"), summary.at("rejected")) << "rejects are rejected again";
  EXPECT_EQ(second.at("duplicate"), expected.count - summary.at("rejected"));
  EXPECT_EQ(PublishedSet(dir_ / "out"), before);
}

TEST_F(FilePassTest, KilledRunsEndWithTheSamePublishedSetAsAnUninterruptedRun) {
  Generate(dir_ / "in.ndjson", 30000, 23);
  const std::string config = WriteConfig(dir_);
  const ProcessResult reference = RunPass(dir_, dir_ / "in.ndjson", dir_ / "reference", config);
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const auto reference_summary = ParseSummary(reference.out);

  // First the one window a naive sink gets wrong: files durable, state not yet committed.
  const ProcessResult faulted = RunPass(dir_, dir_ / "in.ndjson", dir_ / "crashed", config,
                                        {"GONGSHI_FAULT_KILL_AFTER_FILES=3"});
  ASSERT_EQ(faulted.signal, SIGKILL);
  // Then SIGKILL at random moments, each run resuming the last, until one gets through.
  std::mt19937 random(5);
  int kills = 1;
  ProcessResult last;
  for (;;) {
    const pid_t pid = testing::Start(
        {"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "crashed", "--config", config},
        dir_.path(), {kKeyEnv});
    if (kills < 6) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + random() % 300));
      ::kill(pid, SIGKILL);
    }
    last = testing::Wait(pid, dir_.path());
    if (last.signal != SIGKILL) break;
    ++kills;
  }
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_GE(kills, 3);
  const auto crashed_summary = ParseSummary(last.out);
  EXPECT_EQ(crashed_summary.at("resumed"), 1u);

  EXPECT_EQ(PublishedSet(dir_ / "crashed"), PublishedSet(dir_ / "reference"))
      << "nothing lost, nothing published twice";
  EXPECT_EQ(FileNames(dir_ / "crashed/feeds"), FileNames(dir_ / "reference/feeds"));
  EXPECT_EQ(FileNames(dir_ / "crashed/dlq"), FileNames(dir_ / "reference/dlq"));
  const ProcessResult verify = testing::Run({"verify-feeds", dir_ / "crashed"}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  // The resumed run reports the totals of the whole pass, as the uninterrupted one did.
  for (const char* key :
       {"read", "published", "updated", "duplicate", "withdrawn", "withheld", "rejected"}) {
    EXPECT_EQ(crashed_summary.at(key), reference_summary.at(key)) << key;
  }
}

TEST_F(FilePassTest, Gb18030SourceIsTranscoded) {
  const Expected expected = Generate(dir_ / "in.ndjson", 8000, 31, "gb18030");
  const std::string config = WriteConfig(dir_, "encoding");
  const ProcessResult result = RunPass(dir_, dir_ / "in.ndjson", dir_ / "out", config);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ExpectCountsMatch(ParseSummary(result.out), expected);
  // Feeds are UTF-8 whatever the source encoding.
  const auto published = PublishedSet(dir_ / "out");
  ASSERT_FALSE(published.empty());
  EXPECT_NE(published.front().find("\"kind\":"), std::string::npos);
  simdjson::dom::parser parser;
  for (const std::string& line : published) ASSERT_FALSE(parser.parse(line).error());
}

TEST_F(FilePassTest, StdinIsAnInput) {
  const Expected expected = Generate(dir_ / "in.ndjson", 3000, 41);
  const std::string config = WriteConfig(dir_);
  const ProcessResult result =
      testing::Run({"run", "--input", "-", "--out", dir_ / "out", "--config", config}, dir_.path(),
                   {}, dir_ / "in.ndjson");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ExpectCountsMatch(ParseSummary(result.out), expected);
}

TEST_F(FilePassTest, MemoryDoesNotGrowWithTheInput) {
  // Streaming: a 10x larger input must not need 10x the memory (a whole-file load would).
  Generate(dir_ / "small.ndjson", 10000, 51);
  Generate(dir_ / "large.ndjson", 100000, 52);
  const std::string config = WriteConfig(dir_);
  const ProcessResult small = RunPass(dir_, dir_ / "small.ndjson", dir_ / "small", config);
  const ProcessResult large = RunPass(dir_, dir_ / "large.ndjson", dir_ / "large", config);
  ASSERT_EQ(small.exit_code, 0);
  ASSERT_EQ(large.exit_code, 0);
  const long large_input_kb = static_cast<long>(fs::file_size(dir_ / "large.ndjson") / 1024);
  EXPECT_LT(large.max_rss_kb, small.max_rss_kb * 2 + 32 * 1024)
      << "small " << small.max_rss_kb << " KiB, large " << large.max_rss_kb << " KiB";
  EXPECT_LT(large.max_rss_kb, large_input_kb) << "less memory than the input has bytes";
}

TEST_F(FilePassTest, BadArgumentsAndConfigsAreClearErrors) {
  const ProcessResult missing =
      testing::Run({"run", "--input", dir_ / "none.ndjson", "--out", dir_ / "out"}, dir_.path());
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.ndjson"), std::string::npos) << missing.err;

  testing::WriteFile(dir_ / "bad.yaml", "redaction:\n  fields:\n    subject_id_no: keep\n");
  const ProcessResult lint = testing::Run({"check-config", dir_ / "bad.yaml"}, dir_.path());
  EXPECT_EQ(lint.exit_code, 2);
  EXPECT_NE(lint.err.find("subject_id_no"), std::string::npos) << lint.err;

  testing::WriteFile(dir_ / "ok.yaml", "deadline: {region: guangxi}\n");
  const ProcessResult ok = testing::Run({"check-config", dir_ / "ok.yaml"}, dir_.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(CalendarCommandTest, DeadlinesOfTheDomainExamples) {
  TempDir dir;
  struct Case {
    const char* date;
    const char* days;
    const char* expected;
  };
  for (const Case& c :
       {Case{"2025-01-24", "5", "2025-02-07"}, Case{"2025-01-24", "7", "2025-02-10"},
        Case{"2025-09-30", "5", "2025-10-14"}, Case{"2025-09-30", "7", "2025-10-16"},
        Case{"2024-09-27", "7", "2024-10-12"}, Case{"2025-04-30", "5", "2025-05-12"},
        Case{"2026-02-13", "5", "2026-02-27"}, Case{"2026-02-13", "7", "2026-03-02"}}) {
    const ProcessResult r = testing::Run(
        {"calendar", "deadline", "--date", c.date, "--working-days", c.days}, dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(c.expected) + "\n") << c.date << " +" << c.days;
  }
  // Into a year whose notice is not loaded: printed, but marked provisional (exit 3).
  const ProcessResult provisional = testing::Run(
      {"calendar", "deadline", "--date", "2026-12-28", "--working-days", "7"}, dir.path());
  EXPECT_EQ(provisional.exit_code, 3);
  EXPECT_NE(provisional.err.find("provisional"), std::string::npos);
  const ProcessResult region = testing::Run({"calendar", "deadline", "--date", "2024-04-10",
                                             "--working-days", "1", "--region", "guangxi"},
                                            dir.path());
  EXPECT_EQ(region.out, "2024-04-15\n") << "11 and 12 April 2024 were Guangxi holidays";
}

}  // namespace
}  // namespace gongshi
