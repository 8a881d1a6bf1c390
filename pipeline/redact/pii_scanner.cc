// PiiScanner: a skip loop finds the few bytes that can start a finding (a digit, an @-form); only
// there is a chain of digit groups read and every reading of it checked (checksum, Luhn, date),
// so Chinese text costs little more than a pass over its bytes.
#include "pipeline/redact/pii_scanner.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"
#include "pipeline/common/utf8.h"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gongshi {
namespace {

using Byte = unsigned char;

// A birth date outside these years is taken for another number that happens to pass the checksum.
// 1850 keeps GB 11643's own example (born 1880); no holder can be born after 2099 yet.
constexpr int kMinBirthYear = 1850;
constexpr int kMaxBirthYear = 2099;
// At most this many separator characters between two digit groups ("138 - 1234", "6222　0212").
// Bounded so that two numbers a sentence apart never join; three covers a separator with a space
// on each side.
constexpr int kMaxSeparatorRun = 3;
// RFC 5321 caps the local part at 64 octets; it also bounds the look-ahead for an @ from each
// digit group, which keeps long chains linear.
constexpr size_t kMaxLocalPart = 64;
// RFC 1035's limit on a domain name; bounds the domain parse.
constexpr size_t kMaxDomain = 255;
// Digits of one chain read at a time. A longer chain (no real text has one) is read in pieces
// that overlap by more than the longest finding (23 digits: 0086 and a 19-digit card), so a
// finding is never cut.
constexpr size_t kPieceDigits = 1024;
constexpr size_t kPieceOverlap = 32;
// Candidate readings kept per piece; real chains have a handful.
constexpr size_t kMaxCandidates = 512;

[[gnu::always_inline]] constexpr bool IsAsciiDigit(Byte c) {
  return static_cast<unsigned>(c - '0') < 10u;
}
[[gnu::always_inline]] constexpr bool IsAsciiAlpha(Byte c) {
  return static_cast<unsigned>((c | 0x20) - 'a') < 26u;
}
[[gnu::always_inline]] constexpr bool IsAsciiAlnum(Byte c) {
  return IsAsciiDigit(c) || IsAsciiAlpha(c);
}
[[gnu::always_inline]] constexpr bool IsAsciiLocalChar(Byte c) {
  return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

// --- Character classes. Each returns the character's width in bytes at s[p], or 0. Full-width
// forms are U+FF00..U+FF5E: EF BC xx or EF BD xx in UTF-8.

[[gnu::always_inline]] inline size_t DigitAt(const Byte* s, size_t n, size_t p, char* digit) {
  const Byte c = s[p];
  if (IsAsciiDigit(c)) {
    *digit = static_cast<char>(c);
    return 1;
  }
  if (c == 0xEF && p + 2 < n && s[p + 1] == 0xBC && static_cast<unsigned>(s[p + 2] - 0x90) < 10u) {
    *digit = static_cast<char>('0' + (s[p + 2] - 0x90));  // U+FF10..U+FF19
    return 3;
  }
  return 0;
}

[[gnu::always_inline]] inline size_t XAt(const Byte* s, size_t n, size_t p) {
  if (s[p] == 'X' || s[p] == 'x') return 1;
  if (s[p] == 0xEF && p + 2 < n &&
      ((s[p + 1] == 0xBC && s[p + 2] == 0xB8) || (s[p + 1] == 0xBD && s[p + 2] == 0x98))) {
    return 3;  // Ｘ U+FF38, ｘ U+FF58
  }
  return 0;
}

// The separator class: what clerks put between digit groups. Spaces (ASCII, tab, NBSP, U+2000..
// U+200A, U+202F, U+205F, ideographic U+3000) and the invisible ones (U+200B..U+200D, U+2060,
// U+FEFF), hyphens and dashes of every width (- U+2010..U+2015 U+2212 U+FE63 U+FF0D), dots
// (. U+00B7 U+2027 U+30FB U+FF0E), slashes and backslashes (/ \ U+FF0F U+FF3C), underscores
// (_ U+FF3F). A class, not a list of the patterns seen so far: any of them, in any mix, up to
// kMaxSeparatorRun in a row.
constexpr std::array<bool, 128> MakeAsciiSeparators() {
  std::array<bool, 128> table{};
  for (char c : {' ', '\t', '-', '.', '/', '\\', '_'}) table[static_cast<Byte>(c)] = true;
  return table;
}
constexpr std::array<bool, 128> kAsciiSeparator = MakeAsciiSeparators();

[[gnu::always_inline]] inline size_t SeparatorAt(const Byte* s, size_t n, size_t p) {
  const Byte c = s[p];
  if (c < 0x80) return kAsciiSeparator[c] ? 1 : 0;
  if (c == 0xC2) return p + 1 < n && (s[p + 1] == 0xA0 || s[p + 1] == 0xB7) ? 2 : 0;
  if (p + 2 >= n) return 0;
  const Byte b1 = s[p + 1];
  const Byte b2 = s[p + 2];
  switch (c) {
    case 0xE2:
      if (b1 == 0x80) {
        return b2 <= 0x8D || (b2 >= 0x90 && b2 <= 0x95) || b2 == 0xA7 || b2 == 0xAF ? 3 : 0;
      }
      if (b1 == 0x81) return b2 == 0x9F || b2 == 0xA0 ? 3 : 0;  // U+205F, U+2060
      if (b1 == 0x88) return b2 == 0x92 ? 3 : 0;                // U+2212
      return 0;
    case 0xE3: return (b1 == 0x80 && b2 == 0x80) || (b1 == 0x83 && b2 == 0xBB) ? 3 : 0;
    case 0xEF:
      if (b1 == 0xBC) {
        return b2 == 0x8D || b2 == 0x8E || b2 == 0x8F || b2 == 0xBC || b2 == 0xBF ? 3 : 0;
      }
      if (b1 == 0xB9) return b2 == 0xA3 ? 3 : 0;  // U+FE63
      if (b1 == 0xBB) return b2 == 0xBF ? 3 : 0;  // U+FEFF
      return 0;
    default: return 0;
  }
}

// A space around an @-form ("zhangsan @ 163.com"): ASCII or ideographic.
[[gnu::always_inline]] inline size_t SpaceAt(const Byte* s, size_t n, size_t p) {
  if (s[p] == ' ') return 1;
  return p + 2 < n && s[p] == 0xE3 && s[p + 1] == 0x80 && s[p + 2] == 0x80 ? 3 : 0;
}
size_t SpaceBefore(const Byte* s, size_t p) {
  if (p >= 1 && s[p - 1] == ' ') return 1;
  return p >= 3 && s[p - 3] == 0xE3 && s[p - 2] == 0x80 && s[p - 1] == 0x80 ? 3 : 0;
}

// A full-width letter or digit (U+FF10..19, U+FF21..3A, U+FF41..5A) at s[p], as ASCII in `*c`.
[[gnu::always_inline]] inline size_t FullWidthAlnumAt(const Byte* s, size_t n, size_t p, char* c) {
  if (s[p] != 0xEF || p + 2 >= n) return 0;
  const Byte b1 = s[p + 1], b2 = s[p + 2];
  if (b1 == 0xBC && b2 >= 0x90 && b2 <= 0x99) {
    *c = static_cast<char>('0' + (b2 - 0x90));
    return 3;
  }
  if (b1 == 0xBC && b2 >= 0xA1 && b2 <= 0xBA) {
    *c = static_cast<char>('A' + (b2 - 0xA1));
    return 3;
  }
  if (b1 == 0xBD && b2 >= 0x81 && b2 <= 0x9A) {
    *c = static_cast<char>('a' + (b2 - 0x81));
    return 3;
  }
  return 0;
}

// A character of an e-mail's local part: ASCII [A-Za-z0-9._%+-], or a full-width letter, digit,
// ．, ＿ or －, as typed with a Chinese input method in full-width mode.
[[gnu::always_inline]] inline size_t LocalCharAt(const Byte* s, size_t n, size_t p) {
  if (s[p] < 0x80) return IsAsciiLocalChar(s[p]) ? 1 : 0;
  char c;
  if (FullWidthAlnumAt(s, n, p, &c)) return 3;
  if (s[p] == 0xEF && p + 2 < n && s[p + 1] == 0xBC &&
      (s[p + 2] == 0x8E || s[p + 2] == 0xBF || s[p + 2] == 0x8D)) {
    return 3;
  }
  return 0;
}
// Width of a local-part character ending at `end` (reading backwards), or 0.
size_t LocalCharBefore(const Byte* s, size_t n, size_t end) {
  if (end >= 1 && s[end - 1] < 0x80) return IsAsciiLocalChar(s[end - 1]) ? 1 : 0;
  if (end >= 3 && LocalCharAt(s, n, end - 3) == 3) return 3;
  return 0;
}

// The @ of an address as written: @, ＠, # or ＃ (used for @ where a domain follows), or the
// spelled-out (at) [at] （at） 【at】, "at" in either case with optional spaces inside.
struct AtForm {
  size_t width = 0;
  bool hash = false;
};
AtForm AtFormAt(const Byte* s, size_t n, size_t p) {
  const Byte c = s[p];
  if (c == '@') return {1, false};
  if (c == '#') return {1, true};
  if (c == 0xEF && p + 2 < n && s[p + 1] == 0xBC) {
    if (s[p + 2] == 0xA0) return {3, false};  // ＠
    if (s[p + 2] == 0x83) return {3, true};   // ＃
  }
  // Brackets: the opening one, its closing bytes.
  size_t open = 0;
  std::string_view close;
  if (c == '(') {
    open = 1, close = ")";
  } else if (c == '[') {
    open = 1, close = "]";
  } else if (c == 0xEF && p + 2 < n && s[p + 1] == 0xBC && s[p + 2] == 0x88) {
    open = 3, close = "\xEF\xBC\x89";  // （ ）
  } else if (c == 0xE3 && p + 2 < n && s[p + 1] == 0x80 && s[p + 2] == 0x90) {
    open = 3, close = "\xE3\x80\x91";  // 【 】
  } else {
    return {};
  }
  size_t q = p + open;
  while (q < n && s[q] == ' ') ++q;
  if (q + 2 > n || (s[q] | 0x20) != 'a' || (s[q + 1] | 0x20) != 't') return {};
  q += 2;
  while (q < n && s[q] == ' ') ++q;
  if (q + close.size() > n || std::memcmp(s + q, close.data(), close.size()) != 0) return {};
  return {q + close.size() - p, false};
}

// A domain's dot: '.', '．', '。' (a slip of the Chinese input method), or (dot) [dot].
size_t DotAt(const Byte* s, size_t n, size_t p) {
  if (s[p] == '.') return 1;
  if (p + 2 < n && ((s[p] == 0xEF && s[p + 1] == 0xBC && s[p + 2] == 0x8E) ||
                    (s[p] == 0xE3 && s[p + 1] == 0x80 && s[p + 2] == 0x82))) {
    return 3;
  }
  if ((s[p] == '(' || s[p] == '[') && p + 4 < n && (s[p + 1] | 0x20) == 'd' &&
      (s[p + 2] | 0x20) == 'o' && (s[p + 3] | 0x20) == 't' &&
      s[p + 4] == (s[p] == '(' ? ')' : ']')) {
    return 5;
  }
  return 0;
}

// A domain starting at `p`: labels of letters, digits (ASCII or full-width) and '-', joined by
// dots, at least two, the last alphabetic with 2+ letters. Returns the end of the longest such
// domain, or 0. A label that runs on from letters into digits ends the domain at its letters
// ("163.com13812345678": the domain is 163.com, the digits a number glued to it).
size_t EmailDomainEnd(const Byte* s, size_t n, size_t p) {
  const size_t limit = std::min(n, p + kMaxDomain);
  size_t good = 0;
  int labels = 0;
  while (p < limit) {
    const size_t label_begin = p;
    size_t letters = 0;      // the label's leading letters
    size_t letters_end = p;  // where they end
    bool only_letters = true;
    bool digit_after_letters = false;
    while (p < limit) {
      char c;
      size_t w = 0;
      if (s[p] < 0x80 && (IsAsciiAlnum(s[p]) || s[p] == '-')) {
        c = static_cast<char>(s[p]);
        w = 1;
      } else if ((w = FullWidthAlnumAt(s, n, p, &c)) == 0) {
        break;
      }
      if (only_letters && IsAsciiAlpha(static_cast<Byte>(c))) {
        ++letters;
        letters_end = p + w;
      } else if (only_letters) {
        only_letters = false;
        digit_after_letters = IsAsciiDigit(static_cast<Byte>(c));
      }
      p += w;
    }
    while (p > label_begin && s[p - 1] == '-') --p;
    if (p == label_begin || s[label_begin] == '-') break;
    ++labels;
    if (labels >= 2 && letters >= 2) {
      if (only_letters) {
        good = p;
      } else if (digit_after_letters) {
        good = std::max(good, letters_end);  // "com1381…": the TLD ends where digits start
      }
    }
    if (p < n) {
      if (const size_t dot = DotAt(s, n, p); dot != 0 && p + dot < n) {
        char c;
        if (IsAsciiAlnum(s[p + dot]) || FullWidthAlnumAt(s, n, p + dot, &c)) {
          p += dot;
          continue;
        }
      }
    }
    break;
  }
  return good;
}

// --- Finding where to look ---

size_t NextTriggerScalar(const Byte* s, size_t pos, size_t n) {
  while (pos < n) {
    const Byte c = s[pos];
    if (IsAsciiDigit(c) || c == '@' || c == '#' || c == '(' || c == '[' || c == 0xEF || c == 0xE3) {
      return pos;
    }
    ++pos;
  }
  return pos;
}

// First position >= pos that may start a finding. With AVX2 or SSE2 this is exact: an ASCII
// digit, @ # ( [, a full-width digit or ＠ ＃ （ (EF BC 90..99, A0, 83, 88), or 【 (E3 80 90).
// Full-width punctuation (，：) shares the 0xEF lead byte and is common in Chinese text, so the
// full-width test looks at all three bytes rather than the lead. The scalar tail may stop on
// other EF/E3 bytes; the caller rejects those.
size_t NextTrigger(const Byte* s, size_t pos, size_t n) {
#if defined(__AVX2__)
  {
    const __m256i ascii_zero = _mm256_set1_epi8('0');
    const __m256i fullwidth_zero = _mm256_set1_epi8(static_cast<char>(0x90));
    const __m256i nine = _mm256_set1_epi8(9);
    auto eq = [](__m256i v, int c) {
      return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(c)));
    };
    auto in_0_to_9 = [&](__m256i v) { return _mm256_cmpeq_epi8(_mm256_min_epu8(v, nine), v); };
    while (pos + 34 <= n) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos + 1));
      const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos + 2));
      const __m256i ascii = in_0_to_9(_mm256_sub_epi8(v0, ascii_zero));
      const __m256i singles = _mm256_or_si256(_mm256_or_si256(eq(v0, '@'), eq(v0, '#')),
                                              _mm256_or_si256(eq(v0, '('), eq(v0, '[')));
      const __m256i fw_third = _mm256_or_si256(
          _mm256_or_si256(in_0_to_9(_mm256_sub_epi8(v2, fullwidth_zero)), eq(v2, 0xA0)),
          _mm256_or_si256(eq(v2, 0x83), eq(v2, 0x88)));
      const __m256i fullwidth =
          _mm256_and_si256(_mm256_and_si256(eq(v0, 0xEF), eq(v1, 0xBC)), fw_third);
      const __m256i bracket =
          _mm256_and_si256(_mm256_and_si256(eq(v0, 0xE3), eq(v1, 0x80)), eq(v2, 0x90));
      const __m256i hits =
          _mm256_or_si256(_mm256_or_si256(ascii, singles), _mm256_or_si256(fullwidth, bracket));
      const auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
      if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
      pos += 32;
    }
  }
