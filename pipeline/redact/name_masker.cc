// NameMasker: names of natural persons in free text. Own names are searched for as written;
// role words are found by a bit set of their first characters (one test per CJK character, so a
// field without role words costs a pass over its bytes), then the dictionary decides whether what
// follows is a surname, a given name and not an organisation or a place.
#include "pipeline/redact/name_masker.h"

#include <algorithm>
#include <cstring>

#include <simdjson.h>

namespace gongshi {
namespace {

// Decodes the UTF-8 character at text[p]: its width (0 for an invalid or truncated sequence) and
// code point.
size_t Decode(std::string_view text, size_t p, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(text[p]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  auto cont = [&](size_t i) {
    return p + i < text.size() && (static_cast<unsigned char>(text[p + i]) & 0xC0) == 0x80;
  };
  auto bits = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(text[p + i]) & 0x3F);
  };
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    cp = (b0 & 0x1Fu) << 6 | bits(1);
    return 2;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    cp = (b0 & 0x0Fu) << 12 | bits(1) << 6 | bits(2);
    return 3;
  }
  if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    cp = (b0 & 0x07u) << 18 | bits(1) << 12 | bits(2) << 6 | bits(3);
    return 4;
  }
  cp = 0;
  return 0;
}

// CJK ideographs (the basic block, extension A, the compatibility block, extensions B and on, and
// 〇 of dates written in characters): what Chinese names and the words around them are written in.
bool IsHan(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || cp == 0x3007 || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

// What clerks put between a name's characters: spaces (ASCII, NBSP, ideographic) and the middle
// dots of transliterated names (· ・ ‧ •).
size_t NameSeparatorAt(std::string_view text, size_t p) {
  uint32_t cp = 0;
  const size_t w = Decode(text, p, cp);
  switch (cp) {
    case ' ':
    case '\t':
    case 0xA0:
    case 0x3000:
    case 0xB7:
    case 0x30FB:
    case 0x2027:
    case 0x2022:
    case 0x2002:
    case 0x2003:
    case 0x2009:
    case 0x200B: return w;
    default: return 0;
  }
}
// A name's characters may be split by at most this many separator characters ("张 伟", "张　 伟").
constexpr int kMaxNameSeparators = 2;

size_t SkipSeparators(std::string_view text, size_t p) {
  for (int i = 0; i < kMaxNameSeparators && p < text.size(); ++i) {
    const size_t w = NameSeparatorAt(text, p);
    if (w == 0) break;
    p += w;
  }
  return p;
}

uint64_t Pair(uint32_t a, uint32_t b) { return uint64_t{a} << 32 | b; }

// The code points of a dictionary entry; empty if it is not valid UTF-8.
std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t p = 0; p < s.size();) {
    uint32_t cp = 0;
    const size_t w = Decode(s, p, cp);
    if (w == 0) return {};
    out.push_back(cp);
    p += w;
  }
  return out;
}

// Characters that a person's name is followed by when the text goes on about them, and that the
// name of an organisation never holds: "当事人张伟在…" is a person, "申请人杭州鑫盛网络科技有限
// 公司" an organisation.
constexpr std::string_view kFunctionChars =
    "的了在于对向将把被等与及为从自因并且由已未曾均称系是无擅拒违涉驾持使到去来往";
// What ends a place's name: "受害人王家村村民" names a village, not 王*.
constexpr std::string_view kPlaceSuffixes = "省市县区镇乡村路街州";

// Punctuation a role word may be followed by before the name ("当事人：张伟").
size_t RolePunctuationAt(std::string_view text, size_t p) {
  uint32_t cp = 0;
  const size_t w = Decode(text, p, cp);
  return cp == ':' || cp == 0xFF1A || cp == ' ' || cp == 0x3000 ? w : 0;
}

