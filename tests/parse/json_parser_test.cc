// Parse stage: every structural reject reason, every naming style, the kind rules, zero-copy views.
#include "pipeline/parse/json_parser.h"

#include <map>

#include <gtest/gtest.h>

#include "pipeline/source/staging.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::Schemas;
using testing::With;

class JsonParserTest : public ::testing::Test {
 protected:
  Record ParseOne(const std::string& message, ParserOptions options = {}) {
    parser_ = std::make_unique<JsonParser>(Schemas(), options);
    testing::FillBatch(batch_, {message});
    parser_->Process(batch_);
    return batch_.records[0];
  }
  int Field(RecordKind kind, const std::string& name) {
    return Schemas().For(kind).FieldIndex(name);
  }
  std::unique_ptr<JsonParser> parser_;
  RecordBatch batch_;
};

TEST_F(JsonParserTest, CanonicalNamesGiveFieldsUnderTheirSchemaIndex) {
  const Record r = ParseOne(Fixture("penalty_valid.json"));
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  EXPECT_EQ(r.kind, RecordKind::kPenalty);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "authority_uscc")], "11420000MB15291767");
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "confiscated_wan_yuan")], "0.36");
}

TEST_F(JsonParserTest, ExchangeCodesMapToCanonicalFieldsAndTellTheKind) {
  const Record r = ParseOne(Fixture("license_valid.json"));
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  EXPECT_EQ(r.kind, RecordKind::kLicense);
  EXPECT_EQ(r.fields[Field(RecordKind::kLicense, "decision_doc_no")], "黑发改许〔2024〕7号");
}

TEST_F(JsonParserTest, ChineseAndLegacyNamesAreAliases) {
  const Record r = ParseOne(
      R"({"kind":"行政处罚","行政相对人名称":"某公司","CF_SY":"事实","CF_XDR_SFZ":"11010519491231002X"})");
  ASSERT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "subject_name")], "某公司");
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "violation_facts")], "事实");
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "subject_id_no")], "11010519491231002X");
}

TEST_F(JsonParserTest, StringsWithoutEscapesAreViewsIntoTheMessage) {
  const std::string message = Fixture("penalty_valid.json");
  const Record r = ParseOne(message);
  const std::string_view name = r.fields[Field(RecordKind::kPenalty, "subject_name")];
  EXPECT_GE(name.data(), r.raw.data());
  EXPECT_LT(name.data(), r.raw.data() + r.raw.size());
}

TEST_F(JsonParserTest, EscapedStringsAreUnescapedIntoTheArena) {
  const Record r = ParseOne(With(Fixture("penalty_valid.json"), "remark", R"("a\"b\u4e2d")"));
  ASSERT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "remark")], "a\"b中");
}

TEST_F(JsonParserTest, ArrayOfCategoriesIsJoined) {
  const Record r =
      ParseOne(With(Fixture("penalty_valid.json"), "penalty_categories", R"(["罚款","警告"])"));
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "penalty_categories")], "罚款、警告");
}

TEST_F(JsonParserTest, KindFromMarkerFieldsWhenNoKindAndNoPrefix) {
  std::string message = With(Fixture("penalty_valid.json"), "kind", "");
  const Record r = ParseOne(message);
  ASSERT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.kind, RecordKind::kPenalty);
}

TEST_F(JsonParserTest, KindFromConfigurationAsTheLastResort) {
  const std::string message = R"({"subject_name":"某公司","decision_doc_no":"X"})";
  EXPECT_EQ(ParseOne(message).reject_reason, RejectReason::kKindUnknown);
  const Record r = ParseOne(message, {.default_kind = RecordKind::kLicense});
  EXPECT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.kind, RecordKind::kLicense);
}

TEST_F(JsonParserTest, UnknownKindValueIsRejected) {
  EXPECT_EQ(ParseOne(With(Fixture("penalty_valid.json"), "kind", Quoted("其他类型"))).reject_reason,
            RejectReason::kKindUnknown);
}

struct BadInput {
  const char* name;
  std::string message;
  RejectReason reason;
};
// Test names show the case, not the bytes of the parameter.
void PrintTo(const BadInput& param, std::ostream* out) { *out << param.name; }

class JsonParserRejectTest : public JsonParserTest,
                             public ::testing::WithParamInterface<BadInput> {};

TEST_P(JsonParserRejectTest, GivesItsReason) {
  const Record r = ParseOne(GetParam().message);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(RejectReasonCode(r.reject_reason), RejectReasonCode(GetParam().reason));
}

