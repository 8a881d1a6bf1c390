// Redact stage: the policy lint, the structured-field rules, free text, and withholding (minors,
// confidential, warning-only), including a withheld update of a published record.
#include "pipeline/redact/redactor.h"

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/validate/validator.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::Schemas;
using testing::With;

std::string Person(const std::string& id = "11010519491231002X") {
  return With(
      With(With(With(With(With(Fixture("penalty_valid.json"), "subject_category", Quoted("自然人")),
                          "uscc", ""),
                     "org_code", ""),
                "subject_id_type", Quoted("身份证")),
           "subject_id_no", Quoted(id)),
      "subject_name", Quoted("欧阳娜娜"));
}

class RedactorTest : public ::testing::Test {
 protected:
  Record Redact(const std::string& message, Outcome outcome = Outcome::kPublished,
                const RedactionConfig& config = {},
                PublicationState prior = PublicationState::kNone) {
    auto redactor = Redactor::Create(Schemas(), config);
    EXPECT_TRUE(redactor) << redactor.error().ToString();
    testing::FillBatch(batch_, {message});
    parser_.Process(batch_);
    validator_.Process(batch_);
    Record& r = batch_.records[0];
    EXPECT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
    r.outcome = outcome;
    r.prior = prior;
    (*redactor)->Process(batch_, counts_);
    return r;
  }
  std::string_view Get(const Record& r, const std::string& name) {
    const int f = Schemas().For(r.kind).FieldIndex(name);
    return r.present.test(f) ? r.fields[f] : std::string_view("<absent>");
  }
  JsonParser parser_{Schemas(), ParserOptions{}};
  Validator validator_{Schemas(), ValidatorOptions{.today = DaysFromCivil(2026, 11, 30)}};
  RecordBatch batch_;
  RedactionCounts counts_;
};

TEST_F(RedactorTest, DefaultPolicyMasksIdsAndNamesOfNaturalPersons) {
  const Record r = Redact(With(With(Person(), "legal_rep_id_no", Quoted("440524188001010014")),
                               "legal_rep_id_type", Quoted("身份证")));
  EXPECT_EQ(r.outcome, Outcome::kPublished);
  EXPECT_EQ(Get(r, "subject_id_no"), "11*************02X");
  EXPECT_EQ(Get(r, "subject_name"), "欧阳**");
  EXPECT_EQ(Get(r, "legal_rep_id_no"), "<absent>");
  EXPECT_EQ(Get(r, "legal_rep_id_type"), "<absent>");
  EXPECT_EQ(Get(r, "subject_id_type"), "身份证");
}

TEST_F(RedactorTest, OrganisationNamesAreNotPersonal) {
  const Record r = Redact(Fixture("penalty_valid.json"));
  EXPECT_EQ(Get(r, "subject_name"), "福州示例贸易有限公司");
  EXPECT_EQ(Get(r, "legal_rep_name"), "王小明") << "kept by the default policy";
}

TEST_F(RedactorTest, NameMasksKeepTheSurname) {
  auto redactor = Redactor::Create(Schemas(), {});
  ASSERT_TRUE(redactor) << redactor.error().ToString();
  Arena arena;
  EXPECT_EQ((*redactor)->MaskName("张三", arena), "张*");
  EXPECT_EQ((*redactor)->MaskName("张三丰", arena), "张**");
  EXPECT_EQ((*redactor)->MaskName("诸葛亮", arena), "诸葛*");
  EXPECT_EQ((*redactor)->MaskName("欧阳娜娜", arena), "欧阳**");
  EXPECT_EQ((*redactor)->MaskName("王", arena), "王");
  EXPECT_EQ((*redactor)->MaskName("", arena), "");
}

// --- Names in free text

TEST_F(RedactorTest, TheSubjectsNameIsMaskedInEveryFreeTextFieldAsWritten) {
  const Record r = Redact(With(
      With(
          Person(), "violation_facts",
          Quoted("经查，当事人欧阳娜娜于2024年3月无证经营，欧阳 娜娜称不知情，欧阳娜娜某亦在场。")),
      "remark", Quoted("送达欧阳　娜娜本人")));
  EXPECT_EQ(Get(r, "subject_name"), "欧阳**");
  EXPECT_EQ(Get(r, "violation_facts"),
            "经查，当事人欧阳**于2024年3月无证经营，欧阳 **称不知情，欧阳**某亦在场。");
  EXPECT_EQ(Get(r, "remark"), "送达欧阳　**本人");
  EXPECT_GE(counts_.names, 4u);
}

