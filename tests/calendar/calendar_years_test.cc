// The working-day calendar over every year of the holiday data: each <year>.json and
// regions/guangxi.json is read again here, apart from the loader, and the calendar is checked
// against that reading day by day; then `gongshi calendar deadline` on hand-checked cases.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "pipeline/calendar/calendar.h"
#include "pipeline/common/civil_date.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

namespace chrono = std::chrono;
namespace fs = std::filesystem;

// The reading of the data in this file uses <chrono>, not civil_date.h, for dates and weekdays,
// so that a fault there cannot hide in both sides of a comparison. Day numbers are days since
// 1970-01-01 in both.
int32_t DayNumber(int year, unsigned month, unsigned day) {
  return chrono::sys_days(chrono::year{year} / chrono::month{month} / chrono::day{day})
      .time_since_epoch()
      .count();
}
chrono::year_month_day DateOf(int32_t day) {
  return chrono::year_month_day(chrono::sys_days(chrono::days(day)));
}
int YearOf(int32_t day) { return static_cast<int>(DateOf(day).year()); }
bool IsWeekend(int32_t day) {
  return chrono::weekday(chrono::sys_days(chrono::days(day))).iso_encoding() >= 6;
}
// "YYYY-MM-DD" only; nullopt for anything else or an impossible date.
std::optional<int32_t> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&text](size_t at, size_t length) {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 0 || month < 0 || day < 0) return std::nullopt;
  const chrono::year_month_day date{chrono::year{year}, chrono::month(static_cast<unsigned>(month)),
                                    chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return chrono::sys_days(date).time_since_epoch().count();
}
std::string Text(int32_t day) { return FormatDate(day); }

struct ListedDay {
  int32_t day;
  bool off;  // isOffDay
  std::string name;
};

struct YearFile {
  int year;  // from the file name
  std::string file_name;
  std::vector<std::string> papers;
  std::vector<ListedDay> days;
};

// The holiday data as this test reads it, and the rules of domain.md §5 applied to it.
struct HolidayData {
  std::string error;                 // empty when every file was read
  std::vector<YearFile> year_files;  // every <year>.json found, by year
  std::map<int32_t, bool> national;  // all national files merged by date: true = day off
  std::set<int> known_years;         // years whose file lists at least one day
  std::map<int32_t, bool> guangxi;   // regions/guangxi.json: true = regional day off
  std::set<int> guangxi_years;       // years guangxi.json lists a day in

  bool Known(int year) const { return known_years.count(year) != 0; }

  // Mon-Fri work and Sat-Sun off, unless a notice lists the day; a region's own list overrides
  // the national one.
  bool Working(int32_t day, bool in_guangxi) const {
    if (in_guangxi) {
      if (const auto it = guangxi.find(day); it != guangxi.end()) return !it->second;
    }
    if (const auto it = national.find(day); it != national.end()) return !it->second;
    return !IsWeekend(day);
  }

  // Whether the notices that govern `day` are loaded (calendar.h, AddWorkingDays): the day's
  // year is known and, in the last week of December, so is the next year, whose notice may move
  // those days (the 2007, 2008, 2012, 2019 and 2023 notices did); in a region, the region's file
  // also lists a day in that year.
  bool DayKnown(int32_t day, bool in_guangxi) const {
    const chrono::year_month_day date = DateOf(day);
    const int year = static_cast<int>(date.year());
    if (!Known(year)) return false;
    if (date.month() == chrono::December && date.day() >= chrono::day{25} && !Known(year + 1)) {
      return false;
    }
    return !in_guangxi || guangxi_years.count(year) != 0;
  }

  // The Nth working day after `from` by walking day by day, and whether any day walked over is
  // not known.
  Deadline Walk(int32_t from, int working_days, bool in_guangxi) const {
    Deadline result{from, false};
    for (int counted = 0; counted < working_days;) {
      ++result.day;
      if (!DayKnown(result.day, in_guangxi)) result.provisional = true;
      if (Working(result.day, in_guangxi)) ++counted;
    }
    return result;
  }
};

