// Tests of the working-day calendar against the real holiday data ($GONGSHI_DATA_DIR), and of
// how Load() reports broken data files. Expected dates were worked out by hand from the State
// Council notices and a wall calendar, not taken from the code's output.
#include "pipeline/calendar/calendar.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

int32_t Day(std::string_view text) {
  const std::optional<int32_t> day = ParseDate(text);
  EXPECT_TRUE(day.has_value()) << text;
  return day.value_or(0);
}

// Loaded once: every test in the suite reads the same immutable calendar.
const Result<WorkingCalendar>& RealCalendar() {
  static const Result<WorkingCalendar> calendar = [] {
    const char* root = std::getenv("GONGSHI_DATA_DIR");
    if (root == nullptr) {
      return Result<WorkingCalendar>(
          Fail(ErrorCode::kInvalidConfig, "GONGSHI_DATA_DIR is not set (ctest sets it)"));
    }
    return WorkingCalendar::Load(std::string(root) + "/pipeline/calendar/holidays");
  }();
  return calendar;
}

class CalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RealCalendar().has_value()) << RealCalendar().error().ToString();
  }
  const WorkingCalendar& calendar() const { return *RealCalendar(); }

  std::string Deadline(std::string_view from, int n, std::string_view region = {}) const {
    return FormatDate(calendar().AddWorkingDays(Day(from), n, region).day);
  }
  bool Provisional(std::string_view from, int n, std::string_view region = {}) const {
    return calendar().AddWorkingDays(Day(from), n, region).provisional;
  }
  bool Working(std::string_view day, std::string_view region = {}) const {
    return calendar().IsWorkingDay(Day(day), region);
  }
};

struct WorkedExample {
  const char* decision;
  int working_days;
  const char* deadline;
};

// domain.md §5. Counted by hand, e.g. 2025-01-24 (Fri): Sun 01-26 (调休) 1, Mon 01-27 2, 春节
// 01-28..02-04 off, 02-05 3, 02-06 4, 02-07 5; Sat 02-08 (调休) 6, Mon 02-10 7.
TEST_F(CalendarTest, WorkedExamplesOfDomainSection5) {
  const WorkedExample examples[] = {
      {"2025-01-24", 5, "2025-02-07"},  // 春节; Sun 01-26 counts
      {"2025-01-24", 7, "2025-02-10"},  // Sat 02-08 counts too
      {"2025-09-30", 5, "2025-10-14"},  // 国庆+中秋 10-01..10-08; Sat 10-11 counts
      {"2025-09-30", 7, "2025-10-16"},
      {"2024-09-27", 7, "2024-10-12"},  // Sun 09-29, then 10-08..10-11, Sat 10-12 is the 7th
      {"2025-04-30", 5, "2025-05-12"},  // 劳动节 05-01..05-05
      {"2026-02-13", 5, "2026-02-27"},  // Sat 02-14 counts, 春节 02-15..02-23
      {"2026-02-13", 7, "2026-03-02"},  // Sat 02-28 counts
  };
  for (const WorkedExample& example : examples) {
    EXPECT_EQ(Deadline(example.decision, example.working_days), example.deadline)
        << example.decision << " +" << example.working_days;
    EXPECT_FALSE(Provisional(example.decision, example.working_days)) << example.decision;
  }
}

TEST_F(CalendarTest, AdjustedWeekendDaysAreWorkingDays) {
  for (const char* day : {"2024-10-12", "2024-09-29", "2025-01-26", "2025-02-08", "2025-10-11",
                          "2026-01-04", "2026-02-14", "2026-02-28"}) {
    EXPECT_GE(Weekday(Day(day)), 5) << day << " is a weekend day";
    EXPECT_TRUE(Working(day)) << day;
  }
}