TEST_F(RedactorTest, TheOperatorOfAnIndividualBusinessIsANaturalPerson) {
  const std::string shop =
      With(With(With(Fixture("penalty_valid.json"), "subject_category", Quoted("个体工商户")),
                "legal_rep_name", Quoted("张伟")),
           "violation_facts", Quoted("经营者张伟在店内销售过期食品，张伟当场承认。"));
  const Record r = Redact(shop);
  EXPECT_EQ(Get(r, "legal_rep_name"), "张*");
  EXPECT_EQ(Get(r, "violation_facts"), "经营者张*在店内销售过期食品，张*当场承认。");
  // The policy can keep it, as for a company's 法定代表人.
  RedactionConfig keep;
  keep.names.individual_business_operator = FieldRule::kKeep;
  keep.names.roles = {};
  const Record kept = Redact(shop, Outcome::kPublished, keep);
  EXPECT_EQ(Get(kept, "legal_rep_name"), "张伟");
}

TEST_F(RedactorTest, PeopleNamedAfterRoleWordsAreMasked) {
  const Record r = Redact(
      With(Fixture("penalty_valid.json"), "violation_facts",
           Quoted("证人李娜证实，受害人王芳、张伟报警称，驾驶人欧阳修文驾驶车辆，顾客赵丽等人购买，"
                  "负责人：孙强称不知情。")));
  EXPECT_EQ(Get(r, "violation_facts"),
            "证人李*证实，受害人王*、张*报警称，驾驶人欧阳**驾驶车辆，顾客赵*等人购买，"
            "负责人：孙*称不知情。");
}

TEST_F(RedactorTest, OrganisationsPlacesPublicRolesAndOrdinaryWordsAfterRolesStay) {
  const std::string facts =
      "申请人杭州鑫盛网络科技有限公司提出申请，当事人于2024年5月、当事人于当日、受害人王家村村民，"
      "法定代表人王小明到场，当事人张某某、李某称，经营者在西湖区经营，当事人明知故犯，"
      "申请人申请延期。";
  const Record r = Redact(With(Fixture("penalty_valid.json"), "violation_facts", Quoted(facts)));
  EXPECT_EQ(Get(r, "violation_facts"), facts);
  EXPECT_EQ(counts_.names, 0u);
}

TEST_F(RedactorTest, NamesInFreeTextCanBeTurnedOff) {
  RedactionConfig off;
  off.names.free_text = false;
  const std::string facts = "证人李娜证实";
  const Record r = Redact(With(Fixture("penalty_valid.json"), "violation_facts", Quoted(facts)),
                          Outcome::kPublished, off);
  EXPECT_EQ(Get(r, "violation_facts"), facts);
}

TEST_F(RedactorTest, ExtraRolesAndPublicRolesComeFromThePolicy) {
  RedactionConfig config;
  config.names.roles = {"养殖户"};
  config.names.public_roles = {"法定代表人", "证人"};
  const Record r =
      Redact(With(Fixture("penalty_valid.json"), "violation_facts", Quoted("养殖户刘强，证人李娜")),
             Outcome::kPublished, config);
  EXPECT_EQ(Get(r, "violation_facts"), "养殖户刘*，证人李娜");
}

TEST_F(RedactorTest, ConfidentialMarkersCompareAfterTheTextsNormalisation) {
  for (std::string_view remark : {"不 予 公 示", "本案不予公示。", "（涉 密）", "不公开　"}) {
    EXPECT_EQ(
        Redact(With(Fixture("penalty_valid.json"), "remark", Quoted(std::string(remark)))).outcome,
        Outcome::kWithheld)
        << remark;
  }
  // A marker configured in full-width letters matches the half-width text, and the reverse.
  RedactionConfig config;
  config.confidential_markers = {"ＮＯＰＵＢ"};
  EXPECT_EQ(Redact(With(Fixture("penalty_valid.json"), "remark", Quoted("nopub")),
                   Outcome::kPublished, config)
                .outcome,
            Outcome::kWithheld);
  EXPECT_EQ(Redact(With(Fixture("penalty_valid.json"), "remark", Quoted("公开")),
                   Outcome::kPublished, config)
                .outcome,
            Outcome::kPublished);
}

TEST_F(RedactorTest, FreeTextIsScannedInEveryPublishedTextField) {
  const Record r =
      Redact(With(With(Fixture("penalty_valid.json"), "violation_facts",
                       Quoted("当事人张某（身份证号11010519491231002X，电话13812345678）")),
                  "remark", Quoted("联系 138 1234 5678 或 a.b@example.com")));
  EXPECT_EQ(Get(r, "violation_facts").find("11010519491231002X"), std::string_view::npos);
  EXPECT_EQ(Get(r, "violation_facts").find("13812345678"), std::string_view::npos);
  EXPECT_EQ(Get(r, "remark").find("1234 5678"), std::string_view::npos);
  EXPECT_EQ(Get(r, "remark").find("a.b@example.com"), std::string_view::npos);
  EXPECT_EQ(counts_.free_text.id_number, 1u);
  EXPECT_EQ(counts_.free_text.mobile, 2u);
  EXPECT_EQ(counts_.free_text.email, 1u);
}