// Joins a list of people: "证人李娜、王芳".
size_t ListJoinAt(std::string_view text, size_t p) {
  uint32_t cp = 0;
  const size_t w = Decode(text, p, cp);
  return cp == 0x3001 /*、*/ || cp == 0x548C /*和*/ || cp == 0x53CA /*及*/ ? w : 0;
}

Status ReadList(simdjson::dom::object root, std::string_view key, const std::string& path,
                std::vector<std::string>& out) {
  simdjson::dom::array array;
  if (root[key].get(array)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: '{}' is missing or not a list of strings", path, key));
  }
  for (simdjson::dom::element e : array) {
    std::string_view s;
    if (e.get(s) || s.empty() || CodePoints(s).empty()) {
      return Fail(
          ErrorCode::kInvalidConfig,
          fmt::format("{}: '{}' holds an entry that is not a non-empty UTF-8 string", path, key));
    }
    out.emplace_back(s);
  }
  return Ok();
}

}  // namespace

Result<NameDictionary> NameDictionary::Load(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.load(path).get(doc)) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: cannot read the names dictionary ({})",
                                                       path, simdjson::error_message(error)));
  }
  simdjson::dom::object root;
  if (doc.get(root)) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: not a JSON object", path));
  }
  NameDictionary d;
  std::string_view version;
  if (!root["version"].get(version)) d.version = std::string(version);
  if (auto s = ReadList(root, "surnames_compound", path, d.compound_surnames); !s)
    return Fail(s.error());
  if (auto s = ReadList(root, "surnames_single", path, d.single_surnames); !s)
    return Fail(s.error());
  if (auto s = ReadList(root, "roles", path, d.roles); !s) return Fail(s.error());
  if (auto s = ReadList(root, "public_roles", path, d.public_roles); !s) return Fail(s.error());
  if (auto s = ReadList(root, "common_words", path, d.common_words); !s) return Fail(s.error());
  if (auto s = ReadList(root, "not_given_name", path, d.not_given_name); !s) return Fail(s.error());
  if (auto s = ReadList(root, "organisation_suffixes", path, d.organisation_suffixes); !s)
    return Fail(s.error());
  simdjson::dom::array frames;
  if (!root["frames"].get(frames)) {
    for (simdjson::dom::element frame : frames) {
      simdjson::dom::array pair;
      std::string_view before, after;
      if (frame.get(pair) || pair.size() != 2 || pair.at(0).get(before) || pair.at(1).get(after) ||
          before.empty()) {
        return Fail(
            ErrorCode::kInvalidConfig,
            fmt::format("{}: 'frames' holds an entry that is not [before, after] strings", path));
      }
      d.frames.emplace_back(std::string(before), std::string(after));
    }
  }
  auto check = [&](const std::vector<std::string>& list, std::string_view key,
                   size_t chars) -> Status {
    for (const std::string& s : list) {
      const std::vector<uint32_t> cps = CodePoints(s);
      if (cps.size() != chars || !std::all_of(cps.begin(), cps.end(), IsHan)) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("{}: '{}' entry '{}' must be {} CJK character{}", path, key, s,
                                chars, chars == 1 ? "" : "s"));
      }
    }
    return Ok();
  };
  if (auto s = check(d.compound_surnames, "surnames_compound", 2); !s) return Fail(s.error());
  if (auto s = check(d.single_surnames, "surnames_single", 1); !s) return Fail(s.error());
  if (auto s = check(d.common_words, "common_words", 2); !s) return Fail(s.error());
  if (auto s = check(d.not_given_name, "not_given_name", 1); !s) return Fail(s.error());
  return d;
}