#endif
#if defined(__SSE2__)
  {
    const __m128i ascii_zero = _mm_set1_epi8('0');
    const __m128i fullwidth_zero = _mm_set1_epi8(static_cast<char>(0x90));
    const __m128i nine = _mm_set1_epi8(9);
    auto eq = [](__m128i v, int c) {
      return _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(c)));
    };
    auto in_0_to_9 = [&](__m128i v) { return _mm_cmpeq_epi8(_mm_min_epu8(v, nine), v); };
    while (pos + 18 <= n) {
      const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos));
      const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos + 1));
      const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos + 2));
      const __m128i ascii = in_0_to_9(_mm_sub_epi8(v0, ascii_zero));
      const __m128i singles = _mm_or_si128(_mm_or_si128(eq(v0, '@'), eq(v0, '#')),
                                           _mm_or_si128(eq(v0, '('), eq(v0, '[')));
      const __m128i fw_third =
          _mm_or_si128(_mm_or_si128(in_0_to_9(_mm_sub_epi8(v2, fullwidth_zero)), eq(v2, 0xA0)),
                       _mm_or_si128(eq(v2, 0x83), eq(v2, 0x88)));
      const __m128i fullwidth = _mm_and_si128(_mm_and_si128(eq(v0, 0xEF), eq(v1, 0xBC)), fw_third);
      const __m128i bracket =
          _mm_and_si128(_mm_and_si128(eq(v0, 0xE3), eq(v1, 0x80)), eq(v2, 0x90));
      const __m128i hits =
          _mm_or_si128(_mm_or_si128(ascii, singles), _mm_or_si128(fullwidth, bracket));
      const int mask = _mm_movemask_epi8(hits);
      if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      pos += 16;
    }
  }
