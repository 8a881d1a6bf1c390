// NameMasker: the redaction stage's masking of natural persons' names in free text. The record's
// own natural persons (the subject of a 自然人 record, the operator of a 个体工商户) are masked
// wherever their name appears, written with or without separators between its characters; other
// people are found after a role word (当事人, 证人, 驾驶人…) by a surname dictionary. A name keeps
// its surname and loses the rest (张*, 欧阳**), as the structured field does. 暂行办法 Art. 7: the
// names of natural persons other than the penalised party are hidden.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/config/config.h"
#include "pipeline/record/arena.h"
#include "pipeline/record/error.h"

namespace gongshi {

// The names dictionary (schemas/names.json): surnames, role words, the roles whose names are
// public, and the words and characters that tell a name from ordinary text.
struct NameDictionary {
  std::string version;
  std::vector<std::string> compound_surnames;
  std::vector<std::string> single_surnames;
  std::vector<std::string> roles;
  std::vector<std::string> public_roles;
  std::vector<std::string> common_words;
  std::vector<std::string> not_given_name;
  std::vector<std::string> organisation_suffixes;
  // [before, after]: a person named between them without a role word (从…处, 与…发生, 殴打…).
  std::vector<std::pair<std::string, std::string>> frames;

  // Fails with the file and the key when the file is missing, not JSON, or a list is malformed
  // (an entry that is not one or two CJK characters where one is needed).
  static Result<NameDictionary> Load(const std::string& path);
};

// Thread-safe after Create: Mask is const and keeps no state.
class NameMasker {
 public:
  // The dictionary's roles plus config.roles, minus config.public_roles.
  static Result<std::unique_ptr<NameMasker>> Create(const NameDictionary& dictionary,
                                                    const RedactionConfig::NamesConfig& config);

  // A byte range of one given-name character that becomes '*'.
  struct Hidden {
    uint32_t begin;
    uint32_t end;
  };

  // Masks in `text` every occurrence of the names in `own` (full names as the record gives them)
  // and every person named after a role word. Returns `text` itself (no copy) when nothing was
  // masked; otherwise a copy in `arena`. Adds the names masked to `masked`. `scratch` is working
  // space; reuse it between calls.
  std::string_view Mask(std::string_view text, std::span<const std::string_view> own, Arena& arena,
                        uint64_t& masked, std::vector<Hidden>& scratch) const;

  // Bytes of the surname at the start of `name`: a compound surname (欧阳) if the dictionary has
  // it, else the first character.
  size_t SurnameBytes(std::string_view name) const;

 private:
  NameMasker() = default;

  size_t MaskOwn(std::string_view text, std::string_view name, std::vector<Hidden>& hidden) const;
  size_t MaskAfterRoles(std::string_view text, std::vector<Hidden>& hidden) const;
  // People listed after a name that ends at `end` ("证人李娜、王芳和张伟"): masked too.
  size_t ListAfter(std::string_view text, size_t end, std::vector<Hidden>& hidden) const;
  // Given-name characters of a person named at `p` (after a role word), or 0 if what follows is
  // no name. Appends their ranges to `hidden`.
  size_t NameAt(std::string_view text, size_t p, std::string_view after,
                std::vector<Hidden>& hidden) const;
  // The end of an anonymised name at `p` (张某, 王某某), or 0.
  size_t AnonymisedAt(std::string_view text, size_t p) const;
  bool OrganisationFollows(std::string_view text, size_t p) const;

  bool IsCompound(uint32_t first, uint32_t second) const {
    return first < 0x10000 && compound_first_.test(first) &&
           compound_.count(uint64_t{first} << 32 | second);
  }

  std::unordered_set<uint64_t> compound_;  // two code points
  std::bitset<0x10000> compound_first_;    // their first characters: most lookups end here
  std::bitset<0x10000> single_;            // code points of single-character surnames
  struct Role {
    std::string text;
    bool is_public;     // a role whose names are published: skipped, never masked
    std::string after;  // a frame's second half, which must follow the name; empty for a role
  };
  // Roles by first code point, longest first: role_slot_[cp] is 1 + the index of cp's list in
  // role_lists_ (0: no role starts with cp). A flat table, because it is read for every CJK
  // character of every free-text field.
  std::vector<uint16_t> role_slot_;
  std::bitset<0x10000> role_first_;  // the same, as bits: 8 KB that stay in the L1 cache
  std::vector<std::vector<Role>> role_lists_;
  std::unordered_set<uint64_t> common_words_;
  std::bitset<0x10000> not_given_;
  std::bitset<0x10000> function_chars_;  // 的 在 于…: a company's name holds none
  std::bitset<0x10000> place_suffix_;    // 市 县 区 村…: "王家村" is a place, not 王*村
  std::vector<std::string> organisation_suffixes_;      // two characters or more
  std::bitset<0x10000> suffix_last_;                    // their last characters
  std::vector<std::string> organisation_suffix_chars_;  // one character (店, 厂, 场…)
};

}  // namespace gongshi
