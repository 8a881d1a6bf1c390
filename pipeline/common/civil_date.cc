#include "pipeline/common/civil_date.h"

#include <chrono>

namespace gongshi {
namespace {

bool TwoDigits(std::string_view s, size_t at, int& out) {
  if (at + 2 > s.size()) return false;
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  out = (a - '0') * 10 + (b - '0');
  return true;
}

}  // namespace

std::optional<int32_t> ParseDate(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
  int y = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    y = y * 10 + (text[i] - '0');
  }
  const char sep = text[4];
  if ((sep != '-' && sep != '/') || text[7] != sep) return std::nullopt;
  int m = 0, d = 0;
  if (!TwoDigits(text, 5, m) || !TwoDigits(text, 8, d)) return std::nullopt;
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  if (text.size() > 10) {
    // A time part is tolerated (DDLs in the field use datetime columns) but must look like one.
    const char t = text[10];
    if ((t != ' ' && t != 'T') || text.size() < 13) return std::nullopt;
    for (size_t i = 11; i < text.size(); ++i) {
      const char c = text[i];
      if (!((c >= '0' && c <= '9') || c == ':' || c == '.')) return std::nullopt;
    }
  }
  return DaysFromCivil(y, m, d);
}

void FormatDateTo(int32_t day, char* out) {
  const CivilDate c = CivilFromDays(day);
  int y = c.year;
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>('0' + y % 10);
    y /= 10;
  }
  out[4] = '-';
  out[5] = static_cast<char>('0' + c.month / 10);
  out[6] = static_cast<char>('0' + c.month % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + c.day / 10);
  out[9] = static_cast<char>('0' + c.day % 10);
}

std::string FormatDate(int32_t day) {
  std::string out(10, '0');
  FormatDateTo(day, out.data());
  return out;
}

int64_t UnixMillisNow() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int32_t ShanghaiDay(int64_t unix_ms) {
  const int64_t shifted = unix_ms + 8 * 3600 * 1000LL;
  constexpr int64_t kDayMs = 86400 * 1000LL;
  return static_cast<int32_t>(shifted / kDayMs - (shifted % kDayMs < 0 ? 1 : 0));
}

int32_t TodayInShanghai() {
  using namespace std::chrono;
  const auto now = system_clock::now() + hours(8);
  return static_cast<int32_t>(duration_cast<days>(now.time_since_epoch()).count());
}

}  // namespace gongshi