#endif
  return NextTriggerScalar(s, pos, n);
}

// Bytes after an ASCII digit run that end its chain and rule out an e-mail: anything but a
// separator's first byte, a full-width form, X, an @-form's first byte or a local-part character.
constexpr std::array<bool, 256> MakeEndsLoneRun() {
  std::array<bool, 256> ends{};
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<Byte>(b);
    const bool continues = IsAsciiLocalChar(c) || (c < 0x80 && kAsciiSeparator[c]) || c == '@' ||
                           c == '#' || c == '(' || c == '[' || c == 0xC2 || c == 0xE2 ||
                           c == 0xE3 || c == 0xEF;
    ends[b] = !continues;
  }
  return ends;
}
constexpr std::array<bool, 256> kEndsLoneRun = MakeEndsLoneRun();

// The shortest finding is an 11-digit mobile.
constexpr size_t kMinFindingDigits = 11;

// --- Checks ---

bool IsId18(std::string_view id) {
  if (!IdChecksumValid(id)) return false;
  const std::optional<int32_t> birth = IdBirthDay(id);
  if (!birth) return false;
  const int year = CivilFromDays(*birth).year;
  return year >= kMinBirthYear && year <= kMaxBirthYear;
}

// Pre-1999 numbers have no check digit: the area code's province (GB/T 2260: 11-15, 21-23,
// 31-37, 41-46, 50-54, 61-65) and a real 19YYMMDD date are all there is to tell them from other
// 15-digit numbers.
bool IsId15(std::string_view id) {
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  const int province = (id[0] - '0') * 10 + (id[1] - '0');
  const bool known = (province >= 11 && province <= 15) || (province >= 21 && province <= 23) ||
                     (province >= 31 && province <= 37) || (province >= 41 && province <= 46) ||
                     (province >= 50 && province <= 54) || (province >= 61 && province <= 65);
  return known && IdBirthDay(id).has_value();
}