Result<std::unique_ptr<NameMasker>> NameMasker::Create(const NameDictionary& dictionary,
                                                       const RedactionConfig::NamesConfig& config) {
  std::unique_ptr<NameMasker> m(new NameMasker());
  for (const std::string& s : dictionary.compound_surnames) {
    const std::vector<uint32_t> cps = CodePoints(s);
    m->compound_.insert(Pair(cps[0], cps[1]));
    if (cps[0] < 0x10000) m->compound_first_.set(cps[0]);
  }
  auto set_bits = [](std::bitset<0x10000>& bits, std::string_view chars) {
    const std::vector<uint32_t> cps = CodePoints(chars);
    for (uint32_t cp : cps) {
      if (cp < 0x10000) bits.set(cp);
    }
  };
  for (const std::string& s : dictionary.single_surnames) set_bits(m->single_, s);
  for (const std::string& s : dictionary.not_given_name) set_bits(m->not_given_, s);
  set_bits(m->function_chars_, kFunctionChars);
  set_bits(m->place_suffix_, kPlaceSuffixes);
  for (const std::string& s : dictionary.common_words) {
    const std::vector<uint32_t> cps = CodePoints(s);
    m->common_words_.insert(Pair(cps[0], cps[1]));
  }
  std::vector<std::string> public_roles = dictionary.public_roles;
  public_roles.insert(public_roles.end(), config.public_roles.begin(), config.public_roles.end());
  std::vector<std::string> roles = dictionary.roles;
  roles.insert(roles.end(), config.roles.begin(), config.roles.end());
  auto add_role = [&](const std::string& role, bool is_public,
                      const std::string& after = {}) -> Status {
    const std::vector<uint32_t> cps = CodePoints(role);
    if (cps.empty() || cps[0] >= 0x10000 || !IsHan(cps[0])) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("redaction.names: role '{}' must start with a CJK character", role));
    }
    if (m->role_slot_.empty()) m->role_slot_.assign(0x10000, 0);
    uint16_t& slot = m->role_slot_[cps[0]];
    if (slot == 0) {
      m->role_lists_.emplace_back();
      slot = static_cast<uint16_t>(m->role_lists_.size());
      m->role_first_.set(cps[0]);
    }
    auto& list = m->role_lists_[slot - 1];
    for (Role& existing : list) {
      if (existing.text == role && existing.after == after) {
        existing.is_public = existing.is_public || is_public;
        return Ok();
      }
    }
    list.push_back({role, is_public, after});
    return Ok();
  };
  for (const std::string& role : public_roles)
    if (auto s = add_role(role, true); !s) return Fail(s.error());
  for (const std::string& role : roles)
    if (auto s = add_role(role, false); !s) return Fail(s.error());
  for (const auto& [before, after] : dictionary.frames) {
    if (auto s = add_role(before, false, after); !s) return Fail(s.error());
  }
  if (m->role_slot_.empty()) m->role_slot_.assign(0x10000, 0);
  for (auto& list : m->role_lists_) {
    std::sort(list.begin(), list.end(),
              [](const Role& a, const Role& b) { return a.text.size() > b.text.size(); });
  }
  for (const std::string& suffix : dictionary.organisation_suffixes) {
    const std::vector<uint32_t> cps = CodePoints(suffix);
    (cps.size() == 1 ? m->organisation_suffix_chars_ : m->organisation_suffixes_).push_back(suffix);
    if (cps.size() > 1 && cps.back() < 0x10000) m->suffix_last_.set(cps.back());
  }
  return m;
}

size_t NameMasker::SurnameBytes(std::string_view name) const {
  uint32_t a = 0, b = 0;
  const size_t w1 = name.empty() ? 0 : Decode(name, 0, a);
  if (w1 == 0) return name.empty() ? 0 : 1;
  if (w1 < name.size()) {
    const size_t w2 = Decode(name, w1, b);
    // A compound surname only when a given name follows it: 欧阳娜 is 欧阳 + 娜.
    if (w2 != 0 && w1 + w2 < name.size() && IsCompound(a, b)) return w1 + w2;
  }
  return w1;
}

