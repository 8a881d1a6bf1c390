// The dead-letter of Kafka messages: the key and headers are kept with the value, sealed the
// same way in the file and on the topic (so one reader opens both), in clear or not at all as
// dead_letter.original says; a tombstone is told from an empty message everywhere; a wrong or
// missing key, and a garbled entry, are clear errors.
#include "pipeline/sink/dead_letter.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "pipeline/source/staging.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Schemas;

const std::string kIdNumber = "11010519491231002X";
const std::string kPhone = "13912345678";

struct Message {
  const char* value;  // nullptr: a tombstone
  const char* key;    // nullptr: no key
  std::vector<std::pair<std::string, const char*>> headers;
  RejectReason reason = RejectReason::kJsonSyntax;  // unless the source rejects it
};

class DeadLetterTest : public ::testing::Test {
 protected:
  DeadLetterTest() {
    seal_[0] = 7;
    nonce_[0] = 9;
  }

  // Kafka messages of partition 2 of "t.penalty", staged as the source stages them.
  void Stage(const std::vector<Message>& messages) {
    batch_.Clear();
    std::vector<StagedMessage> staged;
    int64_t offset = 40;
    for (const Message& m : messages) {
      MessageParts parts;
      parts.value = m.value;
      parts.value_size = m.value == nullptr ? 0 : std::strlen(m.value);
      parts.key = m.key;
      parts.key_size = m.key == nullptr ? 0 : std::strlen(m.key);
      parts.offset = offset++;
      staged.push_back(StageMessage(batch_.bytes, parts, 1 << 20));
      for (const auto& [name, value] : m.headers) {
        StageHeader(batch_.bytes, staged.back(), name, value,
                    value == nullptr ? 0 : std::strlen(value));
      }
    }
    MakeRecordViews(batch_, staged, 0, 2);
    for (size_t i = 0; i < messages.size(); ++i) {
      if (batch_.records[i].pending()) batch_.records[i].Reject(messages[i].reason);
    }
  }