bool IsMobile(std::string_view digits) {
  if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3' || digits[1] > '9') return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Card numbers pass Luhn and start as issuers' numbers do (ISO/IEC 7812 major industry
// identifiers): 16 digits from 3, 4, 5 or 6 (JCB, Visa, Mastercard, UnionPay) or 2221-2720
// (Mastercard's 2-series), 17-19 digits from 6 (UnionPay's 62…, the banks' own 60…) or 9 (old
// domestic cards, 95…). Random digits pass Luhn one time in ten; the first digit keeps licence
// numbers that begin with area codes 1x, 2x, 7x and 8x out.
bool IsCard(std::string_view digits) {
  const char first = digits[0];
  bool issuer =
      digits.size() == 16 ? (first >= '3' && first <= '6') : (first == '6' || first == '9');
  if (digits.size() == 16 && first == '2') {  // Mastercard's 2-series, 2221-2720
    const int prefix = (digits[1] - '0') * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
    issuer = prefix >= 221 && prefix <= 720;
  }
  return issuer && LuhnValid(digits);
}

// --- Digit chains ---

// One digit (or X) of a chain, with where it is in the text.
struct ChainDigit {
  uint32_t begin;
  uint8_t width;
  char c;            // '0'..'9', or 'X'
  bool group_start;  // the first of a group (after a separator, or the chain's first)
};

enum Priority : uint8_t { kPriorityMobile, kPriorityId15, kPriorityCard, kPriorityId18 };

struct Candidate {
  uint16_t begin;  // digit index in the piece
  uint16_t end;
  PiiKind kind;
  uint8_t priority;
  uint8_t prefix;  // digits of an 86 / 0086 country code before a mobile number
};

// Whether the candidate keeps its k-th digit visible (the masks of domain.md: ID numbers first 2
// and last 3, mobiles first 3 and last 4 after any country code, cards the last 4).
bool Keeps(const Candidate& c, size_t k) {
  const size_t length = c.end - c.begin;
  size_t head = 0, tail = 0;
  switch (c.kind) {
    case PiiKind::kIdNumber: head = 2, tail = 3; break;
    case PiiKind::kMobile: head = c.prefix + 3u, tail = 4; break;
    case PiiKind::kBankCard: tail = 4; break;
    case PiiKind::kEmail:
    case PiiKind::kName: return false;  // the scanner makes no name candidates
  }
  if (length <= head + tail) return false;
  return k < head || k >= length - tail;
}

class TextScanner {
 public:
  TextScanner(const Byte* s, size_t n, const PiiScanner::Options& options,
              std::vector<PiiSpan>& out)
      : s_(s), n_(n), options_(options), out_(out) {}

  // `floor` is where the last finding or chain ended: an address's local part reaches back no
  // further. It moves only with what was read, never with where the skip loop stopped, so the
  // findings do not depend on the text's alignment.
  void Run() {
    size_t pos = 0;
    size_t floor = 0;
    while (true) {
      const size_t t = NextTrigger(s_, pos, n_);
      if (t >= n_) return;
      char digit;
      if (DigitAt(s_, n_, t, &digit) == 0) {
        pos = AtTrigger(t, floor);
        if (pos != t + Utf8Width(s_[t])) floor = pos;
        continue;
      }
      // Fast path for the usual digit run of Chinese text ("2023年", "50000元"): alone, because
      // what follows can neither continue a chain nor an address, and too short to be a finding.
      if (IsAsciiDigit(s_[t])) {
        size_t e = t + 1;
        while (e < n_ && IsAsciiDigit(s_[e])) ++e;
        if ((e == n_ || kEndsLoneRun[s_[e]]) && e - t < kMinFindingDigits) {
          pos = e;
          continue;
        }
      }
      // Digits can be an e-mail's local part ("13812345678@163.com"); the whole address is the
      // finding then, not the number in it.
      if (size_t at = 0, end = 0;
          options_.emails && AddressStartsAt(t, floor, at) && TryEmail(at, floor, end)) {
        pos = floor = end;
        continue;
      }
      pos = floor = ScanChain(t);
    }
  }

 private:
  // At a trigger that is no digit: an @-form, or a byte the skip loop could not rule out.
  size_t AtTrigger(size_t t, size_t floor) {
    if (options_.emails && AtFormAt(s_, n_, t).width != 0) {
      size_t end = 0;
      if (TryEmail(t, floor, end)) return end;
    }
    return t + Utf8Width(s_[t]);
  }

  // The @-form at `at` with a local part before it (reaching back no further than `floor`) and a
  // domain after it: an address. Appends it and sets `end`.
  bool TryEmail(size_t at, size_t floor, size_t& end) {
    size_t begin = 0;
    if (!EmailAt(at, floor, begin, end)) return false;
    out_.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), PiiKind::kEmail, 0});
    return true;
  }

  // Where the address around the @-form at `at` begins and ends, if there is one.
  bool EmailAt(size_t at, size_t floor, size_t& begin, size_t& end) const {
    const AtForm form = AtFormAt(s_, n_, at);
    if (form.width == 0) return false;
    size_t local_end = at;
    if (const size_t space = SpaceBefore(s_, at); space != 0 && at - space >= floor) {
      local_end -= space;
    }
    begin = local_end;
    size_t chars = 0;
    while (begin > floor && chars < kMaxLocalPart) {
      const size_t w = LocalCharBefore(s_, n_, begin);
      if (w == 0 || begin - w < floor) break;
      begin -= w;
      ++chars;
    }
    while (begin < local_end && s_[begin] == '.') ++begin;
    if (begin == local_end) return false;
    size_t d = at + form.width;
    if (d < n_) d += SpaceAt(s_, n_, d);
    if (d >= n_) return false;
    const size_t domain_end = EmailDomainEnd(s_, n_, d);
    if (domain_end == 0) return false;
    // '#' stands for '@' only between an address's two halves; "3#楼" has no domain, and a
    // local part of one character before '#' is a number sign ("5#163.com" stays ambiguous,
    // "a#163.com" is not).
    if (form.hash && chars < 2) return false;
    end = domain_end;
    return true;
  }

  // If local-part characters from `p` lead to an @-form with a valid domain, sets `at` to it.
  bool EmailFollows(size_t p, size_t& at) const {
    size_t chars = 0;
    while (p < n_ && chars < kMaxLocalPart) {
      const size_t w = LocalCharAt(s_, n_, p);
      if (w == 0) break;
      p += w;
      ++chars;
    }
    if (p < n_) p += SpaceAt(s_, n_, p);
    if (p >= n_) return false;
    const AtForm form = AtFormAt(s_, n_, p);
    if (form.width == 0) return false;
    size_t d = p + form.width;
    if (d < n_) d += SpaceAt(s_, n_, d);
    if (d >= n_ || EmailDomainEnd(s_, n_, d) == 0) return false;
    at = p;
    return true;
  }

  // Whether an address is reported from the digit at `p`, given that nothing before `floor` can
  // be part of it. Run() and the chain reader ask this at the same places with the same floor,
  // so a chain ends before a group exactly when that group is then scanned as an address.
  bool AddressStartsAt(size_t p, size_t floor, size_t& at) const {
    if (!EmailFollows(p, at)) return false;
    size_t begin = 0, end = 0;
    return EmailAt(at, floor, begin, end);
  }

  // Reads the chain of digit groups starting at `t`, checks every reading, appends the findings;
  // returns where the next search starts (the chain's end).
  size_t ScanChain(size_t t) {
    size_t count = 0;
    size_t p = t;
    bool group_start = true;
    // An address whose local part holds the chain's last groups: read up to its @, then see.
    size_t limit = n_;
    size_t email_begin = 0, email_end = 0;
    while (true) {
      // One group: digits, and X after a digit (an ID number's check character, which may be
      // glued to what follows).
      bool any = false;
      while (p < limit) {
        char digit;
        size_t w = DigitAt(s_, n_, p, &digit);
        if (w == 0 && any && (w = XAt(s_, n_, p)) != 0) digit = 'X';
        if (w == 0) break;
        if (count == kPieceDigits) {
          // A chain longer than any text has: read what we have, keep the overlap.
          EvaluatePiece(count, /*final=*/false);
          std::memmove(digits_, digits_ + kPieceDigits - kPieceOverlap,
                       kPieceOverlap * sizeof(ChainDigit));
          count = kPieceOverlap;
        }
        digits_[count++] = {static_cast<uint32_t>(p), static_cast<uint8_t>(w), digit, group_start};
        group_start = false;
        any = true;
        p += w;
      }
      // Separators, then more digits: the chain goes on.
      size_t q = p;
      int run = 0;
      while (q < limit && run < kMaxSeparatorRun) {
        const size_t w = SeparatorAt(s_, n_, q);
        if (w == 0) break;
        q += w;
        ++run;
      }
      char digit;
      if (run == 0 || q >= limit) break;
      if (DigitAt(s_, n_, q, &digit) == 0) {
        // "110101 19900307 451 X": an ID number's check character written apart, as a group of
        // its own (whatever is glued to it: "…451 XQQ", "…451 X153…"). Only an ID reading can use
        // it; it is an edge for every other.
        const size_t xw = XAt(s_, n_, q);
        if (xw == 0 || count == 0 || count >= kPieceDigits || q + xw > limit) break;
        digits_[count++] = {static_cast<uint32_t>(q), static_cast<uint8_t>(xw), 'X', true};
        p = q + xw;
        if (p < limit && DigitAt(s_, n_, p, &digit) != 0) {
          group_start = true;
          continue;  // digits glued after it: the next group
        }
        break;
      }
      // The next group starts an e-mail address ("199 4554 8947u73@mail.cn", "138 1234
      // 5678@163.com"): its local part may complete a number of the chain, so the chain is read
      // on up to the @ (the groups in the local part included).
      size_t at;
      if (email_end == 0 && options_.emails && AddressStartsAt(q, p, at) &&
          EmailAt(at, p, email_begin, email_end)) {
        limit = at;
      }
      p = q;
      group_start = true;
    }
    if (email_end == 0) {
      EvaluatePiece(count, /*final=*/true);
      return p;
    }
    // Readings before the address stand; one that reaches into it makes the number and the
    // address one finding, masked as an address (which hides both).
    const size_t mark = out_.size();
    EvaluatePiece(count, /*final=*/true);
    size_t begin = email_begin;
    while (out_.size() > mark && out_.back().end > email_begin) {
      begin = std::min<size_t>(begin, out_.back().begin);
      out_.pop_back();
    }
    out_.push_back(
        {static_cast<uint32_t>(begin), static_cast<uint32_t>(email_end), PiiKind::kEmail, 0});
    return email_end;
  }

  bool AllDigits(size_t b, size_t e) const {
    while (b < e) {
      char digit;
      const size_t w = DigitAt(s_, n_, b, &digit);
      if (w == 0) return false;
      b += w;
    }
    return true;
  }

  // Candidate readings of digits_[0, count), resolved into findings. A piece that is not the
  // chain's last leaves what starts in its last kPieceOverlap digits to the next piece, which
  // begins with them.
  void EvaluatePiece(size_t count, bool final) {
    if (count < kMinFindingDigits) return;
    char text[kPieceDigits];
    for (size_t i = 0; i < count; ++i) text[i] = digits_[i].c;
    const std::string_view all(text, count);
    // Where a reading may start or end: group edges, either side of an X, a change between
    // ASCII and full-width digits ("５13812345678": a mobile glued to another digit as typed),
    // and (below) the edges of every ID number found inside a longer run, so that what is glued
    // to it is read too.
    bool edge[kPieceDigits + 1];  // only [0, count] is set and read
    std::memset(edge, 0, count + 1);
    for (size_t i = 0; i < count; ++i) {
      if (digits_[i].group_start) edge[i] = true;
      if (text[i] == 'X') edge[i] = edge[i + 1] = true;
      if (i > 0 && digits_[i].width != digits_[i - 1].width && text[i] != 'X' &&
          text[i - 1] != 'X') {
        edge[i] = true;
      }
    }
    edge[0] = edge[count] = true;
    // X before i: prefix counts, so a reading can be told to hold no X in O(1).
    uint16_t xs[kPieceDigits + 1];
    xs[0] = 0;
    for (size_t i = 0; i < count; ++i) xs[i + 1] = static_cast<uint16_t>(xs[i] + (text[i] == 'X'));
    auto no_x = [&](size_t b, size_t e) { return xs[e] == xs[b]; };

    size_t n_candidates = 0;
    auto add = [&](size_t b, size_t e, PiiKind kind, uint8_t priority, uint8_t prefix) {
      if (n_candidates < kMaxCandidates) {
        candidates_[n_candidates++] = {static_cast<uint16_t>(b), static_cast<uint16_t>(e), kind,
                                       priority, prefix};
      }
    };
    // 18-digit ID numbers at any position: the checksum and the birth date are strong enough to
    // find one glued to other digits ("No.1110101…", an ID number directly followed by a mobile).
    for (size_t b = 0; b + 18 <= count; ++b) {
      if (!no_x(b, b + 17)) continue;
      if (IsId18(all.substr(b, 18))) {
        add(b, b + 18, PiiKind::kIdNumber, kPriorityId18, 0);
        edge[b] = edge[b + 18] = true;
      }
    }
    // The weaker readings start and end at edges.
    for (size_t b = 0; b < count; ++b) {
      if (!edge[b] || text[b] == 'X') continue;
      for (size_t length : {11, 13, 15, 16, 17, 18, 19}) {
        const size_t e = b + length;
        if (e > count) break;
        if (!edge[e] || !no_x(b, e)) continue;
        const std::string_view d = all.substr(b, length);
        if (length == 11 && IsMobile(d)) {
          if (Plausible(b, e, PiiKind::kMobile, 0)) add(b, e, PiiKind::kMobile, kPriorityMobile, 0);
        } else if (length == 13 && d.substr(0, 2) == "86" && IsMobile(d.substr(2))) {
          if (Plausible(b, e, PiiKind::kMobile, 2)) add(b, e, PiiKind::kMobile, kPriorityMobile, 2);
        } else if (length == 15 && d.substr(0, 4) == "0086" && IsMobile(d.substr(4))) {
          if (Plausible(b, e, PiiKind::kMobile, 4)) add(b, e, PiiKind::kMobile, kPriorityMobile, 4);
        } else if (length == 15 && IsId15(d)) {
          if (Plausible(b, e, PiiKind::kIdNumber, 0)) {
            add(b, e, PiiKind::kIdNumber, kPriorityId15, 0);
          }
        } else if (length >= 16 && IsCard(d)) {
          // The same 18 digits as an ID number are that ID number.
          if (length == 18 && IsId18(d)) continue;
          if (Plausible(b, e, PiiKind::kBankCard, 0)) {
            add(b, e, PiiKind::kBankCard, kPriorityCard, 0);
          }
        }
      }
    }
    if (n_candidates == 0) return;
    std::sort(candidates_, candidates_ + n_candidates, [](const Candidate& a, const Candidate& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    // Overlapping readings are one finding: the longest reading (the stronger check between two
    // of one length) names it, the mask covers them all, and a digit stays visible only if every
    // reading that holds it would keep it. So no reading, whichever is true, shows more of
    // itself than its own mask would.
    for (size_t i = 0; i < n_candidates;) {
      size_t j = i + 1;
      size_t union_end = candidates_[i].end;
      while (j < n_candidates && candidates_[j].begin < union_end) {
        union_end = std::max<size_t>(union_end, candidates_[j].end);
        ++j;
      }
      if (final || candidates_[i].begin < count - kPieceOverlap) Emit(i, j, union_end);
      i = j;
    }
  }

  void Emit(size_t first, size_t last, size_t union_end) {
    const size_t union_begin = candidates_[first].begin;
    const Candidate* winner = &candidates_[first];
    for (size_t k = first + 1; k < last; ++k) {
      const Candidate& c = candidates_[k];
      const size_t length = c.end - c.begin;
      const size_t best = winner->end - winner->begin;
      if (length > best || (length == best && c.priority > winner->priority)) winner = &c;
    }
    uint64_t kept = 0;
    for (size_t i = union_begin; i < union_end && i - union_begin < 64; ++i) {
      bool keep = true;
      for (size_t k = first; k < last && keep; ++k) {
        const Candidate& c = candidates_[k];
        if (i >= c.begin && i < c.end) keep = Keeps(c, i - c.begin);
      }
      if (keep) kept |= uint64_t{1} << (i - union_begin);
    }
    size_t begin = digits_[union_begin].begin;
    const ChainDigit& last_digit = digits_[union_end - 1];
    const size_t end = last_digit.begin + last_digit.width;
    // "+86 138…", "＋8613…": the plus belongs to the number as written.
    if (winner->kind == PiiKind::kMobile && winner->prefix != 0 && winner->begin == union_begin) {
      if (begin >= 1 && s_[begin - 1] == '+') {
        begin -= 1;
      } else if (begin >= 3 && s_[begin - 3] == 0xEF && s_[begin - 2] == 0xBC &&
                 s_[begin - 1] == 0x8B) {
        begin -= 3;  // ＋ U+FF0B
      }
    }
    // A piece after the first starts kPieceOverlap digits back: a finding the piece before
    // reported may reach into it.
    if (!out_.empty() && begin < out_.back().end) return;
    out_.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), winner->kind, kept});
  }

  // Rules for the readings without a checksum of their own strength (mobiles, 15-digit IDs,
  // cards), written over several groups:
  // - not too many groups (a mobile in at most 7, a 15-digit ID in 10, a card in 12): a list of
  //   small numbers ("1 3 5 7 9 11 13 15") is no phone number;
  // - a card's groups never read as a date (2023 01 01, 2023.01.01-2028.12.31, 20230101): date
  //   ranges are everywhere in licences, and two dates make 16 digits, one time in ten Luhn. (A
  //   15-digit ID cannot start with a year, its province comes first; a mobile's digits read as
  //   a date often enough, "1997 01 31 288", to miss real ones.)
  // - cards and 15-digit IDs: not right after a label that names another kind of number
  //   (许可证编号, 注册号, 订单号…) unless a label of personal data is nearer (身份证, 卡号…).
  bool Plausible(size_t b, size_t e, PiiKind kind, size_t prefix) const {
    size_t groups[24];
    size_t n_groups = 0;
    size_t start = b;
    for (size_t i = b + 1; i <= e; ++i) {
      if (i == e || digits_[i].group_start) {
        if (n_groups == 24) return false;
        groups[n_groups++] = i - start;
        start = i;
      }
    }
    if (n_groups > 1) {
      // A country code written apart is one more group ("0086 138 1234 5678").
      const size_t max_groups = kind == PiiKind::kMobile     ? 7 + (prefix != 0)
                                : kind == PiiKind::kBankCard ? 12
                                                             : 10;
      if (n_groups > max_groups) return false;
      size_t at = b;
      for (size_t g = 0; kind == PiiKind::kBankCard && g < n_groups; ++g) {
        if (DateAt(at, groups, g, n_groups)) return false;
        at += groups[g];
      }
    }
    if (kind == PiiKind::kBankCard || kind == PiiKind::kIdNumber) {
      if (OtherNumberLabelBefore(digits_[b].begin)) return false;
    }
    return true;
  }

  int Value(size_t at, size_t length) const {
    int v = 0;
    for (size_t i = 0; i < length; ++i) v = v * 10 + (digits_[at + i].c - '0');
    return v;
  }

  // Whether groups g, g+1, g+2 (starting at digit `at`) read as year, month, day, or group g
  // alone as YYYYMMDD.
  bool DateAt(size_t at, const size_t* groups, size_t g, size_t n_groups) const {
    auto year_ok = [](int y) { return y >= 1900 && y <= 2099; };
    if (groups[g] == 8) {
      const int y = Value(at, 4), m = Value(at + 4, 2), d = Value(at + 6, 2);
      return year_ok(y) && m >= 1 && m <= 12 && d >= 1 && d <= 31;
    }
    if (groups[g] != 4 || g + 2 >= n_groups || groups[g + 1] > 2 || groups[g + 2] > 2) {
      return false;
    }
    const int y = Value(at, 4);
    const int m = Value(at + 4, groups[g + 1]);
    const int d = Value(at + 4 + groups[g + 1], groups[g + 2]);
    return year_ok(y) && m >= 1 && m <= 12 && d >= 1 && d <= 31;
  }

  // Labels of numbers that are not personal, and of those that are, looked for in the clause
  // just before a number (up to 12 characters back, not past ，。；).
  bool OtherNumberLabelBefore(size_t begin) const {
    static constexpr std::string_view kPersonal[] = {"身份证", "身份号", "证件号", "卡号",
                                                     "账号",   "账户",   "帐号",   "帐户",
                                                     "银行卡", "手机",   "电话",   "联系方式"};
    static constexpr std::string_view kOther[] = {
        "编号", "证号",   "注册号",   "登记号", "文号",   "代码", "批准号", "备案号", "执照号",
        "单号", "流水号", "发票号",   "条码",   "货号",   "批号", "型号",   "序列号", "合同号",
        "案号", "车架号", "发动机号", "税号",   "识别号", "票据", "凭证号", "单据号"};
    size_t from = begin > 36 ? begin - 36 : 0;
    while (from < begin && (s_[from] & 0xC0) == 0x80) ++from;  // a character boundary
    std::string_view before(reinterpret_cast<const char*>(s_) + from, begin - from);
    for (std::string_view stop : {"，", "。", "；", ",", ";", "\n"}) {
      const size_t at = before.rfind(stop);
      if (at != std::string_view::npos) before.remove_prefix(at + stop.size());
    }
    for (std::string_view label : kPersonal) {
      if (before.find(label) != std::string_view::npos) return false;
    }
    for (std::string_view label : kOther) {
      if (before.find(label) != std::string_view::npos) return true;
    }
    return false;
  }

  const Byte* s_;
  size_t n_;
  const PiiScanner::Options& options_;
  std::vector<PiiSpan>& out_;
  ChainDigit digits_[kPieceDigits];
  Candidate candidates_[kMaxCandidates];
};

