// PiiScanner: a skip loop finds the few bytes that can start a finding (ASCII digit, full-width
// digit, '@'); only there are digit chains parsed and checked (checksum, Luhn, date), so Chinese
// text costs little more than a pass over its bytes (performance-notes.md, "Redaction scanning").
#include "pipeline/redact/pii_scanner.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "pipeline/calendar/civil_date.h"
#include "pipeline/validate/identifiers.h"

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
// The longest digit string any pattern needs (a 19-digit card).
constexpr size_t kMaxPatternChars = 19;
// RFC 5321 caps the local part at 64 octets; it also bounds the look-ahead for an '@' from each
// digit group, which keeps long '-'-joined chains linear.
constexpr size_t kMaxLocalPart = 64;
// RFC 1035's limit on a domain name; bounds the domain parse.
constexpr size_t kMaxDomain = 255;

[[gnu::always_inline]] constexpr bool IsAsciiDigit(Byte c) {
  return static_cast<unsigned>(c - '0') < 10u;
}
[[gnu::always_inline]] constexpr bool IsAsciiAlpha(Byte c) {
  return static_cast<unsigned>((c | 0x20) - 'a') < 26u;
}
[[gnu::always_inline]] constexpr bool IsAsciiAlnum(Byte c) {
  return IsAsciiDigit(c) || IsAsciiAlpha(c);
}
[[gnu::always_inline]] constexpr bool IsLocalPartChar(Byte c) {
  return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

// Character classes at s[p]; each returns the character's width in bytes, or 0. Full-width forms
// are U+FFxx, i.e. EF BC xx or EF BD xx in UTF-8.
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

[[gnu::always_inline]] inline size_t StarAt(const Byte* s, size_t n, size_t p) {
  if (s[p] == '*') return 1;
  if (s[p] == 0xEF && p + 2 < n && s[p + 1] == 0xBC && s[p + 2] == 0x8A) return 3;  // ＊ U+FF0A
  return 0;
}

[[gnu::always_inline]] inline size_t SeparatorAt(const Byte* s, size_t n, size_t p) {
  if (s[p] == ' ' || s[p] == '-') return 1;
  if (p + 2 < n && ((s[p] == 0xE3 && s[p + 1] == 0x80 && s[p + 2] == 0x80) ||   // U+3000
                    (s[p] == 0xEF && s[p + 1] == 0xBC && s[p + 2] == 0x8D))) {  // － U+FF0D
    return 3;
  }
  return 0;
}

// True if a '*' (or '＊') ends at `end`.
[[gnu::always_inline]] inline bool StarEndsAt(const Byte* s, size_t end) {
  if (end >= 1 && s[end - 1] == '*') return true;
  return end >= 3 && s[end - 3] == 0xEF && s[end - 2] == 0xBC && s[end - 1] == 0x8A;
}

size_t Utf8Width(Byte lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Bytes after an ASCII digit run that end its chain and rule out an e-mail: anything but a
// separator (' ', '-', U+3000 and U+FF0D lead bytes), a full-width form (0xEF), X, '*', '@' or a
// local-part character.
constexpr std::array<bool, 256> MakeEndsLoneRun() {
  std::array<bool, 256> ends{};
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<Byte>(b);
    ends[b] = !(IsLocalPartChar(c) || c == ' ' || c == '*' || c == '@' || c == 0xE3 || c == 0xEF);
  }
  return ends;
}
constexpr std::array<bool, 256> kEndsLoneRun = MakeEndsLoneRun();

// Lengths of a single group that some pattern accepts (11, 13 for 86+mobile, 15-19).
constexpr bool FindingLength(size_t chars) {
  return chars == 11 || chars == 13 || (chars >= 15 && chars <= 19);
}

// --- Finding where to look ---

size_t NextTriggerScalar(const Byte* s, size_t pos, size_t n) {
  while (pos < n && !IsAsciiDigit(s[pos]) && s[pos] != '@' && s[pos] != 0xEF) ++pos;
  return pos;
}

// SWAR over 8 bytes: flags bytes 0x30..0x3F (a superset of the digits), '@' and 0xEF. The caller
// rejects the extra candidates; the lowest flagged byte is exact (HasZeroByte's false positives
// only sit above a true zero byte).
size_t NextTriggerSwar(const Byte* s, size_t pos, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  while (pos + 8 <= n) {
    uint64_t x;
    std::memcpy(&x, s + pos, 8);
    const uint64_t hits = has_zero_byte((x & (0xF0 * kOnes)) ^ (0x30 * kOnes)) |
                          has_zero_byte(x ^ ('@' * kOnes)) | has_zero_byte(x ^ (0xEF * kOnes));
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits)) / 8;
    pos += 8;
  }