  // Writes the batch's dead-letter file in `mode` and returns its lines.
  std::vector<std::string> WriteFile(OriginalBytes mode) {
    DeadLetterWriter writer(Schemas(), out_.path(), mode, seal_, nonce_);
    EXPECT_TRUE(writer.Prepare());
    BatchInfo info;
    info.sequence = ++sequence_;
    info.source_name = "t.penalty";
    info.partition = 2;
    info.batch_id = "b" + std::to_string(sequence_);
    DurableFileSet files;
    DeadLetterStats stats;
    EXPECT_TRUE(writer.Write(batch_, info, files, stats));
    EXPECT_TRUE(files.Commit());
    const std::string text =
        testing::ReadFile(out_ / fmt::format("dlq/{:010}-{}.ndjson", info.sequence, info.batch_id));
    std::vector<std::string> lines;
    size_t at = 0;
    while (at < text.size()) {
      const size_t end = text.find('\n', at);
      lines.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return lines;
  }

  DeadLetterTopicMessage TopicMessage(const Record& record, OriginalBytes mode) {
    DeadLetterTopicMessage out;
    MakeDeadLetterTopicMessage(record, "t.penalty", "the message is not well-formed JSON",
                               OriginalSealer(mode, seal_, nonce_), out);
    return out;
  }

  // A topic message as `gongshi dlq show --topic` receives it (the range reader stages it).
  Result<OpenedDeadLetter> OpenAsReceived(const DeadLetterTopicMessage& m,
                                          const std::array<uint8_t, 32>* key) {
    MessageParts parts;
    parts.value = m.value.data();
    parts.value_size = m.value.size();
    parts.key = m.key_null ? nullptr : m.key.data();
    parts.key_size = m.key.size();
    parts.offset = 3;
    received_.Clear();
    std::vector<StagedMessage> staged = {StageMessage(received_.bytes, parts, 1 << 20)};
    for (const ProducedHeader& h : m.headers) {
      StageHeader(received_.bytes, staged[0], h.name, h.value.data(), h.value.size());
    }
    MakeRecordViews(received_, staged, 0, 0);
    DeadLetterReader reader(key);
    return reader.OpenMessage(received_.records[0]);
  }

  static std::string Header(const DeadLetterTopicMessage& m, std::string_view name) {
    for (const ProducedHeader& h : m.headers) {
      if (h.name == name) return h.value;
    }
    return "(absent)";
  }

  // Every byte of a topic message: key, value, header names and values.
  static std::string Everything(const DeadLetterTopicMessage& m) {
    std::string all = m.key + "|" + m.value;
    for (const ProducedHeader& h : m.headers) all += "|" + h.name + "=" + h.value;
    return all;
  }

  // The three messages every test uses: a reject with a personal key and headers, a tombstone
  // and an empty message without a key.
  void StageTheThree() {
    Stage({{"{\"当事人\":\"11010519491231002X\"",
            kIdNumber.c_str(),
            {{"trace-id", "abc-1"},
             {"owner-id", kIdNumber.c_str()},
             {"phone", kPhone.c_str()},
             {"none", nullptr}}},
           {nullptr, kIdNumber.c_str(), {{"why", "delete"}}},
           {"", nullptr, {}}});
  }

  static void ExpectTheThree(const OpenedDeadLetter& first, const OpenedDeadLetter& tombstone,
                             const OpenedDeadLetter& empty) {
    EXPECT_EQ(first.reason, "json_syntax");
    EXPECT_EQ(first.source, "t.penalty");
    EXPECT_EQ(first.partition, 2);
    EXPECT_EQ(first.offset, 40);
    ASSERT_TRUE(first.value.known);
    EXPECT_FALSE(first.value.null);
    EXPECT_EQ(first.value.bytes, "{\"当事人\":\"11010519491231002X\"");
    ASSERT_TRUE(first.key.known);
    EXPECT_FALSE(first.key.null);
    EXPECT_EQ(first.key.bytes, kIdNumber);
    ASSERT_TRUE(first.headers_known);
    ASSERT_EQ(first.headers.size(), 4u);
    EXPECT_EQ(first.headers[0].name, "trace-id");
    EXPECT_EQ(first.headers[0].value, "abc-1");
    EXPECT_EQ(first.headers[1].value, kIdNumber);
    EXPECT_EQ(first.headers[2].value, kPhone);
    EXPECT_EQ(first.headers[3].name, "none");
    EXPECT_TRUE(first.headers[3].null);

    EXPECT_EQ(tombstone.reason, "kafka_tombstone");
    EXPECT_EQ(tombstone.offset, 41);
    EXPECT_TRUE(tombstone.value.known);
    EXPECT_TRUE(tombstone.value.null) << "a tombstone's value is null";
    EXPECT_EQ(tombstone.key.bytes, kIdNumber);
    ASSERT_EQ(tombstone.headers.size(), 1u);
    EXPECT_EQ(tombstone.headers[0].value, "delete");

    EXPECT_EQ(empty.reason, "json_syntax");
    EXPECT_TRUE(empty.value.known);
    EXPECT_FALSE(empty.value.null) << "an empty message is not a tombstone";
    EXPECT_EQ(empty.value.bytes, "");
    EXPECT_TRUE(empty.key.known);
    EXPECT_TRUE(empty.key.null);
    EXPECT_TRUE(empty.headers_known);
    EXPECT_TRUE(empty.headers.empty());
  }

  testing::TempDir out_;
  std::array<uint8_t, 32> seal_{}, nonce_{};
  RecordBatch batch_;
  RecordBatch received_;
  uint64_t sequence_ = 0;
};

TEST_F(DeadLetterTest, SealedFileEntriesKeepKeyAndHeadersSealedAndOpenExactly) {
  StageTheThree();
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kSealed);
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find(kIdNumber), std::string::npos) << line;
    EXPECT_EQ(line.find(kPhone), std::string::npos) << line;
    EXPECT_EQ(line.find("abc-1"), std::string::npos) << line;
    EXPECT_EQ(line.find("trace-id"), std::string::npos) << "header names are sealed too";
  }
  simdjson::dom::parser parser;
  const simdjson::dom::element first = parser.parse(lines[0]);
  EXPECT_EQ(std::string_view(first["original"]), "sealed");
  EXPECT_FALSE(first["original_key_sealed"].error());
  EXPECT_FALSE(first["original_headers_sealed"].error());
  EXPECT_TRUE(first["original_null"].error()) << "nothing was null";
  const std::string first_key{std::string_view(first["original_key_sealed"])};
  const simdjson::dom::element tombstone = parser.parse(lines[1]);
  EXPECT_EQ(std::string_view(tombstone["original_null"]), "value");
  EXPECT_TRUE(tombstone["original_sealed"].error()) << "a null value has no bytes to seal";
  EXPECT_EQ(std::string_view(tombstone["original_key_sealed"]), first_key)
      << "the same key seals alike";
  const simdjson::dom::element empty = parser.parse(lines[2]);
  EXPECT_EQ(std::string_view(empty["original_null"]), "key");
  EXPECT_FALSE(empty["original_sealed"].error()) << "an empty value is kept, sealed";
  EXPECT_EQ(int64_t(empty["original_bytes"]), 0);

  DeadLetterReader reader(&seal_);
  auto a = reader.OpenLine(lines[0]);
  auto b = reader.OpenLine(lines[1]);
  auto c = reader.OpenLine(lines[2]);
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_TRUE(c) << c.error().message();
  ExpectTheThree(*a, *b, *c);
}