std::string DataRoot() {
  const char* root = std::getenv("GONGSHI_DATA_DIR");
  return root != nullptr ? root : "";
}
std::string HolidaysDirectory() { return DataRoot() + "/pipeline/calendar/holidays"; }

// Reads one file's `days` (and `year`, `papers` when present); returns an error text or "".
std::string ReadDays(simdjson::dom::parser& parser, const fs::path& path, YearFile& out) {
  simdjson::dom::element doc;
  if (parser.load(path.string()).get(doc)) return path.string() + ": not readable JSON";
  int64_t year = 0;
  if (!doc["year"].get_int64().get(year) && year != out.year) {
    return path.string() + ": \"year\" disagrees with the file name";
  }
  simdjson::dom::array papers;
  if (!doc["papers"].get_array().get(papers)) {
    for (const simdjson::dom::element paper : papers) {
      std::string_view url;
      if (!paper.get_string().get(url)) out.papers.emplace_back(url);
    }
  }
  simdjson::dom::array days;
  if (doc["days"].get_array().get(days)) return path.string() + ": no \"days\" array";
  for (const simdjson::dom::element item : days) {
    std::string_view date, name;
    bool off = false;
    if (item["date"].get_string().get(date) || item["isOffDay"].get_bool().get(off)) {
      return path.string() + ": a day without a string date or a boolean isOffDay";
    }
    if (item["name"].get_string().get(name)) name = "";
    const std::optional<int32_t> day = ParseIsoDate(date);
    if (!day) return path.string() + ": bad date " + std::string(date);
    out.days.push_back({*day, off, std::string(name)});
  }
  return "";
}

HolidayData ReadHolidayData() {
  HolidayData data;
  if (DataRoot().empty()) {
    data.error = "GONGSHI_DATA_DIR is not set (ctest sets it)";
    return data;
  }
  const fs::path dir = HolidaysDirectory();
  std::error_code ec;
  simdjson::dom::parser parser;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string stem = it->path().stem().string();
    if (it->path().extension() != ".json" || stem.size() != 4 ||
        !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    YearFile file{std::stoi(stem), it->path().filename().string(), {}, {}};
    if (std::string error = ReadDays(parser, it->path(), file); !error.empty()) {
      data.error = error;
      return data;
    }
    data.year_files.push_back(std::move(file));
  }
  if (ec) {
    data.error = dir.string() + ": cannot list: " + ec.message();
    return data;
  }
  std::sort(data.year_files.begin(), data.year_files.end(),
            [](const YearFile& a, const YearFile& b) { return a.year < b.year; });
  for (const YearFile& file : data.year_files) {
    if (!file.days.empty()) data.known_years.insert(file.year);
    for (const ListedDay& listed : file.days) {
      const auto [it, inserted] = data.national.try_emplace(listed.day, listed.off);
      if (!inserted && it->second != listed.off) {
        data.error = Text(listed.day) + " is listed both ways (" + file.file_name + ")";
        return data;
      }
    }
  }
  YearFile region{0, "guangxi.json", {}, {}};
  if (std::string error = ReadDays(parser, dir / "regions" / "guangxi.json", region);
      !error.empty()) {
    data.error = error;
    return data;
  }
  for (const ListedDay& listed : region.days) {
    data.guangxi[listed.day] = listed.off;
    data.guangxi_years.insert(YearOf(listed.day));
  }
  return data;
}

// Read once; every test reads the same data and the same calendar.
const HolidayData& Data() {
  static const HolidayData data = ReadHolidayData();
  return data;
}
const Result<WorkingCalendar>& LoadedCalendar() {
  static const Result<WorkingCalendar> calendar = WorkingCalendar::Load(HolidaysDirectory());
  return calendar;
}

// Fewer files than this means the directory, or its discovery, is wrong (2007..2026 are real).
constexpr size_t kMinimumYears = 20;

class CalendarYearsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Data().error.empty()) << Data().error;
    ASSERT_GE(Data().year_files.size(), kMinimumYears)
        << "year files found in " << HolidaysDirectory();
    ASSERT_GE(Data().known_years.size(), kMinimumYears) << "year files listing days";
    ASSERT_TRUE(LoadedCalendar().has_value()) << LoadedCalendar().error().ToString();
    guangxi_ = calendar().RegionIndex("guangxi");
    ASSERT_GE(guangxi_, 0) << "regions/guangxi.json was not loaded";
  }
  const WorkingCalendar& calendar() const { return *LoadedCalendar(); }
  const HolidayData& data() const { return Data(); }
  int32_t FirstDayOf(int year) const { return DayNumber(year, 1, 1); }
  int32_t LastDayOf(int year) const { return DayNumber(year, 12, 31); }

  int guangxi_ = -1;
};

// Reports the first few mismatches of a day-by-day sweep and then the total, rather than
// thousands of lines.
class MismatchCounter {
 public:
  // Returns true when the caller should print this mismatch (ADD_FAILURE() << ...).
  bool Count() { return ++count_ <= kReported; }
  int count() const { return count_; }

 private:
  static constexpr int kReported = 10;
  int count_ = 0;
};

// isOffDay=false on a weekday, where holiday-cn lists it anyway: Mon 2020-02-03, the first
// working day after the 2020 extension (holidays/SOURCE.md). Any other weekday is a data error.
constexpr std::string_view kListedWorkingWeekdays[] = {"2020-02-03"};

bool IsListedWorkingWeekday(int32_t day) {
  return std::any_of(std::begin(kListedWorkingWeekdays), std::end(kListedWorkingWeekdays),
                     [day](std::string_view text) { return ParseIsoDate(text) == day; });
}

// 1. Listed days: off is off; working is working and (调休) on a weekend; every real year has
// both.
TEST_F(CalendarYearsTest, ListedDaysOfEveryYearFileMatchTheCalendar) {
  int listed_working_weekdays_seen = 0;
  for (const YearFile& file : data().year_files) {
    int off_days = 0, adjusted_weekend_days = 0;
    for (const ListedDay& listed : file.days) {
      if (listed.off) {
        ++off_days;
      } else if (IsWeekend(listed.day)) {
        ++adjusted_weekend_days;
      }
    }
    const std::string summary = file.file_name + " (notice year " + std::to_string(file.year) +
                                "): " + std::to_string(off_days) + " days off, " +
                                std::to_string(adjusted_weekend_days) +
                                " adjusted working weekend days";
    SCOPED_TRACE(summary);
    for (const ListedDay& listed : file.days) {
      const std::string what = Text(listed.day) + " (" + listed.name + ")";
      if (listed.off) {
        EXPECT_FALSE(calendar().IsWorkingDay(listed.day)) << what << " is isOffDay=true";
        continue;
      }
      EXPECT_TRUE(calendar().IsWorkingDay(listed.day)) << what << " is isOffDay=false";
      if (!IsWeekend(listed.day)) {
        EXPECT_TRUE(IsListedWorkingWeekday(listed.day))
            << what << " is isOffDay=false on a weekday: an adjusted working day (调休) should "
            << "be a Saturday or Sunday";
        ++listed_working_weekdays_seen;
      }
    }
    if (file.days.empty()) continue;  // a placeholder for a notice not yet published
    EXPECT_GE(off_days, 1) << summary;
    EXPECT_GE(adjusted_weekend_days, 1) << summary;
  }
  // The exception list describes the data, no more.
  EXPECT_EQ(listed_working_weekdays_seen, static_cast<int>(std::size(kListedWorkingWeekdays)));
}

// 农历正月初一 (lunar new year's day), Gregorian. Written from the Chinese lunar calendar (public
// reference: the Hong Kong Observatory's Gregorian-lunar conversion tables), not derived from
// the holiday files, and checked against a second lunar-calendar implementation (a scratch check,
// not part of the build).
struct LunarNewYear {
  int year;
  unsigned month;
  unsigned day;
};
constexpr LunarNewYear kLunarNewYears[] = {
    {2007, 2, 18}, {2008, 2, 7},  {2009, 1, 26}, {2010, 2, 14}, {2011, 2, 3},
    {2012, 1, 23}, {2013, 2, 10}, {2014, 1, 31}, {2015, 2, 19}, {2016, 2, 8},
    {2017, 1, 28}, {2018, 2, 16}, {2019, 2, 5},  {2020, 1, 25}, {2021, 2, 12},
    {2022, 2, 1},  {2023, 1, 22}, {2024, 2, 10}, {2025, 1, 29}, {2026, 2, 17},
};