#endif
  return NextTriggerScalar(s, pos, n);
}

// First position >= pos that may start a finding. With SSE2 (every x86-64) this is exact: an ASCII
// digit, '@', or EF BC 90..99. Full-width punctuation (，：（）) shares the 0xEF lead byte and is
// common in Chinese text, so the full-width test looks at all three bytes rather than the lead.
// The project builds for haswell, so AVX2 takes 32 bytes a step; SSE2 and SWAR finish the tail.
size_t NextTrigger(const Byte* s, size_t pos, size_t n) {
#if defined(__AVX2__)
  {
    const __m256i ascii_zero = _mm256_set1_epi8('0');
    const __m256i fullwidth_zero = _mm256_set1_epi8(static_cast<char>(0x90));
    const __m256i nine = _mm256_set1_epi8(9);
    const __m256i at_sign = _mm256_set1_epi8('@');
    const __m256i lead = _mm256_set1_epi8(static_cast<char>(0xEF));
    const __m256i second = _mm256_set1_epi8(static_cast<char>(0xBC));
    auto in_0_to_9 = [&](__m256i v) { return _mm256_cmpeq_epi8(_mm256_min_epu8(v, nine), v); };
    while (pos + 34 <= n) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos + 1));
      const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + pos + 2));
      const __m256i ascii = in_0_to_9(_mm256_sub_epi8(v0, ascii_zero));
      const __m256i fullwidth = _mm256_and_si256(
          _mm256_and_si256(_mm256_cmpeq_epi8(v0, lead), _mm256_cmpeq_epi8(v1, second)),
          in_0_to_9(_mm256_sub_epi8(v2, fullwidth_zero)));
      const __m256i hits =
          _mm256_or_si256(_mm256_or_si256(ascii, fullwidth), _mm256_cmpeq_epi8(v0, at_sign));
      const auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
      if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
      pos += 32;
    }
  }
#endif
#if defined(__SSE2__)
  const __m128i ascii_zero = _mm_set1_epi8('0');
  const __m128i fullwidth_zero = _mm_set1_epi8(static_cast<char>(0x90));
  const __m128i nine = _mm_set1_epi8(9);
  const __m128i at_sign = _mm_set1_epi8('@');
  const __m128i lead = _mm_set1_epi8(static_cast<char>(0xEF));
  const __m128i second = _mm_set1_epi8(static_cast<char>(0xBC));
  auto in_0_to_9 = [&](__m128i v) { return _mm_cmpeq_epi8(_mm_min_epu8(v, nine), v); };
  // Two bytes of look-ahead for the shifted loads.
  while (pos + 18 <= n) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos + 1));
    const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos + 2));
    const __m128i ascii = in_0_to_9(_mm_sub_epi8(v0, ascii_zero));
    const __m128i fullwidth =
        _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(v0, lead), _mm_cmpeq_epi8(v1, second)),
                      in_0_to_9(_mm_sub_epi8(v2, fullwidth_zero)));
    const __m128i hits = _mm_or_si128(_mm_or_si128(ascii, fullwidth), _mm_cmpeq_epi8(v0, at_sign));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    pos += 16;
  }
#endif
  return NextTriggerSwar(s, pos, n);
}

// --- Digit chains ---

