// The leak scan's text reading: digits in every width and grouping, e-mails in their spelled
// forms, names after role words. See text_scanner.h; the rules are the auditors', not the
// redactor's.
#include "pipeline/leak_scan/text_scanner.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <simdjson.h>

#include "pipeline/leak_scan/checksums.h"

namespace gongshi {

std::string_view LeakClassName(LeakClass kind) {
  switch (kind) {
    case LeakClass::kIdNumber: return "id_number";
    case LeakClass::kMobile: return "mobile";
    case LeakClass::kBankCard: return "bank_card";
    case LeakClass::kEmail: return "email";
    case LeakClass::kName: return "name";
  }
  return "unknown";
}

namespace leak_scan {
namespace {

// ---- Characters ----

int DigitValue(char32_t c) {
  if (c >= U'0' && c <= U'9') return static_cast<int>(c - U'0');
  if (c >= 0xFF10 && c <= 0xFF19) return static_cast<int>(c - 0xFF10);  // full-width
  return -1;
}

bool IsCheckX(char32_t c) { return c == U'X' || c == U'x' || c == 0xFF38 || c == 0xFF58; }

// What clerks put between digit groups. A run of up to three of them joins two groups.
bool IsSeparator(char32_t c) {
  switch (c) {
    case U' ':
    case U'\t':
    case 0x00A0:
    case 0x3000:  // spaces
    case U'-':
    case 0xFF0D:
    case 0x2010:
    case 0x2011:
    case 0x2012:  // hyphens and dashes
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE63:
    case U'.':
    case 0xFF0E:
    case 0x00B7:
    case 0x30FB:
    case 0x2027:  // dots
    case U'/':
    case 0xFF0F:
    case U'\\':  // slashes
    case U'_':
    case 0xFF3F:  // underscores
      return true;
    default: return false;
  }
}

constexpr size_t kMaxSeparatorRun = 3;

bool IsStar(char32_t c) { return c == U'*' || c == 0xFF0A; }

bool IsAsciiLetter(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }
bool IsAsciiAlnum(char32_t c) { return IsAsciiLetter(c) || (c >= U'0' && c <= U'9'); }
bool IsFullWidthLetter(char32_t c) {
  return (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
}
bool IsLetter(char32_t c) { return IsAsciiLetter(c) || IsFullWidthLetter(c); }
bool IsAlnum(char32_t c) { return IsLetter(c) || DigitValue(c) >= 0; }

bool IsLowerHex(char32_t c) { return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'f'); }

bool IsIdeograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x3134F) || (c >= 0xF900 && c <= 0xFAFF);
}

// Where a segment of text ends for the organisation-suffix test: punctuation, spaces, symbols.
// Digits and letters do not end it (王记2号店 is a shop).
bool EndsSegment(char32_t c) { return !IsIdeograph(c) && !IsAlnum(c); }

// ---- names.json ----

std::u32string Utf32(std::string_view utf8) {
  std::u32string out;
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char b = static_cast<unsigned char>(utf8[i]);
    char32_t c = b;
    size_t n = 1;
    if (b >= 0xF0 && i + 3 < utf8.size()) {
      c = ((b & 0x07u) << 18) | ((utf8[i + 1] & 0x3Fu) << 12) | ((utf8[i + 2] & 0x3Fu) << 6) |
          (utf8[i + 3] & 0x3Fu);
      n = 4;
    } else if (b >= 0xE0 && i + 2 < utf8.size()) {
      c = ((b & 0x0Fu) << 12) | ((utf8[i + 1] & 0x3Fu) << 6) | (utf8[i + 2] & 0x3Fu);
      n = 3;
    } else if (b >= 0xC0 && i + 1 < utf8.size()) {
      c = ((b & 0x1Fu) << 6) | (utf8[i + 1] & 0x3Fu);
      n = 2;
    }
    out.push_back(c);
    i += n;
  }
  return out;
}

Result<std::vector<std::u32string>> StringList(simdjson::dom::element root, const char* key,
                                               const std::string& path) {
  simdjson::dom::array array;
  if (root[key].get(array)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: \"{}\" is missing or not an array of strings", path, key));
  }
  std::vector<std::u32string> out;
  for (simdjson::dom::element item : array) {
    std::string_view text;
    if (item.get(text) || text.empty()) {
      return Fail(
          ErrorCode::kInvalidConfig,
          fmt::format("{}: \"{}\" holds an entry that is not a non-empty string", path, key));
    }
    out.push_back(Utf32(text));
  }
  return out;
}

Status CheckLengths(const std::vector<std::u32string>& list, size_t length, const char* key,
                    const std::string& path) {
  for (const std::u32string& entry : list) {
    if (entry.size() != length) {
      return Fail(
          ErrorCode::kInvalidConfig,
          fmt::format("{}: every entry of \"{}\" must be {} character(s) long", path, key, length));
    }
  }
  return Ok();
}