// --- Masks ---

// Width of a character that a structured field's mask may replace at s[p], or 0: digits for
// every numeric kind, and for ID numbers letters too (X, and the letters of other 证件号码).
[[gnu::always_inline]] inline size_t MaskableAt(const Byte* s, size_t n, size_t p, PiiKind kind) {
  char digit;
  if (size_t w = DigitAt(s, n, p, &digit)) return w;
  if (kind != PiiKind::kIdNumber) return 0;
  if (IsAsciiAlpha(s[p])) return 1;
  char c;
  return FullWidthAlnumAt(s, n, p, &c);
}

// Characters kept at the start and end of a structured value of `count` maskable characters.
void KeptEnds(const Byte* s, size_t n, size_t count, PiiKind kind, size_t& head, size_t& tail) {
  switch (kind) {
    case PiiKind::kIdNumber: head = 2, tail = 3; break;
    case PiiKind::kMobile: {
      head = 3, tail = 4;
      // "+86 138…", "0086 138…": the country code is not part of the number and stays.
      char first[4] = {};
      size_t seen = 0;
      for (size_t p = 0; p < n && seen < 4;) {
        char digit;
        if (size_t w = DigitAt(s, n, p, &digit)) {
          first[seen++] = digit;
          p += w;
        } else {
          ++p;
        }
      }
      if (count == 13 && first[0] == '8' && first[1] == '6') head += 2;
      if (count == 15 && std::string_view(first, 4) == "0086") head += 4;
      break;
    }
    case PiiKind::kBankCard:
    case PiiKind::kEmail: head = 0, tail = 4; break;
    case PiiKind::kName: head = tail = 0; break;  // not a structured value: hidden whole
  }
  // Too short to keep both ends and still hide something: hide it all.
  if (count <= head + tail) head = tail = 0;
}