// A run of digits (and '*', which marks already-masked text), optionally ending in one X.
// No member initialisers: ParseGroup sets every field, and a chain's ring of groups is built for
// every digit run in the text.
struct Group {
  size_t begin;
  size_t end;
  size_t chars;    // digits, stars and the X
  size_t x_width;  // bytes of the closing X, 0 if none
  bool star;
  char text[kMaxPatternChars];  // the first characters as ASCII, X as 'X'; '*' for a star
};

void ParseGroup(const Byte* s, size_t n, size_t p, Group& g) {
  g.begin = p;
  g.chars = 0;
  g.x_width = 0;
  g.star = false;
  auto add = [&g](char c) {
    if (g.chars < kMaxPatternChars) g.text[g.chars] = c;
    ++g.chars;
  };
  while (p < n) {
    char digit;
    if (size_t w = DigitAt(s, n, p, &digit)) {
      add(digit);
      p += w;
      continue;
    }
    if (size_t w = StarAt(s, n, p)) {
      g.star = true;
      add('*');
      p += w;
      continue;
    }
    // An X closes the group as an ID check character, unless the run goes on after it.
    if (size_t w = XAt(s, n, p)) {
      char unused;
      const size_t q = p + w;
      if (q < n && (DigitAt(s, n, q, &unused) || StarAt(s, n, q))) break;
      add('X');
      g.x_width = w;
      p = q;
    }
    break;
  }
  g.end = p;
}

// Validity of an e-mail domain starting at `p` (just after the '@'): labels of [A-Za-z0-9-] joined
// by '.', at least two, the last alphabetic and 2+ letters. Returns the end of the longest such
// domain, or 0. `strict` adds two rules that keep masking from creating an address where there
// was none; they are off only to recognise the domain of an address that is already masked.
size_t EmailDomainEnd(const Byte* s, size_t n, size_t p, bool strict = true) {
  const size_t limit = std::min(n, p + kMaxDomain);
  size_t good = 0;
  int labels = 0;
  while (p < limit) {
    const size_t label_begin = p;
    while (p < n && (IsAsciiAlnum(s[p]) || s[p] == '-')) ++p;
    // "cn6282…" is no TLD, but once the digits are masked "cn****" would look like one: a label
    // that touches '*' ends the domain without counting.
    if (strict && p < n && StarAt(s, n, p) != 0) break;
    while (p > label_begin && s[p - 1] == '-') --p;
    if (p == label_begin || s[label_begin] == '-') break;
    ++labels;
    bool alphabetic = p - label_begin >= 2;
    for (size_t i = label_begin; alphabetic && i < p; ++i) alphabetic = IsAsciiAlpha(s[i]);
    if (labels >= 2 && alphabetic) good = p;
    if (p + 1 < n && s[p] == '.' && IsAsciiAlnum(s[p + 1])) {
      ++p;
      continue;
    }
    break;
  }
  if (good == 0 || !strict) return good;
  // "a@b.cn_x@c.com": which '@' owns "b.cn_x" is ambiguous, and masking one address would change
  // how the other reads. Neither counts; the second is tried on its own from its '@'. The look
  // goes through '*' and has no length cap, so that masking what lies between (which changes its
  // length) cannot change the answer; it ends at the next '@' or non-local byte, so stays linear.
  size_t q = good;
  while (q < n) {
    if (IsLocalPartChar(s[q])) {
      ++q;
    } else if (const size_t w = StarAt(s, n, q)) {
      q += w;
    } else {
      break;
    }
  }
  return q < n && s[q] == '@' ? 0 : good;
}

