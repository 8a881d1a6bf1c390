// The Kafka sink end to end: `gongshi run` over generated records with a kafka_sink section sends
// every feed line to its kind's topic on the embedded broker (librdkafka's mock cluster over
// TCP), key = record id, headers = batch id, sequence and op; killed between a batch's files and
// its commit, the batch is sent again with the same keys and batch id, and nothing is missing.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "tests/support/feed_batches.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

constexpr int32_t kPartitions = 3;

struct Message {
  std::string topic, key, value, batch_id, op;
};

// Every message of `topics` from the beginning: at least `expected` (or until 30 s passed), then
// whatever else arrives before 2 s pass without a message.
std::vector<Message> ReadAll(const std::string& servers, const std::vector<std::string>& topics,
                             size_t expected) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", servers},
                                                        {"group.id", "kafka-sink-reader"},
                                                        {"auto.offset.reset", "earliest"},
                                                        {"enable.auto.commit", "false"}}) {
    rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error));
  }
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  rd_kafka_poll_set_consumer(consumer);
  // Assigned, not subscribed: no group to join, every partition from its first offset.
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
  for (const std::string& topic : topics) {
    for (int32_t partition = 0; partition < kPartitions; ++partition) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Message> out;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto last = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < until &&
         (out.size() < expected ||
          std::chrono::steady_clock::now() - last < std::chrono::seconds(2))) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 200);
    if (m == nullptr) continue;
    last = std::chrono::steady_clock::now();
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Message message;
      message.topic = rd_kafka_topic_name(m->rkt);
      message.key.assign(static_cast<const char*>(m->key), m->key_len);
      message.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const void* value = nullptr;
        size_t size = 0;
        if (rd_kafka_header_get_last(headers, "gongshi.batch_id", &value, &size) == 0) {
          message.batch_id.assign(static_cast<const char*>(value), size);
        }
        if (rd_kafka_header_get_last(headers, "gongshi.op", &value, &size) == 0) {
          message.op.assign(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(message));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  // (group.id is set only because librdkafka's consumer wants one; nothing is committed.)
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

  testing::MockKafka kafka_{1};
  testing::TempDir dir_;
};

TEST_F(KafkaSinkTest, EveryFeedLineReachesItsTopicKeyedByRecord) {
  const testing::ProcessResult result = Pass();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = FeedLines(dir_ / "out");
  ASSERT_GT(lines.size(), 1000u);
  const auto messages =
      ReadAll(kafka_.bootstrap_servers(), {"feed.license", "feed.penalty"}, lines.size());
  ASSERT_EQ(messages.size(), lines.size());
  std::set<std::string> seen;
  for (const Message& m : messages) {
    ASSERT_TRUE(lines.count(m.value)) << "not a feed line: " << m.value.substr(0, 200);
    EXPECT_TRUE(seen.insert(m.value).second) << "twice: " << m.value.substr(0, 200);
    EXPECT_EQ(m.batch_id, lines.at(m.value));
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
  const auto messages =
      ReadAll(kafka_.bootstrap_servers(), {"feed.license", "feed.penalty"}, lines.size() + 300);
  std::map<std::string, int> times;
  for (const Message& m : messages) {
    ASSERT_TRUE(lines.count(m.value)) << "not a feed line of the committed run";
    EXPECT_EQ(m.batch_id, lines.at(m.value)) << "sent again under the same batch id";
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
