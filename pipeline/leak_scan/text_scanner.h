// TextScanner: the leak scan's reading of one piece of text (a JSON string, a CSV cell, a raw
// line). It finds every written form of an ID number, mobile, bank card, e-mail, and the name of a
// natural person after a role word, and reports where, never what. Independent of the redactor's
// scanner by design (see checksums.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pipeline/record/error.h"

namespace gongshi {

// What a finding is. The codes are stable: reports, tests and `--format json` use them.
enum class LeakClass : uint8_t { kIdNumber, kMobile, kBankCard, kEmail, kName };
inline constexpr size_t kLeakClassCount = 5;
std::string_view LeakClassName(
    LeakClass kind);  // "id_number", "mobile", "bank_card", "email", "name"

namespace leak_scan {

// schemas/names.json read for the leak scan (its $comment says what each list is). Kept as code
// points: the scanner matches on decoded text.
struct NameDictionary {
  std::vector<std::u32string> roles;
  std::vector<std::u32string> public_roles;
  std::unordered_set<std::u32string> surnames_compound;  // two characters each
  std::unordered_set<char32_t> surnames_single;
  std::unordered_set<std::u32string> common_words;  // two characters each
  std::unordered_set<char32_t> not_given_name;
  std::vector<std::u32string> organisation_suffixes;

  // Fails (kInvalidConfig, naming the file and the key) when a list is missing, not an array of
  // strings, or a surname/common word has the wrong length.
  static Result<NameDictionary> Load(const std::string& path);
};

// One finding in a text: byte offsets [begin, end) into the text as given.
struct TextHit {
  LeakClass kind = LeakClass::kIdNumber;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Thread-compatible: Scan() reuses scratch buffers, so one scanner per thread.
class TextScanner {
 public:
  explicit TextScanner(std::shared_ptr<const NameDictionary> names);

  // Appends the findings in `text` (UTF-8; invalid bytes are read as non-characters) to `hits`,
  // in order of position. `binary`: the text is a binary record (a RocksDB value), where the
  // length byte of the next field may be an ASCII digit glued to an organisation code.
  void Scan(std::string_view text, std::vector<TextHit>& hits, bool binary = false);

 private:
  struct Group {
    uint32_t first = 0;         // code point index of the first digit
    uint32_t last = 0;          // one past the last digit (the check X, if any, is at `last`)
    uint32_t digits_begin = 0;  // offset into chain_digits_
    bool check_x = false;       // an X/x/Ｘ/ｘ after the digits (directly or set apart)
    uint32_t x_index = 0;       // its code point index
    bool in_date = false;       // part of a date written as groups (2023-01-01, 2023.01.01)
    bool glued = false;         // follows the previous group without a separator (width change)
  };
  struct Candidate {
    LeakClass kind;
    uint32_t length;  // digits
    bool ends_with_x;
  };

  void Decode(std::string_view text);
  void MarkSkippedTokens();
  bool UsccToken(size_t i) const;
  void ScanDigits(std::vector<TextHit>& hits);
  void ScanChain(std::vector<TextHit>& hits);
  bool ValidCandidate(uint32_t begin, uint32_t end, bool with_x, LeakClass kind) const;
  bool CardShaped(uint32_t begin, uint32_t end, bool before_x) const;
  void ScanEmails(std::vector<TextHit>& hits);
  void ScanNames(std::vector<TextHit>& hits);
  bool OrganisationOrPlace(const std::vector<uint32_t>& at, size_t name_length) const;
  uint32_t ByteAt(uint32_t index) const { return offsets_[index]; }

  std::shared_ptr<const NameDictionary> names_;
  std::unordered_set<char32_t> role_first_;
  bool binary_ = false;
  std::u32string text_;            // decoded code points
  std::vector<uint32_t> offsets_;  // byte offset of each code point, plus the end
  std::vector<uint8_t> skip_;      // 1 where a code point belongs to a skipped token (hex id, USCC)
  std::vector<Group> groups_;      // the current chain
  std::string chain_digits_;       // the current chain's digits, ASCII
  std::vector<uint32_t> digit_cp_;  // code point index of each of chain_digits_
  std::vector<uint32_t> group_of_;  // group index of each of chain_digits_
  std::vector<uint8_t> boundary_;   // 1 where a group starts (and at the end)
  std::vector<uint32_t> next_boundary_;
  std::vector<int32_t> best_;  // dynamic programme over chain_digits_
  std::vector<int32_t> choice_;
};

}  // namespace leak_scan
}  // namespace gongshi
