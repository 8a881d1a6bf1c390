// Tests of the publication-period rules: the real schemas/publication_periods.json with the real
// penalty categories ($GONGSHI_DATA_DIR), month arithmetic, and how Load() reports broken rule
// files. Expected dates were counted by hand on a calendar, not taken from the code's output.
#include "pipeline/lifecycle/publication_period.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/schema/schema.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using ::testing::HasSubstr;

int32_t Day(std::string_view text) {
  const std::optional<int32_t> day = ParseDate(text);
  EXPECT_TRUE(day.has_value()) << text;
  return day.value_or(0);
}

// The canonical 处罚类别 in bit order: the penalty schema's items.enum, as the validator uses it.
const std::vector<std::string>& CategoryNames() {
  static const std::vector<std::string> names = [] {
    const RecordSchema& penalty = testing::Schemas().For(RecordKind::kPenalty);
    const int field = penalty.FieldIndex("penalty_categories");
    return field < 0 ? std::vector<std::string>{} : penalty.field(field).enum_values;
  }();
  return names;
}

uint64_t Bits(const std::vector<std::string_view>& names) {
  uint64_t bits = 0;
  for (const std::string_view name : names) {
    const auto& all = CategoryNames();
    const auto it = std::find(all.begin(), all.end(), name);
    EXPECT_NE(it, all.end()) << name << " is not a category of the penalty schema";
    if (it != all.end()) bits |= uint64_t{1} << (it - all.begin());
  }
  return bits;
}

// Loaded once: every test reads the same immutable rules.
const Result<PublicationRules>& RealRules() {
  static const Result<PublicationRules> rules =
      PublicationRules::Load(PublicationRulesPath(SchemasDir()), CategoryNames());
  return rules;
}

class RealRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(CategoryNames().size(), 14u) << "the 2021 vocabulary of 行政处罚法 Art. 9";
    ASSERT_TRUE(RealRules().has_value()) << RealRules().error().ToString();
  }
  const PublicationRules& rules() const { return *RealRules(); }
};

struct Expected {
  const char* decision;
  std::vector<std::string_view> categories;
  const char* end;
  const char* min_end;
  Severity severity;
  std::string_view regime;
};

void ExpectPeriod(const PublicationRules& rules, const Expected& e) {
  const PublicationPeriod period = rules.Derive(Day(e.decision), Bits(e.categories));
  const std::string what = fmt::format("{} {{{}}}", e.decision, fmt::join(e.categories, ","));
  EXPECT_EQ(FormatDate(period.end_day), e.end) << what;
  EXPECT_EQ(FormatDate(period.min_end_day), e.min_end) << what;
  EXPECT_EQ(SeverityCode(period.severity), SeverityCode(e.severity)) << what;
  EXPECT_EQ(period.regime, e.regime) << what;
}

constexpr std::string_view kPre2019 = "gongshi-default-pre-2019";
constexpr std::string_view k527 = "ndrc-2019-527";
constexpr std::string_view k58 = "ndrc-2023-58";
constexpr std::string_view k36 = "ndrc-2025-36";

TEST_F(RealRulesTest, VersionGoesIntoManifests) {
  EXPECT_THAT(std::string(rules().version()), ::testing::StartsWith("publication-periods-"));
  EXPECT_EQ(rules().path(), SchemasDir() + "/publication_periods.json");
}

