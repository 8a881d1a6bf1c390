// PiiScanner: the redaction stage's free-text scanner. Finds ID numbers, mobile numbers, bank cards
// and e-mail addresses in UTF-8 text (违法事实, 处罚内容, 备注…) and masks them; domain.md §3.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/record/arena.h"

namespace gongshi {

enum class PiiKind : uint8_t { kIdNumber, kMobile, kBankCard, kEmail };

// Stable snake_case name, for metrics labels and audit logs: "id_number", "mobile", "bank_card",
// "email".
std::string_view PiiKindName(PiiKind kind);

// One finding: byte offsets into the scanned text, [begin, end). A span covers the whole finding as
// written, separators included ("138 1234 5678", "+86 13812345678").
struct PiiSpan {
  uint32_t begin;
  uint32_t end;
  PiiKind kind;

  friend bool operator==(const PiiSpan&, const PiiSpan&) = default;
};

// Findings per kind; a stage keeps one per batch and adds it to its metrics once.
struct PiiCounts {
  uint64_t id_number = 0;
  uint64_t mobile = 0;
  uint64_t bank_card = 0;
  uint64_t email = 0;

  uint64_t total() const { return id_number + mobile + bank_card + email; }
  void Add(PiiKind kind);
};

// Which kinds PiiScanner reports. A disabled ID, mobile or bank-card kind is still recognised (so
// an ID number is never reported as a bank card because IDs are off) but neither reported nor
// masked. With e-mails off, addresses are not recognised at all and digits inside them are scanned
// as numbers. (At namespace scope because g++ 12 rejects `Options options = {}` for a nested struct
// with member initialisers.)
struct PiiScannerOptions {
  bool id_numbers = true;
  bool mobiles = true;
  bool bank_cards = true;
  bool emails = true;
};

// What is found, in order of precedence where two readings of one digit run are possible:
// - ID numbers: 18 digits (the last may be X/x/Ｘ) passing the GB 11643 checksum with a birth date
//   that exists and lies in 1850..2099; 15-digit pre-1999 numbers with a real 19YYMMDD date at
//   characters 7-12 and an area code starting 1-8 (they have no checksum).
// - Mobile numbers: 1[3-9] and 9 more digits, optionally written 3-4-4, optionally after 86/+86.
// - Bank cards: 16-19 digits passing Luhn, contiguous or in groups of 4 (the last group 1-4).
// - E-mail addresses: an ASCII local part ([A-Za-z0-9._%+-]) @ labels joined by '.', the last
//   alphabetic with 2+ letters. Digits in an address belong to it ("13812345678@163.com" is one
//   address). Not reported: a local part that directly follows full-width or masked digits (it is
//   a number's tail), and chained addresses ("a@b.cn_x@c.com", where it is unclear which '@' owns
//   "b.cn_x"; the second is then tried on its own).
// Digits may be ASCII or full-width (U+FF10..U+FF19). Groups may be joined by one space, '-',
// U+3000 or '－' (U+FF0D); besides the groupings above, ID numbers may be written 6-8-4, 6-4-4-4,
// 6-6-3 (15 digits) or in groups of 4. Other groupings are not combined (two dates joined by a
// space make 16 digits, and 1 in 10 such strings passes Luhn). A group is never split: digits
// that are part of a longer run (an 18-digit ID inside a 25-digit number) are not a finding; an
// X after a group that is no ID number is a letter next to it ("13812345678x" is a mobile).
// Letters and other characters next to a group do not stop a match ("Tel13812345678").
//
// Already masked text is left alone: a digit chain that touches '*' yields nothing, and neither
// does the domain of a "z***@…" address. Together with the rules above this makes Redact's output
// scan clean (the randomised test checks it).
//
// Thread-safe: Scan and Redact are const and keep no state.
class PiiScanner {
 public:
  using Options = PiiScannerOptions;

  explicit PiiScanner(Options options = {});

  // Clears `out` and appends every finding in `text`, sorted by begin and non-overlapping. Does not
  // allocate while `out` has capacity. Only the first 4 GiB of `text` are scanned (offsets are
  // 32-bit; free-text fields are a few KB).
  void Scan(std::string_view text, std::vector<PiiSpan>& out) const;

  // Returns `text` itself (same data pointer, no copy) when it holds nothing to mask. Otherwise
  // writes a masked copy into `arena`, valid until its Reset(), returns a view of it and adds what
  // it masked to `counts`. `scratch` holds the findings afterwards; reuse it between calls.
  std::string_view Redact(std::string_view text, Arena& arena, PiiCounts& counts,
                          std::vector<PiiSpan>& scratch) const;

 private:
  Options options_;
};

// Masks, shared with the structured-field policy. Each masked character (ASCII or full-width digit,
// X) becomes one ASCII '*'; kept characters, separators and anything else are copied unchanged, so
// valid UTF-8 stays valid.
// - kIdNumber: keep the first 2 and last 3 characters: "35*************123".
// - kMobile: keep the first 3 and last 4 of the 11-digit number, and any 86 prefix: "138****1234".
// - kBankCard: keep the last 4 digits.
// - kEmail: the first character, "***", then everything from the '@' on: "z***@example.com".
// Without
//   an '@' the whole value is one local part.
// Bytes that MaskPiiTo writes for `value`.
size_t MaskedSize(std::string_view value, PiiKind kind);
// Writes the mask of `value` into `out`, which must hold MaskedSize(value, kind) bytes; returns the
// number of bytes written.
size_t MaskPiiTo(std::string_view value, PiiKind kind, char* out);
// The mask of `value`, stored in `arena`.
std::string_view MaskPii(std::string_view value, PiiKind kind, Arena& arena);

}  // namespace gongshi