TEST_F(CalendarTest, OrdinaryWeekendsAreOffAndWeekdaysWork) {
  EXPECT_TRUE(Working("2025-03-14"));   // Fri
  EXPECT_FALSE(Working("2025-03-15"));  // Sat
  EXPECT_FALSE(Working("2025-03-16"));  // Sun
  EXPECT_TRUE(Working("2025-03-17"));   // Mon
  EXPECT_EQ(Deadline("2025-03-14", 1), "2025-03-17");
  EXPECT_EQ(Deadline("2025-03-14", 7), "2025-03-25");
}

TEST_F(CalendarTest, SpringFestival2025IsOff) {
  for (int32_t day = Day("2025-01-28"); day <= Day("2025-02-04"); ++day) {
    EXPECT_FALSE(calendar().IsWorkingDay(day)) << FormatDate(day);
  }
  EXPECT_TRUE(Working("2025-01-27"));
  EXPECT_TRUE(Working("2025-02-05"));
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-01-27"), Day("2025-02-05")), 1);
}

// The second 2020 notice extended 春节 to 02-02 and cancelled the working Saturday 02-01.
TEST_F(CalendarTest, Covid2020SpringFestivalExtension) {
  EXPECT_TRUE(Working("2020-01-19"));   // Sun, adjusted working day of the first notice
  EXPECT_FALSE(Working("2020-01-31"));  // Fri
  EXPECT_FALSE(Working("2020-02-01"));  // Sat, no longer a working day
  EXPECT_FALSE(Working("2020-02-02"));  // Sun
  EXPECT_TRUE(Working("2020-02-03"));   // Mon, listed as isOffDay=false
  EXPECT_EQ(Deadline("2020-01-23", 1), "2020-02-03");
  EXPECT_EQ(Deadline("2020-01-23", 5), "2020-02-07");
}

// Late-December days live in the next year's file (2019.json, 2023.json, 2008.json, 2007.json).
TEST_F(CalendarTest, LateDecemberEntriesOfTheNextYearsFile) {
  EXPECT_TRUE(Working("2018-12-29"));   // Sat, 调休 for 元旦 2019
  EXPECT_FALSE(Working("2018-12-31"));  // Mon, 元旦 2019
  EXPECT_FALSE(Working("2022-12-31"));  // Sat, listed in 2023.json
  EXPECT_FALSE(Working("2023-01-02"));  // Mon, 元旦 2023
  EXPECT_TRUE(Working("2007-12-29"));   // Sat, 调休 for 元旦 2008
  EXPECT_FALSE(Working("2007-12-31"));  // Mon, 元旦 2008
  EXPECT_TRUE(Working("2006-12-30"));   // Sat, 调休 for 元旦 2007
  EXPECT_EQ(Deadline("2018-12-28", 1), "2018-12-29");
  EXPECT_EQ(Deadline("2018-12-28", 2), "2019-01-02");
  EXPECT_EQ(Deadline("2022-12-30", 1), "2023-01-03");
  EXPECT_FALSE(Provisional("2018-12-28", 2));
}

TEST_F(CalendarTest, Years2007To2026AreKnownAnd2027IsNot) {
  for (int year = 2007; year <= 2026; ++year) EXPECT_TRUE(calendar().YearKnown(year)) << year;
  EXPECT_FALSE(calendar().YearKnown(2006));
  EXPECT_FALSE(calendar().YearKnown(2027));  // empty placeholder file
  EXPECT_FALSE(calendar().YearKnown(1999));
  EXPECT_FALSE(calendar().YearKnown(3000));
  EXPECT_EQ(calendar().FirstKnownYear(), 2007);
  EXPECT_EQ(calendar().LastKnownYear(), 2026);
}