// Words after a role word that start with a surname character but are no name, seen in agencies'
// texts and not (yet) in names.json: 《消费者权益保护法》 (权 is a surname), 当事人陈述申辩,
// 当事人印染环节未正常运行….
// Honorifics (李女士, 王先生) stand for a person without naming them.
constexpr std::u32string_view kExtraCommonWords[] = {U"权益", U"陈述", U"陆续", U"印染"};
constexpr std::u32string_view kHonorifics[] = {U"先生", U"女士", U"小姐", U"师傅", U"老板"};
// Provinces and large cities, as organisations' names begin with them (当事人南京鼎正食品有限公司,
// 当事人武汉汇中餐饮管理股份有限公司): many begin with a surname character (南 武 海 甘 江 黄 金…).
constexpr std::u32string_view kPlaceNames[] = {
    U"北京",     U"天津",   U"上海",   U"重庆",   U"河北",     U"山西",   U"辽宁",   U"吉林",
    U"黑龙江",   U"江苏",   U"浙江",   U"安徽",   U"福建",     U"江西",   U"山东",   U"河南",
    U"湖北",     U"湖南",   U"广东",   U"广西",   U"海南",     U"四川",   U"贵州",   U"云南",
    U"西藏",     U"陕西",   U"甘肃",   U"青海",   U"宁夏",     U"新疆",   U"内蒙古", U"香港",
    U"澳门",     U"台湾",   U"石家庄", U"太原",   U"呼和浩特", U"沈阳",   U"长春",   U"哈尔滨",
    U"南京",     U"杭州",   U"合肥",   U"福州",   U"南昌",     U"济南",   U"郑州",   U"武汉",
    U"长沙",     U"广州",   U"南宁",   U"海口",   U"成都",     U"贵阳",   U"昆明",   U"拉萨",
    U"西安",     U"兰州",   U"西宁",   U"银川",   U"乌鲁木齐", U"大连",   U"青岛",   U"宁波",
    U"厦门",     U"深圳",   U"苏州",   U"无锡",   U"温州",     U"佛山",   U"东莞",   U"常州",
    U"徐州",     U"南通",   U"扬州",   U"绍兴",   U"嘉兴",     U"金华",   U"台州",   U"湖州",
    U"泉州",     U"漳州",   U"烟台",   U"潍坊",   U"临沂",     U"淄博",   U"洛阳",   U"襄阳",
    U"宜昌",     U"岳阳",   U"株洲",   U"湘潭",   U"珠海",     U"汕头",   U"惠州",   U"中山",
    U"江门",     U"湛江",   U"桂林",   U"柳州",   U"三亚",     U"绵阳",   U"遵义",   U"大理",
    U"丽江",     U"宝鸡",   U"咸阳",   U"包头",   U"唐山",     U"保定",   U"邯郸",   U"大同",
    U"鞍山",     U"大庆",   U"芜湖",   U"蚌埠",   U"赣州",     U"九江",   U"黄山",   U"鄂尔多斯",
    U"齐齐哈尔", U"秦皇岛", U"景德镇", U"连云港", U"马鞍山",   U"张家口", U"张家界"};
// Particles and adverbs that no organisation's name holds: a sentence goes on after a person's
// name there (车主傅文雨的银行账号: not the 银行 of an organisation).
constexpr std::u32string_view kParticles = U"的了在于对向将把被等已因称并但或也还又再即均仍曾着过";
// Administrative units: a would-be name that runs into one is a place (南京市, 江南区, 乌鲁木齐市).
constexpr char32_t kPlaceUnits[] = {U'市', U'区', U'县', U'省', U'州',
                                    U'旗', U'盟', U'镇', U'乡', U'村'};

}  // namespace

Result<NameDictionary> NameDictionary::Load(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text)) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: cannot read the names file", path));
  }
  simdjson::dom::element root;
  if (auto error = parser.parse(text).get(root)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: not JSON ({})", path, simdjson::error_message(error)));
  }
  NameDictionary names;
  auto roles = StringList(root, "roles", path);
  if (!roles) return Fail(roles.error());
  names.roles = std::move(*roles);
  auto public_roles = StringList(root, "public_roles", path);
  if (!public_roles) return Fail(public_roles.error());
  names.public_roles = std::move(*public_roles);
  auto compound = StringList(root, "surnames_compound", path);
  if (!compound) return Fail(compound.error());
  if (auto ok = CheckLengths(*compound, 2, "surnames_compound", path); !ok) return Fail(ok.error());
  names.surnames_compound.insert(compound->begin(), compound->end());
  auto single = StringList(root, "surnames_single", path);
  if (!single) return Fail(single.error());
  if (auto ok = CheckLengths(*single, 1, "surnames_single", path); !ok) return Fail(ok.error());
  for (const std::u32string& s : *single) names.surnames_single.insert(s[0]);
  auto common = StringList(root, "common_words", path);
  if (!common) return Fail(common.error());
  if (auto ok = CheckLengths(*common, 2, "common_words", path); !ok) return Fail(ok.error());
  names.common_words.insert(common->begin(), common->end());
  for (std::u32string_view extra : kExtraCommonWords) names.common_words.emplace(extra);
  auto not_given = StringList(root, "not_given_name", path);
  if (!not_given) return Fail(not_given.error());
  if (auto ok = CheckLengths(*not_given, 1, "not_given_name", path); !ok) return Fail(ok.error());
  for (const std::u32string& s : *not_given) names.not_given_name.insert(s[0]);
  auto suffixes = StringList(root, "organisation_suffixes", path);
  if (!suffixes) return Fail(suffixes.error());
  names.organisation_suffixes = std::move(*suffixes);
  return names;
}