// The groupings tried at a group, in order. Only these: letting any run of groups that adds up
// to 16-19 digits be a card would turn two dates ("2023-01-01 2023-02-04", 16 digits) into one.
struct Pattern {
  uint8_t lengths[5];
  uint8_t count;
  uint8_t kinds;  // bit set of the PiiKinds this grouping may be
};
constexpr uint8_t Bit(PiiKind kind) { return static_cast<uint8_t>(1u << static_cast<int>(kind)); }
constexpr uint8_t kIdBit = Bit(PiiKind::kIdNumber);
constexpr uint8_t kMobileBit = Bit(PiiKind::kMobile);
constexpr uint8_t kCardBit = Bit(PiiKind::kBankCard);
constexpr Pattern kPatterns[] = {
    {{6, 8, 4}, 3, kIdBit},
    {{6, 4, 4, 4}, 4, kIdBit},
    {{6, 6, 3}, 3, kIdBit},
    {{4, 4, 4, 4, 3}, 5, kCardBit},
    {{4, 4, 4, 4, 2}, 5, kIdBit | kCardBit},
    {{4, 4, 4, 4, 1}, 5, kCardBit},
    {{4, 4, 4, 4}, 4, kCardBit},
    {{3, 4, 4}, 3, kMobileBit},
    {{11}, 1, kMobileBit},
    {{13}, 1, kMobileBit},  // 86 and a mobile number
    {{15}, 1, kIdBit},
    {{16}, 1, kCardBit},
    {{17}, 1, kCardBit},
    {{18}, 1, kIdBit | kCardBit},
    {{19}, 1, kCardBit},
};
// After a separate 86 group.
constexpr Pattern kMobileAfterCountryCode[] = {{{3, 4, 4}, 3, kMobileBit}, {{11}, 1, kMobileBit}};

class TextScanner {
 public:
  TextScanner(const Byte* s, size_t n, const PiiScanner::Options& options,
              std::vector<PiiSpan>& out)
      : s_(s), n_(n), options_(options), out_(out) {}

  void Run() {
    size_t pos = 0;
    while (true) {
      const size_t t = NextTrigger(s_, pos, n_);
      if (t >= n_) return;
      if (s_[t] == '@') {
        size_t end = 0;
        if (options_.emails && TryEmail(t, pos, end)) {
          pos = end;
        } else if (options_.emails && StarEndsAt(s_, t) &&
                   (end = EmailDomainEnd(s_, n_, t + 1, /*strict=*/false)) != 0) {
          // "z***@…" is an address masked already. Its domain was never scanned for numbers
          // while the address was whole, so it is not scanned now either. Lenient, because
          // masking what follows the domain (".com６２…" to ".com**…") must not change this.
          pos = end;
        } else {
          pos = t + 1;
        }
        continue;
      }
      char digit;
      if (DigitAt(s_, n_, t, &digit) == 0) {  // a superset candidate from the SWAR path
        pos = t + 1;
        continue;
      }
      // Fast path for the usual digit run of Chinese text ("2023年", "50000元"): alone, because
      // what follows can neither continue a chain nor an address, and of a length no finding has.
      if (IsAsciiDigit(s_[t])) {
        size_t e = t + 1;
        while (e < n_ && IsAsciiDigit(s_[e])) ++e;
        if ((e == n_ || kEndsLoneRun[s_[e]]) && !FindingLength(e - t)) {
          pos = e;
          continue;
        }
      }
      // Digits can be an e-mail's local part ("13812345678@163.com"); the whole address is the
      // finding then, not the number in it.
      if (size_t at = 0, end = 0;
          options_.emails && AddressStartsAt(t, pos, at) && TryEmail(at, pos, end)) {
        pos = end;
        continue;
      }
      pos = ScanChain(t, pos);
    }
  }

 private:
  // Lazily parses the groups of one chain (runs joined by single separators), keeping the last
  // kRing: a pattern looks at most 6 groups ahead.
  class Chain {
   public:
    Chain(const TextScanner& scanner, size_t start) : scanner_(scanner), start_(start) {}

    const Group* At(size_t i) {
      if (i < parsed_) return &ring_[i % kRing];
      while (parsed_ <= i && !done_) ParseNext();
      return i < parsed_ ? &ring_[i % kRing] : nullptr;
    }
    bool star() const { return star_; }
    size_t end() const { return end_; }

   private:
    static constexpr size_t kRing = 8;