// 2. 春节: a block of at least 3 consecutive days off around lunar new year's day.
TEST_F(CalendarYearsTest, EveryYearHasASpringFestivalBlockAroundLunarNewYear) {
  for (const LunarNewYear& entry : kLunarNewYears) {
    // The new moon that starts the lunar year falls between 01-21 and 02-20.
    EXPECT_GE(DayNumber(entry.year, entry.month, entry.day), DayNumber(entry.year, 1, 21));
    EXPECT_LE(DayNumber(entry.year, entry.month, entry.day), DayNumber(entry.year, 2, 20));
  }
  for (const YearFile& file : data().year_files) {
    if (file.days.empty()) continue;
    SCOPED_TRACE(file.file_name);
    const auto entry = std::find_if(std::begin(kLunarNewYears), std::end(kLunarNewYears),
                                    [&file](const LunarNewYear& e) { return e.year == file.year; });
    if (entry == std::end(kLunarNewYears)) {
      ADD_FAILURE() << file.year << " has a notice but no lunar new year date in kLunarNewYears";
      continue;
    }
    const int32_t new_year = DayNumber(entry->year, entry->month, entry->day);
    EXPECT_FALSE(calendar().IsWorkingDay(new_year)) << Text(new_year);

    // The run of days off that contains it, as the calendar has it.
    int32_t first = new_year, last = new_year;
    while (!calendar().IsWorkingDay(first - 1) && first > new_year - 30) --first;
    while (!calendar().IsWorkingDay(last + 1) && last < new_year + 30) ++last;
    const int length = last - first + 1;
    EXPECT_GE(length, 3) << "春节 " << Text(first) << ".." << Text(last);
    // The longest is 2020's with the extension: Fri 01-24 .. Sun 02-02.
    EXPECT_LE(length, 10) << "春节 " << Text(first) << ".." << Text(last);

    // The notice lists lunar new year's day as 春节, and every 春节 day off lies in the run.
    int spring_festival_days = 0;
    bool new_year_listed = false;
    for (const ListedDay& listed : file.days) {
      if (!listed.off || listed.name.find("春节") == std::string::npos) continue;
      ++spring_festival_days;
      new_year_listed = new_year_listed || listed.day == new_year;
      EXPECT_TRUE(listed.day >= first && listed.day <= last)
          << Text(listed.day) << " (春节) lies outside " << Text(first) << ".." << Text(last);
    }
    EXPECT_TRUE(new_year_listed) << Text(new_year) << " is not listed as 春节, isOffDay=true";
    EXPECT_GE(spring_festival_days, 3);
  }
}

// 3. Days no notice lists follow the week, in every year with a file (the empty placeholder
// included), nationally and in Guangxi; the known years are the files that list days.
TEST_F(CalendarYearsTest, EveryDayOfEveryYearMatchesTheData) {
  EXPECT_EQ(calendar().FirstKnownYear(), *data().known_years.begin());
  EXPECT_EQ(calendar().LastKnownYear(), *data().known_years.rbegin());
  for (const YearFile& file : data().year_files) {
    EXPECT_EQ(calendar().YearKnown(file.year), !file.days.empty()) << file.file_name;
    EXPECT_EQ(calendar().YearKnown(file.year, "guangxi"),
              !file.days.empty() && data().guangxi_years.count(file.year) != 0)
        << file.file_name;
  }
  // From December of the year before the first file: notices list days there (2007.json).
  const int32_t from = DayNumber(data().year_files.front().year - 1, 12, 1);
  const int32_t to = LastDayOf(data().year_files.back().year);
  MismatchCounter unlisted_weekdays, unlisted_weekends, listed, guangxi;
  int checked_unlisted = 0;
  for (int32_t day = from; day <= to; ++day) {
    const bool working = calendar().IsWorkingDay(day);
    if (data().national.count(day) == 0) {
      ++checked_unlisted;
      if (!IsWeekend(day) && !working && unlisted_weekdays.Count()) {
        ADD_FAILURE() << Text(day) << " is an unlisted weekday but not a working day";
      }
      if (IsWeekend(day) && working && unlisted_weekends.Count()) {
        ADD_FAILURE() << Text(day) << " is an unlisted weekend day but a working day";
      }
    } else if (working != data().Working(day, false) && listed.Count()) {
      ADD_FAILURE() << Text(day) << " is listed but the calendar says the opposite";
    }
    if (calendar().IsWorkingDay(day, guangxi_) != data().Working(day, true) && guangxi.Count()) {
      ADD_FAILURE() << Text(day) << " in Guangxi: the calendar says "
                    << (calendar().IsWorkingDay(day, guangxi_) ? "working" : "off");
    }
  }
  EXPECT_EQ(unlisted_weekdays.count(), 0) << "unlisted weekdays that are off";
  EXPECT_EQ(unlisted_weekends.count(), 0) << "unlisted weekend days that are working";
  EXPECT_EQ(listed.count(), 0);
  EXPECT_EQ(guangxi.count(), 0);
  EXPECT_GT(checked_unlisted, 300 * static_cast<int>(data().year_files.size()));
}