// 2019-06-30 is the last day without a rule (product default 36 months for every class), and
// 2019-07-01 the first under 发改办财金〔2019〕527号 (一般 3..12 months, 严重 6..36).
TEST_F(RealRulesTest, BoundaryOf527On20190701) {
  const Expected cases[] = {
      // +36 months: 2022-06-30, also the minimum (the default has min = max).
      {"2019-06-30", {"罚款"}, "2022-06-30", "2022-06-30", Severity::kGeneral, kPre2019},
      // One class for all: a warning is reported general (no minor class), a revocation severe.
      {"2019-06-30", {"警告"}, "2022-06-30", "2022-06-30", Severity::kGeneral, kPre2019},
      {"2019-06-30", {"吊销许可证件"}, "2022-06-30", "2022-06-30", Severity::kSevere, kPre2019},
      // General: +12 = 2020-07-01, +3 = 2019-10-01.
      {"2019-07-01", {"罚款"}, "2020-07-01", "2019-10-01", Severity::kGeneral, k527},
      // Severe: +36 = 2022-07-01, +6 = 2020-01-01.
      {"2019-07-01", {"吊销许可证件"}, "2022-07-01", "2020-01-01", Severity::kSevere, k527},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

// 2023-04-30 is the last day of 527, 2023-05-01 the first of 令第58号 (3..36 months for all).
TEST_F(RealRulesTest, BoundaryOf58On20230501) {
  const Expected cases[] = {
      // General: +12 = 2024-04-30, +3 = 2023-07-30.
      {"2023-04-30", {"罚款"}, "2024-04-30", "2023-07-30", Severity::kGeneral, k527},
      // Severe: +36 = 2026-04-30, +6 = 2023-10-30.
      {"2023-04-30", {"责令停产停业"}, "2026-04-30", "2023-10-30", Severity::kSevere, k527},
      // Every class: +36 = 2026-05-01, +3 = 2023-08-01.
      {"2023-05-01", {"罚款"}, "2026-05-01", "2023-08-01", Severity::kGeneral, k58},
      {"2023-05-01", {"警告"}, "2026-05-01", "2023-08-01", Severity::kGeneral, k58},
      {"2023-05-01", {"行政拘留"}, "2026-05-01", "2023-08-01", Severity::kSevere, k58},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

// 2026-03-31 is the last day of 令第58号, 2026-04-01 the first of 令第36号 (轻微 0..3, 一般 3..12,
// 严重 12..36 months).
TEST_F(RealRulesTest, BoundaryOf36On20260401) {
  const Expected cases[] = {
      // +36 = 2029-03-31; +3 = 2026-06-31, which June lacks: 2026-06-30.
      {"2026-03-31", {"罚款"}, "2029-03-31", "2026-06-30", Severity::kGeneral, k58},
      // The same warning one day earlier is published 36 months instead of 3.
      {"2026-03-31", {"警告"}, "2029-03-31", "2026-06-30", Severity::kGeneral, k58},
      // Minor: +3 = 2026-07-01, +0 = the decision day.
      {"2026-04-01", {"警告"}, "2026-07-01", "2026-04-01", Severity::kMinor, k36},
      // General: +12 = 2027-04-01, +3 = 2026-07-01.
      {"2026-04-01", {"罚款"}, "2027-04-01", "2026-07-01", Severity::kGeneral, k36},
      // Severe: +36 = 2029-04-01, +12 = 2027-04-01.
      {"2026-04-01", {"责令关闭"}, "2029-04-01", "2027-04-01", Severity::kSevere, k36},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

// Each severity in the middle of each regime.
TEST_F(RealRulesTest, EachSeverityInEachRegime) {
  const Expected cases[] = {
      // Default: +36 from 2017-03-15 = 2020-03-15 for every class.
      {"2017-03-15", {"通报批评"}, "2020-03-15", "2020-03-15", Severity::kGeneral, kPre2019},
      {"2017-03-15", {"没收违法所得"}, "2020-03-15", "2020-03-15", Severity::kGeneral, kPre2019},
      {"2017-03-15", {"责令关闭"}, "2020-03-15", "2020-03-15", Severity::kSevere, kPre2019},
      // 527 from 2021-05-10: minor as general (+12 = 2022-05-10, +3 = 2021-08-10); severe +36 =
      // 2024-05-10, +6 = 2021-11-10.
      {"2021-05-10", {"通报批评"}, "2022-05-10", "2021-08-10", Severity::kGeneral, k527},
      {"2021-05-10", {"暂扣许可证件"}, "2022-05-10", "2021-08-10", Severity::kGeneral, k527},
      {"2021-05-10", {"降低资质等级"}, "2024-05-10", "2021-11-10", Severity::kSevere, k527},
      // 58 from 2024-09-20: +36 = 2027-09-20, +3 = 2024-12-20 for every class.
      {"2024-09-20", {"通报批评"}, "2027-09-20", "2024-12-20", Severity::kGeneral, k58},
      {"2024-09-20", {"没收非法财物"}, "2027-09-20", "2024-12-20", Severity::kGeneral, k58},
      {"2024-09-20", {"限制从业"}, "2027-09-20", "2024-12-20", Severity::kSevere, k58},
      // 36 from 2027-06-15: minor +3 = 2027-09-15 / +0; general +12 = 2028-06-15 / +3 =
      // 2027-09-15; severe +36 = 2030-06-15 / +12 = 2028-06-15.
      {"2027-06-15", {"通报批评"}, "2027-09-15", "2027-06-15", Severity::kMinor, k36},
      {"2027-06-15", {"其他"}, "2028-06-15", "2027-09-15", Severity::kGeneral, k36},
      {"2027-06-15", {"限制开展生产经营活动"}, "2030-06-15", "2028-06-15", Severity::kSevere, k36},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

// The classification lists of the file against every 2021 category name.
TEST_F(RealRulesTest, EveryCategoryHasTheIntendedClass) {
  const std::pair<std::string_view, Severity> classes[] = {
      {"警告", Severity::kMinor},
      {"通报批评", Severity::kMinor},
      {"罚款", Severity::kGeneral},
      {"没收违法所得", Severity::kGeneral},
      {"没收非法财物", Severity::kGeneral},
      {"暂扣许可证件", Severity::kGeneral},
      {"降低资质等级", Severity::kSevere},
      {"吊销许可证件", Severity::kSevere},
      {"限制开展生产经营活动", Severity::kSevere},
      {"责令停产停业", Severity::kSevere},
      {"责令关闭", Severity::kSevere},
      {"限制从业", Severity::kSevere},
      {"行政拘留", Severity::kSevere},
      {"其他", Severity::kGeneral},
  };
  ASSERT_EQ(std::size(classes), CategoryNames().size());
  for (const auto& [name, severity] : classes) {
    EXPECT_EQ(SeverityCode(rules().Classify(Bits({name}))), SeverityCode(severity)) << name;
  }
}

// Several penalties in one decision: the longest period applies (令第58号), i.e. severe wins and
// minor needs every category to be minor.
TEST_F(RealRulesTest, SeveralCategoriesTakeTheLongestPeriod) {
  const Expected cases[] = {
      // Both minor: +3 = 2026-07-01.
      {"2026-04-01", {"警告", "通报批评"}, "2026-07-01", "2026-04-01", Severity::kMinor, k36},
      // A warning with a fine is general: +12 = 2027-04-01, +3 = 2026-07-01.
      {"2026-04-01", {"警告", "罚款"}, "2027-04-01", "2026-07-01", Severity::kGeneral, k36},
      {"2026-04-01", {"罚款", "没收违法所得"}, "2027-04-01", "2026-07-01", Severity::kGeneral, k36},
      // Any severe one makes it severe: +36 = 2029-04-01, +12 = 2027-04-01.
      {"2026-04-01",
       {"警告", "罚款", "吊销许可证件"},
       "2029-04-01",
       "2027-04-01",
       Severity::kSevere,
       k36},
      // 527 from 2020-01-15: +36 = 2023-01-15, +6 = 2020-07-15.
      {"2020-01-15", {"罚款", "限制从业"}, "2023-01-15", "2020-07-15", Severity::kSevere, k527},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

// No categories (the validator rejects that, but the call must still answer) and bits the rules do
// not name are general, never minor: missing information does not earn the shortest period.
TEST_F(RealRulesTest, NoOrUnknownCategoriesAreGeneral) {
  EXPECT_EQ(rules().Classify(0), Severity::kGeneral);
  EXPECT_EQ(rules().Classify(uint64_t{1} << 63), Severity::kGeneral);
  EXPECT_EQ(rules().Classify(Bits({"警告"}) | uint64_t{1} << 63), Severity::kGeneral);
  const PublicationPeriod period = rules().Derive(Day("2026-04-01"), 0);
  EXPECT_EQ(FormatDate(period.end_day), "2027-04-01");
  EXPECT_EQ(period.severity, Severity::kGeneral);
}

// Calendar months clamped to the end of a shorter month, through Derive.
TEST_F(RealRulesTest, MonthEndsAreClampedIncludingLeapYears) {
  const Expected cases[] = {
      // 527 severe: +36 = 2022-08-31; +6 = 2020-02-31 -> 2020-02-29 (2020 is a leap year).
      {"2019-08-31", {"吊销许可证件"}, "2022-08-31", "2020-02-29", Severity::kSevere, k527},
      // 527 general: +12 = 2021-08-31; +3 = 2020-11-31 -> 2020-11-30.
      {"2020-08-31", {"罚款"}, "2021-08-31", "2020-11-30", Severity::kGeneral, k527},
      // From a leap day: +12 = 2021-02-29 -> 2021-02-28; +3 = 2020-05-29.
      {"2020-02-29", {"罚款"}, "2021-02-28", "2020-05-29", Severity::kGeneral, k527},
      // +36 = 2023-02-29 -> 2023-02-28; +6 = 2020-08-29.
      {"2020-02-29", {"责令关闭"}, "2023-02-28", "2020-08-29", Severity::kSevere, k527},
      // 58: +3 = 2024-02-30 -> 2024-02-29; +36 = 2026-11-30.
      {"2023-11-30", {"罚款"}, "2026-11-30", "2024-02-29", Severity::kGeneral, k58},
      // 36 minor: +3 = 2028-02-30 -> 2028-02-29 (2028 is a leap year).
      {"2027-11-30", {"警告"}, "2028-02-29", "2027-11-30", Severity::kMinor, k36},
      // 36 severe from a leap day: +36 = 2031-02-29 -> 2031-02-28; +12 = 2029-02-28.
      {"2028-02-29", {"吊销许可证件"}, "2031-02-28", "2029-02-28", Severity::kSevere, k36},
  };
  for (const Expected& e : cases) ExpectPeriod(rules(), e);
}

TEST_F(RealRulesTest, RegimeNamesOutliveTheCall) {
  // The view points into the rules object, not into a temporary.
  const std::string_view regime = rules().Derive(Day("2024-01-01"), Bits({"罚款"})).regime;
  EXPECT_EQ(regime, k58);
  EXPECT_EQ(regime.data(), rules().Derive(Day("2025-01-01"), Bits({"罚款"})).regime.data());
}

TEST(AddMonthsTest, ClampsToTheLastDayOfTheMonth) {
  const struct {
    const char* from;
    int months;
    const char* to;
  } cases[] = {
      {"2024-01-31", 1, "2024-02-29"},   // leap year
      {"2023-01-31", 1, "2023-02-28"},   // common year
      {"2000-01-31", 1, "2000-02-29"},   // divisible by 400: leap
      {"2100-01-31", 1, "2100-02-28"},   // divisible by 100 only: common
      {"2023-10-31", 1, "2023-11-30"},   // 30-day month
      {"2023-12-31", 2, "2024-02-29"},   // across the year end
      {"2023-12-15", 1, "2024-01-15"},   // December -> January
      {"2024-01-15", 24, "2026-01-15"},  // whole years
      {"2024-02-29", 48, "2028-02-29"},  // leap day to leap day
      {"2024-02-29", 12, "2025-02-28"},  // leap day to a common year
      {"2024-05-31", 0, "2024-05-31"},    {"2024-03-31", -1, "2024-02-29"},  // backwards
      {"2024-01-15", -1, "2023-12-15"},   {"2024-01-31", -13, "2022-12-31"},
      {"2024-02-29", 1200, "2124-02-29"},  // 2124 is a leap year
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatDate(AddMonths(Day(c.from), c.months)), c.to) << c.from << " + " << c.months;
  }
}

TEST(PublicationRulesPathTest, IsTheFileInTheSchemasDirectory) {
  EXPECT_EQ(PublicationRulesPath("/opt/gongshi/schemas"),
            "/opt/gongshi/schemas/publication_periods.json");
}

TEST(SeverityCodeTest, MatchesTheKeysOfTheFile) {
  EXPECT_EQ(SeverityCode(Severity::kMinor), "minor");
  EXPECT_EQ(SeverityCode(Severity::kGeneral), "general");
  EXPECT_EQ(SeverityCode(Severity::kSevere), "severe");
}

// The real file names a category the penalty schema lost (e.g. after a schema edit): a start-up
// error naming the file and the category.
TEST(PublicationRulesLoadTest, ACategoryMissingFromTheSchemaIsNamed) {
  std::vector<std::string> names = CategoryNames();
  ASSERT_FALSE(names.empty());
  names.erase(std::find(names.begin(), names.end(), "限制从业"));
  const std::string path = PublicationRulesPath(SchemasDir());
  auto rules = PublicationRules::Load(path, names);
  ASSERT_FALSE(rules);
  EXPECT_EQ(rules.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(rules.error().message(), HasSubstr(path));
  EXPECT_THAT(rules.error().message(), HasSubstr("限制从业"));
  EXPECT_THAT(rules.error().message(), HasSubstr("severity.severe_if_any_in"));
}

TEST(PublicationRulesLoadTest, AMissingFileIsAnIoError) {
  testing::TempDir dir;
  auto rules = PublicationRules::Load(dir / "publication_periods.json", CategoryNames());
  ASSERT_FALSE(rules);
  EXPECT_EQ(rules.error().code(), ErrorCode::kIo);
  EXPECT_THAT(rules.error().message(), HasSubstr(dir / "publication_periods.json"));
}

// A small valid file; each broken case below changes one piece of it.
constexpr std::string_view kSmallRules = R"({
  "version": "test-1",
  "description": "three regimes",
  "severity": {"minor_if_all_in": ["警告"], "severe_if_any_in": ["吊销许可证件"]},
  "regimes": [
    {"name": "old", "until": "2019-06-30", "note": "n",
     "periods": {"all": {"min_months": 36, "max_months": 36}}},
    {"name": "mid", "from": "2019-07-01", "until": "2023-04-30",
     "periods": {"general": {"min_months": 3, "max_months": 12},
                 "severe": {"min_months": 6, "max_months": 36}}},
    {"name": "new", "from": "2023-05-01",
     "periods": {"minor": {"min_months": 0, "max_months": 3},
                 "general": {"min_months": 3, "max_months": 12},
                 "severe": {"min_months": 12, "max_months": 36}}}
  ]
})";

Result<PublicationRules> LoadText(const testing::TempDir& dir, std::string_view text) {
  testing::WriteFile(dir / "publication_periods.json", std::string(text));
  return PublicationRules::Load(dir / "publication_periods.json", CategoryNames());
}

TEST(PublicationRulesLoadTest, TheSmallFileLoadsAndApplies) {
  testing::TempDir dir;
  auto rules = LoadText(dir, kSmallRules);
  ASSERT_TRUE(rules) << rules.error().ToString();
  EXPECT_EQ(rules->version(), "test-1");
  // "new" minor from 2023-05-01: +3 = 2023-08-01. "old": +36 from 1990-01-01 = 1993-01-01.
  EXPECT_EQ(FormatDate(rules->Derive(Day("2023-05-01"), Bits({"警告"})).end_day), "2023-08-01");
  EXPECT_EQ(FormatDate(rules->Derive(Day("1990-01-01"), Bits({"警告"})).end_day), "1993-01-01");
  EXPECT_EQ(rules->Derive(Day("2019-07-01"), Bits({"罚款"})).regime, "mid");
}

// One regime, open at both ends, covers every day.
TEST(PublicationRulesLoadTest, ASingleRegimeCoversEveryDay) {
  testing::TempDir dir;
  auto rules = LoadText(dir, R"({"version": "one",
    "severity": {"minor_if_all_in": [], "severe_if_any_in": []},
    "regimes": [{"name": "only", "periods": {"all": {"min_months": 1, "max_months": 2}}}]})");
  ASSERT_TRUE(rules) << rules.error().ToString();
  // +2 from 1950-12-31 = 1951-02-28; +1 = 1951-01-31.
  const PublicationPeriod period = rules->Derive(Day("1950-12-31"), Bits({"警告"}));
  EXPECT_EQ(FormatDate(period.end_day), "1951-02-28");
  EXPECT_EQ(FormatDate(period.min_end_day), "1951-01-31");
  EXPECT_EQ(period.severity, Severity::kGeneral);  // empty minor list: nothing is minor
  EXPECT_EQ(FormatDate(rules->Derive(Day("2999-01-01"), 0).end_day), "2999-03-01");
}

struct BrokenRules {
  const char* name;
  std::string edit_from;
  std::string edit_to;
  std::vector<std::string> must_mention;
};
void PrintTo(const BrokenRules& param, std::ostream* out) { *out << param.name; }

class BrokenRulesTest : public ::testing::TestWithParam<BrokenRules> {};

TEST_P(BrokenRulesTest, IsAnInvalidConfigNamingTheFileAndTheKey) {
  std::string text(kSmallRules);
  const size_t at = text.find(GetParam().edit_from);
  ASSERT_NE(at, std::string::npos) << GetParam().edit_from;
  ASSERT_EQ(text.find(GetParam().edit_from, at + 1), std::string::npos)
      << "ambiguous edit: " << GetParam().edit_from;
  text.replace(at, GetParam().edit_from.size(), GetParam().edit_to);
  testing::TempDir dir;
  auto rules = LoadText(dir, text);
  ASSERT_FALSE(rules) << text;
  EXPECT_EQ(rules.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(rules.error().message(), HasSubstr(dir / "publication_periods.json"));
  for (const std::string& part : GetParam().must_mention) {
    EXPECT_THAT(rules.error().message(), HasSubstr(part));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Every, BrokenRulesTest,
    ::testing::Values(
        // Regime dates.
        BrokenRules{"Overlapping",
                    R"("from": "2019-07-01")",
                    R"("from": "2019-06-15")",
                    {"regimes[1].from", "overlaps regimes[0]", "must start on 2019-07-01"}},
        BrokenRules{"Gap",
                    R"("from": "2023-05-01")",
                    R"("from": "2023-06-01")",
                    {"regimes[2].from", "leaves a gap", "must start on 2023-05-01"}},
        BrokenRules{"Unordered",
                    R"("from": "2023-05-01")",
                    R"("from": "2019-07-01")",
                    {"regimes[2].from", "date order"}},
        BrokenRules{"UntilBeforeFrom",
                    R"("until": "2023-04-30")",
                    R"("until": "2019-06-01")",
                    {"regimes[1].until", "is before"}},
        BrokenRules{"FirstRegimeWithFrom",
                    R"({"name": "old", )",
                    R"({"name": "old", "from": "2000-01-01", )",
                    {"regimes[0].from", "first regime"}},
        BrokenRules{"LastRegimeWithUntil",
                    R"({"name": "new", )",
                    R"({"name": "new", "until": "2030-12-31", )",
                    {"regimes[2].until", "last regime"}},
        BrokenRules{"MiddleRegimeWithoutUntil",
                    R"(, "until": "2023-04-30")",
                    "",
                    {"regimes[1].until", "missing"}},
        BrokenRules{"ImpossibleDate",
                    R"("2019-06-30")",
                    R"("2019-06-31")",
                    {"regimes[0].until", "2019-06-31", "not a real"}},
        BrokenRules{
            "SlashDate", R"("2019-07-01")", R"("2019/07/01")", {"regimes[1].from", "YYYY-MM-DD"}},
        BrokenRules{
            "DateNotAString", R"("2019-07-01")", "20190701", {"regimes[1].from", "date string"}},
        // Periods.
        BrokenRules{"MaxBelowMin",
                    R"("min_months": 6, "max_months": 36)",
                    R"("min_months": 6, "max_months": 5)",
                    {"regimes[1].periods.severe.max_months", "less than min_months 6"}},
        BrokenRules{"UnknownSeverityKey",
                    R"("severe": {"min_months": 12)",
                    R"("serious": {"min_months": 12)",
                    {"regimes[2].periods.serious", "unknown severity key"}},
        BrokenRules{"SevereMissing",
                    R"(,
                 "severe": {"min_months": 6, "max_months": 36})",
                    "",
                    {"regimes[1].periods.severe", "missing"}},
        BrokenRules{"AllWithOtherClasses",
                    R"({"all": {"min_months": 36, "max_months": 36}})",
                    R"({"all": {"min_months": 36, "max_months": 36},
                        "general": {"min_months": 3, "max_months": 12}})",
                    {"regimes[0].periods", "excludes"}},
        BrokenRules{"NegativeMonths",
                    R"("min_months": 0)",
                    R"("min_months": -1)",
                    {"regimes[2].periods.minor.min_months", "outside 0..1200"}},
        BrokenRules{"FractionalMonths",
                    R"("max_months": 3})",
                    R"("max_months": 3.5})",
                    {"regimes[2].periods.minor.max_months", "integer"}},
        BrokenRules{"UnknownClassKey",
                    R"("min_months": 0, "max_months": 3)",
                    R"("min_months": 0, "max_month": 3)",
                    {"regimes[2].periods.minor.max_month", "unknown key"}},
        // Categories.
        BrokenRules{"UnknownCategory",
                    R"(["警告"])",
                    R"(["警高"])",
                    {"severity.minor_if_all_in[0]", "\"警高\"", "not a penalty category"}},
        BrokenRules{"CategoryInBothLists",
                    R"(["吊销许可证件"])",
                    R"(["吊销许可证件", "警告"])",
                    {"severity", "\"警告\" is in both"}},
        BrokenRules{"CategoryTwice",
                    R"(["吊销许可证件"])",
                    R"(["吊销许可证件", "吊销许可证件"])",
                    {"severity.severe_if_any_in[1]", "listed twice"}},
        // Structure.
        BrokenRules{"UnknownTopLevelKey",
                    R"("version": "test-1",)",
                    R"("version": "test-1", "regims": [],)",
                    {"regims", "unknown key"}},
        BrokenRules{"KeyTwice",
                    R"("version": "test-1",)",
                    R"("version": "test-1", "version": "test-2",)",
                    {"version", "appears twice"}},
        BrokenRules{"VersionMissing", R"("version": "test-1",)", "", {"version", "non-empty"}},
        BrokenRules{"RegimeNameTwice",
                    R"("name": "new")",
                    R"("name": "mid")",
                    {"regimes[2].name", "\"mid\" names two regimes"}},
        BrokenRules{"RegimeNameNotACode",
                    R"("name": "mid")",
                    R"("name": "Mid Regime")",
                    {"regimes[1].name", "stable code"}},
        BrokenRules{"DocumentationNotAString",
                    R"("note": "n")",
                    R"("note": 3)",
                    {"regimes[0].note", "must be a string"}},
        BrokenRules{
            "NotJson", R"("version": "test-1",)", R"("version": "test-1")", {"not valid JSON"}}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(PublicationRulesLoadTest, AnEmptyRegimeListIsAnError) {
  testing::TempDir dir;
  auto rules = LoadText(dir, R"({"version": "v",
    "severity": {"minor_if_all_in": [], "severe_if_any_in": []}, "regimes": []})");
  ASSERT_FALSE(rules);
  EXPECT_EQ(rules.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(rules.error().message(), HasSubstr("regimes: needs a non-empty array"));
}

}  // namespace
}  // namespace gongshi