std::vector<BadInput> BadInputs() {
  const std::string valid = Fixture("penalty_valid.json");
  return {
      {"Truncated", valid.substr(0, valid.size() / 2), RejectReason::kJsonSyntax},
      {"NotJsonAtAll", "hello", RejectReason::kJsonSyntax},
      {"TrailingComma", R"({"kind":"penalty","remark":"x",})", RejectReason::kJsonSyntax},
      {"Array", "[1,2,3]", RejectReason::kJsonNotObject},
      {"String", R"("just a string")", RejectReason::kJsonNotObject},
      {"InvalidUtf8", With(valid, "remark", "\"\xff\xfe\""), RejectReason::kInvalidEncoding},
      {"TrailingWord", valid + " trailing", RejectReason::kJsonTrailingGarbage},
      {"TrailingBrace", valid + "}", RejectReason::kJsonTrailingGarbage},
      {"TwoObjects", valid + valid, RejectReason::kJsonTrailingGarbage},
      {"DuplicateKey", valid.substr(0, valid.size() - 1) + R"(,"remark":"a","remark":"b"})",
       RejectReason::kJsonDuplicateKey},
      {"KeyAndItsAlias", valid.substr(0, valid.size() - 1) + R"(,"CF_XDR_MC":"别名"})",
       RejectReason::kJsonDuplicateKey},
      {"UnknownKeyTwice", valid.substr(0, valid.size() - 1) + R"(,"x_extra":1,"x_extra":2})",
       RejectReason::kJsonDuplicateKey},
      {"DeepArray", With(valid, "remark", R"([[["x"]]])"), RejectReason::kJsonTooDeep},
      {"DeepObject", With(valid, "remark", R"({"a":{"b":{"c":1}}})"), RejectReason::kJsonTooDeep},
      {"ObjectForString", With(valid, "remark", R"({"a":1})"), RejectReason::kFieldWrongType},
      {"NumberForString", With(valid, "decision_doc_no", "12345"), RejectReason::kFieldWrongType},
      {"ArrayForString", With(valid, "remark", R"(["a"])"), RejectReason::kFieldWrongType},
      {"BooleanForString", With(valid, "remark", "true"), RejectReason::kFieldWrongType},
  };
}

INSTANTIATE_TEST_SUITE_P(Every, JsonParserRejectTest, ::testing::ValuesIn(BadInputs()),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(JsonParserTest, OversizedMessageIsRejectedBeforeParsing) {
  const std::string big =
      With(Fixture("penalty_valid.json"), "remark", Quoted(std::string(5000, 'a')));
  EXPECT_EQ(ParseOne(big, {.max_record_bytes = 1024}).reject_reason, RejectReason::kRecordTooLarge);
}

TEST_F(JsonParserTest, NullIsAbsent) {
  const Record r = ParseOne(With(Fixture("penalty_valid.json"), "remark", "null"));
  ASSERT_EQ(r.outcome, Outcome::kPending);
  EXPECT_FALSE(r.present.test(Field(RecordKind::kPenalty, "remark")));
}

TEST_F(JsonParserTest, Gb18030InputIsTranscodedWhenConfigured) {
  // "某公司" in GB18030 is C4 B3 B9 AB CB BE.
  const std::string message =
      "{\"kind\":\"penalty\",\"subject_name\":\"\xC4\xB3\xB9\xAB\xCB\xBE\"}";
  const Record r = ParseOne(message, {.encoding = SourceEncoding::kGb18030});
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "subject_name")], "某公司");
  // The same bytes read as UTF-8 are not valid UTF-8.
  EXPECT_EQ(ParseOne(message).reject_reason, RejectReason::kInvalidEncoding);
}

TEST_F(JsonParserTest, InvalidGb18030IsAnEncodingReject) {
  const std::string message = "{\"kind\":\"penalty\",\"subject_name\":\"\x81\x20\"}";
  EXPECT_EQ(ParseOne(message, {.encoding = SourceEncoding::kGb18030}).reject_reason,
            RejectReason::kInvalidEncoding);
}

// What a message itself says, read apart from the parser (simdjson's DOM and the schema's names):
// the value of every canonical field it gives, by schema index. Strings unescaped, arrays of
// strings joined with 、 as the standard writes 处罚类别, other scalars as their JSON text, null
// absent.
std::map<int, std::string> OwnFields(const std::string& message, RecordKind kind) {
  std::map<int, std::string> own;
  simdjson::dom::parser dom;
  simdjson::dom::object object;
  EXPECT_EQ(dom.parse(message).get(object), simdjson::SUCCESS) << message;
  const RecordSchema& schema = Schemas().For(kind);
  for (auto [key, value] : object) {
    const int index = schema.LookupKey(key);
    if (key == "kind" || index < 0 || value.is_null()) continue;
    std::string text;
    if (value.is_string()) {
      text = std::string(std::string_view(value));
    } else if (value.is_array()) {
      for (simdjson::dom::element item : value.get_array()) {
        text += (text.empty() ? "" : "、") + std::string(std::string_view(item));
      }
    } else {
      text = simdjson::minify(value);
    }
    own[index] = text;
  }
  return own;
}