TEST_F(CalendarTest, DeadlineReachingIntoAnUnknownYearIsProvisional) {
  // 2027 follows the Mon-Fri rule until its notice is loaded: Fri 01-01, Mon 01-04, Tue 01-05.
  EXPECT_EQ(Deadline("2026-12-31", 1), "2027-01-01");
  EXPECT_TRUE(Provisional("2026-12-31", 1));
  EXPECT_EQ(Deadline("2026-12-31", 3), "2027-01-05");
  EXPECT_TRUE(Provisional("2026-12-31", 3));
  EXPECT_TRUE(Provisional("2027-03-01", 5));
  EXPECT_TRUE(Provisional("2006-06-01", 5));  // before the data
  EXPECT_FALSE(Provisional("2024-06-03", 7));
  EXPECT_FALSE(Provisional("2026-12-31", 0));  // no day counted
  EXPECT_EQ(Deadline("2026-12-31", 0), "2026-12-31");
}

// The 2027 notice may still move the last days of December 2026 (five notices so far did that for
// their previous December), so those days are provisional too; 2025's are not, 2026 is known.
TEST_F(CalendarTest, LastWeekOfDecemberBeforeAnUnknownYearIsProvisional) {
  EXPECT_EQ(Deadline("2026-12-15", 5), "2026-12-22");
  EXPECT_FALSE(Provisional("2026-12-15", 5));
  EXPECT_EQ(Deadline("2026-12-18", 5), "2026-12-25");
  EXPECT_TRUE(Provisional("2026-12-18", 5));
  EXPECT_EQ(Deadline("2025-12-18", 5), "2025-12-25");
  EXPECT_FALSE(Provisional("2025-12-18", 5));
}

TEST_F(CalendarTest, DaysOutsideTheTablesFollowMondayToFriday) {
  EXPECT_TRUE(Working("1999-12-31"));   // Fri
  EXPECT_FALSE(Working("2000-01-01"));  // Sat
  EXPECT_EQ(Deadline("1999-12-31", 1), "2000-01-03");
  EXPECT_TRUE(Provisional("1999-12-31", 1));
  // Fri 2100-12-31 is the last table day; 2101-01-01 is a Saturday.
  EXPECT_EQ(Deadline("2100-12-30", 2), "2101-01-03");
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("1999-12-24"), Day("2000-01-07")), 10);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("1990-01-01"), Day("1990-01-08")), 5);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2101-03-01"), Day("2101-03-08")), 5);
  const int32_t a = Day("2100-12-01"), b = Day("2101-01-10"), c = Day("2101-02-10");
  EXPECT_EQ(calendar().WorkingDaysBetween(a, c),
            calendar().WorkingDaysBetween(a, b) + calendar().WorkingDaysBetween(b, c));
}

TEST_F(CalendarTest, WorkingDaysBetweenBasics) {
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-09-30"), Day("2025-10-16")), 7);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-09-30"), Day("2025-10-15")), 6);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-10-16"), Day("2025-09-30")), 0);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-10-16"), Day("2025-10-16")), 0);
  // Sat 10-04 is in the holiday, so (10-03, 10-04] holds nothing; (10-10, 10-11] holds Sat 10-11.
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-10-03"), Day("2025-10-04")), 0);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2025-10-10"), Day("2025-10-11")), 1);
}

// Over twenty years of days and both calendars, AddWorkingDays lands on a working day, and
// WorkingDaysBetween counts exactly n days up to it and n-1 up to the day before.
TEST_F(CalendarTest, WorkingDaysBetweenAgreesWithAddWorkingDays) {
  const int guangxi = calendar().RegionIndex("guangxi");
  ASSERT_GE(guangxi, 0);
  for (const int region : {-1, guangxi}) {
    for (int32_t day = Day("2006-12-01"); day <= Day("2027-02-01"); ++day) {
      for (const int n : {1, 2, 3, 5, 7, 10, 20}) {
        const int32_t deadline = calendar().AddWorkingDays(day, n, region).day;
        ASSERT_TRUE(calendar().IsWorkingDay(deadline, region)) << FormatDate(day) << " +" << n;
        ASSERT_EQ(calendar().WorkingDaysBetween(day, deadline, region), n)
            << FormatDate(day) << " +" << n << " region " << region;
        ASSERT_EQ(calendar().WorkingDaysBetween(day, deadline - 1, region), n - 1)
            << FormatDate(day) << " +" << n << " region " << region;
      }
    }
  }
}

