// Validate stage: each rule of the schemas and domain.md §2.4, triggered from a valid record by one
// change, and the normalised values the later stages rely on.
#include "pipeline/validate/validator.h"

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/parse/json_parser.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::Schemas;
using testing::With;

const int32_t kToday = DaysFromCivil(2026, 11, 30);

class ValidatorTest : public ::testing::Test {
 protected:
  Record Check(const std::string& message) {
    testing::FillBatch(batch_, {message});
    parser_.Process(batch_);
    validator_.Process(batch_);
    return batch_.records[0];
  }
  int Field(RecordKind kind, const std::string& name) {
    return Schemas().For(kind).FieldIndex(name);
  }
  JsonParser parser_{Schemas(), ParserOptions{}};
  Validator validator_{Schemas(), ValidatorOptions{.today = kToday}};
  RecordBatch batch_;
};

TEST_F(ValidatorTest, ValidFixturesPass) {
  for (const char* name : {"penalty_valid.json", "license_valid.json"}) {
    const Record r = Check(Fixture(name));
    EXPECT_EQ(r.outcome, Outcome::kPending)
        << name << ": " << RejectReasonCode(r.reject_reason) << " field " << r.reject_field;
  }
}

TEST_F(ValidatorTest, NormalisesDatesMoneyCategoriesAndCodes) {
  const Record r = Check(With(
      With(Fixture("penalty_valid.json"), "uscc", Quoted("９１３５０１００ｍ０００１００ｙ４３")),
      "penalty_categories", Quoted("罚款，没收违法所得、没收非法财物")));
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  const RecordKind k = RecordKind::kPenalty;
  EXPECT_EQ(r.fields[Field(k, "uscc")], "91350100M000100Y43");
  EXPECT_EQ(r.values[Field(k, "decision_date")], DaysFromCivil(2024, 5, 10));
  EXPECT_EQ(r.values[Field(k, "penalty_valid_to")], DaysFromCivil(2025, 5, 10));
  EXPECT_EQ(r.values[Field(k, "fine_wan_yuan")], 1'500'000);       // 1.5 万元 = 15000.00 yuan
  EXPECT_EQ(r.values[Field(k, "confiscated_wan_yuan")], 360'000);  // from a JSON number
  EXPECT_EQ(r.fields[Field(k, "penalty_categories")], "罚款、没收违法所得、没收非法财物");
}

TEST_F(ValidatorTest, OldVocabularyMapsToTheNewOne) {
  const Record r = Check(With(With(Fixture("penalty_valid.json"), "penalty_categories",
                                   Quoted("暂扣或者吊销许可证、暂扣或者吊销执照;罚款")),
                              "suspended_license", Quoted("食品经营许可证 JY123")));
  ASSERT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
  EXPECT_EQ(r.fields[Field(RecordKind::kPenalty, "penalty_categories")],
            "罚款、暂扣许可证件、吊销许可证件");
}

TEST_F(ValidatorTest, EnumAliasesPublishTheCanonicalValue) {
  const Record r = Check(With(Fixture("license_valid.json"), "XK_XKLB", Quoted("04")));
  ASSERT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.fields[Field(RecordKind::kLicense, "license_category")], "核准");
}

