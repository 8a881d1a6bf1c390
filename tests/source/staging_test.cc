// Staging of broker messages into a batch's buffer: each message's value, key and headers land
// in the one reused byte buffer and the records are views into it; a tombstone (null value) is
// told from an empty message and rejected as kafka_tombstone; a null key from an empty one; a
// message kept aside (KafkaSource's pending path) and restaged later keeps all three.
#include "pipeline/source/staging.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gongshi {
namespace {

struct Header {
  std::string name;
  const char* value;  // nullptr: a null value
};

MessageParts Parts(const char* value, size_t value_size, const char* key, size_t key_size,
                   int64_t offset) {
  MessageParts parts;
  parts.value = value;
  parts.value_size = value_size;
  parts.key = key;
  parts.key_size = key_size;
  parts.offset = offset;
  parts.timestamp_ms = 1700000000000 + offset;
  return parts;
}

StagedMessage Stage(std::vector<char>& bytes, const MessageParts& parts,
                    const std::vector<Header>& headers, size_t max = 1 << 20) {
  StagedMessage staged = StageMessage(bytes, parts, max);
  for (const Header& h : headers) {
    StageHeader(bytes, staged, h.name, h.value, h.value == nullptr ? 0 : std::strlen(h.value));
  }
  return staged;
}

std::vector<MessageHeader> HeadersOf(const Record& record) {
  std::vector<MessageHeader> out;
  HeaderReader reader(record.headers);
  MessageHeader header;
  while (reader.Next(header)) out.push_back(header);
  EXPECT_TRUE(reader.ok());
  return out;
}

bool Inside(const RecordBatch& batch, std::string_view view) {
  return view.data() >= batch.bytes.data() &&
         view.data() + view.size() <= batch.bytes.data() + batch.bytes.size();
}

const std::string kIdNumber = "11010519491231002X";

TEST(StagingTest, KeysAndHeadersAreViewsIntoTheBatchBytesBesideTheValue) {
  RecordBatch batch;
  std::vector<StagedMessage> staged;
  const std::string value = "{\"a\":1}";
  staged.push_back(Stage(batch.bytes,
                         Parts(value.data(), value.size(), kIdNumber.data(), kIdNumber.size(), 10),
                         {{"trace", "t-1"}, {"empty", ""}, {"gone", nullptr}}));
  staged.push_back(Stage(batch.bytes, Parts(value.data(), value.size(), nullptr, 0, 11), {}));
  ASSERT_EQ(MakeRecordViews(batch, staged, 2, 5), 0u);
  ASSERT_EQ(batch.records.size(), 2u);

  const Record& first = batch.records[0];
  EXPECT_TRUE(first.pending());
  EXPECT_EQ(first.raw, value);
  EXPECT_EQ(first.position.partition, 5);
  EXPECT_EQ(first.position.offset, 10);
  EXPECT_EQ(first.position.source_index, 2u);
  EXPECT_EQ(first.position.timestamp_ms, 1700000000010);
  EXPECT_FALSE(first.key_null);
  EXPECT_EQ(first.key, kIdNumber);
  EXPECT_FALSE(first.value_null);
  // simdjson's padding still follows the value, the key after it.
  EXPECT_EQ(std::string_view(first.raw.data() + first.raw.size(), 4), "    ");
  EXPECT_TRUE(Inside(batch, first.raw));
  EXPECT_TRUE(Inside(batch, first.key));
  EXPECT_TRUE(Inside(batch, first.headers));
  const auto headers = HeadersOf(first);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].name, "trace");
  EXPECT_EQ(headers[0].value, "t-1");
  EXPECT_FALSE(headers[0].value_null);
  EXPECT_EQ(headers[1].name, "empty");
  EXPECT_EQ(headers[1].value, "");
  EXPECT_FALSE(headers[1].value_null) << "an empty header value is not a null one";
  EXPECT_EQ(headers[2].name, "gone");
  EXPECT_TRUE(headers[2].value_null);

  const Record& second = batch.records[1];
  EXPECT_TRUE(second.key_null);
  EXPECT_TRUE(second.key.empty());
  EXPECT_TRUE(second.headers.empty());
}

TEST(StagingTest, ATombstoneIsRejectedAndToldFromAnEmptyMessage) {
  RecordBatch batch;
  std::vector<StagedMessage> staged;
  static const char kEmpty[] = "";
  staged.push_back(Stage(batch.bytes, Parts(nullptr, 0, "k", 1, 0), {}));    // tombstone
  staged.push_back(Stage(batch.bytes, Parts(kEmpty, 0, kEmpty, 0, 1), {}));  // empty, empty key
  MakeRecordViews(batch, staged, 0, 0);

  const Record& tombstone = batch.records[0];
  EXPECT_TRUE(tombstone.value_null);
  EXPECT_EQ(tombstone.outcome, Outcome::kRejected);
  EXPECT_EQ(tombstone.reject_reason, RejectReason::kKafkaTombstone);
  EXPECT_EQ(RejectReasonCode(tombstone.reject_reason), "kafka_tombstone");
  EXPECT_TRUE(tombstone.raw.empty());
  EXPECT_EQ(tombstone.key, "k");

  const Record& empty = batch.records[1];
  EXPECT_FALSE(empty.value_null);
  EXPECT_TRUE(empty.pending()) << "an empty message is the parser's to judge";
  EXPECT_FALSE(empty.key_null) << "an empty key is not a null key";
  EXPECT_TRUE(empty.key.empty());
}