TextScanner::TextScanner(std::shared_ptr<const NameDictionary> names) : names_(std::move(names)) {
  for (const std::u32string& role : names_->roles) role_first_.insert(role[0]);
  for (const std::u32string& role : names_->public_roles) role_first_.insert(role[0]);
}

void TextScanner::Scan(std::string_view text, std::vector<TextHit>& hits, bool binary) {
  const size_t first_hit = hits.size();
  binary_ = binary;
  Decode(text);
  MarkSkippedTokens();
  ScanDigits(hits);
  ScanEmails(hits);
  ScanNames(hits);
  std::sort(hits.begin() + static_cast<std::ptrdiff_t>(first_hit), hits.end(),
            [](const TextHit& a, const TextHit& b) { return a.begin < b.begin; });
}

// UTF-8 to code points with the byte offset of each. A byte that starts no valid sequence is
// one U+FFFD: it can never be a digit, a separator or a letter, so bad bytes end a match.
void TextScanner::Decode(std::string_view text) {
  text_.clear();
  offsets_.clear();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    offsets_.push_back(static_cast<uint32_t>(i));
    if (b < 0x80) {
      text_.push_back(b);
      ++i;
      continue;
    }
    size_t length = 0;
    char32_t c = 0;
    char32_t min = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2, c = b & 0x1Fu, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3, c = b & 0x0Fu, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4, c = b & 0x07u, min = 0x10000;
    }
    bool valid = length != 0 && i + length <= n;
    for (size_t k = 1; valid && k < length; ++k) {
      if ((s[i + k] & 0xC0u) != 0x80) valid = false;
      c = (c << 6) | (s[i + k] & 0x3Fu);
    }
    if (valid && (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))) valid = false;
    if (!valid) {
      text_.push_back(0xFFFD);
      ++i;
      continue;
    }
    text_.push_back(c);
    i += length;
  }
  offsets_.push_back(static_cast<uint32_t>(n));
}

// An organisation's 统一社会信用代码 starting at `i` (18 characters; what follows may be glued, as
// in the state's binary records): published by design, and its digits read as a card one time in
// ten (11330100002493117 before a check letter). One that is also a valid ID number stays an ID.
bool TextScanner::UsccToken(size_t i) const {
  if (i + 18 > text_.size()) return false;
  char code[18];
  for (size_t k = 0; k < 18; ++k) {
    const char32_t c = text_[i + k];
    if (c >= 0x80) return false;
    code[k] = static_cast<char>(c);
  }
  const std::string_view token(code, 18);
  // Bounded, or ending in a check letter (no digit run goes on through a letter): an all-digit
  // run longer than 18 is a number of its own (a 19-digit card may start like a USCC). In a
  // binary record the next byte is often a length, '0' (48) for a 16-character name: there the
  // code needs no bound after it.
  const bool bounded = binary_ || i + 18 == text_.size() || !IsAsciiAlnum(text_[i + 18]) ||
                       IsAsciiLetter(text_[i + 17]);
  return bounded && UsccValid(token) && !Id18Valid(token);
}