TEST_F(ValidatorTest, MoneyIsExact) {
  EXPECT_EQ(Validator::ParseWanYuan("0.000001"), 1);
  EXPECT_EQ(Validator::ParseWanYuan("12345.678901"), 12'345'678'901);
  EXPECT_EQ(Validator::ParseWanYuan(" 3 "), 3'000'000);
  EXPECT_FALSE(Validator::ParseWanYuan("1.0000001"));
  EXPECT_FALSE(Validator::ParseWanYuan("1e3"));
  EXPECT_FALSE(Validator::ParseWanYuan("1."));
  EXPECT_FALSE(Validator::ParseWanYuan("万元"));
}

TEST_F(ValidatorTest, CountsCharactersNotBytes) {
  EXPECT_EQ(Validator::CountChars("中文ab"), 4u);
  std::string name;
  for (int i = 0; i < 200; ++i) name += "中";  // 600 bytes, 200 characters: at the limit
  EXPECT_EQ(Check(With(Fixture("penalty_valid.json"), "subject_name", Quoted(name))).outcome,
            Outcome::kPending);
}

TEST_F(ValidatorTest, NaturalPersonNeedsAValidIdNumber) {
  std::string person =
      With(With(With(With(With(Fixture("penalty_valid.json"), "subject_category", Quoted("自然人")),
                          "uscc", ""),
                     "org_code", ""),
                "subject_id_type", Quoted("身份证")),
           "subject_name", Quoted("张三"));
  EXPECT_EQ(Check(person).reject_reason, RejectReason::kFieldMissing);
  const Record ok = Check(With(person, "subject_id_no", Quoted("11010519491231002x")));
  ASSERT_EQ(ok.outcome, Outcome::kPending) << RejectReasonCode(ok.reject_reason);
  EXPECT_EQ(ok.values[Field(RecordKind::kPenalty, "subject_id_no")], DaysFromCivil(1949, 12, 31));
  // A passport number is not checked as a 身份证.
  EXPECT_EQ(Check(With(With(person, "subject_id_type", Quoted("护照号")), "subject_id_no",
                       Quoted("E12345678")))
                .outcome,
            Outcome::kPending);
}

struct Broken {
  const char* name;
  std::string message;
  RejectReason reason;
  const char* field;  // canonical name of the field the reason names, "" for none
};
// Test names show the case, not the bytes of the parameter.
void PrintTo(const Broken& param, std::ostream* out) { *out << param.name; }

class ValidatorRejectTest : public ValidatorTest, public ::testing::WithParamInterface<Broken> {};

TEST_P(ValidatorRejectTest, GivesItsReasonAndField) {
  const Record r = Check(GetParam().message);
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(RejectReasonCode(r.reject_reason), RejectReasonCode(GetParam().reason));
  if (*GetParam().field != '\0') {
    ASSERT_GE(r.reject_field, 0);
    EXPECT_EQ(Schemas().For(r.kind).field(r.reject_field).name, GetParam().field);
  }
}

std::vector<Broken> BrokenRecords() {
  const std::string p = Fixture("penalty_valid.json");
  const std::string l = Fixture("license_valid.json");
  const std::string person =
      With(With(With(With(p, "subject_category", Quoted("自然人")), "uscc", ""), "org_code", ""),
           "subject_id_type", Quoted("身份证"));
  const std::string shop = With(p, "subject_category", Quoted("个体工商户"));
  return {
      {"MissingRequired", With(p, "authority_name", ""), RejectReason::kFieldMissing,
       "authority_name"},
      {"EmptyRequired", With(p, "authority_name", Quoted("  ")), RejectReason::kFieldMissing,
       "authority_name"},
      {"TooLong", With(p, "subject_name", Quoted(std::string(201, 'a'))),
       RejectReason::kFieldTooLong, "subject_name"},
      {"EnumInvalid", With(p, "subject_category", Quoted("公司")), RejectReason::kEnumInvalid,
       "subject_category"},
      {"CategoryInvalid", With(p, "penalty_categories", Quoted("罚金")),
       RejectReason::kPenaltyCategoryInvalid, "penalty_categories"},
      {"UsccBadLetter", With(p, "uscc", Quoted("91350100M000100Y4I")), RejectReason::kUsccFormat,
       "uscc"},
      {"UsccShort", With(p, "uscc", Quoted("91350100M000100Y4")), RejectReason::kUsccFormat,
       "uscc"},
      {"UsccChecksum", With(p, "authority_uscc", Quoted("91110000600037341M")),
       RejectReason::kUsccChecksum, "authority_uscc"},
      {"PlaceholderOnCompany", With(p, "uscc", Quoted("00000000000000000X")),
       RejectReason::kUsccPlaceholderNotAllowed, "uscc"},
      {"PlaceholderAsAuthority", With(p, "authority_uscc", Quoted("00000000000000000X")),
       RejectReason::kUsccChecksum, "authority_uscc"},
      {"PlaceholderWithoutRegNo", With(shop, "uscc", Quoted("00000000000000000X")),
       RejectReason::kBusinessRegNoMissing, "business_reg_no"},
      {"OrgCode", With(p, "org_code", Quoted("12345678-9")), RejectReason::kOrgCodeChecksum,
       "org_code"},
      {"IdChecksum", With(person, "subject_id_no", Quoted("110105194912310021")),
       RejectReason::kIdNumberChecksum, "subject_id_no"},
      {"IdBirthDate", With(person, "subject_id_no", Quoted("110105199013450013")),
       RejectReason::kIdNumberBirthDate, "subject_id_no"},
      {"DateFormat", With(p, "decision_date", Quoted("2024年5月10日")), RejectReason::kDateFormat,
       "decision_date"},
      {"DateImpossible", With(p, "decision_date", Quoted("2023-02-29")), RejectReason::kDateFormat,
       "decision_date"},
      {"FutureDecision", With(p, "decision_date", Quoted("2026-12-01")),
       RejectReason::kDecisionDateInFuture, "decision_date"},
      {"PenaltyEndsBeforeDecision", With(p, "penalty_valid_to", Quoted("2024-01-01")),
       RejectReason::kDateRangeOrder, "penalty_valid_to"},
      {"LicenseEndsBeforeStart", With(l, "XK_YXQZI", Quoted("2024/01/01")),
       RejectReason::kDateRangeOrder, "valid_to"},
      {"MoneyPlaces", With(p, "fine_wan_yuan", Quoted("1.0000001")), RejectReason::kMoneyFormat,
       "fine_wan_yuan"},
      {"MoneyText", With(p, "fine_wan_yuan", Quoted("一万")), RejectReason::kMoneyFormat,
       "fine_wan_yuan"},
      {"MoneyImplausible", With(p, "fine_wan_yuan", Quoted("150000")),
       RejectReason::kMoneyImplausible, "fine_wan_yuan"},
      {"FineMissing", With(p, "fine_wan_yuan", ""), RejectReason::kFineAmountMissing,
       "fine_wan_yuan"},
      {"FineZero", With(p, "fine_wan_yuan", Quoted("0")), RejectReason::kFineAmountMissing,
       "fine_wan_yuan"},
      {"ConfiscationMissing", With(p, "confiscated_wan_yuan", ""),
       RejectReason::kConfiscationAmountMissing, "confiscated_wan_yuan"},
      {"SuspendedLicenseMissing",
       With(p, "penalty_categories", Quoted("罚款、没收违法所得,吊销许可证件")),
       RejectReason::kSuspendedLicenseMissing, "suspended_license"},
      {"CompanyWithoutLegalRep", With(p, "legal_rep_name", ""), RejectReason::kFieldMissing,
       "legal_rep_name"},
  };
}

INSTANTIATE_TEST_SUITE_P(Every, ValidatorRejectTest, ::testing::ValuesIn(BrokenRecords()),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace gongshi