TEST_F(DeadLetterTest, TheTopicCarriesTheFilesSealedPartsAndNothingInClear) {
  StageTheThree();
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kSealed);
  simdjson::dom::parser parser;
  std::vector<Result<OpenedDeadLetter>> opened;
  for (size_t i = 0; i < 3; ++i) {
    const Record& record = batch_.records[i];
    const DeadLetterTopicMessage m = TopicMessage(record, OriginalBytes::kSealed);
    const std::string all = Everything(m);
    EXPECT_EQ(all.find(kIdNumber), std::string::npos) << all;
    EXPECT_EQ(all.find(kPhone), std::string::npos) << all;
    EXPECT_EQ(all.find("abc-1"), std::string::npos) << all;
    EXPECT_EQ(Header(m, "gongshi.original"), "sealed");
    EXPECT_EQ(Header(m, "gongshi.source.topic"), "t.penalty");
    EXPECT_EQ(Header(m, "gongshi.source.partition"), "2");
    EXPECT_EQ(Header(m, "gongshi.source.offset"), std::to_string(40 + i));
    // Exactly the file's sealed strings.
    const simdjson::dom::element entry = parser.parse(lines[i]);
    std::string_view sealed;
    if (!entry["original_sealed"].get(sealed)) {
      EXPECT_EQ(m.value, sealed);
    }
    if (!entry["original_key_sealed"].get(sealed)) {
      EXPECT_EQ(m.key, sealed);
    }
    if (!entry["original_headers_sealed"].get(sealed)) {
      EXPECT_EQ(Header(m, "gongshi.original.headers"), sealed);
    }
    opened.push_back(OpenAsReceived(m, &seal_));
    ASSERT_TRUE(opened.back()) << opened.back().error().message();
    EXPECT_EQ(opened.back()->dead_letter_offset, 3);
  }
  const DeadLetterTopicMessage first = TopicMessage(batch_.records[0], OriginalBytes::kSealed);
  EXPECT_FALSE(first.key_null);
  EXPECT_EQ(Header(first, "gongshi.original.null"), "(absent)");
  const DeadLetterTopicMessage tombstone = TopicMessage(batch_.records[1], OriginalBytes::kSealed);
  EXPECT_EQ(Header(tombstone, "gongshi.original.null"), "value");
  EXPECT_EQ(Header(tombstone, "gongshi.reason"), "kafka_tombstone");
  EXPECT_EQ(tombstone.key, first.key) << "the same key lands on the same partition";
  EXPECT_TRUE(tombstone.value.empty());
  const DeadLetterTopicMessage empty = TopicMessage(batch_.records[2], OriginalBytes::kSealed);
  EXPECT_EQ(Header(empty, "gongshi.original.null"), "key");
  EXPECT_TRUE(empty.key_null);
  EXPECT_FALSE(empty.value.empty()) << "the empty value, sealed";
  ExpectTheThree(*opened[0], *opened[1], *opened[2]);
}

