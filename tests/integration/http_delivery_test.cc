// The HTTP sink end to end: `gongshi run` delivers every committed feed batch to a site on
// loopback (the fault-injecting receiver of tests/support/http_receiver.h), in batch order, with
// the batch id as idempotency key. Checked from the receiver's side: every batch accepted exactly
// once, with the bytes of its feed files, through 5xx, resets, 429 with Retry-After, slow answers,
// a site down for a while (then `gongshi reconcile --send`), a 4xx refusal (dead-letter with the
// site's answer) and a SIGKILL of gongshi while it waits for an answer.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/feed_batches.h"
#include "tests/support/http_receiver.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using testing::Fault;
using testing::HttpReceiver;
using testing::ProcessResult;

class HttpDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ProcessResult generated = testing::Run(
        {"generate", "--count", "3000", "--seed", "77", "--out", dir_ / "in.ndjson"}, dir_.path());
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }

  std::string Config(const std::string& url, int drain_ms = 60000, int timeout_ms = 5000) {
    const std::string path = dir_ / "config.yaml";
    testing::WriteFile(dir_ / "token", "s3cret\n");
    testing::WriteFile(path, fmt::format(R"(batch: {{max_records: 400}}
http:
  url: {}
  auth: {{token_file: {}}}
  timeout_ms: {}
  backoff_initial_ms: 20
  backoff_max_ms: 2000
  drain_timeout_ms: {}
)",
                                         url, dir_ / "token", timeout_ms, drain_ms));
    return path;
  }

  ProcessResult Pass(const std::string& config, const std::vector<std::string>& env = {}) {
    return testing::Run(
        {"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config", config},
        dir_.path(), env);
  }

  std::map<std::string, std::string> Batches() { return testing::FeedBatches(dir_ / "out"); }

  // Every batch accepted once with exactly its bytes; nothing else accepted.
  void ExpectEveryBatchAcceptedOnce(const HttpReceiver& receiver) {
    const auto batches = Batches();
    ASSERT_GT(batches.size(), 5u);
    const auto accepted = receiver.accepted();
    const auto bodies = receiver.accepted_bodies();
    EXPECT_EQ(accepted.size(), batches.size());
    for (const auto& [id, body] : batches) {
      ASSERT_EQ(accepted.count(id), 1u) << "batch " << id << " never accepted";
      EXPECT_EQ(accepted.at(id), 1);
      EXPECT_EQ(bodies.at(id), body) << "batch " << id;
    }
    EXPECT_TRUE(receiver.conflicts().empty());
    // In batch order: each batch's first arrival comes after the previous batch's.
    uint64_t last = 0;
    std::set<std::string> seen;
    for (const auto& request : receiver.requests()) {
      const std::string& key = request.headers.at("idempotency-key");
      if (!seen.insert(key).second) continue;
      const uint64_t sequence = std::stoull(request.headers.at("x-gongshi-batch-sequence"));
      EXPECT_GE(sequence, last);
      last = sequence;
    }
  }

  testing::TempDir dir_;
};

TEST_F(HttpDeliveryTest, ThroughFaultsEveryBatchIsAcceptedOnce) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::Status(503), Fault::Reset(), Fault::RetryAfterSeconds(1),
                    Fault::Slow(200), Fault::Status(500), Fault::ResetAfterAccept(),
                    Fault::Status(502), Fault::RetryAfterSeconds(0, 503)});
  const ProcessResult result = Pass(Config(receiver->Url()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ParseSummary(result.out)["http_pending"], 0u) << result.out;
  ExpectEveryBatchAcceptedOnce(*receiver);
  EXPECT_FALSE(receiver->repeats().empty()) << "the reply lost after acceptance was re-sent";
  const ProcessResult books = testing::Run(
      {"reconcile", "--config", dir_ / "config.yaml", "--out", dir_ / "out"}, dir_.path());
  ASSERT_EQ(books.exit_code, 0) << books.err;
  EXPECT_NE(books.out.find(fmt::format("acknowledged={} refused=0 waiting=0", Batches().size())),
            std::string::npos)
      << books.out;
}

