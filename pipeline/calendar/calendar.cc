// Loads the holiday notices into dense per-day tables once, so that the per-record questions
// (is this a working day, when is the deadline, how late was it) are table reads.
#include "pipeline/calendar/calendar.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

namespace gongshi {
namespace {

namespace fs = std::filesystem;

// A notice for year Y may change days from here to the end of December Y-1: the 2007, 2008,
// 2012, 2019 and 2023 notices did (from 12-29 at the earliest). A week leaves room for a working
// weekend before 元旦 falling on a Thursday or Friday.
constexpr int kFirstDecemberDayOfNextNotice = 25;

struct DayEntry {
  int32_t day;
  bool off;
};

tl::unexpected<Error> BadFile(const fs::path& path, std::string_view what) {
  return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: {}", path.string(), what));
}

// Parses the stem of "<year>.json"; nullopt unless it is exactly four digits.
std::optional<int> YearFromStem(std::string_view stem) {
  if (stem.size() != 4) return std::nullopt;
  int year = 0;
  for (const char c : stem) {
    if (c < '0' || c > '9') return std::nullopt;
    year = year * 10 + (c - '0');
  }
  return year;
}

bool IsRegionName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Files in `dir` ending in .json, sorted so that errors and merge order do not depend on the
// file system.
Result<std::vector<fs::path>> JsonFilesIn(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return Fail(ErrorCode::kIo, fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  }
  std::vector<fs::path> files;
  // increment(ec) rather than range-for, whose operator++ throws on a listing error.
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_error;  // a dangling link is skipped, not a listing error
    if (it->path().extension() == ".json" && it->is_regular_file(type_error)) {
      files.push_back(it->path());
    }
  }
  if (ec) {
    return Fail(ErrorCode::kIo, fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Reads the `days` array of one holiday file. For a national file, `notice_year` is the year in
// its name: the `year` field must match and every date must lie in that year or in December of
// the year before (the only spill-over the notices have). Region files cover several years.
Result<std::vector<DayEntry>> ReadDaysFile(simdjson::dom::parser& parser, const fs::path& path,
                                           std::optional<int> notice_year) {
  simdjson::dom::element doc;
  if (const auto error = parser.load(path.string()).get(doc)) {
    if (error == simdjson::IO_ERROR) {
      return Fail(ErrorCode::kIo, fmt::format("{}: cannot read the file", path.string()));
    }
    return BadFile(path, fmt::format("not valid JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object root;
  if (doc.get_object().get(root)) return BadFile(path, "the top level must be a JSON object");
  if (notice_year) {
    int64_t year = 0;
    if (root["year"].get_int64().get(year)) {
      return BadFile(path, "needs an integer field \"year\"");
    }
    if (year != *notice_year) {
      return BadFile(path,
                     fmt::format("\"year\" is {} but the file name says {}", year, *notice_year));
    }
  }
  simdjson::dom::array days;
  if (root["days"].get_array().get(days)) return BadFile(path, "needs an array field \"days\"");

  std::vector<DayEntry> entries;
  size_t index = 0;
  for (const simdjson::dom::element item : days) {
    const std::string where = fmt::format("days[{}]", index++);
    std::string_view date_text;
    if (item["date"].get_string().get(date_text)) {
      return BadFile(path, where + ": needs a string field \"date\"");
    }
    const std::optional<int32_t> day =
        date_text.size() == 10 && date_text[4] == '-' ? ParseDate(date_text) : std::nullopt;
    if (!day) {
      return BadFile(
          path, fmt::format("{}: date \"{}\" is not a real YYYY-MM-DD date", where, date_text));
    }
    bool off = false;
    if (item["isOffDay"].get_bool().get(off)) {
      return BadFile(
          path, fmt::format("{} ({}): needs a boolean field \"isOffDay\" (true = day off)", where,
                            date_text));
    }
    const CivilDate civil = CivilFromDays(*day);
    if (civil.year < WorkingCalendar::kFirstTableYear ||
        civil.year > WorkingCalendar::kLastTableYear) {
      return BadFile(
          path, fmt::format("{}: date {} is outside the supported years {}..{}", where, date_text,
                            WorkingCalendar::kFirstTableYear, WorkingCalendar::kLastTableYear));
    }
    if (notice_year && civil.year != *notice_year &&
        !(civil.year == *notice_year - 1 && civil.month == 12)) {
      return BadFile(path, fmt::format("{}: date {} is outside the notice year {} (only late "
                                       "December of the year before may appear)",
                                       where, date_text, *notice_year));
    }
    entries.push_back({*day, off});
  }
  return entries;
}

// Merges entries by date; the same date twice is fine only if both agree.
Status MergeEntry(std::map<int32_t, std::pair<bool, fs::path>>& merged, const DayEntry& entry,
                  const fs::path& path) {
  const auto [it, inserted] = merged.try_emplace(entry.day, entry.off, path);
  if (!inserted && it->second.first != entry.off) {
    return BadFile(
        path,
        fmt::format("{} is listed as {} here but as {} in {}", FormatDate(entry.day),
                    entry.off ? "a day off" : "a working day",
                    it->second.first ? "a day off" : "a working day", it->second.second.string()));
  }
  return Ok();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Mondays-to-Fridays in [kMonday, day) (negative before it), from which Mon-Fri counts over any
// span follow by subtraction.
int64_t WeekdaysSinceAnchor(int64_t day) {
  constexpr int64_t kMonday = 4;  // 1970-01-05
  const int64_t weeks = FloorDiv(day - kMonday, 7);
  const int64_t rest = day - kMonday - 7 * weeks;
  return 5 * weeks + std::min<int64_t>(rest, 5);
}

}  // namespace

int64_t WorkingCalendar::WorkingBefore(int64_t day, const DayTable& table) {
  const int64_t index = day - kFirstTableDay;
  if (index < 0) return -(WeekdaysSinceAnchor(kFirstTableDay) - WeekdaysSinceAnchor(day));
  if (index <= kTableDays) return table.working_before[index];
  return table.working_before[kTableDays] + WeekdaysSinceAnchor(day) -
         WeekdaysSinceAnchor(kFirstTableDay + kTableDays);
}

void WorkingCalendar::ComputePrefixSums(DayTable& table) {
  table.working_before.assign(kTableDays + 1, 0);
  for (int32_t i = 0; i < kTableDays; ++i) {
    table.working_before[i + 1] = table.working_before[i] + (table.flags[i] & kWorking);
  }
}

Result<WorkingCalendar> WorkingCalendar::Load(const std::string& holidays_dir) {
  const fs::path dir(holidays_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Fail(
        ErrorCode::kIo,
        fmt::format("{}: holiday directory does not exist or is not a directory", dir.string()));
  }
  simdjson::dom::parser parser;

  // National notices.
  Result<std::vector<fs::path>> national_files = JsonFilesIn(dir);
  if (!national_files) return Fail(national_files.error());
  std::map<int32_t, std::pair<bool, fs::path>> national_days;
  WorkingCalendar calendar;
  bool any_file = false;
  for (const fs::path& path : *national_files) {
    const std::optional<int> year = YearFromStem(path.stem().string());
    if (!year) return BadFile(path, "a holiday file must be named <year>.json, e.g. 2025.json");
    if (*year < kFirstTableYear || *year > kLastTableYear) {
      return BadFile(path, fmt::format("year {} is outside the supported years {}..{}", *year,
                                       kFirstTableYear, kLastTableYear));
    }
    any_file = true;
    Result<std::vector<DayEntry>> entries = ReadDaysFile(parser, path, *year);
    if (!entries) return Fail(entries.error());
    for (const DayEntry& entry : *entries) {
      if (Status merged = MergeEntry(national_days, entry, path); !merged) {
        return Fail(merged.error());
      }
    }
    calendar.national_.year_known[*year - kFirstTableYear] = !entries->empty();
  }
  if (!any_file) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: no <year>.json holiday files found", dir.string()));
  }
  const auto& known = calendar.national_.year_known;
  const auto first = std::find(known.begin(), known.end(), true);
  if (first == known.end()) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: every <year>.json lists no days; at least one State Council "
                            "notice is needed",
                            dir.string()));
  }
  calendar.first_known_year_ = kFirstTableYear + static_cast<int>(first - known.begin());
  calendar.last_known_year_ =
      kLastTableYear -
      static_cast<int>(std::find(known.rbegin(), known.rend(), true) - known.rbegin());

  auto year_known = [&known](int year) {
    return year >= kFirstTableYear && year <= kLastTableYear && known[year - kFirstTableYear];
  };
  DayTable& national = calendar.national_;
  national.flags.assign(kTableDays, 0);
  for (int32_t i = 0; i < kTableDays; ++i) {
    const int32_t day = kFirstTableDay + i;
    const CivilDate civil = CivilFromDays(day);
    bool working = Weekday(day) < 5;
    if (const auto it = national_days.find(day); it != national_days.end()) {
      working = !it->second.first;
    }
    const bool next_notice_may_change = civil.month == 12 &&
                                        civil.day >= kFirstDecemberDayOfNextNotice &&
                                        !year_known(civil.year + 1);
    const bool day_known = year_known(civil.year) && !next_notice_may_change;
    national.flags[i] = (working ? kWorking : 0) | (day_known ? kKnown : 0);
  }
  ComputePrefixSums(national);

  // Regional notices: optional.
  const fs::path regions_dir = dir / "regions";
  if (fs::is_directory(regions_dir, ec)) {
    Result<std::vector<fs::path>> region_files = JsonFilesIn(regions_dir);
    if (!region_files) return Fail(region_files.error());
    for (const fs::path& path : *region_files) {
      const std::string name = path.stem().string();
      if (!IsRegionName(name)) {
        return BadFile(path,
                       "a region file must be named <region>.json with a lower-case ASCII "
                       "name (letters, digits, '_'), e.g. guangxi.json");
      }
      Result<std::vector<DayEntry>> entries = ReadDaysFile(parser, path, std::nullopt);
      if (!entries) return Fail(entries.error());
      std::map<int32_t, std::pair<bool, fs::path>> region_days;
      for (const DayEntry& entry : *entries) {
        if (Status merged = MergeEntry(region_days, entry, path); !merged) {
          return Fail(merged.error());
        }
      }
      DayTable region = national;  // national days first; the region's overrides on top
      std::array<bool, kTableYears> region_year_listed{};
      for (const auto& [day, entry] : region_days) {
        region_year_listed[CivilFromDays(day).year - kFirstTableYear] = true;
        uint8_t& flags = region.flags[day - kFirstTableDay];
        flags = static_cast<uint8_t>((flags & ~kWorking) | (entry.first ? 0 : kWorking));
      }
      for (int y = 0; y < kTableYears; ++y) {
        region.year_known[y] = national.year_known[y] && region_year_listed[y];
      }
      for (int32_t i = 0; i < kTableDays; ++i) {
        if (!region_year_listed[CivilFromDays(kFirstTableDay + i).year - kFirstTableYear]) {
          region.flags[i] &= static_cast<uint8_t>(~kKnown);
        }
      }
      ComputePrefixSums(region);
      calendar.region_names_.push_back(name);
      calendar.regions_.push_back(std::move(region));
    }
  }
  return calendar;
}

bool WorkingCalendar::YearKnown(int year) const {
  return year >= kFirstTableYear && year <= kLastTableYear &&
         national_.year_known[year - kFirstTableYear];
}

bool WorkingCalendar::YearKnown(int year, std::string_view region) const {
  return year >= kFirstTableYear && year <= kLastTableYear &&
         TableFor(RegionIndex(region)).year_known[year - kFirstTableYear];
}

int WorkingCalendar::RegionIndex(std::string_view region) const {
  if (region.empty()) return -1;
  // A handful of regions at most: a linear scan beats hashing and allocates nothing.
  for (size_t i = 0; i < region_names_.size(); ++i) {
    if (region_names_[i] == region) return static_cast<int>(i);
  }
  return -1;
}

Deadline WorkingCalendar::AddWorkingDays(int32_t day, int working_days, int region_index) const {
  const DayTable& table = TableFor(region_index);
  uint8_t all_flags = kKnown;  // ANDed over the counted days: kKnown survives only if all known
  int32_t current = day;
  for (int remaining = working_days; remaining > 0;) {
    ++current;
    const uint8_t flags = FlagsOf(current, table);
    all_flags &= flags;
    remaining -= flags & kWorking;
  }
  return {current, (all_flags & kKnown) == 0};
}

int WorkingCalendar::WorkingDaysBetween(int32_t from, int32_t to, int region_index) const {
  if (to <= from) return 0;
  const DayTable& table = TableFor(region_index);
  return static_cast<int>(WorkingBefore(int64_t{to} + 1, table) -
                          WorkingBefore(int64_t{from} + 1, table));
}

}  // namespace gongshi