size_t MaskStructured(const Byte* s, size_t n, PiiKind kind, char* out) {
  size_t count = 0;
  for (size_t p = 0; p < n;) {
    const size_t w = MaskableAt(s, n, p, kind);
    count += w != 0;
    p += w != 0 ? w : 1;
  }
  size_t head = 0, tail = 0;
  KeptEnds(s, n, count, kind, head, tail);
  const bool mask_all = head == 0 && tail == 0;
  size_t written = 0, index = 0;
  for (size_t p = 0; p < n;) {
    const size_t w = MaskableAt(s, n, p, kind);
    if (w == 0) {
      if (out != nullptr) out[written] = static_cast<char>(s[p]);
      ++written;
      ++p;
      continue;
    }
    const bool keep = !mask_all && (index < head || index >= count - tail);
    if (keep) {
      if (out != nullptr) std::memcpy(out + written, s + p, w);
      written += w;
    } else {
      if (out != nullptr) out[written] = '*';
      ++written;
    }
    ++index;
    p += w;
  }
  return written;
}

// A free-text finding: digits and X as the scanner's `kept` says, separators copied.
size_t MaskFound(const Byte* s, size_t n, uint64_t kept, char* out) {
  size_t written = 0, index = 0;
  for (size_t p = 0; p < n;) {
    char digit;
    size_t w = DigitAt(s, n, p, &digit);
    if (w == 0) w = XAt(s, n, p);
    if (w == 0) {
      out[written++] = static_cast<char>(s[p++]);
      continue;
    }
    if (index < 64 && (kept >> index & 1) != 0) {
      std::memcpy(out + written, s + p, w);
      written += w;
    } else {
      out[written++] = '*';
    }
    ++index;
    p += w;
  }
  return written;
}