size_t NameMasker::MaskOwn(std::string_view text, std::string_view name,
                           std::vector<Hidden>& hidden) const {
  // The name's characters, separators dropped (a structured "阿依·买买提" matches as written or
  // without the dot).
  struct Char {
    size_t begin;
    size_t width;
  };
  Char chars[16];
  size_t n = 0;
  for (size_t p = 0; p < name.size() && n < std::size(chars);) {
    if (const size_t sep = NameSeparatorAt(name, p)) {
      p += sep;
      continue;
    }
    uint32_t cp = 0;
    const size_t w = Decode(name, p, cp);
    if (w == 0) return 0;
    chars[n++] = {p, w};
    p += w;
  }
  if (n < 2 || n == std::size(chars)) return 0;
  const size_t surname_bytes = SurnameBytes(name);
  size_t surname_chars = 0;
  while (surname_chars < n && chars[surname_chars].begin < surname_bytes) ++surname_chars;
  if (surname_chars >= n) return 0;
  const std::string_view first = name.substr(chars[0].begin, chars[0].width);
  size_t found = 0;
  for (size_t at = text.find(first); at != std::string_view::npos; at = text.find(first, at + 1)) {
    size_t p = at + first.size();
    const size_t mark = hidden.size();
    bool matched = true;
    for (size_t i = 1; i < n; ++i) {
      p = SkipSeparators(text, p);
      const std::string_view c = name.substr(chars[i].begin, chars[i].width);
      if (text.compare(p, c.size(), c) != 0) {
        matched = false;
        break;
      }
      if (i >= surname_chars) {
        hidden.push_back({static_cast<uint32_t>(p), static_cast<uint32_t>(p + c.size())});
      }
      p += c.size();
    }
    if (!matched) {
      hidden.resize(mark);
      continue;
    }
    ++found;
    found += ListAfter(text, p, hidden);
    at = p - 1;
  }
  return found;
}

bool NameMasker::OrganisationFollows(std::string_view text, size_t p) const {
  // The run of CJK characters from the name on, up to 40, as far as the first function
  // character: an organisation's name if it holds a suffix of two characters or more (有限公司,
  // 合作社), or ends the run, four characters or more, with a one-character suffix (王记烧烤店).
  // "王芳当场制止" ends in no suffix; "王芳到公司报案" stops at 到.
  size_t end = p;
  size_t chars = 0;
  while (end < text.size() && chars < 40) {
    uint32_t cp = 0;
    const size_t w = Decode(text, end, cp);
    // A masked character ('*') stands for the one it hid, so that masking a name inside an
    // organisation's name does not change how the rest reads.
    if (w == 0 || (!IsHan(cp) && cp != '*') || (cp < 0x10000 && function_chars_.test(cp))) break;
    end += w;
    ++chars;
    // Suffixes are looked for only where one can end (their last characters, as bits).
    if (cp < 0x10000 && suffix_last_.test(cp)) {
      for (const std::string& suffix : organisation_suffixes_) {
        if (end - p > suffix.size() &&
            text.compare(end - suffix.size(), suffix.size(), suffix) == 0) {
          return true;
        }
      }
    }
  }
  if (chars < 4) return false;
  // The run must end there: the next character is not CJK (a comma, a bracket, the text's end).
  uint32_t next = 0;
  if (end < text.size() && Decode(text, end, next) != 0 && (IsHan(next) || next == '*')) {
    return false;
  }
  // Words that end in such a character and name no organisation: "殴打王芳头部", "张伟当场".
  static constexpr std::string_view kNotOrganisations[] = {
      "头部", "面部", "颈部", "背部", "胸部", "腹部", "腰部", "腿部", "手部", "脚部", "脸部",
      "全部", "局部", "内部", "外部", "当场", "现场", "在场", "到场", "离场", "退场"};
  for (std::string_view word : kNotOrganisations) {
    if (end - p >= word.size() && text.compare(end - word.size(), word.size(), word) == 0) {
      return false;
    }
  }
  for (const std::string& suffix : organisation_suffix_chars_) {
    if (text.compare(end - suffix.size(), suffix.size(), suffix) == 0) return true;
  }
  return false;
}

