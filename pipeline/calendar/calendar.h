// The working-day calendar: State Council holiday notices plus regional holidays, used to compute
// every record's publication deadline and its latency in working days. Loaded once at start-up;
// the per-record queries are const, allocation-free and safe to call from any number of threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/common/civil_date.h"
#include "pipeline/record/error.h"

namespace gongshi {

struct Deadline {
  int32_t day;  // day number (civil_date.h)
  // True when some day counted lies where the governing notice is not loaded (see
  // WorkingCalendar::AddWorkingDays): those days were counted without it (Mon-Fri, or the
  // national calendar alone for a region), so the day may move once the notice is published.
  // The spec requires this to be surfaced, never hidden.
  bool provisional;
};

class WorkingCalendar {
 public:
  // The dense tables cover these days; outside them every day follows the Mon-Fri rule and counts
  // as not known (so any deadline touching them is provisional).
  static constexpr int kFirstTableYear = 2000;
  static constexpr int kLastTableYear = 2100;

  // Loads every <year>.json in `holidays_dir` (State Council data, holiday-cn format) and every
  // regions/<region>.json (the same day format). Fails with kIo when a file cannot be read and
  // kInvalidConfig when a file's content is wrong; the message names the file and the problem.
  //
  // National files: a year is known when its file lists at least one day (2027.json, an empty
  // placeholder, leaves 2027 unknown). A file may list late-December days of the previous year;
  // all files are merged by date and two files disagreeing about a date is an error.
  //
  // Region files: isOffDay=true is a regional day off (壮族三月三 in Guangxi), isOffDay=false a
  // regional adjusted working day (Guangxi's own 调休, e.g. Sunday 2021-04-18); both override the
  // national calendar on that date. A region's year is known when its file lists a day in it.
  static Result<WorkingCalendar> Load(const std::string& holidays_dir);

  // Whether the national notice for `year` is loaded.
  bool YearKnown(int year) const;
  // Whether both the national notice and the region's own notice for `year` are loaded. An
  // unknown region falls back to the national answer.
  bool YearKnown(int year, std::string_view region) const;
  int FirstKnownYear() const { return first_known_year_; }
  int LastKnownYear() const { return last_known_year_; }

  bool HasRegion(std::string_view region) const { return RegionIndex(region) >= 0; }
  // Region names (file stems under regions/), sorted.
  std::vector<std::string> Regions() const { return region_names_; }
  // Resolves a region name once (at config time) so the per-record calls below take an int and do
  // no string compares. Returns -1 for an unknown name; -1 means "national calendar only".
  int RegionIndex(std::string_view region) const;

  // An empty or unknown region means the national calendar (callers validate region names at
  // config time with HasRegion). Days outside the tables follow the Mon-Fri rule.
  bool IsWorkingDay(int32_t day, std::string_view region = {}) const {
    return IsWorkingDay(day, RegionIndex(region));
  }
  bool IsWorkingDay(int32_t day, int region_index) const {
    return (FlagsOf(day, TableFor(region_index)) & kWorking) != 0;
  }

  // The Nth working day strictly after `day`: the start day is excluded (民法典 Art. 201) and the
  // record is on time if published on or before the returned day. `working_days` <= 0 returns
  // `day` itself, not provisional.
  //
  // Provisional when a counted day lies in a year whose national (or region's) notice is not
  // loaded, or in the last week of December before an unknown year: the next year's notice often
  // moves those days too (2007, 2008, 2012, 2019 and 2023 notices changed late-December days).
  Deadline AddWorkingDays(int32_t day, int working_days, std::string_view region = {}) const {
    return AddWorkingDays(day, working_days, RegionIndex(region));
  }
  Deadline AddWorkingDays(int32_t day, int working_days, int region_index) const;

  // Working days in (from, to]; 0 if to <= from. AddWorkingDays(d, n).day is the first day x with
  // WorkingDaysBetween(d, x) == n. O(1) via prefix sums, for latency over long spans.
  int WorkingDaysBetween(int32_t from, int32_t to, std::string_view region = {}) const {
    return WorkingDaysBetween(from, to, RegionIndex(region));
  }
  int WorkingDaysBetween(int32_t from, int32_t to, int region_index) const;

 private:
  static constexpr int32_t kFirstTableDay = DaysFromCivil(kFirstTableYear, 1, 1);
  static constexpr int32_t kTableDays = DaysFromCivil(kLastTableYear + 1, 1, 1) - kFirstTableDay;
  static constexpr int kTableYears = kLastTableYear - kFirstTableYear + 1;

  // Per-day flag bits.
  static constexpr uint8_t kWorking = 1;
  static constexpr uint8_t kKnown = 2;

  // One table per calendar: the national one, then one per region with the national days and the
  // region's overrides already merged, so a query reads one byte whatever the region.
  struct DayTable {
    std::vector<uint8_t> flags;           // kTableDays entries
    std::vector<int32_t> working_before;  // kTableDays + 1 prefix sums of kWorking
    // Per year: the national notice is loaded (and, in a region's table, the region's as well).
    std::array<bool, kTableYears> year_known{};
  };

  WorkingCalendar() = default;

  const DayTable& TableFor(int region_index) const {
    return region_index >= 0 && static_cast<size_t>(region_index) < regions_.size()
               ? regions_[region_index]
               : national_;
  }
  static uint8_t FlagsOf(int32_t day, const DayTable& table) {
    const int64_t index = static_cast<int64_t>(day) - kFirstTableDay;
    if (index >= 0 && index < kTableDays) return table.flags[index];
    return Weekday(day) < 5 ? kWorking : 0;  // outside the tables: Mon-Fri, never known
  }
  // Working days in [kFirstTableDay, day), negative for days before the table.
  static int64_t WorkingBefore(int64_t day, const DayTable& table);
  static void ComputePrefixSums(DayTable& table);

  DayTable national_;
  std::vector<DayTable> regions_;          // parallel to region_names_
  std::vector<std::string> region_names_;  // sorted
  int first_known_year_ = 0;
  int last_known_year_ = 0;
};

}  // namespace gongshi