// gongshi's own tokens (record and batch ids, SHA-256 sums, digests) are lower-case hex of 16, 24,
// 32, 40 or 64 characters: random digit runs inside them are no one's number. A token qualifies
// only whole, bounded by non-alphanumerics, and with a letter a-f in it (an all-digit token is a
// number like any other).
void TextScanner::MarkSkippedTokens() {
  skip_.assign(text_.size(), 0);
  const size_t n = text_.size();
  size_t i = 0;
  while (i < n) {
    if (!IsAsciiAlnum(text_[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    bool hex = true;
    bool letter = false;
    while (j < n && IsAsciiAlnum(text_[j])) {
      if (!IsLowerHex(text_[j])) hex = false;
      if (text_[j] >= U'a') letter = true;
      ++j;
    }
    const size_t length = j - i;
    if (hex && letter &&
        (length == 16 || length == 24 || length == 32 || length == 40 || length == 64)) {
      std::fill(skip_.begin() + static_cast<std::ptrdiff_t>(i),
                skip_.begin() + static_cast<std::ptrdiff_t>(j), 1);
    } else if (length >= 18 && UsccToken(i)) {
      std::fill(skip_.begin() + static_cast<std::ptrdiff_t>(i),
                skip_.begin() + static_cast<std::ptrdiff_t>(i + 18), 1);
      j = i + 18;
    }
    i = j;
  }
}

// ---- Digits: ID numbers, mobiles, bank cards ----
//
// A chain is a run of digit groups (ASCII or full-width digits, mixed freely) joined by at most
// three separator characters. Every identifier found must start where a group starts or where
// another identifier ends (glued: 18 digits of ID then a mobile), and end where a group ends or
// another identifier starts: digits glued to a longer number are part of that number
// (JY13301060012345 holds no mobile). Among the ways to read a chain, the one that covers the most
// digits wins.
//

void TextScanner::ScanDigits(std::vector<TextHit>& hits) {
  const uint32_t n = static_cast<uint32_t>(text_.size());
  auto is_digit = [&](uint32_t k) { return k < n && !skip_[k] && DigitValue(text_[k]) >= 0; };
  auto stars_before = [&](uint32_t k) {
    uint32_t count = 0;
    while (k > count && IsStar(text_[k - count - 1])) ++count;
    return count;
  };
  auto stars_after = [&](uint32_t k) {
    uint32_t count = 0;
    while (k + count < n && IsStar(text_[k + count])) ++count;
    return count;
  };
  groups_.clear();
  chain_digits_.clear();
  digit_cp_.clear();
  uint32_t i = 0;
  while (i < n) {
    if (!is_digit(i)) {
      ++i;
      continue;
    }
    // One run of digits, split where the width changes: ２２３320206196209181537 is a number in
    // full-width digits glued to an ID in ASCII ones, while 1５0０0３3３９２1 is one mobile in
    // mixed digits. A width change is a boundary an identifier may start or end at, or span.
    const uint32_t run_first = i;
    const size_t first_group = groups_.size();
    while (is_digit(i)) {
      Group group;
      group.first = i;
      group.glued = i != run_first;
      group.digits_begin = static_cast<uint32_t>(chain_digits_.size());
      const bool wide = text_[i] >= 0xFF10;
      while (is_digit(i) && (text_[i] >= 0xFF10) == wide) {
        chain_digits_.push_back(static_cast<char>('0' + DigitValue(text_[i])));
        digit_cp_.push_back(i);
        ++i;
      }
      group.last = i;
      groups_.push_back(group);
    }
    uint32_t after = i;
    if (i < n && !skip_[i] && IsCheckX(text_[i])) {
      groups_.back().check_x = true;
      groups_.back().x_index = i;
      after = i + 1;
    }
    // A single star is a label's mark (联系电话＊17641468117); two or more are a mask, and the
    // digits it kept (138****5678, 11**************2X) are read on their own, never joined.
    if (stars_before(run_first) >= 2 || stars_after(after) >= 2) {
      if (first_group > 0) {
        const uint32_t base = groups_[first_group].digits_begin;
        std::vector<Group> own(groups_.begin() + static_cast<std::ptrdiff_t>(first_group),
                               groups_.end());
        const std::string own_digits = chain_digits_.substr(base);
        const std::vector<uint32_t> own_cp(digit_cp_.begin() + base, digit_cp_.end());
        groups_.resize(first_group);
        chain_digits_.resize(base);
        digit_cp_.resize(base);
        ScanChain(hits);
        for (Group& g : own) g.digits_begin -= base;
        groups_ = std::move(own);
        chain_digits_ = own_digits;
        digit_cp_ = own_cp;
      }
      ScanChain(hits);
      i = after;
      continue;
    }
    // A short run of separators followed by a digit continues the chain (a check X ends the
    // digits of its group, but the chain may go on after it).
    uint32_t k = after;
    while (k < n && k - after <= kMaxSeparatorRun && !skip_[k] && IsSeparator(text_[k])) ++k;
    const uint32_t run = k - after;
    if (run >= 1 && run <= kMaxSeparatorRun) {
      if (is_digit(k)) {
        i = k;
        continue;
      }
      // The check character set apart like a group of its own (…860822 ／ 456 ／ Ｘ); only an ID
      // whose checksum wants an X takes it.
      if (!groups_.back().check_x && k < n && !skip_[k] && IsCheckX(text_[k])) {
        groups_.back().check_x = true;
        groups_.back().x_index = k;
        ScanChain(hits);
        i = k + 1;
        continue;
      }
    }
    ScanChain(hits);
    i = after;
  }
  if (!groups_.empty()) ScanChain(hits);
}

namespace {

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

bool TextScanner::ValidCandidate(uint32_t begin, uint32_t end, bool with_x, LeakClass kind) const {
  const std::string_view digits = std::string_view(chain_digits_).substr(begin, end - begin);
  switch (kind) {
    case LeakClass::kIdNumber: {
      if (with_x) {
        char id[18];
        std::copy(digits.begin(), digits.end(), id);
        id[17] = 'X';
        return Id18Valid(std::string_view(id, 18));
      }
      if (digits.size() == 18) return Id18Valid(digits);
      return digits.size() == 15 && Id15Valid(digits);
    }
    case LeakClass::kMobile:
      if (digits.size() == 11) return MobileValid(digits);
      if (digits.size() == 13) return digits.substr(0, 2) == "86" && MobileValid(digits.substr(2));
      if (digits.size() == 15)
        return digits.substr(0, 4) == "0086" && MobileValid(digits.substr(4));
      return false;
    case LeakClass::kBankCard:
      // An all-digit 统一社会信用代码 (a government body's: 11330100002493117X without the X)
      // passes Luhn one time in ten; the state keeps authorities' codes outside any JSON field.
      return BankCardValid(digits) && !(digits.size() == 18 && UsccValid(digits));
    default: return false;
  }
}

// A card candidate that is rather an ID number with a wrong check character: 17 digits and an X,
// or 18 digits with an area code and a real birth date where an ID has them (票据号码
// 440113195610127078 fails GB 11643 and passes Luhn one time in ten). Not a card.
bool TextScanner::CardShaped(uint32_t begin, uint32_t end, bool before_x) const {
  if (before_x) return false;
  if (end - begin != 18) return true;
  const std::string_view digits = std::string_view(chain_digits_).substr(begin, 18);
  const int year = Number(digits.substr(6, 4));
  const bool id_shaped = digits[0] >= '1' && digits[0] <= '8' && year >= 1850 && year <= 2099 &&
                         RealDate(year, Number(digits.substr(10, 2)), Number(digits.substr(12, 2)));
  return !id_shaped;
}

void TextScanner::ScanChain(std::vector<TextHit>& hits) {
  const uint32_t length = static_cast<uint32_t>(chain_digits_.size());
  const size_t group_count = groups_.size();
  if (length < 11) {
    groups_.clear();
    chain_digits_.clear();
    digit_cp_.clear();
    return;
  }
  // Dates written as groups (2023-01-01, 2023.01.01-2028.12.31, 01/02/2023): a mobile or
  // card never spans them. An ID may (110101 1990 03 07 4514, 23010 36405 1954 3): its birth date
  // and check digit are evidence enough.
  auto size_of = [&](size_t g) { return groups_[g].last - groups_[g].first; };
  auto value_of = [&](size_t g) {
    return Number(std::string_view(chain_digits_).substr(groups_[g].digits_begin, size_of(g)));
  };
  auto year = [&](size_t g) {
    return size_of(g) == 4 && value_of(g) >= 1900 && value_of(g) <= 2099;
  };
  auto small = [&](size_t g, int max) {
    return size_of(g) <= 2 && value_of(g) >= 1 && value_of(g) <= max;
  };
  // Only groups set apart by separators count (a width change inside 13２ ３１1953 is no date).
  auto apart = [&](size_t g) {
    return !groups_[g].glued && (g + 1 >= group_count || !groups_[g + 1].glued);
  };
  for (size_t g = 0; g < group_count; ++g) groups_[g].in_date = false;
  for (size_t g = 0; g + 2 < group_count; ++g) {
    if (!apart(g) || !apart(g + 1) || !apart(g + 2)) continue;
    if ((year(g) && small(g + 1, 12) && small(g + 2, 31)) ||
        (small(g, 31) && small(g + 1, 31) && year(g + 2) && (small(g, 12) || small(g + 1, 12)))) {
      groups_[g].in_date = groups_[g + 1].in_date = groups_[g + 2].in_date = true;
    }
  }
  // Digit position -> group, and which positions start a group.
  group_of_.assign(length, 0);
  boundary_.assign(length + 1, 0);
  next_boundary_.assign(length + 1, length);
  for (size_t g = 0; g < group_count; ++g) {
    const uint32_t b = groups_[g].digits_begin;
    boundary_[b] = 1;
    for (uint32_t p = b; p < b + size_of(g); ++p) group_of_[p] = static_cast<uint32_t>(g);
  }
  boundary_[length] = 1;
  for (uint32_t p = length; p-- > 0;) {
    next_boundary_[p] = boundary_[p + 1] ? p + 1 : next_boundary_[p + 1];
  }
  // best_[p]: the best score reading digits [p, length); -1 = no reading (a position inside a
  // group that no identifier tiles). Score: 100 per digit covered, +150 for an 18-digit ID (the
  // strongest evidence: 工号９２320205 19690929 240Ｘ is an ID after a number, not a 19-digit
  // card from the ９), -1 for each group boundary a mobile or card spans (the fewest guesses),
  // -250 for spanning a change of digit width (序号５０360102 781208 379: an old ID after a
  // full-width number, not a 17-digit card; still less than the 1100 of a mobile in mixed digits).
  constexpr int32_t kNone = -1;
  best_.assign(length + 1, kNone);
  choice_.assign(length + 1, kNone);
  best_[length] = 0;
  static constexpr Candidate kCandidates[] = {
      {LeakClass::kIdNumber, 18, false}, {LeakClass::kIdNumber, 17, true},
      {LeakClass::kIdNumber, 15, false}, {LeakClass::kMobile, 11, false},
      {LeakClass::kMobile, 13, false},   {LeakClass::kMobile, 15, false},
      {LeakClass::kBankCard, 16, false}, {LeakClass::kBankCard, 17, false},
      {LeakClass::kBankCard, 18, false}, {LeakClass::kBankCard, 19, false}};
  constexpr int32_t kSkip = 1000;
  for (uint32_t p = length; p-- > 0;) {
    int32_t best = kNone;
    int32_t choice = kNone;
    if (boundary_[p] && best_[next_boundary_[p]] != kNone) {
      best = best_[next_boundary_[p]];
      choice = kSkip;
    }
    for (size_t c = 0; c < std::size(kCandidates); ++c) {
      const Candidate& candidate = kCandidates[c];
      const uint32_t q = p + candidate.length;
      if (q > length || best_[q] == kNone) continue;
      const uint32_t first_group = group_of_[p];
      const uint32_t last_group = group_of_[q - 1];
      const Group& last = groups_[last_group];
      const bool ends_group = q == last.digits_begin + size_of(last_group);
      if (candidate.ends_with_x && !(ends_group && last.check_x)) continue;
      // A check X inside the span would be a letter in the middle of the number.
      bool x_inside = false;
      for (uint32_t g = first_group; g < last_group; ++g) x_inside |= groups_[g].check_x;
      if (x_inside) continue;
      const bool weak = candidate.kind != LeakClass::kIdNumber || candidate.length == 15;
      if (candidate.kind != LeakClass::kIdNumber && last_group > first_group) {
        bool date = false;
        for (uint32_t g = first_group; g <= last_group; ++g) date |= groups_[g].in_date;
        if (date) continue;
      }
      if (candidate.kind == LeakClass::kBankCard && !CardShaped(p, q, ends_group && last.check_x)) {
        continue;
      }
      if (!ValidCandidate(p, q, candidate.ends_with_x, candidate.kind)) continue;
      bool width_change = false;
      for (uint32_t g = first_group + 1; g <= last_group; ++g) width_change |= groups_[g].glued;
      int32_t score =
          100 * static_cast<int32_t>(candidate.length + (candidate.ends_with_x ? 1 : 0));
      if (!weak) score += 150;
      if (weak) score -= static_cast<int32_t>(last_group - first_group);
      if (width_change) score -= 250;
      score += best_[q];
      if (score > best) {
        best = score;
        choice = static_cast<int32_t>(c);
      }
    }
    best_[p] = best;
    choice_[p] = choice;
  }
  for (uint32_t p = 0; p < length;) {
    const int32_t choice = choice_[p];
    if (choice == kNone) break;  // unreachable: position 0 always has a reading
    if (choice == kSkip) {
      p = next_boundary_[p];
      continue;
    }
    const Candidate& candidate = kCandidates[choice];
    const uint32_t q = p + candidate.length;
    const uint32_t end_cp =
        candidate.ends_with_x ? groups_[group_of_[q - 1]].x_index + 1 : digit_cp_[q - 1] + 1;
    hits.push_back({candidate.kind, ByteAt(digit_cp_[p]), ByteAt(end_cp)});
    p = q;
  }
  groups_.clear();
  chain_digits_.clear();
  digit_cp_.clear();
}

// ---- E-mail addresses ----
//
// local@domain.tld with '@', '＠', (at) [at] （at） 【at】, or '#'/'＃' standing for it; domain
// dots
// '.', '．', (dot), [dot]. The local part is ASCII [A-Za-z0-9._%+-] or full-width letters and
// digits; one that a star ends (z***@example.com) is a mask. The TLD is 2+ letters and ends where
// digits start (163.com13812345678: the domain is 163.com and a mobile follows).

namespace {

bool IsLocalChar(char32_t c) {
  return IsAsciiAlnum(c) || c == U'.' || c == U'_' || c == U'%' || c == U'+' || c == U'-' ||
         IsFullWidthLetter(c) || (c >= 0xFF10 && c <= 0xFF19);
}
bool IsLabelChar(char32_t c) {
  return IsAsciiAlnum(c) || c == U'-' || IsFullWidthLetter(c) || (c >= 0xFF10 && c <= 0xFF19);
}

bool IsEmailSpace(char32_t c) { return c == U' ' || c == 0x3000 || c == 0x00A0; }

char32_t AsciiLower(char32_t c) { return c >= U'A' && c <= U'Z' ? c + 32 : c; }

bool IsOpenBracket(char32_t c) { return c == U'(' || c == U'[' || c == 0xFF08 || c == 0x3010; }
bool IsCloseBracket(char32_t c) { return c == U')' || c == U']' || c == 0xFF09 || c == 0x3011; }

// A spelled token "(at)" / "[dot]" at `i`: its length, or 0.
size_t SpelledToken(const std::u32string& t, size_t i, std::u32string_view word) {
  if (i >= t.size() || !IsOpenBracket(t[i])) return 0;
  size_t k = i + 1;
  if (k < t.size() && t[k] == U' ') ++k;
  for (char32_t w : word) {
    if (k >= t.size() || AsciiLower(t[k]) != w) return 0;
    ++k;
  }
  if (k < t.size() && t[k] == U' ') ++k;
  if (k >= t.size() || !IsCloseBracket(t[k])) return 0;
  return k + 1 - i;
}

size_t DotToken(const std::u32string& t, size_t i) {
  if (i >= t.size()) return 0;
  if (t[i] == U'.' || t[i] == 0xFF0E) return 1;
  return SpelledToken(t, i, U"dot");
}

}  // namespace

void TextScanner::ScanEmails(std::vector<TextHit>& hits) {
  const size_t n = text_.size();
  for (size_t i = 0; i < n; ++i) {
    const char32_t c = text_[i];
    size_t at_length = 0;
    if (c == U'@' || c == 0xFF20) {
      at_length = 1;
    } else if (binary_) {
      // Random bytes of a binary record make '#' or '(' between letters often enough (Z#6E.XBWm):
      // there only the at-sign itself stands for one.
      continue;
    } else if (c == U'#' || c == 0xFF03) {
      at_length = 1;
    } else if (IsOpenBracket(c)) {
      at_length = SpelledToken(text_, i, U"at");
    }
    if (at_length == 0) continue;
    // Local part, backwards from the at-sign (which may stand between spaces: wang @ qq.com).
    size_t local_end = i;
    if (local_end > 0 && IsEmailSpace(text_[local_end - 1])) --local_end;
    size_t local_begin = local_end;
    while (local_begin > 0 && IsLocalChar(text_[local_begin - 1])) --local_begin;
    bool local_alnum = false;
    for (size_t k = local_begin; k < local_end; ++k) local_alnum |= IsAlnum(text_[k]);
    if (!local_alnum) continue;
    if (local_begin > 0 && IsStar(text_[local_begin - 1])) continue;  // a mask: z***@, **g@
    // Domain: labels joined by dot tokens; the last label's leading letters are the TLD.
    size_t k = i + at_length;
    if (k < n && IsEmailSpace(text_[k])) ++k;
    size_t labels = 0;
    size_t tld_end = 0;  // end of the TLD found so far (0 = none yet)
    while (true) {
      const size_t label_begin = k;
      while (k < n && IsLabelChar(text_[k])) ++k;
      if (k == label_begin) break;
      ++labels;
      size_t letters = label_begin;
      while (letters < k && IsLetter(text_[letters])) ++letters;
      // A label of 2+ leading letters after at least one other label can end the address.
      if (labels >= 2 && letters - label_begin >= 2) tld_end = letters;
      // Digits glued after the TLD are not part of the domain: stop there.
      if (labels >= 2 && letters < k && letters - label_begin >= 2) break;
      const size_t dot = DotToken(text_, k);
      if (dot == 0) break;
      k += dot;
    }
    if (tld_end == 0) continue;
    if (binary_) {
      // And a real address's shape: 2+ characters before the at-sign, a lower-case TLD.
      bool lower = true;
      for (size_t t = tld_end; t > 0 && IsLetter(text_[t - 1]); --t) {
        lower &= text_[t - 1] >= U'a' && text_[t - 1] <= U'z';
      }
      if (local_end - local_begin < 2 || !lower) continue;
    }
    hits.push_back({LeakClass::kEmail, ByteAt(static_cast<uint32_t>(local_begin)),
                    ByteAt(static_cast<uint32_t>(tld_end))});
    i = tld_end - 1;
  }
}

// ---- Names after role words ----
//
// A non-public role word (当事人, 消费者…), then a surname (compound first), then one or two given-
// name characters: ideographs, not a mask ('*', '＊', 某), not one of not_given_name; the surname
// and the next character not a common word (当事人于当日…); and not the start of an organisation's
// or a place's name (申请人杭州鑫盛网络科技有限公司, 当事人南京市…). A colon or spaces may stand
// between the role and the name (当事人：张三), a space or a middle dot between the name's
// characters (员工张　伟, 违法行为人卢·泽), and further names may follow the first after 、
// (经营者金宇瑶、屈然雪等人).

namespace {

bool IsNameSpace(char32_t c) { return c == U' ' || c == 0x3000 || c == 0x00A0; }
// What may stand between a name's characters: a space or a middle dot (卢·泽, 孙・雨・明).
bool IsNameGap(char32_t c) { return IsNameSpace(c) || c == 0x00B7 || c == 0x30FB || c == 0x2027; }

}  // namespace

// Whether the would-be name at `at` (its surname, then given-name characters, at these code point
// indices) begins the name of an organisation or a place rather than a person's. Agencies' texts
// run an organisation's name straight into the sentence
// (当事人南京市秦淮区诚弘装饰工程有限公司存在…, 当事人哈尔滨力嘉装饰工程有限公司…), and the words
// after a person's name often end in a suffix themselves (当事人牛琳玲于当日到场: 场), so the test
// is on the run of name-like characters from the surname: where that run stops, an administrative
// unit (市 区 县…) makes it a place and a one-character organisation suffix (店 厂 部…) an
// organisation after a run of 4 or more (王记水果店, not 张三所述); a name the text runs on from,
// with an organisation suffix of two or more characters in the same stretch of text
// (银云文化传媒有限责任公司存在…, 张记水果批发部; the stretch ends at punctuation or a particle
// such as 的), is an organisation too.
bool TextScanner::OrganisationOrPlace(const std::vector<uint32_t>& at, size_t name_length) const {
  const NameDictionary& names = *names_;
  const size_t n = text_.size();
  const size_t begin = at[0];
  for (std::u32string_view place : kPlaceNames) {
    if (std::u32string_view(text_).substr(begin).starts_with(place)) return true;
  }
  size_t run_end = at[name_length - 1] + 1;
  while (run_end < n && IsIdeograph(text_[run_end]) && text_[run_end] != U'某' &&
         !names.not_given_name.count(text_[run_end])) {
    ++run_end;
  }
  const size_t run_length = run_end - begin;
  if (run_end < n) {
    for (char32_t unit : kPlaceUnits) {
      if (text_[run_end] == unit) return true;
    }
  }
  const std::u32string_view text(text_);
  for (const std::u32string& suffix : names.organisation_suffixes) {
    if (suffix.size() == 1 && run_length >= 4 && run_end < n && text_[run_end] == suffix[0]) {
      return true;
    }
  }
  // The text runs on after the name without a break (卓邦房地产开发有限公司,
  // 安宏供应链管理有限公司): an organisation suffix of two or more characters in that stretch makes
  // it an organisation.
  if (run_end > at[name_length - 1] + 1 || (run_end < n && IsIdeograph(text_[run_end]))) {
    size_t segment_end = begin;
    while (segment_end < n && !EndsSegment(text_[segment_end]) &&
           std::u32string_view(kParticles).find(text_[segment_end]) == std::u32string_view::npos) {
      ++segment_end;
    }
    const std::u32string_view segment = text.substr(begin, segment_end - begin);
    for (const std::u32string& suffix : names.organisation_suffixes) {
      if (suffix.size() >= 2 && segment.find(suffix) != segment.npos) return true;
    }
  }
  return false;
}

void TextScanner::ScanNames(std::vector<TextHit>& hits) {
  const NameDictionary& names = *names_;
  const size_t n = text_.size();
  auto matches = [&](size_t at, const std::u32string& word) {
    return at + word.size() <= n && std::u32string_view(text_).substr(at, word.size()) == word;
  };
  // The next character of a name after `k`: directly, or after one space when an ideograph
  // follows it.
  auto next_char = [&](size_t k) -> size_t {
    if (k + 1 < n && IsIdeograph(text_[k + 1])) return k + 1;
    if (k + 2 < n && IsNameGap(text_[k + 1]) && IsIdeograph(text_[k + 2])) return k + 2;
    return n;
  };
  auto given = [&](size_t k) {
    return k < n && IsIdeograph(text_[k]) && text_[k] != U'某' &&
           !names.not_given_name.count(text_[k]);
  };
  // A name at `j`: its characters' indices in `at` (surname first), or false.
  std::vector<uint32_t> at;
  auto name_at = [&](size_t j) {
    at.clear();
    if (j >= n) return false;
    const size_t second = next_char(j);
    size_t surname_length = 0;
    if (second < n && names.surnames_compound.count(std::u32string{text_[j], text_[second]})) {
      surname_length = 2;
      at = {static_cast<uint32_t>(j), static_cast<uint32_t>(second)};
    } else if (names.surnames_single.count(text_[j])) {
      surname_length = 1;
      at = {static_cast<uint32_t>(j)};
    } else {
      return false;
    }
    if (second < n && names.common_words.count(std::u32string{text_[j], text_[second]})) {
      return false;
    }
    const size_t g1 = next_char(at.back());
    if (!given(g1)) return false;
    at.push_back(static_cast<uint32_t>(g1));
    const size_t g2 = next_char(g1);
    if (given(g2)) at.push_back(static_cast<uint32_t>(g2));
    for (std::u32string_view h : kHonorifics) {
      if (at.size() - surname_length == 2 && text_[at[surname_length]] == h[0] &&
          text_[at[surname_length + 1]] == h[1]) {
        return false;
      }
    }
    return !OrganisationOrPlace(at, at.size());
  };
  for (size_t i = 0; i < n; ++i) {
    if (!role_first_.count(text_[i])) continue;
    size_t role_length = 0;
    bool is_public = false;
    for (const std::u32string& role : names.public_roles) {
      if (role.size() > role_length && matches(i, role))
        role_length = role.size(), is_public = true;
    }
    for (const std::u32string& role : names.roles) {
      if (role.size() > role_length && matches(i, role))
        role_length = role.size(), is_public = false;
    }
    if (role_length == 0) continue;
    const size_t role_end = i + role_length;
    i = role_end - 1;  // roles do not overlap: 法定代表人 hides the 代表人 inside it
    if (is_public) continue;
    size_t j = role_end;
    for (size_t skipped = 0; j < n && skipped < 3; ++j, ++skipped) {
      const char32_t c = text_[j];
      if (!IsNameSpace(c) && c != U':' && c != 0xFF1A) break;
    }
    // The role's names: the first, then each after 、.
    while (name_at(j)) {
      hits.push_back({LeakClass::kName, ByteAt(at.front()), ByteAt(at.back() + 1)});
      i = at.back();
      j = at.back() + 1;
      if (j >= n || text_[j] != 0x3001) break;  // 、
      ++j;
    }
  }
}

}  // namespace leak_scan
}  // namespace gongshi
