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

#include "tests/integration/pass_checks.h"

// gcc defines __SANITIZE_ADDRESS__, clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define GONGSHI_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GONGSHI_TEST_UNDER_ASAN 1
#endif
#endif

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers
namespace fs = std::filesystem;

class FilePassTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(FilePassTest, CountsMatchTheGeneratorAndEveryReasonReachesTheDeadLetter) {
  const AcceptedPass pass = RunAcceptedPass(dir_, 40000, 11);
  ASSERT_EQ(pass.result.exit_code, 0);
  const Expected& expected = pass.expected;
  const auto& summary = pass.summary;
  const std::string config = WriteConfig(dir_);
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

  // A kill can land after a run committed the end of its pass (while it closes RocksDB); the
  // next run is then a new pass, not a resumption, and the scenario did not happen as meant. It
  // is told by the final summary and played again from an empty output directory.
  ProcessResult last;
  int kills = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    fs::remove_all(dir_ / "crashed");
    // First the one window a naive sink gets wrong: files durable, state not yet committed.
    const ProcessResult faulted = RunPass(dir_, dir_ / "in.ndjson", dir_ / "crashed", config,
                                          {"GONGSHI_FAULT_KILL_AFTER_FILES=3"});
    ASSERT_EQ(faulted.signal, SIGKILL);
    // Then SIGKILL at random moments, each run resuming the last, until one gets through.
    std::mt19937 random(5 + attempt);
    kills = 1;
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
    if (ParseSummary(last.out).at("pass") == 1) break;
  }
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

// service.threads cuts each batch into parts that several cores parse, validate, redact and
// render (the NDJSON lines and the CSV rows); what is published must not depend on it: every feed,
// dead-letter and withheld file byte for byte as one thread writes it (manifests but for their
// creation time and so the chain's hashes), the same summary.
TEST_F(FilePassTest, AnyNumberOfThreadsPublishesByteForByteWhatOneThreadDoes) {
  Generate(dir_ / "in.ndjson", 12000, 61);
  auto contents = [](const fs::path& out) {
    std::map<std::string, std::string> files;
    for (const char* sub : {"feeds", "dlq", "withheld"}) {
      for (const std::string& name : FileNames(out / sub)) {
        std::string text = testing::ReadFile((out / sub / name).string());
        if (name.ends_with(".manifest.json")) {
          // "created_at":"2026-12-07T20:40:01Z" is the clock's, and with it the hash of the
          // manifest before.
          for (std::string_view key : {"\"created_at\":\"", "\"previous_manifest_sha256\":\""}) {
            const size_t at = text.find(key);
            if (at != std::string::npos) text.erase(at, text.find('"', at + key.size()) + 1 - at);
          }
        }
        files[std::string(sub) + "/" + name] = std::move(text);
      }
    }
    return files;
  };
  std::map<std::string, std::string> one;
  std::map<std::string, uint64_t> one_summary;
  for (int threads : {1, 2, 4}) {
    const std::string config = dir_ / ("threads" + std::to_string(threads) + ".yaml");
    // Batches of 2000: with 2 or 4 threads each is cut into 7 parts.
    testing::WriteFile(config,
                       "today: 2026-11-30\ninput: {max_record_bytes: 16384}\n"
                       "batch: {max_records: 2000}\nfeeds: {csv: true}\nservice: {threads: " +
                           std::to_string(threads) + "}\n");
    const fs::path out = dir_ / ("out" + std::to_string(threads));
    const ProcessResult run = RunPass(dir_, dir_ / "in.ndjson", out, config);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto summary = ParseSummary(run.out);
    summary.erase("seconds");
    summary.erase("records_per_second");
    const auto files = contents(out);
    if (threads == 1) {
      one = files;
      one_summary = summary;
      ASSERT_GT(one.size(), 10u);
      EXPECT_GT(summary.at("published"), 8000u);
      continue;
    }
    EXPECT_EQ(summary, one_summary) << threads << " threads";
    ASSERT_EQ(files.size(), one.size()) << threads << " threads";
    for (const auto& [name, text] : one) {
      auto it = files.find(name);
      ASSERT_NE(it, files.end()) << name << " missing with " << threads << " threads";
      EXPECT_TRUE(it->second == text) << name << " differs with " << threads << " threads";
    }
  }
}

TEST_F(FilePassTest, Gb18030SourceIsTranscoded) {
  const Expected expected = Generate(dir_ / "in.ndjson", 8000, 31, "gb18030");
  const std::string config = WriteConfig(dir_, ", encoding: gb18030");
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
#ifdef GONGSHI_TEST_UNDER_ASAN
  // Skipped with its reason, not silently: AddressSanitizer's shadow memory, allocator caches and
  // quarantine make the child's peak RSS no measure of what it keeps (the bounds fail by 3x there
  // with the code unchanged); the release build holds the bound.
  GTEST_SKIP() << "peak RSS is not the pipeline's memory under AddressSanitizer";
#endif
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
