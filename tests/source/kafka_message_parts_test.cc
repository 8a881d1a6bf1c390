// What a Kafka message carries besides its value, through librdkafka's mock cluster over TCP:
// the group consumer (KafkaSource) and the range reader (KafkaRangeReader) hand out each
// message's key (or null) and headers (null values too), a tombstone rejected as
// kafka_tombstone and an empty message as it is, also when the message waited past a limit
// (the pending path); the range reader names a missing topic or partition and an unreachable
// broker after its timeout.
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/source/kafka_range_reader.h"
#include "pipeline/source/kafka_source.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

using std::chrono::milliseconds;

const std::string kIdNumber = "11010519491231002X";

struct Header {
  std::string name;
  const char* value;  // nullptr: a null value
};
struct Sent {
  const char* key;    // nullptr: no key
  const char* value;  // nullptr: a tombstone
  std::vector<Header> headers;
};

// The four kinds of message: key and headers (one with a null value), a tombstone, an empty
// message without a key, and an empty key.
const std::vector<Sent>& Messages() {
  static const std::vector<Sent> messages = {
      {kIdNumber.c_str(),
       "{\"n\":0}",
       {{"trace", "t-0"}, {"owner", kIdNumber.c_str()}, {"n", nullptr}}},
      {kIdNumber.c_str(), nullptr, {{"why", "delete"}}},
      {nullptr, "", {}},
      {"", "{\"n\":3}", {{"empty", ""}}},
  };
  return messages;
}

// Produces with librdkafka directly: KafkaProducer cannot send a null header value.
void Produce(const std::string& servers, const std::string& topic) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", servers.c_str(), errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  ASSERT_NE(producer, nullptr) << errstr;
  for (const Sent& m : Messages()) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
    for (const Header& h : m.headers) {
      rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value,
                          h.value == nullptr ? 0 : static_cast<ssize_t>(std::strlen(h.value)));
    }
    // The macros cast without parentheses: the lengths go in as plain variables.
    const size_t key_size = m.key == nullptr ? 0 : std::strlen(m.key);
    const size_t value_size = m.value == nullptr ? 0 : std::strlen(m.value);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(const_cast<char*>(m.key), key_size),
        RD_KAFKA_V_VALUE(const_cast<char*>(m.value), value_size),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  ASSERT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

// A record with its views copied out, so it outlives its batch.
struct Got {
  int64_t offset = -1;
  std::string value, key;
  bool key_null = true, value_null = false;
  RejectReason reason = RejectReason::kNone;
  std::vector<std::pair<std::string, std::string>> headers;  // "(null)" for a null value
  bool headers_ok = true;
};

Got Copy(const Record& record) {
  Got got;
  got.offset = record.position.offset;
  got.value = record.raw;
  got.key = record.key;
  got.key_null = record.key_null;
  got.value_null = record.value_null;
  got.reason = record.reject_reason;
  HeaderReader reader(record.headers);
  MessageHeader header;
  while (reader.Next(header)) {
    got.headers.emplace_back(header.name, header.value_null ? "(null)" : std::string(header.value));
  }
  got.headers_ok = reader.ok();
  return got;
}

void ExpectAsSent(const std::vector<Got>& got) {
  ASSERT_EQ(got.size(), Messages().size());
  for (size_t i = 0; i < got.size(); ++i) {
    const Sent& sent = Messages()[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].offset, static_cast<int64_t>(i));
    EXPECT_EQ(got[i].key_null, sent.key == nullptr);
    EXPECT_EQ(got[i].key, sent.key == nullptr ? "" : sent.key);
    EXPECT_EQ(got[i].value_null, sent.value == nullptr);
    EXPECT_EQ(got[i].value, sent.value == nullptr ? "" : sent.value);
    EXPECT_TRUE(got[i].headers_ok);
    ASSERT_EQ(got[i].headers.size(), sent.headers.size());
    for (size_t h = 0; h < sent.headers.size(); ++h) {
      EXPECT_EQ(got[i].headers[h].first, sent.headers[h].name);
      EXPECT_EQ(got[i].headers[h].second,
                sent.headers[h].value == nullptr ? "(null)" : sent.headers[h].value);
    }
  }
  EXPECT_EQ(got[1].reason, RejectReason::kKafkaTombstone);
  EXPECT_EQ(got[2].reason, RejectReason::kNone) << "an empty message goes on to the parser";
  EXPECT_EQ(got[0].reason, RejectReason::kNone);
}

class FromStart : public PartitionListener {
 public:
  Result<std::vector<int64_t>> Assigned(const std::vector<TopicPartition>& partitions) override {
    return std::vector<int64_t>(partitions.size(), 0);
  }
  void Revoked(const std::vector<TopicPartition>&) override {}
  void Lost(const std::vector<TopicPartition>&) override {}
};

class KafkaMessagePartsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_.CreateTopic("t", 1);
    Produce(kafka_.bootstrap_servers(), "t");
  }

  // Polls a group member until it has `count` messages; `limit` as KafkaSource::Poll takes it.
  std::vector<Got> Consume(size_t count, const KafkaSource::LimitFn& limit = nullptr,
                           std::vector<Got>* before_limit_lifted = nullptr) {
    KafkaSourceOptions options;
    options.properties = {{"bootstrap.servers", kafka_.bootstrap_servers()},
                          {"group.id", "parts"},
                          {"log_level", "3"}};
    options.topics = {"t"};
    auto source = KafkaSource::Create(options, listener_);
    EXPECT_TRUE(source) << source.error().message();
    std::vector<Got> got;
    std::vector<PartitionBatch> batches;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    KafkaSource::LimitFn active = limit;
    int quiet_polls = 0;
    while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE((*source)->Poll(milliseconds(200), 1000, 1 << 20, batches, active));
      for (const PartitionBatch& b : batches) {
        for (const Record& r : b.batch.records) got.push_back(Copy(r));
      }
      // With a limit: once what lies before it came and a few polls brought nothing more, lift
      // it; the messages kept past it must come next, whole.
      if (active && !got.empty()) {
        quiet_polls = batches.empty() ? quiet_polls + 1 : 0;
        if (quiet_polls >= 5) {
          if (before_limit_lifted != nullptr) *before_limit_lifted = got;
          active = nullptr;
        }
      }
    }
    (*source)->Close();
    return got;
  }

  testing::MockKafka kafka_{1};
  FromStart listener_;
};

TEST_F(KafkaMessagePartsTest, TheGroupConsumerHandsOutKeysHeadersAndTombstones) {
  ExpectAsSent(Consume(Messages().size()));
}

TEST_F(KafkaMessagePartsTest, MessagesKeptPastALimitKeepTheirKeysAndHeaders) {
  std::vector<Got> before;
  const std::vector<Got> got = Consume(
      Messages().size(), [](const TopicPartition&) -> int64_t { return 1; }, &before);
  ASSERT_EQ(before.size(), 1u) << "nothing at or past the limit while it holds";
  ExpectAsSent(got);
}

TEST_F(KafkaMessagePartsTest, TheRangeReaderHandsOutKeysHeadersAndTombstones) {
  KafkaRangeOptions options;
  options.properties = {{"bootstrap.servers", kafka_.bootstrap_servers()}, {"log_level", "3"}};
  options.topic = "t";
  auto reader = KafkaRangeReader::Open(options);
  ASSERT_TRUE(reader) << reader.error().message();
  ASSERT_EQ((*reader)->ranges().size(), 1u);
  ASSERT_TRUE((*reader)->Seek(0, 0));
  RecordBatch batch;
  std::vector<Got> got;
  for (int i = 0; i < 100; ++i) {
    auto more = (*reader)->Fill(batch, 1000, 1 << 20, milliseconds(500));
    ASSERT_TRUE(more) << more.error().message();
    if (!*more) break;
    for (const Record& r : batch.records) got.push_back(Copy(r));
  }
  ExpectAsSent(got);
}

TEST_F(KafkaMessagePartsTest, TheRangeReaderNamesAMissingTopicOrPartitionAndADeadBroker) {
  KafkaRangeOptions options;
  options.properties = {{"bootstrap.servers", kafka_.bootstrap_servers()}, {"log_level", "3"}};
  options.what = "dlq show";
  options.timeout_ms = 5000;
  options.topic = "no-such-topic";
  auto missing = KafkaRangeReader::Open(options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "dlq show: topic no-such-topic does not exist (or this client may not see it)");

  options.topic = "t";
  options.partitions = {3};
  auto no_partition = KafkaRangeReader::Open(options);
  ASSERT_FALSE(no_partition);
  EXPECT_EQ(no_partition.error().message(), "dlq show: topic t has no partition 3 (it has 1)");

  options.partitions = {};
  options.timeout_ms = 1500;
  const std::string dead = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  options.properties = {{"bootstrap.servers", dead}, {"log_level", "0"}};
  // Returns after its timeout (a hang would be the test's timeout).
  auto unreachable = KafkaRangeReader::Open(options);
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(unreachable.error().message().find("dlq show: no answer from the brokers (" + dead +
                                               ") in 1500 ms"),
            std::string::npos)
      << unreachable.error().message();
}

}  // namespace
}  // namespace gongshi