TEST_F(DeadLetterTest, ClearModeKeepsTheOriginalKeyValueAndHeadersInClear) {
  StageTheThree();
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kClear);
  DeadLetterReader reader(nullptr);  // clear entries need no key
  std::vector<OpenedDeadLetter> from_file, from_topic;
  for (size_t i = 0; i < 3; ++i) {
    auto line = reader.OpenLine(lines[i]);
    ASSERT_TRUE(line) << line.error().message();
    EXPECT_EQ(line->original, "clear");
    from_file.push_back(*line);
    const DeadLetterTopicMessage m = TopicMessage(batch_.records[i], OriginalBytes::kClear);
    EXPECT_EQ(Header(m, "gongshi.original"), "clear");
    auto message = OpenAsReceived(m, nullptr);
    ASSERT_TRUE(message) << message.error().message();
    from_topic.push_back(*message);
  }
  const DeadLetterTopicMessage first = TopicMessage(batch_.records[0], OriginalBytes::kClear);
  EXPECT_EQ(first.key, kIdNumber) << "the original key as it was";
  EXPECT_EQ(first.value, "{\"当事人\":\"11010519491231002X\"");
  const DeadLetterTopicMessage empty = TopicMessage(batch_.records[2], OriginalBytes::kClear);
  EXPECT_TRUE(empty.key_null);
  ExpectTheThree(from_file[0], from_file[1], from_file[2]);
  ExpectTheThree(from_topic[0], from_topic[1], from_topic[2]);
}

TEST_F(DeadLetterTest, OmitKeepsNoneOfTheMessageButTellsATombstone) {
  StageTheThree();
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kOmit);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("original_sealed"), std::string::npos);
    EXPECT_EQ(line.find("original_key"), std::string::npos);
    EXPECT_EQ(line.find("original_headers"), std::string::npos);
  }
  DeadLetterReader reader(nullptr);
  auto first = reader.OpenLine(lines[0]);
  auto tombstone = reader.OpenLine(lines[1]);
  ASSERT_TRUE(first);
  ASSERT_TRUE(tombstone);
  EXPECT_EQ(first->original, "omit");
  EXPECT_FALSE(first->value.known);
  EXPECT_FALSE(first->key.known);
  EXPECT_FALSE(first->headers_known);
  EXPECT_TRUE(tombstone->value.null);

  for (size_t i = 0; i < 3; ++i) {
    const DeadLetterTopicMessage m = TopicMessage(batch_.records[i], OriginalBytes::kOmit);
    EXPECT_TRUE(m.key_null);
    EXPECT_TRUE(m.value.empty());
    EXPECT_EQ(Header(m, "gongshi.original"), "omit");
    EXPECT_EQ(Header(m, "gongshi.original.headers"), "(absent)");
    EXPECT_EQ(Everything(m).find(kIdNumber), std::string::npos);
  }
  auto opened = OpenAsReceived(TopicMessage(batch_.records[1], OriginalBytes::kOmit), nullptr);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->value.null);
  EXPECT_FALSE(opened->headers_known);
}

TEST_F(DeadLetterTest, AWrongOrMissingKeyIsAClearError) {
  StageTheThree();
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kSealed);
  std::array<uint8_t, 32> wrong = seal_;
  wrong[1] = 1;
  DeadLetterReader with_wrong_key(&wrong);
  auto opened = with_wrong_key.OpenLine(lines[0]);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find("do not open with this key"), std::string::npos)
      << opened.error().message();
  auto message = OpenAsReceived(TopicMessage(batch_.records[0], OriginalBytes::kSealed), &wrong);
  ASSERT_FALSE(message);
  EXPECT_NE(message.error().message().find("wrong key"), std::string::npos);
  // The tombstone's key is sealed: that fails too, and says which part.
  message = OpenAsReceived(TopicMessage(batch_.records[1], OriginalBytes::kSealed), &wrong);
  ASSERT_FALSE(message);
  EXPECT_NE(message.error().message().find("original key"), std::string::npos)
      << message.error().message();

  DeadLetterReader without_key(nullptr);
  opened = without_key.OpenLine(lines[0]);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find("no HMAC key"), std::string::npos);
}

