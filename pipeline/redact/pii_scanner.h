// PiiScanner: the redaction stage's free-text scanner. Finds ID numbers, mobile numbers, bank cards
// and e-mail addresses in UTF-8 text (违法事实, 处罚内容, 备注…) and masks them; domain.md §3.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/record/arena.h"
#include "pipeline/record/pii_kind.h"  // the scanner finds all but kName

namespace gongshi {

// One finding: byte offsets into the scanned text, [begin, end). A span covers the whole finding as
// written, separators and a "+86" prefix included ("138 1234 5678", "+86 13812345678").
struct PiiSpan {
  uint32_t begin;
  uint32_t end;
  PiiKind kind;
  // Numeric kinds: bit i set = the i-th digit (or X) of the span stays visible in its mask. The
  // scanner decides it: the kind's rule (35*************123, 138****5678, last 4 of a card),
  // narrowed to the digits every overlapping reading would keep. Unused for e-mails.
  uint64_t kept = 0;

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

// What is found. Digits may be ASCII, full-width (U+FF10..U+FF19) or mixed; a chain is digit
// groups joined by runs of at most 3 separator characters, any of: spaces (ASCII, NBSP, U+3000 and
// the other Unicode spaces, the invisible U+200B..U+200D, U+2060, U+FEFF), hyphens and dashes of
// every width, dots (. · ・ ．), slashes, backslashes and underscores. A chain is read in any
// grouping; every reading is checked:
// - ID numbers: 18 characters (the last may be X/x/Ｘ/ｘ) passing the GB 11643 checksum with a
//   birth date that exists and lies in 1850..2099, at any position of a chain (so one glued to
//   other digits is found: "No.1110101…", an ID number directly followed by a mobile); 15-digit
//   pre-1999 numbers with a province area code and a real 19YYMMDD date at characters 7-12.
// - Mobile numbers: 1[3-9] and 9 more digits, optionally after 86, 0086, +86 or ＋86, glued or
//   apart.
// - Bank cards: 16-19 digits passing Luhn with an issuer's first digit (16: 3-6; 17-19: 6 or 9).
// The weaker readings (mobiles, 15-digit IDs, cards) start and end where groups do (or where an
// ID number found in the run, an X, or a change between ASCII and full-width digits ends), so
// that digits in the middle of a longer number are not one; they are written in a bounded number
// of groups (a list of small numbers is no phone number), a card's groups never read as a date
// (2023.01.01-2028.12.31 is no card), and cards and 15-digit IDs right after a label of another
// kind of number (许可证编号, 注册号…) are not one.
// - E-mail addresses: a local part (ASCII [A-Za-z0-9._%+-], full-width letters and digits), an
//   @-form (@ ＠ (at) [at] （at） 【at】, or # ＃ where a domain follows), a domain of labels
//   joined by . ． 。 (dot) [dot], the last alphabetic with 2+ letters. The TLD ends where glued
//   digits start ("abc@163.com13812345678" is an address and a mobile). Digits in an address belong
//   to it ("13812345678@163.com", "138 1234 5678@163.com" are one address).
// Neighbours do not stop a match: letters, Chinese text, '*' or '＊' ("联系电话＊176…").
// Overlapping readings are one finding, named by the longest (the stronger check between equals):
// its span covers them all and a digit stays visible only if every reading that holds it keeps it
// (PiiSpan::kept), so no reading shows more of itself than its own mask would.
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
  // it masked to `counts`. The copy is scanned again until it holds nothing (masking can join
  // what a mask keeps with the next group into a new reading), so Scan of the result is empty.
  // `scratch` is working space; reuse it between calls.
  std::string_view Redact(std::string_view text, Arena& arena, PiiCounts& counts,
                          std::vector<PiiSpan>& scratch) const;

 private:
  Options options_;
};

// Masks of the structured-field policy (free-text findings are masked as their `kept` says). Each
// masked character (ASCII or full-width digit, X) becomes one ASCII '*'; kept characters,
// separators and anything else are copied unchanged, so valid UTF-8 stays valid.
// - kIdNumber: keep the first 2 and last 3 characters: "35*************123".
// - kMobile: keep the first 3 and last 4 of the 11-digit number, and any 86/0086 prefix:
//   "138****1234".
// - kBankCard: keep the last 4 digits.
// - kEmail: the first character, "***", then everything from the @-form on: "z***@example.com",
//   "z***(at)163.com". Without an @-form the whole value is one local part.
// Bytes that MaskPiiTo writes for `value`.
size_t MaskedSize(std::string_view value, PiiKind kind);
// Writes the mask of `value` into `out`, which must hold MaskedSize(value, kind) bytes; returns the
// number of bytes written.
size_t MaskPiiTo(std::string_view value, PiiKind kind, char* out);
// The mask of `value`, stored in `arena`.
std::string_view MaskPii(std::string_view value, PiiKind kind, Arena& arena);

}  // namespace gongshi