    void ParseNext() {
      const Byte* s = scanner_.s_;
      const size_t n = scanner_.n_;
      size_t p = start_;
      if (parsed_ > 0) {
        p = end_;
        const size_t sep = p < n ? SeparatorAt(s, n, p) : 0;
        char digit;
        if (sep == 0 || p + sep >= n ||
            (DigitAt(s, n, p + sep, &digit) == 0 && StarAt(s, n, p + sep) == 0)) {
          done_ = true;
          return;
        }
        const size_t floor = p;
        p += sep;
        // The group starts an e-mail address: the chain ends before it, the address is scanned
        // from there.
        size_t at;
        if (scanner_.options_.emails && IsAsciiDigit(s[p]) &&
            scanner_.AddressStartsAt(p, floor, at)) {
          done_ = true;
          return;
        }
      }
      Group& g = ring_[parsed_ % kRing];
      ParseGroup(s, n, p, g);
      star_ = star_ || g.star;
      end_ = g.end;
      ++parsed_;
    }

    const TextScanner& scanner_;
    size_t start_;
    Group ring_[kRing];
    size_t parsed_ = 0;
    size_t end_ = 0;
    bool done_ = false;
    bool star_ = false;
  };

  struct Match {
    size_t groups = 0;  // 0: no match
    PiiKind kind = PiiKind::kIdNumber;
    bool country_code = false;  // a mobile number after 86
    bool drop_x = false;        // the last group's X is a letter after the number, not part of it
  };