TEST_F(CalendarTest, RegionsAreListedAndResolved) {
  EXPECT_THAT(calendar().Regions(), ::testing::ElementsAre("guangxi"));
  EXPECT_TRUE(calendar().HasRegion("guangxi"));
  EXPECT_FALSE(calendar().HasRegion("xinjiang"));
  EXPECT_FALSE(calendar().HasRegion(""));
  EXPECT_EQ(calendar().RegionIndex("nowhere"), -1);
  EXPECT_EQ(calendar().RegionIndex(""), -1);
  EXPECT_GE(calendar().RegionIndex("guangxi"), 0);
  // An unknown region, or an out-of-range index, is the national calendar.
  EXPECT_EQ(Deadline("2024-04-10", 5, "nowhere"), "2024-04-17");
  EXPECT_EQ(FormatDate(calendar().AddWorkingDays(Day("2024-04-10"), 5, 99).day), "2024-04-17");
}

// 壮族三月三 2024: 三月初三 is Thu 04-11; 04-11 and 04-12 off, then the weekend.
TEST_F(CalendarTest, RegionalHolidayDelaysTheDeadlineOnlyInThatRegion) {
  EXPECT_EQ(Deadline("2024-04-10", 1), "2024-04-11");
  EXPECT_EQ(Deadline("2024-04-10", 1, "guangxi"), "2024-04-15");
  EXPECT_EQ(Deadline("2024-04-10", 5), "2024-04-17");
  EXPECT_EQ(Deadline("2024-04-10", 5, "guangxi"), "2024-04-19");
  EXPECT_FALSE(Provisional("2024-04-10", 5, "guangxi"));
  EXPECT_TRUE(Working("2024-04-11"));
  EXPECT_FALSE(Working("2024-04-11", "guangxi"));
  const int guangxi = calendar().RegionIndex("guangxi");
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2024-04-10"), Day("2024-04-19"), guangxi), 5);
  EXPECT_EQ(calendar().WorkingDaysBetween(Day("2024-04-10"), Day("2024-04-19")), 7);
  // The int overloads agree with the string ones.
  EXPECT_EQ(calendar().AddWorkingDays(Day("2024-04-10"), 5, guangxi).day,
            calendar().AddWorkingDays(Day("2024-04-10"), 5, "guangxi").day);
  EXPECT_FALSE(calendar().IsWorkingDay(Day("2024-04-12"), guangxi));
}

// Guangxi's own 调休 overrides the national calendar both ways.
TEST_F(CalendarTest, RegionalAdjustedDaysOverrideTheNationalCalendar) {
  // 2021: Wed 04-14 .. Fri 04-16 off, Sun 04-18 worked instead.
  EXPECT_FALSE(Working("2021-04-18"));
  EXPECT_TRUE(Working("2021-04-18", "guangxi"));
  EXPECT_EQ(Deadline("2021-04-13", 3), "2021-04-16");
  EXPECT_EQ(Deadline("2021-04-13", 3, "guangxi"), "2021-04-20");  // Sun 18, Mon 19, Tue 20
  // 2023: Sun 04-23 is a national 调休 working day (劳动节) but off in Guangxi.
  EXPECT_TRUE(Working("2023-04-23"));
  EXPECT_FALSE(Working("2023-04-23", "guangxi"));
  // 2022: Sat 04-02 is a national 调休 working day (清明) but off in Guangxi; so is Wed 04-06.
  EXPECT_TRUE(Working("2022-04-02"));
  EXPECT_FALSE(Working("2022-04-02", "guangxi"));
  EXPECT_FALSE(Working("2022-04-06", "guangxi"));
  // 2020: the holiday was cancelled (COVID-19); Thu 03-26 and Fri 03-27 were worked.
  EXPECT_TRUE(Working("2020-03-26", "guangxi"));
  EXPECT_TRUE(Working("2020-03-27", "guangxi"));
}