TEST_F(HttpDeliveryTest, ARefusedBatchGoesToTheDeadLetterWithTheSitesAnswer) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::Status(422, R"({"error":"处罚类别 not in the catalogue"})")});
  const ProcessResult result = Pass(Config(receiver->Url()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto batches = Batches();
  EXPECT_EQ(receiver->accepted().size(), batches.size() - 1);
  std::vector<fs::path> refused;
  for (const auto& entry : fs::directory_iterator(dir_ / "out/dlq/http")) {
    refused.push_back(entry.path());
  }
  ASSERT_EQ(refused.size(), 1u);
  const std::string note = testing::ReadFile(refused[0].string());
  EXPECT_NE(note.find(R"("status":422)"), std::string::npos) << note;
  EXPECT_NE(note.find("not in the catalogue"), std::string::npos) << note;
  const ProcessResult books = testing::Run(
      {"reconcile", "--config", dir_ / "config.yaml", "--out", dir_ / "out"}, dir_.path());
  EXPECT_NE(books.out.find("refused=1 waiting=0"), std::string::npos) << books.out;
}

TEST_F(HttpDeliveryTest, ASiteDownIsCaughtUpByReconcile) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  receiver->SetDefault(Fault::Status(503));
  const ProcessResult result = Pass(Config(receiver->Url(), /*drain_ms=*/300));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const uint64_t pending = testing::ParseSummary(result.out)["http_pending"];
  EXPECT_EQ(pending, Batches().size()) << "nothing acknowledged, nothing lost";
  EXPECT_TRUE(receiver->accepted().empty());
  // Dry run: the books, nothing sent.
  const size_t requests = receiver->requests().size();
  ProcessResult books = testing::Run(
      {"reconcile", "--config", dir_ / "config.yaml", "--out", dir_ / "out"}, dir_.path());
  ASSERT_EQ(books.exit_code, 0) << books.err;
  EXPECT_NE(books.out.find("sent-not-acknowledged"), std::string::npos) << books.out;
  EXPECT_NE(books.out.find(fmt::format("waiting={}", pending)), std::string::npos) << books.out;
  EXPECT_EQ(receiver->requests().size(), requests) << "a dry run sends nothing";
  receiver->SetUp();
  Config(receiver->Url(), /*drain_ms=*/60000);
  books =
      testing::Run({"reconcile", "--config", dir_ / "config.yaml", "--out", dir_ / "out", "--send"},
                   dir_.path());
  ASSERT_EQ(books.exit_code, 0) << books.out << books.err;
  EXPECT_NE(books.out.find("waiting=0"), std::string::npos) << books.out;
  ExpectEveryBatchAcceptedOnce(*receiver);
}

TEST_F(HttpDeliveryTest, KilledWhileWaitingForTheSiteNothingIsLostOrAcceptedTwice) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  // The third batch arrives and is accepted, but its answer never comes; gongshi is killed
  // while it waits.
  receiver->Script({Fault::Slow(1), Fault::Slow(1), Fault::NoAnswer(/*accept_first=*/true)});
  const std::string config = Config(receiver->Url(), 60000, /*timeout_ms=*/60000);
  const pid_t pid = testing::Start(
      {"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config", config},
      dir_.path());
  ASSERT_TRUE(receiver->WaitForRequests(3, std::chrono::seconds(120)));
  ::kill(pid, SIGKILL);
  const ProcessResult killed = testing::Wait(pid, dir_.path());
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_EQ(receiver->accepted().size(), 3u);
  // The next run finds the pass complete and its batches in the outbox: it sends them again.
  const ProcessResult again = Pass(config);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ExpectEveryBatchAcceptedOnce(*receiver);
  EXPECT_GE(receiver->repeats().size(), 1u) << "the batch whose answer was lost came again";
}

}  // namespace
}  // namespace gongshi