// The record holds exactly the fields of its own message: each with its value, and no other
// field present or holding a value (a view left from an earlier record would show here).
void ExpectExactlyItsOwnFields(const Record& record, const std::string& message) {
  SCOPED_TRACE(message.substr(0, 80));
  ASSERT_EQ(record.outcome, Outcome::kPending) << RejectReasonCode(record.reject_reason);
  const std::map<int, std::string> own = OwnFields(message, record.kind);
  ASSERT_FALSE(own.empty());
  for (size_t i = 0; i < kMaxFields; ++i) {
    const auto it = own.find(static_cast<int>(i));
    if (it == own.end()) {
      EXPECT_FALSE(record.present.test(i)) << "field " << i << " is not in the message";
      EXPECT_TRUE(record.fields[i].empty()) << "field " << i << ": " << record.fields[i];
    } else {
      EXPECT_TRUE(record.present.test(i)) << "field " << i;
      EXPECT_EQ(record.fields[i], it->second) << "field " << i;
    }
  }
  EXPECT_EQ(record.present.count(), own.size());
}

// The parser as the sources use it: one JsonParser and one RecordBatch for every batch, the
// messages staged into the batch's buffer and the records laid out by MakeRecordViews (the Kafka
// source and the replay's range reader do exactly this), or the same batch run again after a
// sink failed (RecordBatch::ResetOutcomes). Every record must hold its own message's fields and
// nothing of the record that sat in its slot before, nor of the record parsed just before it (the
// parser's reused buffers: the fields before the kind is known, the unknown keys, the joined
// arrays).
TEST_F(JsonParserTest, ParserIsReusableAcrossBatchesWithoutStaleFields) {
  JsonParser parser(Schemas(), ParserOptions{});
  RecordBatch batch;
  // `keep_records`: the batch's records stay as they were (only the bytes and the arena are
  // reset), so MakeRecordViews must clear each one it reuses; otherwise the batch is cleared
  // first, as KafkaSource and KafkaRangeReader do.
  auto lay_out = [&batch](const std::vector<std::string>& messages, bool keep_records) {
    if (keep_records) {
      batch.bytes.clear();
      batch.arena.Reset();
    } else {
      batch.Clear();
    }
    std::vector<StagedMessage> staged;
    for (size_t i = 0; i < messages.size(); ++i) {
      MessageParts parts;
      parts.value = messages[i].data();
      parts.value_size = messages[i].size();
      parts.offset = static_cast<int64_t>(i);
      staged.push_back(StageMessage(batch.bytes, parts, 1 << 20));
    }
    EXPECT_EQ(MakeRecordViews(batch, staged, 0, 0), 0u);
    ASSERT_EQ(batch.records.size(), messages.size());
  };

  // Record 0 gives nearly every penalty field, an array, a number and a key no schema knows;
  // record 1 sets fields and is then rejected (an object where a string belongs); record 2 is a
  // penalty with two fields, the same array field and the same unknown key.
  const std::string rich =
      With(With(Fixture("penalty_valid.json"), "penalty_categories", R"(["罚款","没收违法所得"])"),
           "x_extra", "1");
  const std::string rejected_late = With(Fixture("penalty_valid.json"), "remark", R"({"a":1})");
  const std::string small =
      R"({"kind":"penalty","subject_name":"某商店","penalty_categories":["罚款"],"x_extra":2})";
  const std::vector<std::string> first = {rich, rejected_late, small};
  lay_out(first, false);
  parser.Process(batch);
  ExpectExactlyItsOwnFields(batch.records[0], rich);
  EXPECT_EQ(batch.records[1].reject_reason, RejectReason::kFieldWrongType);
  EXPECT_TRUE(batch.records[1].present.none()) << "a rejected record keeps no field";
  ExpectExactlyItsOwnFields(batch.records[2], small);
  const Record& two = batch.records[2];
  for (size_t i = 0; i < kMaxFields; ++i) {
    if (!batch.records[0].present.test(i) || two.present.test(i)) continue;
    EXPECT_TRUE(two.fields[i].empty()) << "record 2 carries record 0's field " << i;
  }

  // The next batch in the same slots, with fewer and other fields (a license where the rich
  // penalty was), then the same records parsed again as a retried batch.
  const std::vector<std::string> second = {
      R"({"kind":"license","subject_name":"某公司","decision_doc_no":"许〔2024〕1号"})",
      R"({"kind":"penalty","decision_doc_no":"罚〔2024〕2号"})", Fixture("license_valid.json")};
  lay_out(second, true);
  parser.Process(batch);
  for (size_t i = 0; i < second.size(); ++i) ExpectExactlyItsOwnFields(batch.records[i], second[i]);
  batch.ResetOutcomes();
  parser.Process(batch);
  for (size_t i = 0; i < second.size(); ++i) ExpectExactlyItsOwnFields(batch.records[i], second[i]);

  // And the first batch's messages again in a cleared batch: the same fields as the first time.
  lay_out({small, rich}, false);
  parser.Process(batch);
  ExpectExactlyItsOwnFields(batch.records[0], small);
  ExpectExactlyItsOwnFields(batch.records[1], rich);
}

}  // namespace
}  // namespace gongshi