// 4. 国办发明电〔2020〕1号 (2020-01-27) extended 春节 2020 to Sun 02-02 and cancelled the working
// Saturday 02-01 of the first notice.
TEST_F(CalendarYearsTest, SpringFestivalExtensionOf2020) {
  const auto file = std::find_if(data().year_files.begin(), data().year_files.end(),
                                 [](const YearFile& f) { return f.year == 2020; });
  ASSERT_NE(file, data().year_files.end());
  EXPECT_THAT(file->papers, ::testing::Contains(::testing::HasSubstr("content_5472352")))
      << "the extension notice is one of the 2020 file's papers";
  for (const int32_t day : {DayNumber(2020, 1, 31), DayNumber(2020, 2, 1), DayNumber(2020, 2, 2)}) {
    EXPECT_EQ(data().national.count(day), 1u) << Text(day) << " is listed";
    EXPECT_FALSE(calendar().IsWorkingDay(day)) << Text(day);
  }
  const int32_t monday = DayNumber(2020, 2, 3);
  EXPECT_TRUE(calendar().IsWorkingDay(monday));
  EXPECT_TRUE(calendar().IsWorkingDay(DayNumber(2020, 1, 23)));  // Thu, the last day before
  EXPECT_EQ(calendar().WorkingDaysBetween(DayNumber(2020, 1, 23), monday), 1);

  // Thu 01-23 + 7: 01-24..02-02 off (ten days); Mon 02-03 1, 02-04 2, 02-05 3, 02-06 4, Fri 02-07
  // 5, weekend, Mon 02-10 6, Tue 02-11 7. (Under the first notice alone, with 01-31 and Sat 02-01
  // worked, it would have been Fri 02-07.)
  const Deadline across = calendar().AddWorkingDays(DayNumber(2020, 1, 23), 7);
  EXPECT_EQ(Text(across.day), "2020-02-11");
  EXPECT_FALSE(across.provisional);
  // From inside the extension (Fri 01-31): the next working day is Mon 02-03.
  EXPECT_EQ(Text(calendar().AddWorkingDays(DayNumber(2020, 1, 31), 1).day), "2020-02-03");
}

// 5a. Decisions on the last days of every known year: the deadline is in the next year, as the
// walk over the data says, and provisional exactly when the next year's notice is not loaded.
TEST_F(CalendarYearsTest, CrossYearDeadlinesOfEveryKnownYear) {
  for (const int year : data().known_years) {
    int32_t last_working_day = LastDayOf(year);
    while (!data().Working(last_working_day, false)) --last_working_day;
    EXPECT_TRUE(calendar().IsWorkingDay(last_working_day)) << Text(last_working_day);
    for (const int32_t decision : {LastDayOf(year), last_working_day}) {
      const Deadline deadline = calendar().AddWorkingDays(decision, 7);
      const Deadline expected = data().Walk(decision, 7, false);
      EXPECT_EQ(Text(deadline.day), Text(expected.day)) << Text(decision) << " +7";
      EXPECT_EQ(YearOf(deadline.day), year + 1) << Text(decision) << " +7";
      EXPECT_EQ(deadline.provisional, !data().Known(year + 1))
          << Text(decision) << " +7 = " << Text(deadline.day) << "; " << year + 1
          << (data().Known(year + 1) ? " is known" : " is not known");
    }
  }
}