// The first character of the local part, "***", then everything from the @-form on:
// "z***@example.com", "z***(at)163.com". Without an @-form the whole value is one local part.
size_t MaskEmail(const Byte* s, size_t n, char* out) {
  if (n == 0) return 0;
  const size_t first = std::min(Utf8Width(s[0]), n);
  // The @-form, and a space before it ("zhangsan @ 163.com"), stay.
  size_t at = n;
  for (size_t p = first; p < n; p += Utf8Width(s[p])) {
    if (AtFormAt(s, n, p).width != 0) {
      at = p - (SpaceBefore(s, p) != 0 && p - SpaceBefore(s, p) >= first ? SpaceBefore(s, p) : 0);
      break;
    }
  }
  if (out != nullptr) {
    std::memcpy(out, s, first);
    std::memcpy(out + first, "***", 3);
    std::memcpy(out + first + 3, s + at, n - at);
  }
  return first + 3 + (n - at);
}

size_t Mask(std::string_view value, PiiKind kind, char* out) {
  const auto* s = reinterpret_cast<const Byte*>(value.data());
  if (kind == PiiKind::kEmail) return MaskEmail(s, value.size(), out);
  return MaskStructured(s, value.size(), kind, out);
}

// Whether masking `spans` of s[0, n) can have made a new reading: a numeric mask keeps runs of at
// most 7 digits, so a new reading needs digits beyond the span, reached through a digit, an X or
// a separator right next to it. An address's mask frees its domain to be read as numbers. In
// the usual Chinese sentence ("电话13812345678，") neither holds and the copy is not read again.
bool MaskingMayJoin(const Byte* s, size_t n, const std::vector<PiiSpan>& spans) {
  auto joins_at = [&](size_t p) {
    char digit;
    return DigitAt(s, n, p, &digit) != 0 || XAt(s, n, p) != 0 || SeparatorAt(s, n, p) != 0;
  };
  for (const PiiSpan& span : spans) {
    if (span.kind == PiiKind::kEmail) return true;
    if (span.end < n && joins_at(span.end)) return true;
    for (size_t w = 1; w <= 3 && w <= span.begin; ++w) {
      if (joins_at(span.begin - w) &&
          (w == 1 ? s[span.begin - 1] < 0x80 : Utf8Width(s[span.begin - w]) == w)) {
        return true;
      }
    }
  }
  return false;
}