TEST_F(DeadLetterTest, GarbledEntriesAndForeignMessagesAreClearErrors) {
  DeadLetterReader reader(&seal_);
  EXPECT_FALSE(reader.OpenLine("not json"));
  EXPECT_FALSE(reader.OpenLine("{\"message\":\"no reason\"}"));
  // A clear entry whose header block was cut by hand.
  std::string block;
  AppendHeader(block, "name", "value", 5);
  block.pop_back();
  auto opened = reader.OpenLine(
      "{\"reason\":\"json_syntax\",\"source\":{\"name\":\"t\",\"partition\":0,\"offset\":1},"
      "\"original\":\"clear\",\"original_base64\":\"\",\"original_key_base64\":\"\","
      "\"original_headers_base64\":\"" +
      Base64Encode(block) + "\"}");
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find("garbled"), std::string::npos);
  opened = reader.OpenLine(
      "{\"reason\":\"json_syntax\",\"original\":\"sealed\",\"original_sealed\":\"!!\"}");
  ASSERT_FALSE(opened);

  // A message some other producer wrote to the topic.
  DeadLetterTopicMessage foreign;
  foreign.value = "hello";
  foreign.headers = {{"x", "y"}};
  auto message = OpenAsReceived(foreign, &seal_);
  ASSERT_FALSE(message);
  EXPECT_NE(message.error().message().find("not a gongshi dead-letter message"), std::string::npos);
}

TEST_F(DeadLetterTest, AFileRecordHasNoKeyAndNothingNull) {
  testing::FillBatch(batch_, {"not json"});
  batch_.records[0].Reject(RejectReason::kJsonSyntax);
  const std::vector<std::string> lines = WriteFile(OriginalBytes::kSealed);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("original_key"), std::string::npos);
  EXPECT_EQ(lines[0].find("original_null"), std::string::npos);
  DeadLetterReader reader(&seal_);
  auto opened = reader.OpenLine(lines[0]);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->value.bytes, "not json");
  EXPECT_FALSE(opened->key.known);
  EXPECT_FALSE(opened->headers_known);
  EXPECT_EQ(opened->ToJson().find("\"key\""), std::string::npos);
}

TEST(OpenedDeadLetterTest, JsonShowsNullAsNullAndOtherBytesAsBase64) {
  OpenedDeadLetter opened;
  opened.reason = "kafka_tombstone";
  opened.source = "t";
  opened.partition = 1;
  opened.offset = 9;
  opened.original = "sealed";
  opened.value = {true, true, {}};
  opened.key = {true, false, std::string("\xff\x01", 2)};
  opened.headers_known = true;
  opened.headers = {{"a", false, "b"}, {"n", true, {}}};
  opened.dead_letter_partition = 0;
  opened.dead_letter_offset = 3;
  const std::string json = opened.ToJson();
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_FALSE(parser.parse(json).get(e)) << json;
  EXPECT_TRUE(e["value"].is_null());
  EXPECT_EQ(std::string_view(e["key"]["base64"]), Base64Encode(std::string("\xff\x01", 2)));
  EXPECT_EQ(std::string_view(e["headers"].at(0).at(1)), "b");
  EXPECT_TRUE(e["headers"].at(1).at(1).is_null());
  EXPECT_EQ(std::string_view(e["source"]["topic"]), "t");
  EXPECT_EQ(int64_t(e["dead_letter"]["offset"]), 3);
  // An empty value is a string, not null.
  opened.value = {true, false, {}};
  ASSERT_FALSE(parser.parse(opened.ToJson()).get(e));
  EXPECT_EQ(std::string_view(e["value"]), "");
}

}  // namespace
}  // namespace gongshi