size_t NameMasker::AnonymisedAt(std::string_view text, size_t p) const {
  uint32_t c1 = 0, c2 = 0;
  const size_t w1 = p < text.size() ? Decode(text, p, c1) : 0;
  if (w1 == 0 || !IsHan(c1)) return 0;
  size_t q = p + w1;
  const size_t w2 = q < text.size() ? Decode(text, q, c2) : 0;
  if (w2 != 0 && IsCompound(c1, c2)) {
    q += w2;
  } else if (c1 >= 0x10000 || !single_.test(c1)) {
    return 0;
  }
  constexpr std::string_view kMou = "某";
  if (text.compare(q, kMou.size(), kMou) != 0) return 0;
  q += kMou.size();
  if (text.compare(q, kMou.size(), kMou) == 0) q += kMou.size();
  return q;
}

size_t NameMasker::NameAt(std::string_view text, size_t p, std::string_view required_after,
                          std::vector<Hidden>& hidden) const {
  if (p >= text.size()) return 0;
  uint32_t c1 = 0, c2 = 0;
  const size_t w1 = Decode(text, p, c1);
  if (w1 == 0 || !IsHan(c1)) return 0;
  size_t q = p + w1;
  // A compound surname may be spaced too ("独　孤　洋海", "单·于·峰").
  const size_t q2 = SkipSeparators(text, q);
  const size_t w2 = q2 < text.size() ? Decode(text, q2, c2) : 0;
  bool single = false;
  if (w2 != 0 && IsCompound(c1, c2)) {
    q = q2 + w2;
  } else if (c1 < 0x10000 && single_.test(c1)) {
    single = true;
  } else {
    return 0;
  }
  // Up to two given-name characters; a character no name holds ends it.
  Hidden given[2];
  size_t n = 0;
  uint32_t first_given = 0;
  size_t after = q;
  while (n < 2) {
    const size_t r = SkipSeparators(text, after);
    if (r >= text.size()) break;
    uint32_t cp = 0;
    const size_t w = Decode(text, r, cp);
    if (w == 0 || !IsHan(cp) || (cp < 0x10000 && not_given_.test(cp))) break;
    if (n == 0) first_given = cp;
    given[n++] = {static_cast<uint32_t>(r), static_cast<uint32_t>(r + w)};
    after = r + w;
  }
  if (n == 0) return 0;  // 张某, 王某某: anonymised already
  // 当事人于当日…, 申请人申请延期: a word, not a name; unless a full name stands there: three
  // characters and then the clause goes on as after a name ("受害人白天欣，", "从业人员白天泽的").
  if (single && common_words_.count(Pair(c1, first_given))) {
    uint32_t next = 0;
    const bool ends_name = after >= text.size() || Decode(text, after, next) == 0 ||
                           (!IsHan(next) && next != '*') ||
                           (next < 0x10000 && function_chars_.test(next));
    if (n != 2 || !ends_name) return 0;
  }
  // 王家村: a place.
  if (after < text.size()) {
    uint32_t cp = 0;
    if (Decode(text, after, cp) != 0 && cp < 0x10000 && place_suffix_.test(cp)) return 0;
  }
  // A frame's second half must follow ("从张伟处"); two given characters may have taken its
  // first character ("从张伟处" read as 伟处): try one.
  if (!required_after.empty()) {
    if (text.compare(after, required_after.size(), required_after) != 0) {
      if (n == 2 && text.compare(given[0].end, required_after.size(), required_after) == 0) {
        n = 1;
        after = given[0].end;
      } else {
        return 0;
      }
    }
  }
  if (OrganisationFollows(text, p)) return 0;
  hidden.insert(hidden.end(), given, given + n);
  return after;
}