// Guangxi's data starts in 2019: earlier years may hide a 三月三 we do not have.
TEST_F(CalendarTest, RegionYearsWithoutRegionalDataAreProvisional) {
  EXPECT_TRUE(calendar().YearKnown(2018));
  EXPECT_FALSE(calendar().YearKnown(2018, "guangxi"));
  for (int year = 2019; year <= 2026; ++year) {
    EXPECT_TRUE(calendar().YearKnown(year, "guangxi")) << year;
  }
  EXPECT_FALSE(calendar().YearKnown(2027, "guangxi"));
  EXPECT_FALSE(Provisional("2018-06-01", 5));
  EXPECT_TRUE(Provisional("2018-06-01", 5, "guangxi"));
  EXPECT_FALSE(Provisional("2020-06-01", 5, "guangxi"));  // cancelled, but the year is covered
}

// --- Load() errors, on small files written to a temporary directory. ---

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "calendar_test.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? fs::path(pattern) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void Write(const std::string& relative, std::string_view content) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
  }

 private:
  fs::path path_;
};

class CalendarLoadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  Result<WorkingCalendar> Load() const { return WorkingCalendar::Load(dir_.path().string()); }
  // The error of a load expected to fail, as "code: message".
  std::string LoadError() const {
    const Result<WorkingCalendar> result = Load();
    if (result) return "loaded without error";
    return result.error().ToString();
  }
  TempDir dir_;
};

constexpr std::string_view kValid2024 = R"({"year": 2024, "papers": [], "days": [
  {"name": "国庆节", "date": "2024-10-01", "isOffDay": true},
  {"name": "国庆节", "date": "2024-10-12", "isOffDay": false}]})";

TEST_F(CalendarLoadTest, SmallValidDirectory) {
  dir_.Write("2024.json", kValid2024);
  dir_.Write("2025.json", R"({"year": 2025, "papers": [], "days": []})");
  dir_.Write("LICENSE-holiday-cn", "not json, ignored");
  dir_.Write("regions/testland.json", R"({"days": [
    {"name": "x", "date": "2024-10-08", "isOffDay": true}]})");
  dir_.Write("regions/SOURCE.md", "ignored");
  const Result<WorkingCalendar> calendar = Load();
  ASSERT_TRUE(calendar) << calendar.error().ToString();
  EXPECT_TRUE(calendar->YearKnown(2024));
  EXPECT_FALSE(calendar->YearKnown(2025));
  EXPECT_EQ(calendar->FirstKnownYear(), 2024);
  EXPECT_EQ(calendar->LastKnownYear(), 2024);
  EXPECT_FALSE(calendar->IsWorkingDay(Day("2024-10-01")));
  EXPECT_TRUE(calendar->IsWorkingDay(Day("2024-10-02")));  // only what the file lists
  EXPECT_TRUE(calendar->IsWorkingDay(Day("2024-10-12")));
  EXPECT_FALSE(calendar->IsWorkingDay(Day("2024-10-08"), "testland"));
  EXPECT_THAT(calendar->Regions(), ::testing::ElementsAre("testland"));
}

TEST_F(CalendarLoadTest, TruncatedFileIsAClearError) {
  dir_.Write("2024.json", R"({"year": 2024, "days": [{"name": "国庆节", "date": "2024-10-)");
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("invalid_config"));
  EXPECT_THAT(error, HasSubstr("2024.json"));
  EXPECT_THAT(error, HasSubstr("not valid JSON"));
}