  // Scans the chain starting at `t`; returns where the next search starts (the chain's end).
  size_t ScanChain(size_t t, size_t floor) {
    Chain chain(*this, t);
    const size_t mark = out_.size();
    // A chain that touches '*' is (partly) masked already. Reporting what is left of it could
    // match across the mask (a kept "…5678" joining the next groups), so it yields nothing.
    bool masked = StarEndsAt(s_, t);
    if (!masked) {
      if (const size_t sep = SeparatorBefore(t)) masked = StarEndsAt(s_, t - sep);
    }
    for (size_t i = 0; chain.At(i) != nullptr;) {
      if (masked || chain.star()) {
        ++i;
        continue;
      }
      const Match m = MatchAt(chain, i);
      if (m.groups == 0) {
        ++i;
        continue;
      }
      if (Enabled(m.kind)) {
        size_t begin = chain.At(i)->begin;
        if (m.country_code) {
          if (begin >= floor + 1 && s_[begin - 1] == '+') {
            begin -= 1;
          } else if (begin >= floor + 3 && s_[begin - 3] == 0xEF && s_[begin - 2] == 0xBC &&
                     s_[begin - 1] == 0x8B) {
            begin -= 3;  // ＋ U+FF0B
          }
        }
        const Group& last = *chain.At(i + m.groups - 1);
        const size_t end = m.drop_x ? last.end - last.x_width : last.end;
        out_.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), m.kind});
      }
      i += m.groups;
    }
    if (masked || chain.star()) out_.resize(mark);
    return chain.end();
  }

  // A full-width digit or X, or a '*', ends at `p`.
  bool DigitLikeEndsAt(size_t p) const {
    if (StarEndsAt(s_, p)) return true;
    if (p < 3 || s_[p - 3] != 0xEF) return false;
    char digit;
    return DigitAt(s_, n_, p - 3, &digit) != 0 || XAt(s_, n_, p - 3) != 0;
  }

  // Width of a separator ending at `p`, or 0.
  size_t SeparatorBefore(size_t p) const {
    if (p >= 1 && (s_[p - 1] == ' ' || s_[p - 1] == '-')) return 1;
    if (p >= 3 && SeparatorAt(s_, n_, p - 3) == 3) return 3;
    return 0;
  }

  bool Enabled(PiiKind kind) const {
    switch (kind) {
      case PiiKind::kIdNumber: return options_.id_numbers;
      case PiiKind::kMobile: return options_.mobiles;
      case PiiKind::kBankCard: return options_.bank_cards;
      case PiiKind::kEmail: return options_.emails;
    }
    return false;
  }

  // Lengths of groups [i, i + k) are `lengths`. Only the last group may end in X, and its X counts
  // only `with_x`.
  static bool Fits(Chain& chain, size_t i, const uint8_t* lengths, size_t k, bool with_x) {
    for (size_t j = 0; j < k; ++j) {
      const Group* g = chain.At(i + j);
      if (g == nullptr || g->star) return false;
      size_t chars = g->chars;
      if (g->x_width != 0) {
        if (j + 1 < k) return false;
        if (!with_x) --chars;
      }
      if (chars != lengths[j]) return false;
    }
    return true;
  }

  static bool IsId18(std::string_view id) {
    if (!IdChecksumValid(id)) return false;
    const std::optional<int32_t> birth = IdBirthDay(id);
    if (!birth) return false;
    const int year = CivilFromDays(*birth).year;
    return year >= kMinBirthYear && year <= kMaxBirthYear;
  }

  // Pre-1999 numbers have no check digit: the date and the area code's first digit (1-8, the
  // regions of GB/T 2260) are all there is to tell them from other 15-digit numbers.
  static bool IsId15(std::string_view id) {
    for (char c : id) {
      if (c < '0' || c > '9') return false;
    }
    return id[0] >= '1' && id[0] <= '8' && IdBirthDay(id).has_value();
  }

  static bool IsMobile(std::string_view digits) {
    if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3' || digits[1] > '9') return false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  // The digits of groups [i, i + k) checked as one number. An ID number takes precedence over a
  // card number when both checks pass. Returns the kind, or nullopt.
  static std::optional<PiiKind> Check(Chain& chain, size_t i, size_t k, bool with_x,
                                      bool& country_code) {
    char buf[kMaxPatternChars];
    size_t len = 0;
    for (size_t j = 0; j < k; ++j) {
      const Group& g = *chain.At(i + j);
      const size_t chars = with_x || g.x_width == 0 ? g.chars : g.chars - 1;
      if (len + chars > kMaxPatternChars) return std::nullopt;
      std::memcpy(buf + len, g.text, chars);
      len += chars;
    }
    const std::string_view digits(buf, len);
    country_code = false;
    if (len == 18 && IsId18(digits)) return PiiKind::kIdNumber;
    if (len == 15 && IsId15(digits)) return PiiKind::kIdNumber;
    if (len == 11 && IsMobile(digits)) return PiiKind::kMobile;
    if (len == 13 && digits.substr(0, 2) == "86" && IsMobile(digits.substr(2))) {
      country_code = true;
      return PiiKind::kMobile;
    }
    if (len >= 16 && len <= 19 && LuhnValid(digits)) return PiiKind::kBankCard;
    return std::nullopt;
  }

  // Tries `pattern` at group i, with the last group's X as a check character first, then as a
  // letter after the number.
  static Match TryPattern(Chain& chain, size_t i, const Pattern& pattern) {
    const Group* last = chain.At(i + pattern.count - 1);
    if (last == nullptr) return {};
    for (const bool with_x : {true, false}) {
      if (Fits(chain, i, pattern.lengths, pattern.count, with_x)) {
        bool country_code = false;
        const std::optional<PiiKind> kind = Check(chain, i, pattern.count, with_x, country_code);
        if (kind && (pattern.kinds & Bit(*kind)) != 0) {
          return {pattern.count, *kind, country_code, !with_x && last->x_width != 0};
        }
      }
      if (last->x_width == 0) break;  // without an X the second reading is the same digits
    }
    return {};
  }

  // Whether some pattern can start with `first`; most groups in real text (years, days, amounts,
  // article numbers) are ruled out here by length alone.
  static bool CanStart(const Pattern& pattern, const Group& first) {
    if (pattern.count > 1) return first.x_width == 0 && first.chars == pattern.lengths[0];
    return first.chars == pattern.lengths[0] ||
           (first.x_width != 0 && first.chars - 1 == pattern.lengths[0]);
  }

  static Match MatchAt(Chain& chain, size_t i) {
    const Group& first = *chain.At(i);
    // "86 138 1234 5678", "+86 13812345678": a country code group before the number.
    if (first.chars == 2 && first.x_width == 0 && !first.star && first.text[0] == '8' &&
        first.text[1] == '6' && chain.At(i + 1) != nullptr) {
      for (const Pattern& pattern : kMobileAfterCountryCode) {
        const Match m = TryPattern(chain, i + 1, pattern);
        if (m.groups != 0) return {m.groups + 1, m.kind, true, m.drop_x};
      }
    }
    if (first.chars < 3 || (first.chars > 6 && first.chars < 11) ||
        first.chars > kMaxPatternChars + 1) {
      return {};
    }
    for (const Pattern& pattern : kPatterns) {
      if (!CanStart(pattern, first)) continue;
      const Match m = TryPattern(chain, i, pattern);
      if (m.groups != 0) return m;
    }
    return {};
  }

  // If local-part characters from `p` lead to an '@' with a valid domain, sets `at` to it.
  bool EmailFollows(size_t p, size_t& at) const {
    const size_t limit = std::min(n_, p + kMaxLocalPart);
    while (p < limit && IsLocalPartChar(s_[p])) ++p;
    if (p >= n_ || s_[p] != '@' || EmailDomainEnd(s_, n_, p + 1) == 0) return false;
    at = p;
    return true;
  }

  // Start of the local part before the '@' at `at`, reaching back no further than `floor`; or
  // SIZE_MAX if there is no acceptable one.
  size_t LocalPartBegin(size_t at, size_t floor) const {
    size_t begin = at;
    while (begin > floor && IsLocalPartChar(s_[begin - 1])) --begin;
    while (begin < at && s_[begin] == '.') ++begin;
    if (begin == at) return SIZE_MAX;
    // The local part goes on a digit run that is not part of it ("１７１７…740353@qq.com",
    // full-width digits not being local-part characters), or a masked one ("****0353@qq.com"): that
    // is the tail of a number, not an address, and reading it as one would find "0353@qq.com" only
    // once the number is masked.
    if (DigitLikeEndsAt(begin)) return SIZE_MAX;
    return begin;
  }

  // Whether an address is reported from the ASCII digit at `p`, given that nothing before `floor`
  // can be part of it. Run() and Chain ask this at the same places with the same floor, so a chain
  // ends before a group exactly when that group is then scanned as an address.
  bool AddressStartsAt(size_t p, size_t floor, size_t& at) const {
    return EmailFollows(p, at) && LocalPartBegin(at, floor) != SIZE_MAX;
  }

  // An address around the '@' at `at`, its local part starting no earlier than `floor`.
  bool TryEmail(size_t at, size_t floor, size_t& end) {
    const size_t begin = LocalPartBegin(at, floor);
    if (begin == SIZE_MAX) return false;
    const size_t domain_end = EmailDomainEnd(s_, n_, at + 1);
    if (domain_end == 0) return false;
    out_.push_back(
        {static_cast<uint32_t>(begin), static_cast<uint32_t>(domain_end), PiiKind::kEmail});
    end = domain_end;
    return true;
  }

  const Byte* s_;
  size_t n_;
  const PiiScanner::Options& options_;
  std::vector<PiiSpan>& out_;
};