TEST(StagingTest, ACutValueKeepsItsKeyAndHeaders) {
  RecordBatch batch;
  const std::string value(100, 'x');
  std::vector<StagedMessage> staged = {
      Stage(batch.bytes, Parts(value.data(), value.size(), "key", 3, 7), {{"h", "v"}}, 10)};
  EXPECT_EQ(MakeRecordViews(batch, staged, 0, 0), 1u);
  const Record& record = batch.records[0];
  EXPECT_EQ(record.reject_reason, RejectReason::kRecordTooLarge);
  EXPECT_EQ(record.raw, std::string(10, 'x'));
  EXPECT_EQ(record.key, "key");
  ASSERT_EQ(HeadersOf(record).size(), 1u);
  EXPECT_EQ(HeadersOf(record)[0].value, "v");
}

TEST(StagingTest, AMessageKeptAsideKeepsKeyHeadersAndNullsWhenRestaged) {
  // KafkaSource's pending path: the message is staged into its own buffer when its partition
  // cannot take it, and copied into a later batch behind other messages.
  std::vector<char> aside;
  const StagedMessage kept = Stage(aside, Parts(nullptr, 0, kIdNumber.data(), kIdNumber.size(), 3),
                                   {{"trace", "t-3"}, {"n", nullptr}});
  std::vector<char> other_aside;
  const StagedMessage kept_key_null = Stage(other_aside, Parts("{}", 2, nullptr, 0, 4), {});

  RecordBatch batch;
  std::vector<StagedMessage> staged;
  staged.push_back(Stage(batch.bytes, Parts("{\"a\":1}", 7, "a", 1, 2), {{"x", "y"}}));
  staged.push_back(RestageMessage(batch.bytes, aside, kept));
  staged.push_back(RestageMessage(batch.bytes, other_aside, kept_key_null));
  MakeRecordViews(batch, staged, 0, 1);

  ASSERT_EQ(batch.records.size(), 3u);
  const Record& restaged = batch.records[1];
  EXPECT_EQ(restaged.position.offset, 3);
  EXPECT_EQ(restaged.position.timestamp_ms, 1700000000003);
  EXPECT_TRUE(restaged.value_null);
  EXPECT_EQ(restaged.reject_reason, RejectReason::kKafkaTombstone);
  EXPECT_EQ(restaged.key, kIdNumber);
  EXPECT_TRUE(Inside(batch, restaged.key));
  const auto headers = HeadersOf(restaged);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].value, "t-3");
  EXPECT_TRUE(headers[1].value_null);
  EXPECT_EQ(batch.records[2].raw, "{}");
  EXPECT_TRUE(batch.records[2].key_null);
  EXPECT_EQ(batch.records[0].key, "a");
  EXPECT_EQ(HeadersOf(batch.records[0])[0].value, "y");
}

TEST(StagingTest, AReusedBatchTakesNoNewBufferForKeysAndHeaders) {
  RecordBatch batch;
  std::vector<StagedMessage> staged;
  auto fill = [&] {
    batch.Clear();
    staged.clear();
    for (int i = 0; i < 100; ++i) {
      staged.push_back(
          Stage(batch.bytes, Parts("{}", 2, kIdNumber.data(), kIdNumber.size(), i), {{"h", "v"}}));
    }
    MakeRecordViews(batch, staged, 0, 0);
  };
  fill();
  const char* buffer = batch.bytes.data();
  const size_t capacity = batch.bytes.capacity();
  fill();
  EXPECT_EQ(batch.bytes.data(), buffer) << "the second batch reuses the first one's buffer";
  EXPECT_EQ(batch.bytes.capacity(), capacity);
  for (const Record& record : batch.records) {
    EXPECT_TRUE(Inside(batch, record.key));
    EXPECT_TRUE(Inside(batch, record.headers));
  }
}

TEST(StagingTest, ResetOutcomesKeepsKeysHeadersAndTheTombstone) {
  RecordBatch batch;
  std::vector<StagedMessage> staged = {
      Stage(batch.bytes, Parts(nullptr, 0, "k", 1, 0), {{"h", "v"}}),
      Stage(batch.bytes, Parts("x", 1, nullptr, 0, 1), {{"h2", "v2"}}),
  };
  MakeRecordViews(batch, staged, 0, 0);
  batch.records[1].Reject(RejectReason::kJsonSyntax);  // as the parser would
  batch.ResetOutcomes();
  EXPECT_EQ(batch.records[0].reject_reason, RejectReason::kKafkaTombstone);
  EXPECT_TRUE(batch.records[0].value_null);
  EXPECT_EQ(batch.records[0].key, "k");
  EXPECT_EQ(HeadersOf(batch.records[0])[0].name, "h");
  EXPECT_TRUE(batch.records[1].pending());
  EXPECT_TRUE(batch.records[1].key_null);
  EXPECT_EQ(HeadersOf(batch.records[1])[0].value, "v2");
}

TEST(HeaderReaderTest, ACutOrGarbledBlockIsNotOk) {
  std::string block;
  AppendHeader(block, "name", "value", 5);
  AppendHeader(block, "n2", nullptr, 0);
  {
    HeaderReader reader(block);
    MessageHeader header;
    int n = 0;
    while (reader.Next(header)) ++n;
    EXPECT_EQ(n, 2);
    EXPECT_TRUE(reader.ok());
  }
  for (size_t cut = 1; cut < block.size(); ++cut) {
    HeaderReader reader(std::string_view(block).substr(0, cut));
    MessageHeader header;
    while (reader.Next(header)) {
    }
    // Only the cut between the two headers leaves a whole block.
    EXPECT_EQ(reader.ok(), cut == 4 + 4 + 4 + 5) << cut;
  }
  // A name length past the block's end.
  const std::string huge(
      "\xff\xff\xff\x00"
      "name",
      8);
  HeaderReader reader(huge);
  MessageHeader header;
  EXPECT_FALSE(reader.Next(header));
  EXPECT_FALSE(reader.ok());
}

}  // namespace
}  // namespace gongshi