TEST_F(CalendarLoadTest, ImpossibleDateIsNamed) {
  dir_.Write("2024.json", R"({"year": 2024, "days": [
    {"name": "x", "date": "2024-10-01", "isOffDay": true},
    {"name": "x", "date": "2024-02-30", "isOffDay": true}]})");
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("2024.json"));
  EXPECT_THAT(error, HasSubstr("days[1]"));
  EXPECT_THAT(error, HasSubstr("2024-02-30"));
}

TEST_F(CalendarLoadTest, DateWithTimeOrSlashesIsRejected) {
  dir_.Write("2024.json", R"({"year": 2024, "days": [
    {"name": "x", "date": "2024/10/01", "isOffDay": true}]})");
  EXPECT_THAT(LoadError(), HasSubstr("2024/10/01"));
}

TEST_F(CalendarLoadTest, MissingIsOffDayIsNamed) {
  dir_.Write("2024.json", R"({"year": 2024, "days": [{"name": "x", "date": "2024-10-01"}]})");
  EXPECT_THAT(LoadError(), HasSubstr("isOffDay"));
}

TEST_F(CalendarLoadTest, YearFieldMustMatchTheFileName) {
  dir_.Write("2024.json", R"({"year": 2025, "days": []})");
  EXPECT_THAT(LoadError(), HasSubstr("\"year\" is 2025 but the file name says 2024"));
}

TEST_F(CalendarLoadTest, DateOutsideTheNoticeYearIsRejected) {
  dir_.Write("2024.json", R"({"year": 2024, "days": [
    {"name": "x", "date": "2025-01-01", "isOffDay": true}]})");
  EXPECT_THAT(LoadError(), HasSubstr("outside the notice year 2024"));
}

TEST_F(CalendarLoadTest, FilesDisagreeingAboutADateAreRejected) {
  dir_.Write("2022.json", R"({"year": 2022, "days": [
    {"name": "x", "date": "2022-12-31", "isOffDay": false}]})");
  dir_.Write("2023.json", R"({"year": 2023, "days": [
    {"name": "x", "date": "2022-12-31", "isOffDay": true}]})");
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("2022-12-31"));
  EXPECT_THAT(error, HasSubstr("2022.json"));
  EXPECT_THAT(error, HasSubstr("2023.json"));
}

TEST_F(CalendarLoadTest, OnlyEmptyPlaceholdersIsAnError) {
  dir_.Write("2027.json", R"({"year": 2027, "papers": [], "days": []})");
  EXPECT_THAT(LoadError(), HasSubstr("every <year>.json lists no days"));
}

TEST_F(CalendarLoadTest, NoYearFilesIsAnError) {
  dir_.Write("README.md", "nothing here");
  EXPECT_THAT(LoadError(), HasSubstr("no <year>.json holiday files"));
}

TEST_F(CalendarLoadTest, BadFileNamesAreRejected) {
  dir_.Write("2024.json", kValid2024);
  dir_.Write("holidays.json", "{}");
  EXPECT_THAT(LoadError(), HasSubstr("must be named <year>.json"));
}

TEST_F(CalendarLoadTest, BadRegionFileIsNamed) {
  dir_.Write("2024.json", kValid2024);
  dir_.Write("regions/Guang Xi.json", R"({"days": []})");
  EXPECT_THAT(LoadError(), HasSubstr("Guang Xi.json"));
}

TEST_F(CalendarLoadTest, RegionFileWithoutDaysIsNamed) {
  dir_.Write("2024.json", kValid2024);
  dir_.Write("regions/testland.json", R"({"name": "x"})");
  const std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("testland.json"));
  EXPECT_THAT(error, HasSubstr("\"days\""));
}

TEST_F(CalendarLoadTest, MissingDirectoryIsAnIoError) {
  const Result<WorkingCalendar> result =
      WorkingCalendar::Load((dir_.path() / "does-not-exist").string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kIo);
  EXPECT_THAT(result.error().message(), HasSubstr("does-not-exist"));
}

}  // namespace
}  // namespace gongshi
