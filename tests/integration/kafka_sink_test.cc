// The Kafka sink end to end: `gongshi run` over generated records with a kafka_sink section sends
// every feed line to its kind's topic on the embedded broker (librdkafka's mock cluster over
// TCP), key = record id, headers = batch id, sequence and op; killed between a batch's files and
// its commit, the batch is sent again with the same keys and batch id, and nothing is missing.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/feed_batches.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

constexpr int32_t kPartitions = 3;

struct Message {
  std::string topic, key, value, batch_id, sequence, op;
};

// Every message of the feed topics, from the first offset to each partition's end as it stands
// when this is called (the run is over, so that is everything it sent, a late repeat included):
// read with a plain consumer, not with gongshi's code.
std::vector<Message> ReadAll(testing::MockKafka& kafka) {
  std::vector<Message> out;
  for (const testing::MockKafka::Consumed& m :
       kafka.ReadToEnd({"feed.license", "feed.penalty"}, kPartitions)) {
    out.push_back({m.topic, m.key, m.value, m.header("gongshi.batch_id"),
                   m.header("gongshi.batch_sequence"), m.header("gongshi.op")});
  }
  return out;
}

// feed line -> batch id, from the run's manifests and feed files.
std::map<std::string, std::string> FeedLines(const std::string& out_dir) {
  std::map<std::string, std::string> lines;
  for (const auto& [id, body] : testing::FeedBatches(out_dir)) {
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines[line] = id;
    }
  }
  return lines;
}

class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_.CreateTopic("feed.license", kPartitions);
    kafka_.CreateTopic("feed.penalty", kPartitions);
    ASSERT_EQ(
        testing::Run({"generate", "--count", "2000", "--seed", "61", "--out", dir_ / "in.ndjson"},
                     dir_.path())
            .exit_code,
        0);
    testing::WriteFile(dir_ / "config.yaml",
                       "batch: {max_records: 300}\n"
                       "kafka_sink:\n"
                       "  properties: {bootstrap.servers: \"" +
                           kafka_.bootstrap_servers() +
                           "\"}\n"
                           "  topics: {license: feed.license, penalty: feed.penalty}\n");
  }
  testing::ProcessResult Pass(const std::vector<std::string>& env = {}) {
    return testing::Run({"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config",
                         dir_ / "config.yaml"},
                        dir_.path(), env);
  }

  // Batch id -> its sequence, from the manifests.
  std::map<std::string, std::string> Sequences() {
    std::map<std::string, std::string> out;
    for (const testing::FeedManifest& m : testing::FeedManifests(dir_ / "out")) {
      out[m.batch_id] = std::to_string(m.sequence);
    }
    return out;
  }

  testing::MockKafka kafka_{1};
  testing::TempDir dir_;
};

TEST_F(KafkaSinkTest, EveryFeedLineReachesItsTopicKeyedByRecord) {
  const testing::ProcessResult result = Pass();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = FeedLines(dir_ / "out");
  ASSERT_GT(lines.size(), 1000u);
  const auto sequences = Sequences();
  const auto messages = ReadAll(kafka_);
  ASSERT_EQ(messages.size(), lines.size());
  std::set<std::string> seen;
  for (const Message& m : messages) {
    ASSERT_TRUE(lines.count(m.value)) << "not a feed line: " << m.value.substr(0, 200);
    EXPECT_TRUE(seen.insert(m.value).second) << "twice: " << m.value.substr(0, 200);
    EXPECT_EQ(m.batch_id, lines.at(m.value));
    ASSERT_TRUE(sequences.count(m.batch_id)) << m.batch_id;
    EXPECT_EQ(m.sequence, sequences.at(m.batch_id)) << "the batch's sequence: " << m.batch_id;
    EXPECT_NE(m.value.find("\"record_id\":\"" + m.key + "\""), std::string::npos) << m.key;
    EXPECT_NE(m.value.find("\"kind\":\"" + m.topic.substr(5) + "\""), std::string::npos);
    EXPECT_NE(m.value.find("{\"op\":\"" + m.op + "\""), std::string::npos);
  }
}

TEST_F(KafkaSinkTest, ABatchKilledBeforeItsCommitIsSentAgainRecognisably) {
  // Killed after the 2nd batch's files and its Kafka send, before its commit.
  const testing::ProcessResult killed = Pass({"GONGSHI_FAULT_KILL_AFTER_FILES=2"});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  const testing::ProcessResult again = Pass();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto lines = FeedLines(dir_ / "out");
  // Everything once, plus the re-made batch's lines a second time.
  const auto sequences = Sequences();
  const auto messages = ReadAll(kafka_);
  std::map<std::string, int> times;
  for (const Message& m : messages) {
    ASSERT_TRUE(lines.count(m.value)) << "not a feed line of the committed run";
    EXPECT_EQ(m.batch_id, lines.at(m.value)) << "sent again under the same batch id";
    EXPECT_EQ(m.sequence, sequences.at(m.batch_id)) << "and the same sequence";
    ++times[m.value];
  }
  EXPECT_EQ(times.size(), lines.size()) << "nothing missing";
  size_t twice = 0;
  for (const auto& [line, n] : times) twice += n == 2;
  EXPECT_GT(twice, 0u) << "the killed batch was sent before the kill and again after";
  EXPECT_LE(twice, 300u) << "only that batch";
}

}  // namespace
}  // namespace gongshi