// --- Masks ---

// Width of a character that a mask may replace at s[p], or 0: digits for every numeric kind, and
// for ID numbers letters too (X, and the letters of other 证件号码 the field policy masks).
[[gnu::always_inline]] inline size_t MaskableAt(const Byte* s, size_t n, size_t p, PiiKind kind) {
  char digit;
  if (size_t w = DigitAt(s, n, p, &digit)) return w;
  if (kind != PiiKind::kIdNumber) return 0;
  if (IsAsciiAlpha(s[p])) return 1;
  if (s[p] == 0xEF && p + 2 < n &&
      ((s[p + 1] == 0xBC && s[p + 2] >= 0xA1 && s[p + 2] <= 0xBA) ||   // Ａ..Ｚ
       (s[p + 1] == 0xBD && s[p + 2] >= 0x81 && s[p + 2] <= 0x9A))) {  // ａ..ｚ
    return 3;
  }
  return 0;
}

// Characters kept at the start and end of a numeric value of `count` maskable characters.
void KeptEnds(const Byte* s, size_t n, size_t count, PiiKind kind, size_t& head, size_t& tail) {
  switch (kind) {
    case PiiKind::kIdNumber:
      head = 2;
      tail = 3;
      break;
    case PiiKind::kMobile: {
      head = 3;
      tail = 4;
      // "+86 138…": the country code is not part of the number and stays.
      if (count == 13) {
        char first = 0, second = 0;
        size_t p = 0, seen = 0;
        while (p < n && seen < 2) {
          char digit;
          if (size_t w = DigitAt(s, n, p, &digit)) {
            (seen == 0 ? first : second) = digit;
            ++seen;
            p += w;
          } else {
            ++p;
          }
        }
        if (first == '8' && second == '6') head += 2;
      }
      break;
    }
    case PiiKind::kBankCard:
    case PiiKind::kEmail:
      head = 0;
      tail = 4;
      break;
  }
  // Too short to keep both ends and still hide something: hide it all.
  if (count <= head + tail) head = tail = 0;
}

