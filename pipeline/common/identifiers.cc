// Identifier checks of the national standards (GB 32100, GB 11714, GB 11643) and the normalisation
// applied before them. Used by the validator on structured fields and by the PII scanner on the
// candidates it finds in free text, so everything here works on caller-owned bytes.
#include "pipeline/common/identifiers.h"

#include <array>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// Character -> value in the GB 32100 alphabet, or -1.
constexpr std::array<int8_t, 256> MakeUsccValues() {
  std::array<int8_t, 256> values{};
  for (int8_t& v : values) v = -1;
  for (size_t i = 0; i < kUsccAlphabet.size(); ++i) {
    values[static_cast<unsigned char>(kUsccAlphabet[i])] = static_cast<int8_t>(i);
  }
  return values;
}
constexpr std::array<int8_t, 256> kUsccValues = MakeUsccValues();

// W_i = 3^(i-1) mod 31 (GB 32100 table, domain.md §4.1).
constexpr int kUsccWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
// W_i = 2^(9-i) mod 11 (GB 11714).
constexpr int kOrgWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
// W_i = 2^(18-i) mod 11 (GB 11643).
constexpr int kIdWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr std::string_view kIdCheckChars = "10X98765432";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Shared by both normalisers; `brackets` adds the 文号 bracket unification.
std::optional<size_t> Normalize(std::string_view in, char* out, size_t capacity, bool brackets) {
  size_t n = 0;
  auto put = [&](char c) {
    if (n == capacity) return false;
    out[n++] = c;
    return true;
  };
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t size = in.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char c = s[i];
    if (IsAsciiSpace(c)) {
      ++i;
      continue;
    }
    if (c == 0xE3 && i + 2 < size && s[i + 1] == 0x80) {
      const unsigned char c2 = s[i + 2];
      if (c2 == 0x80) {  // U+3000 ideographic space
        i += 3;
        continue;
      }
      // 〔 U+3014, 〕 U+3015, 【 U+3010, 】 U+3011, 〖 U+3016, 〗 U+3017.
      if (brackets && c2 >= 0x90 && c2 <= 0x97 && c2 != 0x92 && c2 != 0x93) {
        if (!put(c2 == 0x94 || c2 == 0x90 || c2 == 0x96 ? '[' : ']')) return std::nullopt;
        i += 3;
        continue;
      }
    }
    // ﹝ U+FE5D and ﹞ U+FE5E, the small brackets many 文号 are typed with.
    if (brackets && c == 0xEF && i + 2 < size && s[i + 1] == 0xB9 &&
        (s[i + 2] == 0x9D || s[i + 2] == 0x9E)) {
      if (!put(s[i + 2] == 0x9D ? '[' : ']')) return std::nullopt;
      i += 3;
      continue;
    }
    char ascii = 0;
    size_t width = 1;
    if (c == 0xEF && i + 2 < size) {
      // U+FF01..U+FF3F is EF BC 81..BF, U+FF40..U+FF5E is EF BD 80..9E; each is its ASCII
      // counterpart + 0xFEE0.
      const unsigned char c1 = s[i + 1], c2 = s[i + 2];
      if (c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF) {
        ascii = static_cast<char>(c2 - 0x60);
        width = 3;
      } else if (c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E) {
        ascii = static_cast<char>(c2 - 0x20);
        width = 3;
      }
    }
    if (width == 1) {
      if (!put(static_cast<char>(c))) return std::nullopt;
      // Only an ASCII byte is case-mapped; UTF-8 lead and continuation bytes pass unchanged.
      if (c >= 'a' && c <= 'z') out[n - 1] = static_cast<char>(c - 'a' + 'A');
      if (brackets && (c == '(' || c == ')')) out[n - 1] = c == '(' ? '[' : ']';
      ++i;
      continue;
    }
    if (ascii >= 'a' && ascii <= 'z') ascii = static_cast<char>(ascii - 'a' + 'A');
    if (brackets && (ascii == '(' || ascii == ')')) ascii = ascii == '(' ? '[' : ']';
    if (!put(ascii)) return std::nullopt;
    i += width;
  }
  return n;
}

}  // namespace

std::optional<size_t> NormalizeIdentifier(std::string_view in, char* out, size_t capacity) {
  return Normalize(in, out, capacity, /*brackets=*/false);
}

std::optional<size_t> NormalizeDocumentNumber(std::string_view in, char* out, size_t capacity) {
  return Normalize(in, out, capacity, /*brackets=*/true);
}

char UsccCheckChar(std::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const int v = kUsccValues[static_cast<unsigned char>(first17[i])];
    if (v < 0) return '\0';
    sum += v * kUsccWeights[i];
  }
  return kUsccAlphabet[(31 - sum % 31) % 31];
}

bool UsccWellFormed(std::string_view uscc) {
  if (uscc.size() != 18) return false;
  for (char c : uscc) {
    if (kUsccValues[static_cast<unsigned char>(c)] < 0) return false;
  }
  return true;
}

bool UsccValid(std::string_view uscc) {
  return UsccWellFormed(uscc) && UsccCheckChar(uscc.substr(0, 17)) == uscc[17];
}

char OrgCodeCheckChar(std::string_view body8) {
  if (body8.size() != 8) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 8; ++i) {
    const char c = body8[i];
    int v;
    if (IsDigit(c)) {
      v = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      v = c - 'A' + 10;
    } else {
      return '\0';
    }
    sum += v * kOrgWeights[i];
  }
  const int check = 11 - sum % 11;
  if (check == 10) return 'X';
  if (check == 11) return '0';
  return static_cast<char>('0' + check);
}

bool OrgCodeValid(std::string_view code) {
  char check;
  if (code.size() == 9) {
    check = code[8];
  } else if (code.size() == 10 && code[8] == '-') {
    check = code[9];
  } else {
    return false;
  }
  const char expected = OrgCodeCheckChar(code.substr(0, 8));
  return expected != '\0' && expected == check;
}

char IdCheckChar(std::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(first17[i])) return '\0';
    sum += (first17[i] - '0') * kIdWeights[i];
  }
  return kIdCheckChars[sum % 11];
}

bool IdChecksumValid(std::string_view id18) {
  if (id18.size() != 18) return false;
  const char expected = IdCheckChar(id18.substr(0, 17));
  return expected != '\0' && expected == id18[17];
}

std::optional<int32_t> IdBirthDay(std::string_view id) {
  std::string_view date;
  int century = 0;
  if (id.size() == 18) {
    date = id.substr(6, 8);
  } else if (id.size() == 15) {
    // 15-digit numbers (issued before GB 11643-1999) carry a two-digit year of the 1900s.
    date = id.substr(6, 6);
    century = 1900;
  } else {
    return std::nullopt;
  }
  if (!AllDigits(date)) return std::nullopt;
  auto number = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (date[i] - '0');
    return v;
  };
  const size_t year_len = century == 0 ? 4 : 2;
  const int year = century + number(0, year_len);
  const int month = number(year_len, 2);
  const int day = number(year_len + 2, 2);
  // Year 0 has no Gregorian meaning; the caller judges plausibility (future, too old).
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  return DaysFromCivil(year, month, day);
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;  // every second digit from the right is doubled
  for (size_t i = digits.size(); i-- > 0;) {
    const char c = digits[i];
    if (!IsDigit(c)) return false;
    int d = c - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

}  // namespace gongshi
