// Parse stage: every structural reject reason, every naming style, the kind rules, zero-copy views.
#include "pipeline/parse/json_parser.h"

#include <gtest/gtest.h>

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

TEST_F(JsonParserTest, ParserIsReusableAcrossBatchesWithoutStaleFields) {
  parser_ = std::make_unique<JsonParser>(Schemas(), ParserOptions{});
  testing::FillBatch(batch_, {Fixture("penalty_valid.json"), "[1]", Fixture("license_valid.json")});
  parser_->Process(batch_);
  EXPECT_EQ(batch_.records[0].outcome, Outcome::kPending);
  EXPECT_EQ(batch_.records[1].reject_reason, RejectReason::kJsonNotObject);
  EXPECT_EQ(batch_.records[2].kind, RecordKind::kLicense);
}

}  // namespace
}  // namespace gongshi