size_t CountMaskable(const Byte* s, size_t n, PiiKind kind) {
  size_t count = 0;
  for (size_t p = 0; p < n;) {
    const size_t w = MaskableAt(s, n, p, kind);
    count += w != 0;
    p += w != 0 ? w : 1;
  }
  return count;
}

// Writes (or, with out == nullptr, only measures) the mask of a numeric value.
size_t MaskNumeric(const Byte* s, size_t n, PiiKind kind, char* out) {
  const size_t count = CountMaskable(s, n, kind);
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

size_t MaskEmail(const Byte* s, size_t n, char* out) {
  if (n == 0) return 0;
  const void* found = std::memchr(s, '@', n);
  const size_t at = found != nullptr ? static_cast<const Byte*>(found) - s : n;
  const size_t first = std::min(Utf8Width(s[0]), at == 0 ? size_t{0} : at);
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
  return MaskNumeric(s, value.size(), kind, out);
}

}  // namespace

std::string_view PiiKindName(PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: return "id_number";
    case PiiKind::kMobile: return "mobile";
    case PiiKind::kBankCard: return "bank_card";
    case PiiKind::kEmail: return "email";
  }
  return "unknown";
}

void PiiCounts::Add(PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: ++id_number; break;
    case PiiKind::kMobile: ++mobile; break;
    case PiiKind::kBankCard: ++bank_card; break;
    case PiiKind::kEmail: ++email; break;
  }
}

PiiScanner::PiiScanner(Options options) : options_(options) {}

void PiiScanner::Scan(std::string_view text, std::vector<PiiSpan>& out) const {
  out.clear();
  const size_t n = std::min<size_t>(text.size(), std::numeric_limits<uint32_t>::max());
  TextScanner(reinterpret_cast<const Byte*>(text.data()), n, options_, out).Run();
}

std::string_view PiiScanner::Redact(std::string_view text, Arena& arena, PiiCounts& counts,
                                    std::vector<PiiSpan>& scratch) const {
  Scan(text, scratch);
  if (scratch.empty()) return text;
  auto span_text = [&](const PiiSpan& span) {
    return text.substr(span.begin, span.end - span.begin);
  };
  // A bound rather than the exact size, to write each mask once: a numeric mask never grows, an
  // e-mail mask ("z***@", from a local part of at least one character) grows by at most 3 bytes.
  // The few bytes left over stay unused in the arena until its Reset().
  size_t size = text.size();
  for (const PiiSpan& span : scratch) size += span.kind == PiiKind::kEmail ? 3 : 0;
  char* out = arena.Allocate(size);
  size_t written = 0, copied = 0;
  for (const PiiSpan& span : scratch) {
    std::memcpy(out + written, text.data() + copied, span.begin - copied);
    written += span.begin - copied;
    written += MaskPiiTo(span_text(span), span.kind, out + written);
    copied = span.end;
    counts.Add(span.kind);
  }
  std::memcpy(out + written, text.data() + copied, text.size() - copied);
  written += text.size() - copied;
  return {out, written};
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