// How often Redact re-reads its own output. Masking can join what it leaves visible with the
// next group into a new reading ("138****5678 1234 5678 9012": 5678 1234 5678 9012 may pass
// Luhn); each round masks at least one more digit or address, so this is never reached on real
// text; if it were, what is still found is masked whole.
constexpr int kMaxRedactRounds = 8;

}  // namespace

void PiiCounts::Add(PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: ++id_number; break;
    case PiiKind::kMobile: ++mobile; break;
    case PiiKind::kBankCard: ++bank_card; break;
    case PiiKind::kEmail: ++email; break;
    case PiiKind::kName: break;  // the scanner finds none; the name masker counts its own
  }
}

PiiScanner::PiiScanner(Options options) : options_(options) {}

void PiiScanner::Scan(std::string_view text, std::vector<PiiSpan>& out) const {
  out.clear();
  const size_t n = std::min<size_t>(text.size(), std::numeric_limits<uint32_t>::max());
  // The scanner lives on the stack (~13 KB of buffers for a chain's digits and readings, left
  // uninitialised until a chain is read): nothing is allocated per call.
  TextScanner(reinterpret_cast<const unsigned char*>(text.data()), n, options_, out).Run();
  // Disabled kinds were read like the others (an ID number is never taken for a card because IDs
  // are off, and an address still holds the number in its local part); now they go.
  if (!options_.id_numbers || !options_.mobiles || !options_.bank_cards) {
    std::erase_if(out, [&](const PiiSpan& span) {
      return (span.kind == PiiKind::kIdNumber && !options_.id_numbers) ||
             (span.kind == PiiKind::kMobile && !options_.mobiles) ||
             (span.kind == PiiKind::kBankCard && !options_.bank_cards);
    });
  }
}

std::string_view PiiScanner::Redact(std::string_view text, Arena& arena, PiiCounts& counts,
                                    std::vector<PiiSpan>& scratch) const {
  Scan(text, scratch);
  if (scratch.empty()) return text;
  std::string_view current = text;
  for (int round = 0; !scratch.empty(); ++round) {
    const bool last_round = round + 1 >= kMaxRedactRounds;
    // A bound rather than the exact size, to write each mask once: a numeric mask never grows,
    // an e-mail mask grows by at most 3 bytes.
    size_t size = current.size();
    for (const PiiSpan& span : scratch) size += span.kind == PiiKind::kEmail ? 3 : 0;
    char* out = arena.Allocate(size);
    const auto* s = reinterpret_cast<const unsigned char*>(current.data());
    size_t written = 0, copied = 0;
    for (const PiiSpan& span : scratch) {
      std::memcpy(out + written, current.data() + copied, span.begin - copied);
      written += span.begin - copied;
      const std::string_view value = current.substr(span.begin, span.end - span.begin);
      if (span.kind == PiiKind::kEmail) {
        written += MaskPiiTo(value, span.kind, out + written);
      } else {
        written +=
            MaskFound(s + span.begin, value.size(), last_round ? 0 : span.kept, out + written);
      }
      copied = span.end;
      counts.Add(span.kind);
    }
    std::memcpy(out + written, current.data() + copied, current.size() - copied);
    written += current.size() - copied;
    const bool rescan = !last_round && MaskingMayJoin(s, current.size(), scratch);
    current = {out, written};
    if (!rescan) break;
    Scan(current, scratch);
  }
  return current;
}

size_t MaskedSize(std::string_view value, PiiKind kind) { return Mask(value, kind, nullptr); }

size_t MaskPiiTo(std::string_view value, PiiKind kind, char* out) { return Mask(value, kind, out); }

std::string_view MaskPii(std::string_view value, PiiKind kind, Arena& arena) {
  const size_t size = MaskedSize(value, kind);
  if (size == 0) return {};
  char* out = arena.Allocate(size);
  return {out, MaskPiiTo(value, kind, out)};
}

}  // namespace gongshi
