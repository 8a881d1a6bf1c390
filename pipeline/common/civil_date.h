// Civil dates as day numbers (days since 1970-01-01, proleptic Gregorian). Every stage that reads
// or compares dates uses these; a day number is what Record::values holds for a date field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gongshi {

struct CivilDate {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms, written out here
// because <chrono>'s year_month_day in libstdc++ 12 lacks the formatting we need).
constexpr int32_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

constexpr CivilDate CivilFromDays(int32_t z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {y + (m <= 2), m, d};
}

constexpr bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr int DaysInMonth(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}
// 0 = Monday ... 6 = Sunday. 1970-01-01 was a Thursday.
constexpr int Weekday(int32_t day) { return static_cast<int>(((day % 7) + 7 + 3) % 7); }

// Parses "YYYY-MM-DD" or "YYYY/MM/DD", optionally followed by a time (" 12:00:00", "T12:00:00"),
// which is ignored. Returns nullopt for anything else, including impossible dates (2023-02-29).
std::optional<int32_t> ParseDate(std::string_view text);
// "YYYY-MM-DD".
std::string FormatDate(int32_t day);
// Writes "YYYY-MM-DD" into out[0..9].
void FormatDateTo(int32_t day, char* out);
// Today in Asia/Shanghai (UTC+8, no daylight saving), the zone the deadlines are counted in.
int32_t TodayInShanghai();
// The system clock as Unix milliseconds.
int64_t UnixMillisNow();
// The Asia/Shanghai day of a Unix time in milliseconds, and the Unix time at which a Shanghai day
// begins (00:00 there, 16:00 UTC the day before).
int32_t ShanghaiDay(int64_t unix_ms);
constexpr int64_t ShanghaiDayStartMs(int32_t day) {
  return (static_cast<int64_t>(day) * 86400 - 8 * 3600) * 1000;
}

}  // namespace gongshi