TEST_F(RedactorTest, WithdrawalsAreRedactedToo) {
  const Record r =
      Redact(With(Fixture("penalty_valid.json"), "decision_doc_no", Quoted("罚字13812345678号")),
             Outcome::kWithdrawn);
  EXPECT_EQ(Get(r, "decision_doc_no").find("13812345678"), std::string_view::npos);
}

TEST_F(RedactorTest, MinorsAreWithheld) {
  // Born 2010-01-01, decision 2024-05-10: 14 years old.
  const std::string minor = "110105201001010010";
  ASSERT_TRUE(IdChecksumValid(minor));
  EXPECT_EQ(Redact(Person(minor)).outcome, Outcome::kWithheld);
  EXPECT_EQ(batch_.records[0].withhold_reason, WithholdReason::kMinor);
  RedactionConfig off;
  off.withhold_minors = false;
  EXPECT_EQ(Redact(Person(minor), Outcome::kPublished, off).outcome, Outcome::kPublished);
  EXPECT_EQ(Redact(Person()).outcome, Outcome::kPublished) << "born 1949";
}

TEST_F(RedactorTest, ConfidentialByFlagOrRemarkIsWithheld) {
  EXPECT_EQ(Redact(With(Fixture("penalty_valid.json"), "confidential", "true")).withhold_reason,
            WithholdReason::kConfidential);
  EXPECT_EQ(Redact(With(Fixture("penalty_valid.json"), "SFSM", Quoted("是"))).withhold_reason,
            WithholdReason::kConfidential);
  EXPECT_EQ(Redact(With(Fixture("penalty_valid.json"), "remark", Quoted("本案不予公示"))).outcome,
            Outcome::kWithheld);
  const Record kept = Redact(With(Fixture("penalty_valid.json"), "confidential", "false"));
  EXPECT_EQ(kept.outcome, Outcome::kPublished);
  EXPECT_EQ(Get(kept, "confidential"), "<absent>") << "a side channel, never published";
}

TEST_F(RedactorTest, WarningOnlyPenaltiesAreWithheld) {
  const std::string warning =
      With(With(With(Fixture("penalty_valid.json"), "penalty_categories", Quoted("警告、通报批评")),
                "fine_wan_yuan", ""),
           "confiscated_wan_yuan", "");
  EXPECT_EQ(Redact(warning).withhold_reason, WithholdReason::kWarningOnly);
  // A warning with a fine is published.
  EXPECT_EQ(Redact(With(With(warning, "penalty_categories", Quoted("警告,罚款")), "fine_wan_yuan",
                        Quoted("1")))
                .outcome,
            Outcome::kPublished);
  RedactionConfig off;
  off.withhold_warning_only = false;
  EXPECT_EQ(Redact(warning, Outcome::kPublished, off).outcome, Outcome::kPublished);
}

TEST_F(RedactorTest, AWithheldUpdateOfAPublishedRecordIsAWithdrawal) {
  const Record r = Redact(With(Fixture("penalty_valid.json"), "confidential", "true"),
                          Outcome::kUpdated, {}, PublicationState::kPublished);
  EXPECT_EQ(r.outcome, Outcome::kWithdrawn);
  EXPECT_EQ(r.withhold_reason, WithholdReason::kConfidential);
}

struct LintCase {
  const char* name;
  const char* field;
  FieldRule rule;
  bool erase;
  const char* must_mention;
};
// Test names show the case, not the bytes of the parameter.
void PrintTo(const LintCase& param, std::ostream* out) { *out << param.name; }

class RedactorLintTest : public ::testing::TestWithParam<LintCase> {};

TEST_P(RedactorLintTest, RefusesToStart) {
  RedactionConfig config;
  if (GetParam().erase) {
    config.fields.erase(GetParam().field);
  } else {
    config.fields[GetParam().field] = GetParam().rule;
  }
  auto redactor = Redactor::Create(Schemas(), config);
  ASSERT_FALSE(redactor);
  EXPECT_NE(redactor.error().message().find(GetParam().must_mention), std::string::npos)
      << redactor.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Every, RedactorLintTest,
    ::testing::Values(
        LintCase{"PersonalFieldWithoutRule", "legal_rep_id_no", FieldRule::kKeep, true,
                 "has no rule"},
        LintCase{"IdInClear", "subject_id_no", FieldRule::kKeep, false, "in clear"},
        LintCase{"NameMaskOnId", "subject_id_no", FieldRule::kMaskName, false, "only to names"},
        LintCase{"IdMaskOnName", "legal_rep_name", FieldRule::kMask, false, "only to ID numbers"},
        LintCase{"UnknownField", "no_such_field", FieldRule::kDrop, false, "no schema has"}),
    [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace gongshi