// 5b, 5c. Every decision day of every known year, against the walk over the data.
void ExpectDeadlinesMatchTheWalk(const WorkingCalendar& calendar, const HolidayData& data,
                                 const std::set<int>& years, int region_index) {
  const bool in_guangxi = region_index >= 0;
  MismatchCounter days, provisional;
  int checked = 0;
  for (const int year : years) {
    for (int32_t day = DayNumber(year, 1, 1); day <= DayNumber(year, 12, 31); ++day) {
      for (const int n : {5, 7}) {
        const Deadline actual = calendar.AddWorkingDays(day, n, region_index);
        const Deadline expected = data.Walk(day, n, in_guangxi);
        ++checked;
        if (actual.day != expected.day && days.Count()) {
          ADD_FAILURE() << Text(day) << " +" << n << ": " << Text(actual.day) << ", the data say "
                        << Text(expected.day);
        }
        if (actual.provisional != expected.provisional && provisional.Count()) {
          ADD_FAILURE() << Text(day) << " +" << n << " = " << Text(actual.day) << ": provisional "
                        << actual.provisional << ", the data say " << expected.provisional;
        }
      }
    }
  }
  EXPECT_EQ(days.count(), 0) << "deadline days that differ, of " << checked;
  EXPECT_EQ(provisional.count(), 0) << "provisional flags that differ, of " << checked;
  EXPECT_GE(checked, 2 * 365 * static_cast<int>(years.size()));
}

TEST_F(CalendarYearsTest, NationalDeadlinesOfEveryDayMatchAWalkOverTheData) {
  ExpectDeadlinesMatchTheWalk(calendar(), data(), data().known_years, -1);
}

TEST_F(CalendarYearsTest, GuangxiDeadlinesOfEveryDayMatchAWalkOverTheData) {
  std::set<int> years;
  for (const int year : data().guangxi_years) {
    if (data().Known(year)) years.insert(year);
  }
  ASSERT_FALSE(years.empty()) << "guangxi.json covers no known year";
  ExpectDeadlinesMatchTheWalk(calendar(), data(), years, guangxi_);
}

// 6. WorkingDaysBetween inverts AddWorkingDays on every day of every year with a file.
TEST_F(CalendarYearsTest, WorkingDaysBetweenInvertsAddWorkingDaysOnEveryDay) {
  MismatchCounter mismatches;
  for (const int region : {-1, guangxi_}) {
    for (const YearFile& file : data().year_files) {
      for (int32_t day = FirstDayOf(file.year); day <= LastDayOf(file.year); ++day) {
        for (const int n : {1, 5, 7}) {
          const int32_t deadline = calendar().AddWorkingDays(day, n, region).day;
          const int up_to = calendar().WorkingDaysBetween(day, deadline, region);
          const int up_to_before = calendar().WorkingDaysBetween(day, deadline - 1, region);
          if ((up_to != n || up_to_before != n - 1) && mismatches.Count()) {
            ADD_FAILURE() << Text(day) << " +" << n << " = " << Text(deadline) << " (region "
                          << region << "): WorkingDaysBetween gives " << up_to << " up to it and "
                          << up_to_before << " up to the day before";
          }
        }
      }
    }
  }
  EXPECT_EQ(mismatches.count(), 0);
}

// 7. `gongshi calendar deadline`, on cases counted by hand from the notices (the day counts are
// in the comments; the decision day itself never counts).
struct CommandCase {
  const char* date;
  const char* working_days;
  const char* region;  // "" = national
  const char* deadline;
  bool provisional;
};

