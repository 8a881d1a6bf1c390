// `gongshi replay` over a file: a range re-published under a new redaction policy as
// corrections, each once (a second run, a resumed run or a wider range publishes nothing twice),
// rate-limited into small batches, killed mid-replay without loss; and the rate limiter itself.
#include "pipeline/replay/replay.h"

#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/integration/pass_checks.h"

namespace gongshi {
namespace {

using namespace testing;
using std::chrono::milliseconds;

// The redaction fields of both policies, but the legal representative's name.
constexpr char kPolicyRules[] =
    "  fields: {subject_id_no: mask, legal_rep_id_no: drop, legal_rep_id_type: drop,\n"
    "           subject_id_type: keep, subject_name: mask_name, legal_rep_name: ";

// The integration config with a redaction policy: p1 publishes legal representatives' names,
// p2 masks them (张*).
std::string PolicyConfig(const TempDir& dir, const std::string& version, uint64_t max_records) {
  const std::string path = dir / (version + ".yaml");
  const bool masks = version != "p1";
  WriteFile(path, "today: 2026-11-30\ninput: {max_record_bytes: 16384}\nbatch: {max_records: " +
                      std::to_string(max_records) + "}\nredaction:\n  policy_version: " + version +
                      "\n" + kPolicyRules + (masks ? "mask_name" : "keep") + "}\n");
  return path;
}

struct FeedLine {
  std::string record_id, op, change, legal_rep_name;
  bool has_legal_rep = false;
};

struct Batch {
  bool replay = false;
  std::string policy;
  std::vector<FeedLine> lines;
};

// Every feed batch of `out`, by batch id and kind.
std::map<std::string, Batch> Batches(const std::string& out) {
  std::map<std::string, Batch> batches;
  simdjson::dom::parser parser;
  for (const char* kind : {"license", "penalty"}) {
    const fs::path dir = fs::path(out) / "feeds" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.path().filename().string().ends_with(".manifest.json")) continue;
      const std::string text = ReadFile(entry.path().string());
      simdjson::dom::element manifest = parser.parse(text);
      Batch& batch = batches[std::string(std::string_view(manifest["batch_id"])) + "/" + kind];
      bool replay = false;
      batch.replay = manifest["replay"].get(replay) == simdjson::SUCCESS && replay;
      batch.policy = std::string(std::string_view(manifest["policy_version"]));
      std::istringstream in(
          ReadFile((dir / std::string(std::string_view(manifest["feed_file"]))).string()));
      std::string line;
      simdjson::dom::parser line_parser;
      while (std::getline(in, line)) {
        simdjson::dom::element e = line_parser.parse(line);
        FeedLine f;
        f.record_id = std::string(std::string_view(e["record_id"]));
        f.op = std::string(std::string_view(e["op"]));
        std::string_view value;
        if (e["change"].get(value) == simdjson::SUCCESS) f.change = std::string(value);
        if (e["legal_rep_name"].get(value) == simdjson::SUCCESS) {
          f.has_legal_rep = true;
          f.legal_rep_name = std::string(value);
        }
        batch.lines.push_back(f);
      }
    }
  }
  return batches;
}

// How often each record id was published by replay batches.
std::map<std::string, int> ReplayedIds(const std::map<std::string, Batch>& batches) {
  std::map<std::string, int> ids;
  for (const auto& [id, batch] : batches) {
    if (!batch.replay) continue;
    for (const FeedLine& line : batch.lines) ++ids[line.record_id];
  }
  return ids;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = dir_ / "in.ndjson";
    Generate(input_, 3000, 4242);
    const ProcessResult first = RunPass(dir_, input_, out_, PolicyConfig(dir_, "p1", 500));
    ASSERT_EQ(first.exit_code, 0) << first.err;
    first_ = ParseSummary(first.out);
  }

  ProcessResult Replay(const std::string& config, std::vector<std::string> args,
                       std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"replay", "--config", config, "--input", input_, "--out", out_});
    env.push_back(kKeyEnv);
    return testing::Run(args, dir_.path(), env);
  }

  TempDir dir_;
  std::string input_;
  std::string out_ = dir_ / "out";
  std::map<std::string, uint64_t> first_;
};

uint64_t Outcomes(const std::map<std::string, uint64_t>& s) {
  return s.at("published") + s.at("updated") + s.at("duplicate") + s.at("withdrawn") +
         s.at("withheld") + s.at("rejected");
}