size_t NameMasker::ListAfter(std::string_view text, size_t end, std::vector<Hidden>& hidden) const {
  size_t found = 0;
  for (int people = 0; people < 5 && end < text.size(); ++people) {
    // "张伟某、李娜": what follows a name (某, 某某) before the list goes on.
    constexpr std::string_view kMou = "某";
    while (text.compare(end, kMou.size(), kMou) == 0) end += kMou.size();
    const size_t join = end < text.size() ? ListJoinAt(text, end) : 0;
    if (join == 0) break;
    const size_t q = end + join;
    size_t next = NameAt(text, q, {}, hidden);
    if (next != 0) {
      ++found;
    } else if ((next = AnonymisedAt(text, q)) == 0) {
      break;
    }
    end = next;
  }
  return found;
}

size_t NameMasker::MaskAfterRoles(std::string_view text, std::vector<Hidden>& hidden) const {
  size_t found = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t p = 0; p < n;) {
    // Role words start with a BMP CJK character: three bytes E0..EF, decoded here inline (this
    // loop sees every character of every free-text field).
    const unsigned char b = s[p];
    if (b < 0xE0 || b >= 0xF0 || p + 2 >= n || (s[p + 1] & 0xC0) != 0x80 ||
        (s[p + 2] & 0xC0) != 0x80) {
      ++p;
      continue;
    }
    const uint32_t cp = (b & 0x0Fu) << 12 | (s[p + 1] & 0x3Fu) << 6 | (s[p + 2] & 0x3Fu);
    if (!role_first_.test(cp)) {
      p += 3;
      continue;
    }
    const Role* matched = nullptr;
    for (const Role& role : role_lists_[role_slot_[cp] - 1]) {
      const size_t size = role.text.size();
      // The second character first (one role in many has it), then the rest.
      if (size <= n - p &&
          (size == 3 || (s[p + 3] == static_cast<unsigned char>(role.text[3]) &&
                         s[p + 5] == static_cast<unsigned char>(role.text[5]) &&
                         s[p + 4] == static_cast<unsigned char>(role.text[4]))) &&
          std::memcmp(s + p + 3, role.text.data() + 3, size - 3) == 0) {
        matched = &role;
        break;
      }
    }
    if (matched == nullptr) {
      p += 3;
      continue;
    }
    p += matched->text.size();
    if (matched->is_public) continue;
    size_t q = p;
    if (const size_t punct = RolePunctuationAt(text, q)) q += punct;
    // The person, then any more joined by 、 和 及 (at most a few: a list ends somewhere); an
    // anonymised one (张某某) is passed over.
    size_t end = NameAt(text, q, matched->after, hidden);
    if (end != 0) {
      ++found;
    } else if (matched->after.empty()) {
      end = AnonymisedAt(text, q);
    }
    if (end == 0) continue;
    p = end;
    found += ListAfter(text, end, hidden);
  }
  return found;
}

std::string_view NameMasker::Mask(std::string_view text, std::span<const std::string_view> own,
                                  Arena& arena, uint64_t& masked,
                                  std::vector<Hidden>& scratch) const {
  scratch.clear();
  uint64_t found = 0;
  for (std::string_view name : own) {
    if (!name.empty()) found += MaskOwn(text, name, scratch);
  }
  found += MaskAfterRoles(text, scratch);
  if (scratch.empty()) return text;
  std::sort(scratch.begin(), scratch.end(),
            [](const Hidden& a, const Hidden& b) { return a.begin < b.begin; });
  // Each hidden character becomes one '*': the copy is never longer.
  char* out = arena.Allocate(text.size());
  size_t written = 0, copied = 0;
  for (const Hidden& h : scratch) {
    if (h.begin < copied) continue;  // found by both an own name and a role
    std::memcpy(out + written, text.data() + copied, h.begin - copied);
    written += h.begin - copied;
    out[written++] = '*';
    copied = h.end;
  }
  std::memcpy(out + written, text.data() + copied, text.size() - copied);
  written += text.size() - copied;
  masked += found;
  return {out, written};
}

}  // namespace gongshi