TEST(CalendarDeadlineCommandTest, HandCheckedDeadlines) {
  const CommandCase cases[] = {
      // 国庆+中秋 2023: Fri 09-29..Fri 10-06 off; Sat 10-07 1, Sun 10-08 2 (调休),
      // 10-09..10-13 3..7.
      {"2023-09-28", "7", "", "2023-10-13", false},
      // 国庆 2026: 10-01..10-07 off; Thu 10-08 1, Fri 2, Sat 10-10 3 (调休), 10-12..10-15 4..7.
      {"2026-09-30", "7", "", "2026-10-15", false},
      // Mon before 春节 2025: 01-28..02-04 off; 02-05 1, 02-06 2, 02-07 3, Sat 02-08 4, Mon
      // 02-10 5.
      {"2025-01-27", "5", "", "2025-02-10", false},
      // On an adjusted Saturday (2025-02-08, 调休): Sun off; 02-10..02-14 1..5, 02-17 6, 02-18 7.
      {"2025-02-08", "7", "", "2025-02-18", false},
      // On an adjusted Saturday (2026-10-10): Sun off; 10-12..10-16 1..5.
      {"2026-10-10", "5", "", "2026-10-16", false},
      // Across 元旦 2019 (days in 2019.json): Sat 12-29 1 (调休), 12-30..01-01 off, 01-02..01-04
      // 2..4, 01-07..01-09 5..7.
      {"2018-12-28", "7", "", "2019-01-09", false},
      // Across the 2020 extension: 01-24..02-02 off; 02-03..02-07 1..5, 02-10 6, 02-11 7.
      {"2020-01-23", "7", "", "2020-02-11", false},
      // 壮族三月三 2026, Fri 04-17..Mon 04-20 off in Guangxi: 04-21..04-24 1..4, Mon 04-27 5.
      {"2026-04-16", "5", "guangxi", "2026-04-27", false},
      // The same nationally: Fri 04-17 1, 04-20..04-23 2..5.
      {"2026-04-16", "5", "", "2026-04-23", false},
      // 壮族三月三 2023, Fri 04-21..Sun 04-23 off in Guangxi (Sun 04-23 is a national 调休 day):
      // 04-24 1, 04-25 2, 04-26 3.
      {"2023-04-20", "3", "guangxi", "2023-04-26", false},
      // Nationally: Fri 04-21 1, Sun 04-23 2 (调休), Mon 04-24 3.
      {"2023-04-20", "3", "", "2023-04-24", false},
      // Into 2027, whose notice is not out: Fri 12-25 1, 12-28..12-31 2..5, Fri 2027-01-01 6 (by
      // the Mon-Fri rule; 元旦 will surely be off), Mon 01-04 7. Provisional.
      {"2026-12-24", "7", "", "2027-01-04", true},
      // 2027-01-01..01-08 1..6, Mon 01-11 7. Provisional.
      {"2026-12-31", "7", "", "2027-01-11", true},
      // 12-23 1, 12-24 2, Fri 12-25 3: the last week of December before an unknown year, which
      // the next notice may move, so provisional though 2026 is known.
      {"2026-12-22", "3", "", "2026-12-25", true},
      // 12-22, 12-23, 12-24 1..3: all before that week, not provisional.
      {"2026-12-21", "3", "", "2026-12-24", false},
  };
  testing::TempDir dir;
  for (const CommandCase& c : cases) {
    std::vector<std::string> args = {"calendar", "deadline",       "--date",
                                     c.date,     "--working-days", c.working_days};
    if (*c.region != '\0') {
      args.push_back("--region");
      args.push_back(c.region);
    }
    const std::string label = std::string(c.date) + " +" + c.working_days +
                              (*c.region != '\0' ? std::string(" in ") + c.region : "");
    const testing::ProcessResult result = testing::Run(args, dir.path());
    EXPECT_EQ(result.out, std::string(c.deadline) + "\n") << label << "; stderr: " << result.err;
    if (c.provisional) {
      EXPECT_EQ(result.exit_code, 3) << label << " is provisional; stderr: " << result.err;
      EXPECT_THAT(result.err, ::testing::HasSubstr("provisional")) << label;
    } else {
      EXPECT_EQ(result.exit_code, 0) << label << "; stderr: " << result.err;
      EXPECT_EQ(result.err, "") << label << " is not provisional";
    }
  }
}

}  // namespace
}  // namespace gongshi
