// Schemas as data: the shipped files load, every alias names one field, and a broken schema is a
// start-up error naming the file and the keyword. Also: the example config is a valid config.
#include "pipeline/schema/schema.h"

#include <gtest/gtest.h>

#include "pipeline/config/config.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

TEST(SchemaTest, ShippedSchemasLoadWithTheStandardsFields) {
  const SchemaSet& schemas = testing::Schemas();
  const RecordSchema& penalty = schemas.For(RecordKind::kPenalty);
  const RecordSchema& license = schemas.For(RecordKind::kLicense);
  EXPECT_GE(penalty.field_count(), 30);
  EXPECT_GE(license.field_count(), 28);
  EXPECT_EQ(penalty.LookupKey("CF_XDR_MC"), penalty.FieldIndex("subject_name"));
  EXPECT_EQ(penalty.LookupKey("处罚决定日期"), penalty.FieldIndex("decision_date"));
  EXPECT_EQ(license.LookupKey("XK_XDR_SFZ"), license.FieldIndex("subject_id_no"));  // 2015 code
  EXPECT_EQ(penalty.field(penalty.FieldIndex("authority_uscc")).format, FieldFormat::kUscc);
  EXPECT_TRUE(penalty.field(penalty.FieldIndex("decision_date")).required);
  EXPECT_EQ(schemas.KindFromKey("XK_WSH"), RecordKind::kLicense);
  EXPECT_EQ(schemas.KindFromKey("penalty_categories"), RecordKind::kPenalty);
  EXPECT_EQ(schemas.KindFromValue("行政许可"), RecordKind::kLicense);
}

TEST(SchemaTest, PersonalFieldsAreTagged) {
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const RecordSchema& schema = testing::Schemas().For(kind);
    for (const char* name :
         {"subject_id_no", "legal_rep_id_no", "subject_name", "legal_rep_name"}) {
      EXPECT_NE(schema.field(schema.FieldIndex(name)).personal, PersonalKind::kNone) << name;
    }
  }
}

TEST(SchemaTest, EnumAliasesAndPrefixes) {
  const RecordSchema& license = testing::Schemas().For(RecordKind::kLicense);
  const int category = license.FieldIndex("license_category");
  EXPECT_EQ(license.EnumIndex(category, "核准"), license.EnumIndex(category, "04"));
  EXPECT_EQ(license.EnumIndex(category, "其他-备案"), license.EnumIndex(category, "其他"));
  EXPECT_EQ(license.EnumIndex(category, "批准"), -1);
}

struct BrokenSchema {
  const char* name;
  std::string edit_from;
  std::string edit_to;
  const char* must_mention;
};
// Test names show the case, not the bytes of the parameter.
void PrintTo(const BrokenSchema& param, std::ostream* out) { *out << param.name; }

class BrokenSchemaTest : public ::testing::TestWithParam<BrokenSchema> {};

TEST_P(BrokenSchemaTest, IsAStartUpErrorNamingTheKeyword) {
  testing::TempDir dir;
  for (const char* file : {"license.schema.json", "penalty.schema.json"}) {
    std::string text = testing::ReadFile(SchemasDir() + "/" + file);
    if (std::string(file) == "penalty.schema.json") {
      const size_t at = text.find(GetParam().edit_from);
      ASSERT_NE(at, std::string::npos) << GetParam().edit_from;
      text.replace(at, GetParam().edit_from.size(), GetParam().edit_to);
    }
    testing::WriteFile(dir / file, text);
  }
  auto schemas = SchemaSet::Load(dir.path());
  ASSERT_FALSE(schemas);
  EXPECT_NE(schemas.error().message().find("penalty.schema.json"), std::string::npos);
  EXPECT_NE(schemas.error().message().find(GetParam().must_mention), std::string::npos)
      << schemas.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Every, BrokenSchemaTest,
    ::testing::Values(BrokenSchema{"AliasTwice", R"("CF_WFXW")", R"("CF_XDR_MC")", "names both"},
                      BrokenSchema{"UnknownFormat", R"("format": "money_wan_yuan")",
                                   R"("format": "money")", "unknown format"},
                      BrokenSchema{"UnknownReason", R"("fine_amount_missing")", R"("fine_gone")",
                                   "unknown reason"},
                      BrokenSchema{"RuleOnUnknownValue", R"("contains": {"const": "罚款"})",
                                   R"("contains": {"const": "罚金"})", "not a value"},
                      BrokenSchema{"RequiredUnknownField", R"("required": ["subject_name",)",
                                   R"("required": ["subject_nam",)", "is not a property"},
                      BrokenSchema{"NotJson", R"("x-gongshi-kind": "penalty",)",
                                   R"("x-gongshi-kind": "penalty")", "file"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(ExampleConfigTest, TheDocumentedExampleIsAValidConfig) {
  auto config = LoadConfig(DataDir() + "/schemas/gongshi.example.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->batch.max_records, Config{}.batch.max_records) << "example shows defaults";
  EXPECT_EQ(config->input.max_record_bytes, Config{}.input.max_record_bytes);
  EXPECT_EQ(config->redaction.fields, Config{}.redaction.fields);
}

}  // namespace
}  // namespace gongshi