TEST_F(ReplayTest, ARangeIsRepublishedUnderTheNewPolicyOnceAndOnlyThere) {
  const std::string p2 = PolicyConfig(dir_, "p2", 500);
  const ProcessResult replay = Replay(p2, {"--from-line", "1001", "--to-line", "2000"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto summary = ParseSummary(replay.out);
  EXPECT_EQ(summary.at("read"), 1000u);
  EXPECT_EQ(Outcomes(summary), 1000u) << replay.out;
  EXPECT_GT(summary.at("updated"), 500u) << replay.out;
  EXPECT_EQ(summary.at("already_done"), 0u);

  const auto batches = Batches(out_);
  const auto ids = ReplayedIds(batches);
  uint64_t lines = 0;
  for (const auto& [id, batch] : batches) {
    if (!batch.replay) {
      EXPECT_EQ(batch.policy, "p1");
      continue;
    }
    EXPECT_EQ(batch.policy, "p2");
    for (const FeedLine& line : batch.lines) {
      ++lines;
      if (line.op != "upsert") continue;
      EXPECT_EQ(line.change, "update");
      // The new policy: a legal representative's name is masked (one character, then *).
      if (line.has_legal_rep && !line.legal_rep_name.empty()) {
        EXPECT_NE(line.legal_rep_name.find('*'), std::string::npos) << line.legal_rep_name;
      }
    }
  }
  EXPECT_EQ(lines, summary.at("updated") + summary.at("withdrawn"));
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;

  // The same job again: done already, nothing new.
  const ProcessResult again = Replay(p2, {"--from-line", "1001", "--to-line", "2000"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ParseSummary(again.out).at("already_done"), 1u);
  EXPECT_EQ(Batches(out_).size(), batches.size());

  // A wider range: what the first replay corrected is a duplicate now; the rest is corrected.
  const ProcessResult wider = Replay(p2, {});
  ASSERT_EQ(wider.exit_code, 0) << wider.err;
  const auto whole = ParseSummary(wider.out);
  EXPECT_EQ(whole.at("read"), 3000u);
  EXPECT_EQ(Outcomes(whole), 3000u);
  for (const auto& [id, n] : ReplayedIds(Batches(out_))) EXPECT_EQ(n, 1) << id;
  // Together the two replays corrected what the first pass published, and nothing else: each
  // identity the pass left published is corrected once (an older version read again is not).
  EXPECT_EQ(summary.at("updated") + whole.at("updated"),
            ReplayedIds(Batches(out_)).size() - summary.at("withdrawn") - whole.at("withdrawn"));

  const ProcessResult verify = testing::Run({"verify-feeds", out_}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const LeakCount leaks = ScanOutput(out_);
  EXPECT_EQ(leaks.id + leaks.mobile + leaks.card, 0u);
}

TEST_F(ReplayTest, TheSamePolicyFindsNothingToCorrect) {
  const ProcessResult replay = Replay(PolicyConfig(dir_, "p1", 500), {});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto summary = ParseSummary(replay.out);
  EXPECT_EQ(summary.at("read"), 3000u);
  EXPECT_EQ(summary.at("updated") + summary.at("published") + summary.at("withdrawn"), 0u)
      << replay.out;
  EXPECT_TRUE(ReplayedIds(Batches(out_)).empty());
}

TEST_F(ReplayTest, ARateLimitCutsTheReplayIntoSmallBatches) {
  // 400 records/s: at most 200 (half a second's worth) per batch, so live batches can go
  // between them. The records and outcomes are those of an unlimited replay.
  const ProcessResult limited =
      Replay(PolicyConfig(dir_, "p2", 500), {"--to-line", "1000", "--rate", "400"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  const auto summary = ParseSummary(limited.out);
  EXPECT_EQ(summary.at("read"), 1000u);
  EXPECT_GE(summary.at("batches"), 5u) << limited.out;
  for (const auto& [id, batch] : Batches(out_)) {
    if (batch.replay) {
      EXPECT_LE(batch.lines.size(), 200u) << id;
    }
  }
}

TEST_F(ReplayTest, KilledMidReplayResumesAndCorrectsEachRecordOnce) {
  const std::string p2 = PolicyConfig(dir_, "p2", 400);
  // Killed after its third batch's files were durable and before that batch committed.
  const ProcessResult killed = Replay(p2, {}, {"GONGSHI_FAULT_KILL_AFTER_FILES=3"});
  EXPECT_EQ(killed.signal, SIGKILL) << killed.err;
  const ProcessResult resumed = Replay(p2, {});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto summary = ParseSummary(resumed.out);
  EXPECT_EQ(summary.at("read"), 3000u);
  EXPECT_EQ(Outcomes(summary), 3000u);
  EXPECT_EQ(summary.at("already_done"), 0u);

  // The same corrections as an uninterrupted replay of a copy of the first pass's output.
  TempDir other;
  const std::string other_out = other / "out";
  ASSERT_EQ(RunPass(other, input_, other_out, PolicyConfig(other, "p1", 500)).exit_code, 0);
  const ProcessResult straight = testing::Run(
      {"replay", "--config", PolicyConfig(other, "p2", 400), "--input", input_, "--out", other_out},
      other.path(), {kKeyEnv});
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  EXPECT_EQ(ParseSummary(straight.out).at("updated"), summary.at("updated"));
  const auto ids = ReplayedIds(Batches(out_));
  EXPECT_EQ(ids, ReplayedIds(Batches(other_out)));
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(testing::Run({"verify-feeds", out_}, dir_.path()).exit_code, 0);
}

TEST_F(ReplayTest, MistakesAreClearErrors) {
  const std::string p2 = PolicyConfig(dir_, "p2", 500);
  const ProcessResult backwards = Replay(p2, {"--from-line", "20", "--to-line", "10"});
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("--to-line"), std::string::npos) << backwards.err;
  const ProcessResult offsets = Replay(p2, {"--from-offset", "5"});
  EXPECT_EQ(offsets.exit_code, 2);
  EXPECT_NE(offsets.err.find("--topic"), std::string::npos) << offsets.err;
  const ProcessResult no_kafka = testing::Run(
      {"replay", "--config", p2, "--topic", "t", "--out", out_}, dir_.path(), {kKeyEnv});
  EXPECT_EQ(no_kafka.exit_code, 2);
  EXPECT_NE(no_kafka.err.find("kafka section"), std::string::npos) << no_kafka.err;
}

// In-process, with the pipeline's sink-fault seam: a replay batch whose feed write fails is run
// again as the same batch (nothing skipped, nothing counted twice).
TEST_F(ReplayTest, AFailedBatchIsRetriedAndNothingIsSkipped) {
  auto config = LoadConfig(PolicyConfig(dir_, "p2", 300));
  ASSERT_TRUE(config) << config.error().message();
  ::setenv("GONGSHI_HMAC_KEY", "integration-test-key-0123456789", 1);
  config->state.hmac_key_env = "GONGSHI_HMAC_KEY";
  auto parts = OpenPipelineParts(*config, out_ + "/state");
  ASSERT_TRUE(parts) << parts.error().message();
  auto pipeline = Pipeline::Create(*config, *parts, out_);
  ASSERT_TRUE(pipeline);
  int calls = 0;
  (*pipeline)->set_sink_fault([&]() -> Status {
    if (++calls % 3 == 2) return Fail(ErrorCode::kUnavailable, "injected: the disk is full");
    return Ok();
  });
  ReplayRange range;
  range.input = input_;
  range.policy_version = "p2";
  auto runner = ReplayRunner::Create(range, *config, **pipeline, *parts->store);
  ASSERT_TRUE(runner) << runner.error().message();
  int failures = 0;
  for (int steps = 0; steps < 1000; ++steps) {
    auto more = (*runner)->Step(300, RateLimiter::Clock::now());
    if (!more) {
      EXPECT_EQ(more.error().code(), ErrorCode::kUnavailable);
      ++failures;
      continue;
    }
    if (!*more) break;
  }
  EXPECT_TRUE((*runner)->done());
  EXPECT_GT(failures, 2);
  const RunCounts& counts = (*runner)->counts();
  EXPECT_EQ(counts.read(), 3000u);
  const auto ids = ReplayedIds(Batches(out_));
  EXPECT_EQ(ids.size(), counts.outcomes[static_cast<size_t>(Outcome::kUpdated)] +
                            counts.outcomes[static_cast<size_t>(Outcome::kWithdrawn)]);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

TEST(ReplayJobTest, AJobFileRoundTripsAndItsIdIgnoresTheRate) {
  ReplayRange range;
  range.topic = "t.penalty";
  range.partitions = {0, 2};
  range.from_ms = 1764547200000;
  range.to_ms = 1764633600000;
  range.rate = 250;
  range.policy_version = "p2";
  auto back = ReplayRange::FromJson(range.ToJson());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->ToJson(), range.ToJson());
  EXPECT_EQ(back->JobId(), range.JobId());
  ReplayRange faster = range;
  faster.rate = 1000;
  EXPECT_EQ(faster.JobId(), range.JobId());
  ReplayRange other_policy = range;
  other_policy.policy_version = "p3";
  EXPECT_NE(other_policy.JobId(), range.JobId());
  EXPECT_FALSE(ReplayRange::FromJson("{\"topic\":\"t\",\"from_offset\":9,\"to_offset\":3}"));
  EXPECT_FALSE(ReplayRange::FromJson("not json"));
}

TEST(RateLimiterTest, TakesWhatTheRateAllowsAndSaysHowLongToWait) {
  using Clock = RateLimiter::Clock;
  const Clock::time_point t0{};
  RateLimiter limiter(100, 50, t0);  // 100/s, up to 50 at once
  EXPECT_EQ(limiter.Take(80, t0), 50u);
  EXPECT_EQ(limiter.Take(10, t0), 0u);
  EXPECT_EQ(limiter.Wait(t0), std::chrono::nanoseconds(10'000'001));
  EXPECT_EQ(limiter.Take(10, t0 + milliseconds(100)), 10u);
  EXPECT_EQ(limiter.Take(100, t0 + milliseconds(10'000)), 50u);  // the bucket holds 50
  RateLimiter unlimited(0, 0, t0);
  EXPECT_EQ(unlimited.Take(1'000'000, t0), 1'000'000u);
  EXPECT_EQ(unlimited.Wait(t0).count(), 0);
}

}  // namespace
}  // namespace gongshi
