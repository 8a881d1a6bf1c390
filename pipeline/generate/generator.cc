// Generator: builds each record as canonical field values (Content), renders it as one JSON line in
// one of the naming styles, and for invalid records breaks either the values or the line in exactly
// one way. Published records stay in a bounded pool that duplicates, updates and withdrawals use.
#include "pipeline/generate/generator.h"

#include <algorithm>
#include <bitset>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <utility>
#include <vector>

#include <iconv.h>
#include <simdjson.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"
#include "pipeline/common/utf8.h"
#include "pipeline/generate/corpus.h"

namespace gongshi {
namespace {

using corpus::Bit;
using corpus::PenaltyCategory;

__extension__ typedef unsigned __int128 Uint128;  // NOLINT: __extension__ keeps -Wpedantic quiet

// 2099-12-31 is how the standard writes "long-term" validity (domain.md §2.1).
constexpr int32_t kLongTermDay = DaysFromCivil(2099, 12, 31);
constexpr size_t kMinRecordBytes = 8 * 1024;
// The USCC alphabet (GB 32100): no I, O, S, V, Z.
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// xoshiro256** seeded by splitmix64 (Vigna's public-domain reference algorithms): fast, and the
// same stream on every platform, which std:: distributions do not promise.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : state_) word = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, n), by multiply-shift (Lemire); the bias is far below what matters here.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((Uint128{Next()} * n) >> 64); }
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::array<uint64_t, 4> state_{};
};

// ---- Small text helpers; all append to a caller's buffer so nothing allocates once warm. ----

void AppendUint(std::string& out, uint64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

void AppendPadded(std::string& out, uint64_t value, int width) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  for (int n = static_cast<int>(end - buffer); n < width; ++n) out.push_back('0');
  out.append(buffer, end);
}

void AppendDigits(std::string& out, Rng& rng, int count) {
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + rng.Below(10)));
}

void AppendCodePoint(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Full-width forms (U+FF01..U+FF5E) of printable ASCII, as agencies paste them from word
// processors.
void AppendFullWidth(std::string& out, std::string_view ascii) {
  for (char c : ascii) {
    if (c > ' ' && c <= '~') {
      AppendCodePoint(out, 0xFF01 + static_cast<uint32_t>(c - '!'));
    } else {
      out.push_back(c);
    }
  }
}

size_t CharCount(std::string_view text) { return Utf8CharCount(text); }

void TruncateChars(std::string& text, size_t max_chars) {
  text.resize(Utf8PrefixBytes(text, max_chars));
}

void AppendHex4(std::string& out, uint32_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xF]);
}

// JSON string with the escapes RFC 8259 requires; with `ascii_only` every non-ASCII character as
// \uXXXX too (surrogate pairs above the BMP), as Python's json.dumps writes by default.
void AppendJsonString(std::string& out, std::string_view text, bool ascii_only) {
  out.push_back('"');
  const char* p = text.data();
  const char* const end = p + text.size();
  const char* run = p;
  while (p < end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !ascii_only)) {
      ++p;
      continue;
    }
    out.append(run, p);
    if (c >= 0x80) {
      const int length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      uint32_t cp = c & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
      for (int i = 1; i < length && p + i < end; ++i) cp = (cp << 6) | (p[i] & 0x3F);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        AppendHex4(out, 0xD800 + (cp >> 10));
        AppendHex4(out, 0xDC00 + (cp & 0x3FF));
      } else {
        AppendHex4(out, cp);
      }
      p += length;
    } else {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: AppendHex4(out, c); break;
      }
      ++p;
    }
    run = p;
  }
  out.append(run, end);
  out.push_back('"');
}

void AppendChineseDate(std::string& out, int32_t day) {
  const CivilDate date = CivilFromDays(day);
  AppendUint(out, static_cast<uint64_t>(date.year));
  out += "年";
  AppendUint(out, static_cast<uint64_t>(date.month));
  out += "月";
  AppendUint(out, static_cast<uint64_t>(date.day));
  out += "日";
}

// Money in 万元 as the standard's decimal(18,6): 1 万元 = 10^6 cents, so 6 places are exact.
void AppendWanYuan(std::string& out, int64_t cents, bool six_places) {
  AppendUint(out, static_cast<uint64_t>(cents / 1'000'000));
  int64_t fraction = cents % 1'000'000;
  if (fraction == 0 && !six_places) return;
  int digits = 6;
  if (!six_places) {
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
  }
  out.push_back('.');
  AppendPadded(out, static_cast<uint64_t>(fraction), digits);
}

// One option from a '|'-separated list.
std::string_view PickAlternative(Rng& rng, std::string_view list) {
  if (list.empty()) return {};
  size_t count = 1 + static_cast<size_t>(std::count(list.begin(), list.end(), '|'));
  size_t index = rng.Below(count);
  size_t begin = 0;
  while (index-- > 0) begin = list.find('|', begin) + 1;
  const size_t end = list.find('|', begin);
  return list.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

std::string_view FirstChar(std::string_view text) {
  if (text.empty()) return text;
  const size_t length = Utf8Width(static_cast<unsigned char>(text[0]));
  return text.substr(0, std::min(length, text.size()));
}

bool IsExchangeCodeLike(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool HasNonAscii(std::string_view name) {
  return std::any_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// 工商注册号 (15 digits, GB/T 17710 MOD 11,10 check digit), used before the USCC and still
// carried by 个体工商户 that have none.
char RegistrationNumberCheckDigit(std::string_view first14) {
  int p = 10;
  for (char c : first14) {
    int s = (p + (c - '0')) % 10;
    if (s == 0) s = 10;
    p = (s * 2) % 11;
  }
  return static_cast<char>('0' + (11 - p) % 10);
}

// ---- Records as field values ----

enum class Naming : uint8_t { kCanonical, kExchange, kChinese };
constexpr size_t kNamingCount = 3;

enum class ValueType : uint8_t {
  kString,       // a JSON string of the value
  kRaw,          // the value is JSON text already (numbers, booleans, broken values)
  kStringArray,  // elements separated by '\x1f', written as an array of strings
};
constexpr char kArraySeparator = '\x1f';

// 行政相对人类别, in the order of the schema's enum.
enum Category : uint8_t { kOrganisation, kNaturalPerson, kIndividualBusiness };
constexpr std::string_view kCategoryValues[] = {"法人及非法人组织", "自然人", "个体工商户"};

// Field indices of one kind, looked up by name in its schema (-1 where the kind has none).
struct FieldIds {
  int subject_name, subject_category, uscc, business_reg_no, org_code, tax_reg_no,
      public_inst_cert_no, social_org_reg_no, legal_rep_name, legal_rep_id_type, legal_rep_id_no,
      subject_id_type, subject_id_no, decision_doc_title, decision_doc_no, license_category,
      certificate_name, license_no, license_content, decision_date, valid_from, valid_to,
      authority_name, authority_uscc, status, source_unit_name, source_unit_uscc, remark,
      confidential, violation_type, violation_facts, legal_basis, penalty_categories,
      penalty_content, fine, confiscated, suspended_license, penalty_valid_to, publish_until;

  static FieldIds From(const RecordSchema& schema) {
    auto f = [&](std::string_view name) { return schema.FieldIndex(name); };
    return FieldIds{f("subject_name"),
                    f("subject_category"),
                    f("uscc"),
                    f("business_reg_no"),
                    f("org_code"),
                    f("tax_reg_no"),
                    f("public_inst_cert_no"),
                    f("social_org_reg_no"),
                    f("legal_rep_name"),
                    f("legal_rep_id_type"),
                    f("legal_rep_id_no"),
                    f("subject_id_type"),
                    f("subject_id_no"),
                    f("decision_doc_title"),
                    f("decision_doc_no"),
                    f("license_category"),
                    f("certificate_name"),
                    f("license_no"),
                    f("license_content"),
                    f("decision_date"),
                    f("valid_from"),
                    f("valid_to"),
                    f("authority_name"),
                    f("authority_uscc"),
                    f("status"),
                    f("source_unit_name"),
                    f("source_unit_uscc"),
                    f("remark"),
                    f("confidential"),
                    f("violation_type"),
                    f("violation_facts"),
                    f("legal_basis"),
                    f("penalty_categories"),
                    f("penalty_content"),
                    f("fine_wan_yuan"),
                    f("confiscated_wan_yuan"),
                    f("suspended_license"),
                    f("penalty_valid_to"),
                    f("publish_until")};
  }
};

// A token planted in one field of a Content: its bytes then its canonical form, in
// Content::planted_text.
struct PlantedRef {
  PlantedKind kind = PlantedKind::kNegative;
  uint8_t field = 0;
  uint32_t begin = 0;
  uint32_t bytes_size = 0;
  uint32_t canonical_size = 0;
};

// One record's values. Pool entries keep what updates need to stay consistent with the first
// version (amounts, categories, the texts the clauses name).
struct Content {
  RecordKind kind = RecordKind::kPenalty;
  FieldMask present;
  std::array<ValueType, kMaxFields> types{};
  std::array<std::string, kMaxFields> values;
  std::string item;     // the case's $G
  std::string licence;  // what 暂扣/吊销 names
  std::string legal_rep;
  int64_t fine_cents = 0;
  int64_t confiscated_cents = 0;
  int32_t decision_day = 0;
  uint32_t version = 0;
  uint32_t content_base_bytes = 0;  // license_content before any 变更 note
  uint16_t categories = 0;
  uint8_t days = 0;
  uint8_t money_style = 0;
  uint8_t clause_style = 0;
  bool ascii_only = false;  // every non-ASCII character \u-escaped
  bool spaced = false;      // ", " and ": " between tokens
  bool money_as_number = false;
  uint8_t category = 0;  // Category of the subject
  std::string sink;      // writes to a field this kind's schema lacks
  // What was planted in the free text, kept with the pool entry so that a duplicate or an update
  // says it again. A field written anew (Set, Drop) forgets its tokens.
  std::vector<PlantedRef> planted;
  std::string planted_text;

  std::string& Set(int field, ValueType type = ValueType::kString) {
    if (field < 0) {
      sink.clear();
      return sink;
    }
    present.set(static_cast<size_t>(field));
    types[field] = type;
    values[field].clear();
    DropPlanted(field);
    return values[field];
  }
  void Drop(int field) {
    if (field < 0) return;
    present.reset(static_cast<size_t>(field));
    DropPlanted(field);
  }
  void AddPlanted(int field, PlantedKind planted_kind, std::string_view bytes,
                  std::string_view canonical) {
    if (field < 0 || bytes.empty()) return;
    planted.push_back(PlantedRef{
        planted_kind, static_cast<uint8_t>(field), static_cast<uint32_t>(planted_text.size()),
        static_cast<uint32_t>(bytes.size()), static_cast<uint32_t>(canonical.size())});
    planted_text += bytes;
    planted_text += canonical;
  }
  std::string_view PlantedBytes(const PlantedRef& ref) const {
    return std::string_view(planted_text).substr(ref.begin, ref.bytes_size);
  }
  std::string_view PlantedCanonical(const PlantedRef& ref) const {
    return std::string_view(planted_text).substr(ref.begin + ref.bytes_size, ref.canonical_size);
  }
  // Keeps the tokens `keep` accepts; their text is moved down in place (refs are in text order).
  template <typename Keep>
  void KeepPlanted(Keep keep) {
    size_t kept = 0;
    size_t text_end = 0;
    for (size_t i = 0; i < planted.size(); ++i) {
      PlantedRef ref = planted[i];
      if (!keep(ref)) continue;
      const size_t size = ref.bytes_size + ref.canonical_size;
      if (ref.begin != text_end) {
        std::memmove(planted_text.data() + text_end, planted_text.data() + ref.begin, size);
      }
      ref.begin = static_cast<uint32_t>(text_end);
      text_end += size;
      planted[kept++] = ref;
    }
    planted.resize(kept);
    planted_text.resize(text_end);
  }
  void DropPlanted(int field) {
    for (const PlantedRef& ref : planted) {
      if (ref.field == field) {
        KeepPlanted([field](const PlantedRef& r) { return r.field != field; });
        return;
      }
    }
  }
  bool Has(int field) const { return field >= 0 && present.test(static_cast<size_t>(field)); }
  void Reset(RecordKind new_kind) {
    kind = new_kind;
    present.reset();
    item.clear();
    licence.clear();
    legal_rep.clear();
    fine_cents = confiscated_cents = 0;
    version = 0;
    content_base_bytes = 0;
    categories = 0;
    days = 0;
    category = 0;
    planted.clear();
    planted_text.clear();
  }
};

// How a record should be built: what an invalid or withheld record needs from its base.
struct Shape {
  RecordKind kind = RecordKind::kUnknown;
  int category = -1;             // Category; -1 = by the configured shares
  uint16_t need_categories = 0;  // penalty categories the record must have
  int placeholder = -1;         // 1 = USCC placeholder, 0 = never, -1 = sometimes (个体工商户)
  bool business_reg_no = true;  // with the placeholder
  bool org_code = false;
  bool legal_rep_id = false;
  bool id_card = false;  // natural person with a 身份证
  bool minor = false;
  bool warning_only = false;
  bool confidential = false;
  bool future = false;  // decision date after today
};

struct Style {
  Naming naming = Naming::kCanonical;
  bool slash_dates = false;
  int kind_position = 0;  // 0: no kind field, 1: first, 2: last
  std::string_view kind_value;
};

// Where the renderer put each field, for breaking the line afterwards.
struct RenderMarks {
  size_t count = 0;
  std::array<uint8_t, kMaxFields> field{};
  std::array<uint32_t, kMaxFields> key_begin{};
  std::array<uint32_t, kMaxFields> value_begin{};
  std::array<uint32_t, kMaxFields> value_end{};
};

struct Authority {
  std::string name;
  std::string uscc;
  std::string abbr;  // 文号 prefix: 杭, 杭西
  uint16_t city = 0;
  int16_t district = -1;  // -1: city level
  uint8_t department = 0;
  uint8_t pad_width = 0;
  uint8_t brackets = 0;
  uint32_t penalty_counter = 0;
  uint32_t license_counter = 0;
};

// Per-record text context: the values the template slots expand to.
struct TextContext {
  const corpus::City* city = nullptr;
  const corpus::District* district = nullptr;
  std::string subject_name;
  std::string legal_rep;
  std::string address;
  std::string plate;
  std::string uscc;  // or the 工商注册号 of a placeholder subject
  std::string license_no;
  std::string id;  // natural person's 证件号码
  std::string mobile;
  std::string email;
  std::string card;
  std::string personal;  // the $P block
  std::string_view item;
  std::string_view licence;
  int32_t text_day = 0;
  int32_t decision_day = 0;
  int64_t fine_cents = 0;
  int64_t confiscated_cents = 0;
  int64_t value_cents = 0;
  int64_t income_cents = 0;
  int days = 0;
  int valid_years = 0;
  int money_style = 0;
  bool natural_person = false;
  uint8_t category = 0;       // Category of the subject
  bool subject_told = false;  // $R has named the subject once
  bool ascii_quotes = false;  // the item in ASCII quotes, which JSON must escape
};

constexpr std::array<std::string_view, 4> kBracketOpen = {"〔", "[", "（", "【"};
constexpr std::array<std::string_view, 4> kBracketClose = {"〕", "]", "）", "】"};
constexpr std::string_view kUnknownKinds[] = {"其他类型", "行政检查", "行政强制", "行政确认"};
constexpr std::string_view kOrdinals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九"};

std::vector<std::string> AliasesOf(const RecordSchema& schema, int field,
                                   std::string_view canonical) {
  std::vector<std::string> out;
  if (field < 0) return out;
  for (const auto& [from, to] : schema.field(field).enum_aliases) {
    if (to == canonical) out.push_back(from);
  }
  std::sort(out.begin(), out.end());  // unordered_map order is not part of the output contract
  return out;
}

}  // namespace

std::string_view IntentName(Intent intent) {
  switch (intent) {
    case Intent::kNew: return "new";
    case Intent::kDuplicate: return "duplicate";
    case Intent::kUpdate: return "update";
    case Intent::kWithdraw: return "withdraw";
    case Intent::kWithheld: return "withheld";
    case Intent::kInvalid: return "invalid";
  }
  return "new";
}

std::string_view PiiFormsName(PiiForms forms) {
  return forms == PiiForms::kAdversarial ? "adversarial" : "realistic";
}

std::optional<PiiForms> PiiFormsFromName(std::string_view name) {
  if (name == "realistic") return PiiForms::kRealistic;
  if (name == "adversarial") return PiiForms::kAdversarial;
  return std::nullopt;
}

std::string_view PlantedKindName(PlantedKind kind) {
  switch (kind) {
    case PlantedKind::kIdNumber: return "id_number";
    case PlantedKind::kMobile: return "mobile";
    case PlantedKind::kBankCard: return "bank_card";
    case PlantedKind::kEmail: return "email";
    case PlantedKind::kName: return "name";
    case PlantedKind::kNegative: return "negative";
  }
  return "negative";
}

namespace {

bool IsGb18030(std::string_view encoding) {
  std::string lower(encoding);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "gb18030" || lower == "gb-18030";
}

bool IsUtf8(std::string_view encoding) {
  std::string lower(encoding);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "utf-8" || lower == "utf8";
}

}  // namespace

Status CheckGeneratorOptions(const GeneratorOptions& options) {
  const std::pair<std::string_view, double> shares[] = {
      {"duplicate_share", options.duplicate_share},
      {"update_share", options.update_share},
      {"withdraw_share", options.withdraw_share},
      {"withheld_share", options.withheld_share},
      {"invalid_share", options.invalid_share},
      {"natural_person_share", options.natural_person_share},
      {"exchange_code_share", options.exchange_code_share},
      {"penalty_share", options.penalty_share}};
  for (const auto& [name, value] : shares) {
    if (!(value >= 0 && value <= 1)) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("generate: {} is {}, expected a fraction in [0, 1]", name, value));
    }
  }
  const double outcomes = options.duplicate_share + options.update_share + options.withdraw_share +
                          options.withheld_share + options.invalid_share;
  if (outcomes > 1 + 1e-9) {
    return Fail(
        ErrorCode::kInvalidConfig,
        fmt::format("generate: duplicate, update, withdraw, withheld and invalid shares sum to {}, "
                    "expected at most 1",
                    outcomes));
  }
  if (options.max_record_bytes < kMinRecordBytes) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("generate: max_record_bytes is {}, expected at least {}",
                            options.max_record_bytes, kMinRecordBytes));
  }
  if (!IsUtf8(options.encoding) && !IsGb18030(options.encoding)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("generate: encoding '{}' is not supported, expected utf-8 or gb18030",
                            options.encoding));
  }
  if (options.pool_capacity == 0) {
    return Fail(ErrorCode::kInvalidConfig, "generate: pool_capacity must be at least 1");
  }
  if (options.today < 0) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("generate: today is {}, expected a day number >= 0", options.today));
  }
  if (options.pii_forms != PiiForms::kRealistic && options.pii_forms != PiiForms::kAdversarial) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("generate: pii_forms is {}, expected realistic or adversarial",
                            static_cast<int>(options.pii_forms)));
  }
  return Ok();
}

class Generator::Impl {
 public:
  Impl(const SchemaSet& schemas, GeneratorOptions options);
  ~Impl() {
    if (iconv_ != reinterpret_cast<iconv_t>(-1)) iconv_close(iconv_);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  GeneratedRecord Next(std::string& line);
  size_t pool_size() const { return pool_size_; }
  size_t pool_capacity() const { return options_.pool_capacity; }
  int32_t today() const { return today_; }

 private:
  const RecordSchema& SchemaOf(RecordKind kind) const { return schemas_.For(kind); }
  const FieldIds& FieldsOf(RecordKind kind) const {
    return kind == RecordKind::kLicense ? license_fields_ : penalty_fields_;
  }
  static size_t KindSlot(RecordKind kind) { return kind == RecordKind::kLicense ? 0 : 1; }

  // Set-up.
  void BuildKeys();
  void BuildAuthorities();
  void MakeAuthorityUscc(std::string& out, std::string_view area);

  // Records.
  Intent PickIntent();
  RejectReason NextInvalidReason();
  Shape ShapeFor(RejectReason reason);
  void Build(Content& c, const Shape& shape);
  void BuildPenalty(Content& c, const Shape& shape);
  void BuildLicense(Content& c, const Shape& shape);
  Category PickCategory(const Shape& shape, RecordKind kind);
  Authority& PickAuthority(int department);
  void FillSubject(Content& c, const FieldIds& f, Category category, const Authority& authority,
                   const Shape& shape);
  void FillAuthority(Content& c, const FieldIds& f, const Authority& authority);
  void FillDate(Content& c, int field, int32_t day, bool with_time);
  void SetCategories(Content& c, const FieldIds& f);
  void SetMoney(Content& c, int field, int64_t cents);
  void AppendPenaltyContent(std::string& out, const Content& c, bool with_subject);
  void AppendClauses(std::string& out, const Content& c);
  void LoadClauseContext(const Content& c);
  void ClampLengths(Content& c);
  void Update(Content& c);
  void Withdraw(Content& c);
  size_t Publish(Content& c);  // the pool slot it went to

  // Breaking records on purpose.
  void BreakContent(Content& c, RejectReason reason, Style& style);
  void BreakLine(std::string& line, const Content& c, const Style& style, RejectReason reason);
  int PickRenderedString(const std::string& line, bool avoid_dates);

  // Names, numbers, text.
  void AppendPersonName(std::string& out);
  void AppendOtherPerson(std::string& out);
  void AppendCompanyName(std::string& out, const corpus::City& city,
                         const corpus::District& district);
  void AppendAddress(std::string& out, const corpus::City& city, const corpus::District& district);
  void AppendOrgCodeBody(std::string& out, int kind);
  void MakeUscc(std::string& out, std::string_view prefix, std::string_view area,
                std::string_view body8);
  void MakeIdNumber(std::string& out, std::string_view area, int32_t birth_day);
  int32_t AdultBirthDay(int32_t decision_day);
  int32_t MinorBirthDay(int32_t decision_day);
  std::string_view RandomArea(const corpus::City& home);
  void MakeMobile(std::string& out);
  void MakeCard(std::string& out);
  void MakeEmail(std::string& out);
  void AppendIdForText(std::string& out, std::string_view id);
  void AppendMobileForText(std::string& out, std::string_view mobile);
  void MakePersonalBlock(const CivilDate& birth, bool id_card);
  void AppendYuan(std::string& out, int64_t cents);
  void AppendDocNo(std::string& out, std::string_view pattern, const Authority& authority, int year,
                   uint32_t counter);
  void AppendLicenseNo(std::string& out, std::string_view pattern, int year);
  void Expand(std::string& out, std::string_view pattern);
  void AppendLongText(std::string& out, size_t min_chars);

  // What was planted (PlantedToken). Expand and the helpers it calls append to a field's value
  // (or to the $P block, whose tokens go with it wherever it is copied); Plant finds the field
  // from the buffer, so no call site has to say which field it writes.
  void Plant(const std::string& out, PlantedKind kind, std::string_view bytes,
             std::string_view canonical);
  void PlantAppended(const std::string& out, size_t from, PlantedKind kind,
                     std::string_view canonical);
  void PlantName(const std::string& out, size_t from);
  void AppendPersonal(std::string& out);
  void ReconcilePlanted(Content& c);
  void PublishPlanted(const Content& c, GeneratedRecord& record, const FieldMask& on_line);

  // Adversarial PII forms (PiiForms::kAdversarial), drawn from adv_rng_ only.
  enum class AdvItem : uint8_t {
    kId18,
    kId15,
    kMobile,
    kCard,
    kEmail,
    kOwnName,
    kOtherName,
    kPair,
    kNegative
  };
  void AddAdversarialText(Content& c);
  bool InsertAdversarial(Content& c, int field, AdvItem item, size_t& budget);
  void AppendAdvItem(std::string& out, AdvItem item);
  void AppendAdvIdentifier(std::string& out, AdvItem item, bool own);
  void AppendAdvPair(std::string& out);
  void AppendAdvNegative(std::string& out);
  void AppendAdvOwnName(std::string& out, bool with_role);
  void AppendAdvOtherName(std::string& out);
  void AdvName(std::string& canonical);
  void AdvIdNumber(std::string& out, bool adult_other);
  void AdvOldIdNumber(std::string& out, bool own);
  void AdvMobile(std::string& out);
  void AdvCard(std::string& out);
  void AdvEmail(std::string& local, std::string& domain, bool letter_first);
  // Writes one rendering of a number (ID, mobile, card) and records it as pending.
  void AppendAdvNumber(std::string& out, PlantedKind kind, std::string_view canonical,
                       int number_class, bool ascii_only, bool allow_prefix,
                       double ungrouped_share);
  void AppendAdvEmail(std::string& out, bool letter_first);
  void AdvPending(const std::string& out, size_t from, PlantedKind kind,
                  std::string_view canonical);

  // Rendering.
  Style PickStyle(const Content& c);
  void Render(const Content& c, const Style& style, std::string& line);
  void AppendKey(std::string& line, const Content& c, Naming naming, int field);
  void AppendValue(std::string& line, const Content& c, int field, const Style& style);
  void Encode(std::string& line);
  void TranscodeAppend(std::string_view in, std::string& out);

  const SchemaSet& schemas_;
  GeneratorOptions options_;
  Rng rng_;
  int32_t today_;
  bool gb18030_;
  iconv_t iconv_ = reinterpret_cast<iconv_t>(-1);
  FieldIds license_fields_;
  FieldIds penalty_fields_;
  // [kind slot][naming][field]: the `"name":` bytes, plain and with \u escapes.
  std::array<std::array<std::vector<std::string>, kNamingCount>, 2> keys_;
  std::array<std::array<std::vector<std::string>, kNamingCount>, 2> ascii_keys_;
  std::array<int, kMaxFields> penalty_category_bit_{};  // corpus category -> schema enum index

  std::vector<Authority> authorities_;
  std::vector<std::vector<uint32_t>> by_department_;
  std::vector<uint32_t> source_unit_of_city_;
  std::array<std::vector<uint16_t>, 3> penalty_cases_by_category_;
  std::array<std::vector<uint16_t>, 3> license_cases_by_category_;
  std::vector<std::vector<std::string>> license_category_aliases_;  // by license case

  // Enumeration spellings other than the canonical value, from the schemas' aliases.
  std::array<std::vector<std::string>, 3> category_aliases_;
  std::vector<std::string> id_card_aliases_;
  std::vector<std::string> license_status_valid_;
  std::vector<std::string> license_status_withdrawn_;
  std::vector<std::string> penalty_status_normal_;
  std::vector<std::string> penalty_status_withdrawn_;
  std::vector<std::string> confidential_true_;
  std::vector<std::string> confidential_false_;
  std::string placeholder_uscc_;

  std::vector<Content> pool_;
  size_t pool_size_ = 0;
  Content scratch_;
  TextContext text_;
  RenderMarks marks_;
  std::string work_;
  std::string spare_;
  uint64_t invalid_count_ = 0;
  uint64_t withheld_count_ = 0;
  size_t reason_cycle_ = 0;
  std::vector<RejectReason> cycled_reasons_;

  Content* building_ = nullptr;  // the record whose fields Plant() maps buffers to
  Content personal_planted_;     // the $P block's tokens (under field 0)
  std::vector<PlantedToken> planted_views_;
  bool adversarial_ = false;
  Rng adv_rng_;
  Content adv_pending_;  // an adversarial item's tokens until it is inserted (under field 0)
  std::string adv_item_;
  std::string adv_token_;
  std::string adv_canonical_;
  std::string adv_extra_;
  std::string adv_mobile_;    // a 个体工商户 operator's mobile
  bool adv_license_ = false;  // the record being built is a license
  std::vector<uint32_t> adv_cuts_;
};

Generator::Impl::Impl(const SchemaSet& schemas, GeneratorOptions options)
    : schemas_(schemas),
      options_(std::move(options)),
      rng_(options_.seed),
      today_(options_.today != 0 ? options_.today : TodayInShanghai()),
      gb18030_(IsGb18030(options_.encoding)),
      license_fields_(FieldIds::From(schemas.For(RecordKind::kLicense))),
      penalty_fields_(FieldIds::From(schemas.For(RecordKind::kPenalty))),
      adversarial_(options_.pii_forms == PiiForms::kAdversarial),
      // A stream of its own: the adversarial forms change no draw of the records themselves.
      adv_rng_(options_.seed ^ 0x5049492d666f726dULL) {
  if (Status status = CheckGeneratorOptions(options_); !status) {
    std::fprintf(stderr, "gongshi::Generator: %s\n", status.error().ToString().c_str());
    std::abort();
  }
  if (gb18030_) {
    iconv_ = iconv_open("GB18030", "UTF-8");
    if (iconv_ == reinterpret_cast<iconv_t>(-1)) {
      std::fprintf(stderr, "gongshi::Generator: iconv cannot convert UTF-8 to GB18030\n");
      std::abort();
    }
  }
  BuildKeys();
  BuildAuthorities();

  const auto cases = corpus::PenaltyCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].subjects & corpus::kOrganisation)
      penalty_cases_by_category_[kOrganisation].push_back(i);
    if (cases[i].subjects & corpus::kNaturalPerson)
      penalty_cases_by_category_[kNaturalPerson].push_back(i);
    if (cases[i].subjects & corpus::kIndividualBusiness) {
      penalty_cases_by_category_[kIndividualBusiness].push_back(i);
    }
  }
  const auto licenses = corpus::LicenseCases();
  for (size_t i = 0; i < licenses.size(); ++i) {
    if (licenses[i].subjects & corpus::kOrganisation)
      license_cases_by_category_[kOrganisation].push_back(i);
    if (licenses[i].subjects & corpus::kNaturalPerson)
      license_cases_by_category_[kNaturalPerson].push_back(i);
    if (licenses[i].subjects & corpus::kIndividualBusiness) {
      license_cases_by_category_[kIndividualBusiness].push_back(i);
    }
    license_category_aliases_.push_back(AliasesOf(schemas_.For(RecordKind::kLicense),
                                                  license_fields_.license_category,
                                                  licenses[i].category));
  }

  const RecordSchema& penalty = schemas_.For(RecordKind::kPenalty);
  const RecordSchema& license = schemas_.For(RecordKind::kLicense);
  for (int c = 0; c < 3; ++c) {
    category_aliases_[c] = AliasesOf(penalty, penalty_fields_.subject_category, kCategoryValues[c]);
  }
  id_card_aliases_ = AliasesOf(penalty, penalty_fields_.subject_id_type, "身份证");
  license_status_valid_ = AliasesOf(license, license_fields_.status, "1");
  license_status_valid_.insert(license_status_valid_.begin(), "1");
  license_status_withdrawn_ = AliasesOf(license, license_fields_.status, "2");
  license_status_withdrawn_.insert(license_status_withdrawn_.begin(), "2");
  penalty_status_normal_ = AliasesOf(penalty, penalty_fields_.status, "0");
  penalty_status_normal_.insert(penalty_status_normal_.begin(), "0");
  penalty_status_withdrawn_ = AliasesOf(penalty, penalty_fields_.status, "1");
  penalty_status_withdrawn_.insert(penalty_status_withdrawn_.begin(), "1");
  confidential_true_ = AliasesOf(penalty, penalty_fields_.confidential, "true");
  confidential_false_ = AliasesOf(penalty, penalty_fields_.confidential, "false");
  if (penalty_fields_.uscc >= 0)
    placeholder_uscc_ = penalty.field(penalty_fields_.uscc).placeholder;
  if (placeholder_uscc_.empty()) placeholder_uscc_ = "00000000000000000X";

  penalty_category_bit_.fill(-1);
  if (penalty_fields_.penalty_categories >= 0) {
    const auto& values = penalty.field(penalty_fields_.penalty_categories).enum_values;
    for (int c = 0; c < corpus::kPenaltyCategoryCount; ++c) {
      auto it = std::find(values.begin(), values.end(),
                          corpus::PenaltyCategoryName(static_cast<PenaltyCategory>(c)));
      if (it != values.end()) penalty_category_bit_[c] = static_cast<int>(it - values.begin());
    }
  }

  for (RejectReason reason : AllRejectReasons()) {
    // kafka_tombstone (a null-valued Kafka message) can only come from the Kafka source, never
    // from a line: skipped by its code so that this compiles before and after the reason exists.
    if (reason != RejectReason::kRecordTooLarge && RejectReasonCode(reason) != "kafka_tombstone") {
      cycled_reasons_.push_back(reason);
    }
  }
}

void Generator::Impl::BuildKeys() {
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const RecordSchema& schema = SchemaOf(kind);
    const size_t slot = KindSlot(kind);
    for (size_t naming = 0; naming < kNamingCount; ++naming) {
      keys_[slot][naming].resize(static_cast<size_t>(schema.field_count()));
      ascii_keys_[slot][naming].resize(static_cast<size_t>(schema.field_count()));
    }
    for (int i = 0; i < schema.field_count(); ++i) {
      const FieldSpec& spec = schema.field(i);
      // The exchange code is the alias with the kind's prefix (CF_, XK_); fields outside the
      // prefixed set (BZ, SFSM) use their upper-case ASCII alias.
      std::string_view exchange;
      for (const std::string& alias : spec.aliases) {
        for (const std::string& prefix : schema.kind_prefixes()) {
          if (exchange.empty() && alias.starts_with(prefix)) exchange = alias;
        }
      }
      for (const std::string& alias : spec.aliases) {
        if (exchange.empty() && IsExchangeCodeLike(alias)) exchange = alias;
      }
      if (exchange.empty()) exchange = spec.name;
      std::string_view chinese;
      for (const std::string& alias : spec.aliases) {
        if (chinese.empty() && HasNonAscii(alias)) chinese = alias;
      }
      if (chinese.empty()) chinese = spec.name;
      const std::string_view names[kNamingCount] = {spec.name, exchange, chinese};
      for (size_t naming = 0; naming < kNamingCount; ++naming) {
        std::string& key = keys_[slot][naming][i];
        AppendJsonString(key, names[naming], false);
        key.push_back(':');
        std::string& ascii = ascii_keys_[slot][naming][i];
        AppendJsonString(ascii, names[naming], true);
        ascii.push_back(':');
      }
    }
  }
}

void Generator::Impl::MakeAuthorityUscc(std::string& out, std::string_view area) {
  // 机关 org codes: the newer "MB…" series or the older all-digit one.
  std::string body;
  if (rng_.Chance(0.6)) {
    body = "MB";
    for (int i = 0; i < 6; ++i) body.push_back(kUsccAlphabet[rng_.Below(kUsccAlphabet.size())]);
  } else {
    body = "0";
    AppendDigits(body, rng_, 7);
  }
  MakeUscc(out, "11", area, body);
}

void Generator::Impl::BuildAuthorities() {
  const auto cities = corpus::Cities();
  const auto departments = corpus::Departments();
  by_department_.resize(departments.size());
  std::unordered_set<std::string> seen;
  auto unique_uscc = [&](Authority& a, std::string_view area) {
    do {
      a.uscc.clear();
      MakeAuthorityUscc(a.uscc, area);
    } while (!seen.insert(a.uscc).second);
  };
  auto name_of = [&](std::string& out, std::string_view pattern, const corpus::City& city,
                     const corpus::District* district) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] == '$' && i + 1 < pattern.size()) {
        const char slot = pattern[++i];
        if (slot == 'c') out += city.name;
        if (slot == 'd' && district != nullptr) out += district->name;
      } else {
        out.push_back(pattern[i]);
      }
    }
  };
  auto add = [&](Authority a) {
    a.pad_width = static_cast<uint8_t>(rng_.Pick(std::span<const int>(std::array{0, 0, 3, 4})));
    const double b = rng_.Unit();
    a.brackets = b < 0.7 ? 0 : b < 0.8 ? 1 : b < 0.9 ? 2 : 3;
    a.penalty_counter = static_cast<uint32_t>(rng_.Range(1, 300));
    a.license_counter = static_cast<uint32_t>(rng_.Range(1, 300));
    authorities_.push_back(std::move(a));
    return static_cast<uint32_t>(authorities_.size() - 1);
  };
  for (size_t ci = 0; ci < cities.size(); ++ci) {
    const corpus::City& city = cities[ci];
    for (size_t di = 0; di < departments.size(); ++di) {
      const corpus::Department& dept = departments[di];
      Authority a;
      a.city = static_cast<uint16_t>(ci);
      a.department = static_cast<uint8_t>(di);
      name_of(a.name, dept.city_name, city, nullptr);
      a.abbr = std::string(city.abbr);
      unique_uscc(a, city.code);
      by_department_[di].push_back(add(std::move(a)));
      if (dept.district_name.empty()) continue;
      for (size_t k = 0; k < city.districts.size(); ++k) {
        const corpus::District& district = city.districts[k];
        Authority d;
        d.city = static_cast<uint16_t>(ci);
        d.district = static_cast<int16_t>(k);
        d.department = static_cast<uint8_t>(di);
        name_of(d.name, dept.district_name, city, &district);
        d.abbr = std::string(city.abbr);
        d.abbr += FirstChar(district.name);
        unique_uscc(d, district.code);
        by_department_[di].push_back(add(std::move(d)));
      }
    }
    // 数据来源单位 that collects for the whole city (the credit office), not a department.
    Authority source;
    source.city = static_cast<uint16_t>(ci);
    source.department = 0xFF;
    name_of(source.name, rng_.Pick(corpus::SourceUnits()), city, nullptr);
    unique_uscc(source, city.code);
    source_unit_of_city_.push_back(add(std::move(source)));
  }
}

// ---- Names and identifiers ----

void Generator::Impl::AppendPersonName(std::string& out) {
  out += rng_.Chance(0.03) ? rng_.Pick(corpus::CompoundSurnames()) : rng_.Pick(corpus::Surnames());
  out += rng_.Pick(corpus::GivenNameChars());
  if (rng_.Chance(0.7)) out += rng_.Pick(corpus::GivenNameChars());
}

void Generator::Impl::AppendOtherPerson(std::string& out) {
  const double r = rng_.Unit();
  if (r < 0.25) {
    const size_t at = out.size();
    AppendPersonName(out);  // named in full: what redaction has to catch without a pattern
    PlantName(out, at);
    return;
  }
  out += rng_.Chance(0.04) ? rng_.Pick(corpus::CompoundSurnames()) : rng_.Pick(corpus::Surnames());
  out += r < 0.8 ? "某某" : "某";
}

void Generator::Impl::AppendCompanyName(std::string& out, const corpus::City& city,
                                        const corpus::District& district) {
  const double r = rng_.Unit();
  std::string_view city_name = city.name;
  if (city_name.ends_with("市")) city_name.remove_suffix(3);
  if (r < 0.55) {
    out += city_name;
  } else if (r < 0.7) {
    out += city.name;
    out += district.name;
  } else if (r < 0.9) {
    out += city.province;
  }
  out += rng_.Pick(corpus::TradeNameChars());
  out += rng_.Pick(corpus::TradeNameChars());
  out += rng_.Pick(corpus::Industries());
  out += rng_.Pick(corpus::CompanyForms());
  if (rng_.Chance(0.04)) {
    std::string_view branch = district.name;
    if (branch.size() > 6 && branch.ends_with("区")) branch.remove_suffix(3);
    out += branch;
    out += "分公司";
  }
}

void Generator::Impl::AppendAddress(std::string& out, const corpus::City& city,
                                    const corpus::District& district) {
  out += city.name;
  out += district.name;
  out += rng_.Pick(corpus::Roads());
  AppendUint(out, static_cast<uint64_t>(rng_.Range(1, 999)));
  out += "号";
  const double r = rng_.Unit();
  if (r < 0.3) {
    AppendUint(out, static_cast<uint64_t>(rng_.Range(1, 20)));
    out += "幢";
    AppendUint(out, static_cast<uint64_t>(rng_.Range(101, 2608)));
    out += "室";
  } else if (r < 0.5) {
    AppendUint(out, static_cast<uint64_t>(rng_.Range(1, 6)));
    out += "楼";
  }
}

// 8 body characters of a 组织机构代码 (GB 11714), drawn from the USCC alphabet so that the USCC
// that embeds them stays valid. kind: 0 enterprise, 1 事业单位, 2 社会组织.
void Generator::Impl::AppendOrgCodeBody(std::string& out, int kind) {
  if (kind == 1) {
    out.push_back('4');
    AppendDigits(out, rng_, 7);
  } else if (kind == 2 && rng_.Chance(0.6)) {
    out += "MJ";
    for (int i = 0; i < 6; ++i) out.push_back(kUsccAlphabet[rng_.Below(kUsccAlphabet.size())]);
  } else if (rng_.Chance(0.75)) {
    // Codes issued since 2015 (with the USCC) start with MA.
    out += "MA";
    out.push_back(static_cast<char>('0' + rng_.Below(10)));
    for (int i = 0; i < 5; ++i) out.push_back(kUsccAlphabet[rng_.Below(kUsccAlphabet.size())]);
  } else {
    AppendDigits(out, rng_, 8);
  }
}

// USCC = 登记管理部门 + 机构类别 (prefix), area code, org code (body + GB 11714 check), GB 32100
// check.
void Generator::Impl::MakeUscc(std::string& out, std::string_view prefix, std::string_view area,
                               std::string_view body8) {
  out.clear();
  out += prefix;
  out += area;
  out += body8;
  out.push_back(OrgCodeCheckChar(body8));
  out.push_back(UsccCheckChar(out));
}

void Generator::Impl::MakeIdNumber(std::string& out, std::string_view area, int32_t birth_day) {
  out.clear();
  out += area;
  char date[10];
  FormatDateTo(birth_day, date);
  out.append(date, 4);
  out.append(date + 5, 2);
  out.append(date + 8, 2);
  AppendPadded(out, static_cast<uint64_t>(rng_.Range(1, 999)), 3);
  out.push_back(IdCheckChar(out));
}

int32_t Generator::Impl::AdultBirthDay(int32_t decision_day) {
  const CivilDate decided = CivilFromDays(decision_day);
  const int year = decided.year - static_cast<int>(rng_.Range(20, 66));
  const int month = static_cast<int>(rng_.Range(1, 12));
  return DaysFromCivil(year, month, static_cast<int>(rng_.Range(1, DaysInMonth(year, month))));
}

// Under 18 at the decision date (暂行办法 Art. 5: minors' records are not published).
int32_t Generator::Impl::MinorBirthDay(int32_t decision_day) {
  const CivilDate decided = CivilFromDays(decision_day);
  const int year = decided.year - static_cast<int>(rng_.Range(15, 17));
  const int month = static_cast<int>(rng_.Range(1, 12));
  return DaysFromCivil(year, month, static_cast<int>(rng_.Range(1, DaysInMonth(year, month))));
}

std::string_view Generator::Impl::RandomArea(const corpus::City& home) {
  const corpus::City& city = rng_.Chance(0.7) ? home : rng_.Pick(corpus::Cities());
  return rng_.Pick(city.districts).code;
}

void Generator::Impl::MakeMobile(std::string& out) {
  out.clear();
  out += rng_.Pick(corpus::MobilePrefixes());
  AppendDigits(out, rng_, 8);
}

// A bank card number with a valid Luhn digit, as redaction must recognise it.
void Generator::Impl::MakeCard(std::string& out) {
  out.clear();
  out += rng_.Pick(corpus::CardPrefixes());
  const int length = rng_.Chance(0.6) ? 19 : 16;
  AppendDigits(out, rng_, length - 1 - static_cast<int>(out.size()));
  out.push_back('0');
  for (char d = '0'; d <= '9'; ++d) {
    out.back() = d;
    if (LuhnValid(out)) break;
  }
}

void Generator::Impl::MakeEmail(std::string& out) {
  out.clear();
  if (rng_.Chance(0.35)) {
    out.push_back(static_cast<char>('1' + rng_.Below(9)));
    AppendDigits(out, rng_, static_cast<int>(rng_.Range(5, 9)));
    out += "@qq.com";
    return;
  }
  const int letters = static_cast<int>(rng_.Range(4, 9));
  for (int i = 0; i < letters; ++i) out.push_back(static_cast<char>('a' + rng_.Below(26)));
  if (rng_.Chance(0.6)) AppendUint(out, static_cast<uint64_t>(rng_.Range(1960, 2005)));
  out.push_back('@');
  out += rng_.Pick(corpus::EmailDomains());
}

// ID numbers in free text as they leak in practice: plain, full-width, or split by spaces.
void Generator::Impl::AppendIdForText(std::string& out, std::string_view id) {
  const size_t at = out.size();
  const double r = rng_.Unit();
  if (r < 0.7 || id.size() != 18) {
    out += id;
  } else if (r < 0.85) {
    AppendFullWidth(out, id);
  } else {
    out += id.substr(0, 6);
    out.push_back(' ');
    out += id.substr(6, 8);
    out.push_back(' ');
    out += id.substr(14);
  }
  // Passport and permit numbers are printed too, but only a 身份证 number is an ID number here.
  if (id.size() == 18) PlantAppended(out, at, PlantedKind::kIdNumber, id);
}

void Generator::Impl::AppendMobileForText(std::string& out, std::string_view mobile) {
  const size_t at = out.size();
  const double r = rng_.Unit();
  if (r < 0.6) {
    out += mobile;
  } else if (r < 0.9) {
    const char separator = r < 0.75 ? ' ' : '-';
    out += mobile.substr(0, 3);
    out.push_back(separator);
    out += mobile.substr(3, 4);
    out.push_back(separator);
    out += mobile.substr(7);
  } else {
    AppendFullWidth(out, mobile);
  }
  PlantAppended(out, at, PlantedKind::kMobile, mobile);
}

void Generator::Impl::MakePersonalBlock(const CivilDate& birth, bool id_card) {
  std::string& p = text_.personal;
  p.clear();
  personal_planted_.Reset(RecordKind::kPenalty);
  const std::string_view id_label = id_card ? "身份证号码" : "证件号码";
  switch (rng_.Below(id_card ? 4 : 2)) {
    case 0:
      p += "（";
      p += id_label;
      p += "：";
      AppendIdForText(p, text_.id);
      p += "，联系电话：";
      AppendMobileForText(p, text_.mobile);
      p += "）";
      break;
    case 1:
      p += "（证件号码：";
      AppendIdForText(p, text_.id);
      p += "，手机：";
      AppendMobileForText(p, text_.mobile);
      p += "，电子邮箱：";
      p += text_.email;
      p += "）";
      break;
    case 2:
      p += "（公民身份号码：";
      AppendIdForText(p, text_.id);
      p += "，住址：";
      p += text_.address;
      p += "，联系电话：";
      AppendMobileForText(p, text_.mobile);
      p += "）";
      break;
    default: {
      const bool male = text_.id.size() == 18 && (text_.id[16] - '0') % 2 == 1;
      p += male ? "，男，" : "，女，";
      AppendUint(p, static_cast<uint64_t>(birth.year));
      p += "年";
      AppendUint(p, static_cast<uint64_t>(birth.month));
      p += "月";
      AppendUint(p, static_cast<uint64_t>(birth.day));
      p += "日出生，公民身份号码";
      AppendIdForText(p, text_.id);
      p += "，住";
      p += text_.address;
      p += "，联系方式";
      AppendMobileForText(p, text_.mobile);
      p += "，";
      break;
    }
  }
}

void Generator::Impl::AppendYuan(std::string& out, int64_t cents) {
  const int64_t yuan = cents / 100;
  const int64_t fen = cents % 100;
  if (text_.money_style == 3 && fen == 0 && yuan >= 10000 && yuan % 100 == 0) {
    AppendWanYuan(out, cents, false);
    out += "万元";
    return;
  }
  if (text_.money_style == 1 && yuan >= 1000) {
    std::string digits;
    AppendUint(digits, static_cast<uint64_t>(yuan));
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
      out.push_back(digits[i]);
    }
  } else {
    AppendUint(out, static_cast<uint64_t>(yuan));
  }
  if (fen != 0 || text_.money_style == 2) {
    out.push_back('.');
    AppendPadded(out, static_cast<uint64_t>(fen), 2);
  }
  out += "元";
}

void Generator::Impl::AppendDocNo(std::string& out, std::string_view pattern,
                                  const Authority& authority, int year, uint32_t counter) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '$' && i + 1 < pattern.size()) {
      switch (pattern[++i]) {
        case 'a': out += authority.abbr; break;
        case 'y': AppendUint(out, static_cast<uint64_t>(year)); break;
        case 'n': AppendPadded(out, counter, authority.pad_width); break;
        default: break;
      }
    } else if (pattern.substr(i).starts_with(kBracketOpen[0])) {
      out += kBracketOpen[authority.brackets];
      i += kBracketOpen[0].size() - 1;
    } else if (pattern.substr(i).starts_with(kBracketClose[0])) {
      out += kBracketClose[authority.brackets];
      i += kBracketClose[0].size() - 1;
    } else {
      out.push_back(pattern[i]);
    }
  }
}

void Generator::Impl::AppendLicenseNo(std::string& out, std::string_view pattern, int year) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '$' || i + 1 >= pattern.size()) {
      out.push_back(pattern[i]);
      continue;
    }
    switch (pattern[++i]) {
      case 'z': out += text_.district->code; break;
      case 'q': AppendDigits(out, rng_, 7); break;
      case 'w': AppendDigits(out, rng_, 4); break;
      case 'u': out += text_.uscc; break;
      case 'y': AppendUint(out, static_cast<uint64_t>(year)); break;
      case 'p': out += text_.city->province_abbr; break;
      case 'a': out += text_.city->abbr; break;
      default: break;
    }
  }
}

// Expands the corpus slots (corpus.h) from text_.
void Generator::Impl::Expand(std::string& out, std::string_view pattern) {
  size_t i = 0;
  while (i < pattern.size()) {
    const size_t dollar = pattern.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 >= pattern.size()) {
      out.append(pattern.substr(i));
      return;
    }
    out.append(pattern.substr(i, dollar - i));
    const char slot = pattern[dollar + 1];
    i = dollar + 2;
    switch (slot) {
      case 'R':
        out += "当事人";
        if (!text_.subject_told) {
          text_.subject_told = true;
          if (text_.natural_person) {
            const size_t at = out.size();
            out += text_.subject_name;
            PlantName(out, at);
            AppendPersonal(out);
          } else if (rng_.Chance(0.5)) {
            out += text_.subject_name;
          }
        }
        break;
      case 'S': {
        const size_t at = out.size();
        out += text_.subject_name;
        // A 个体工商户 registered under the operator's own name names a natural person too.
        if (text_.category == kNaturalPerson ||
            (text_.category == kIndividualBusiness && text_.subject_name == text_.legal_rep)) {
          PlantName(out, at);
        }
        break;
      }
      case 'E': {
        const size_t at = out.size();
        const bool rep = !text_.legal_rep.empty();
        out += rep ? text_.legal_rep : text_.subject_name;
        // An organisation's 法定代表人 is published; a 个体工商户's operator is a natural person.
        if (text_.category == kNaturalPerson || (rep && text_.category == kIndividualBusiness)) {
          PlantName(out, at);
        }
        break;
      }
      case 'M': AppendOtherPerson(out); break;
      case 'A': out += text_.address; break;
      case 'C': out += text_.city->name; break;
      case 'Q': out += text_.district->name; break;
      case 'B': AppendCompanyName(out, *text_.city, *text_.district); break;
      case 'K':
        out += text_.city->plate;
        for (int k = 0; k < 5; ++k)
          out.push_back("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[rng_.Below(34)]);
        break;
      case 'T':
        AppendChineseDate(out, text_.text_day);
        text_.text_day = std::min<int32_t>(text_.text_day + static_cast<int32_t>(rng_.Range(1, 9)),
                                           text_.decision_day - 1);
        break;
      case 'H':
        AppendUint(out, static_cast<uint64_t>(rng_.Range(7, 22)));
        out += "时";
        AppendUint(out, static_cast<uint64_t>(rng_.Range(0, 11) * 5));
        out += "分";
        break;
      case 'G':
        if (text_.ascii_quotes) out.push_back('"');
        out += text_.item;
        if (text_.ascii_quotes) out.push_back('"');
        break;
      case 'N': AppendUint(out, static_cast<uint64_t>(rng_.Range(2, 99))); break;
      case 'D': AppendUint(out, static_cast<uint64_t>(text_.days)); break;
      case 'V': AppendYuan(out, text_.value_cents); break;
      case 'I':
        // Income not confiscated (refunded to customers, say) is still stated in the facts.
        AppendYuan(out, text_.confiscated_cents > 0 ? text_.confiscated_cents : text_.income_cents);
        break;
      case 'F': AppendYuan(out, text_.fine_cents); break;
      case 'L': out += text_.licence.empty() ? std::string_view("许可证") : text_.licence; break;
      case 'P': AppendPersonal(out); break;
      case 'X': out += text_.license_no; break;
      case 'U': out += text_.uscc; break;
      case 'Y': AppendUint(out, static_cast<uint64_t>(text_.valid_years)); break;
      // Contact-line slots (corpus::PersonalRemarks).
      case 'm': AppendMobileForText(out, text_.mobile); break;
      case 'e':
        out += text_.email;
        Plant(out, PlantedKind::kEmail, text_.email, text_.email);
        break;
      case 'i': AppendIdForText(out, text_.id); break;
      case 'b':
        out += text_.card;
        Plant(out, PlantedKind::kBankCard, text_.card, text_.card);
        break;
      case 'k': out += std::string_view(text_.card).substr(text_.card.size() - 4); break;
      default:
        out.push_back('$');
        out.push_back(slot);
        break;
    }
  }
}

// Sentences until the text is longer than `min_chars` characters (for field_too_long).
void Generator::Impl::AppendLongText(std::string& out, size_t min_chars) {
  while (CharCount(out) <= min_chars) {
    Expand(out, rng_.Pick(corpus::EvidenceSentences()));
    Expand(out, rng_.Pick(corpus::NoticeSentences()));
  }
}

// ---- Adversarial PII forms ----
//
// Every form below was seen in agencies' texts or is one keystroke away from one; a redactor that
// finds them all finds what clerks type. Everything here draws from adv_rng_, never from rng_.

namespace {

// Separator classes between digit groups.
enum SeparatorClass : uint8_t {
  kSepSpace,
  kSepIdeographicSpace,
  kSepNbsp,
  kSepHyphen,
  kSepDot,
  kSepSlash,
  kSepUnderscore,
  kSeparatorClassCount,
};
constexpr std::string_view kSpaceSeparators[] = {" "};
constexpr std::string_view kIdeographicSpaceSeparators[] = {"\u3000"};
constexpr std::string_view kNbspSeparators[] = {"\u00a0"};
// Hyphen-minus, full-width hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em
// dash, horizontal bar, minus sign: what word processors and input methods make of a typed '-'.
constexpr std::string_view kHyphenSeparators[] = {"-",      "\uff0d", "\u2010", "\u2011", "\u2012",
                                                  "\u2013", "\u2014", "\u2015", "\u2212"};
// Full stop, full-width full stop, middle dot, katakana middle dot.
constexpr std::string_view kDotSeparators[] = {".", "\uff0e", "\u00b7", "\u30fb"};
constexpr std::string_view kSlashSeparators[] = {"/", "\uff0f"};
constexpr std::string_view kUnderscoreSeparators[] = {"_", "\uff3f"};
constexpr std::span<const std::string_view> kSeparatorChars[] = {
    kSpaceSeparators,     kIdeographicSpaceSeparators,
    kNbspSeparators,      kHyphenSeparators,
    kDotSeparators,       kSlashSeparators,
    kUnderscoreSeparators};
static_assert(std::size(kSeparatorChars) == kSeparatorClassCount);

bool IsSeparatorCodePoint(uint32_t cp) {
  switch (cp) {
    case ' ':
    case 0x3000:
    case 0xA0:
    case '-':
    case 0xFF0D:
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case '.':
    case 0xFF0E:
    case 0xB7:
    case 0x30FB:
    case '/':
    case 0xFF0F:
    case '_':
    case 0xFF3F: return true;
    default: return false;
  }
}

// The code point at `i` of valid UTF-8, and its length.
uint32_t DecodeAt(std::string_view text, size_t i, size_t& length) {
  const auto c = static_cast<unsigned char>(text[i]);
  length = Utf8Width(c);
  if (i + length > text.size()) length = 1;
  uint32_t cp = length == 1 ? c : c & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
  for (size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return cp;
}

bool DigitRunIsPii(std::string_view run) {
  const bool all_digits =
      std::all_of(run.begin(), run.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto mobile = [](std::string_view d) {
    return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
  };
  switch (run.size()) {
    case 11: return mobile(run);
    case 13: return run.starts_with("86") && mobile(run.substr(2));
    case 15:
      return all_digits &&
             (IdBirthDay(run).has_value() || (run.starts_with("0086") && mobile(run.substr(4))));
    case 16:
    case 19: return all_digits && LuhnValid(run);
    case 18: return IdChecksumValid(run) && IdBirthDay(run).has_value();
    default: return false;
  }
}

// Whether any digit run of `text`, read as leniently as a redactor may (full-width digits as
// ASCII, every separator character between digits dropped), is an ID number, mobile or card: a
// negative control must not be one.
bool LooksLikePii(std::string_view text) {
  char run[64];
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    const uint32_t cp = DecodeAt(text, i, length);
    i += length;
    if ((cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19)) {
      if (n < sizeof run) run[n++] = static_cast<char>(cp >= 0xFF10 ? '0' + (cp - 0xFF10) : cp);
      continue;
    }
    if (n == 17 && (cp == 'X' || cp == 'x' || cp == 0xFF38)) {
      run[n++] = 'X';
      continue;
    }
    if (n > 0 && IsSeparatorCodePoint(cp)) continue;
    if (n > 0 && DigitRunIsPii(std::string_view(run, n))) return true;
    n = 0;
  }
  return n > 0 && DigitRunIsPii(std::string_view(run, n));
}

// One separator between two digit groups: its character and ASCII spaces around it (" - "), never
// more than 3 characters in a row.
struct SeparatorForm {
  uint8_t cls = kSepSpace;
  uint8_t index = 0;
  uint8_t spacing = 0;  // 0 none, 1 both sides, 2 before, 3 after, 4 the space doubled
};

SeparatorForm PickSeparator(Rng& rng) {
  SeparatorForm s;
  s.cls = static_cast<uint8_t>(rng.Below(kSeparatorClassCount));
  s.index = static_cast<uint8_t>(rng.Below(kSeparatorChars[s.cls].size()));
  if (s.cls == kSepSpace) {
    s.spacing = rng.Chance(0.15) ? 4 : 0;
  } else if (s.cls > kSepNbsp) {
    const double r = rng.Unit();
    s.spacing = r < 0.6 ? 0 : r < 0.85 ? 1 : r < 0.925 ? 2 : 3;
  }
  return s;
}

void AppendSeparator(std::string& out, const SeparatorForm& s) {
  const std::string_view core = kSeparatorChars[s.cls][s.index];
  if (s.spacing == 1 || s.spacing == 2) out.push_back(' ');
  out += core;
  if (s.spacing == 4) out += core;
  if (s.spacing == 1 || s.spacing == 3) out.push_back(' ');
}

// Digit groupings clerks use, by number class.
enum NumberClass : uint8_t { kClassId18, kClassId15, kClassMobile, kClassCard16, kClassCard19 };
struct Grouping {
  std::array<uint8_t, 5> sizes;
  uint8_t count;
};
constexpr Grouping kId18Groupings[] = {
    {{6, 8, 4}, 3}, {{6, 4, 4, 4}, 4}, {{3, 3, 4, 4, 4}, 5}, {{2, 4, 4, 4, 4}, 5}};
constexpr Grouping kId15Groupings[] = {{{6, 6, 3}, 3}};
constexpr Grouping kMobileGroupings[] = {
    {{3, 4, 4}, 3}, {{3, 8}, 2}, {{4, 4, 3}, 3}, {{3, 3, 5}, 3}};
constexpr Grouping kCard16Groupings[] = {{{4, 4, 4, 4}, 4}, {{6, 10}, 2}};
constexpr Grouping kCard19Groupings[] = {{{4, 4, 4, 4, 3}, 5}, {{6, 13}, 2}};

struct Groups {
  std::array<uint8_t, 24> sizes{};
  size_t count = 0;
};

// Ungrouped (`ungrouped_share`), one of the class's groupings, or random groups.
void PickGroups(Rng& rng, NumberClass cls, size_t length, double ungrouped_share, Groups& g) {
  g.count = 0;
  const double r = rng.Unit();
  if (r < ungrouped_share) {
    g.sizes[g.count++] = static_cast<uint8_t>(length);
    return;
  }
  if (r < ungrouped_share + (1 - ungrouped_share) * 0.72) {
    std::span<const Grouping> families;
    switch (cls) {
      case kClassId18: families = kId18Groupings; break;
      case kClassId15: families = kId15Groupings; break;
      case kClassMobile: families = kMobileGroupings; break;
      case kClassCard16: families = kCard16Groupings; break;
      case kClassCard19: families = kCard19Groupings; break;
    }
    const Grouping& family = rng.Pick(families);
    for (size_t i = 0; i < family.count; ++i) g.sizes[g.count++] = family.sizes[i];
    return;
  }
  size_t left = length;
  while (left > 0 && g.count < g.sizes.size()) {
    size_t size = rng.Chance(0.1) ? 1 : static_cast<size_t>(rng.Range(2, 6));
    size = std::min(size, left);
    g.sizes[g.count++] = static_cast<uint8_t>(size);
    left -= size;
  }
  if (g.count == 1) {
    g.sizes[0] = static_cast<uint8_t>(length / 2);
    g.sizes[1] = static_cast<uint8_t>(length - length / 2);
    g.count = 2;
  }
}

enum DigitWidth : uint8_t { kWidthAscii, kWidthFull, kWidthMixed };

void AppendDigitOfWidth(std::string& out, char digit, bool full) {
  if (full) {
    AppendCodePoint(out, 0xFF10 + static_cast<uint32_t>(digit - '0'));
  } else {
    out.push_back(digit);
  }
}

// The company names a clerk writes right after 申请人/当事人 (a negative control for names).
constexpr std::string_view kCompanyRoles[] = {"申请人", "当事人", "被处罚人", "被申请人"};
constexpr std::string_view kPlaceRoles[] = {"经营者", "当事人", "申请人", "违法行为人"};
constexpr std::string_view kNameSeparators[] = {" ", "\u3000", "\u00b7"};
constexpr std::string_view kColonJoiners[] = {"：", ":", "：", "为", " ", "是", "："};
constexpr std::string_view kTrailers[] = {"。", "；", "，", "。"};
constexpr std::string_view kLandlineLabels[] = {"办公电话", "固定电话", "座机", "单位电话"};
constexpr std::string_view kDateLeads[] = {"于", "自", "截至", "日期：", "并于"};
constexpr std::string_view kDateTails[] = {"起施行。", "前整改完毕。", "作出决定。", "到期。"};
constexpr std::string_view kPairLabels[] = {"联系方式：", "联系方式", "联系信息："};
constexpr std::string_view kEmailJoiners[] = {"：", ":", "为", "： "};

}  // namespace

void Generator::Impl::AdvPending(const std::string& out, size_t from, PlantedKind kind,
                                 std::string_view canonical) {
  adv_pending_.AddPlanted(0, kind, std::string_view(out).substr(from), canonical);
}

void Generator::Impl::AdvName(std::string& canonical) {
  canonical.clear();
  Rng& rng = adv_rng_;
  if (rng.Chance(0.15)) {
    canonical +=
        rng.Pick(rng.Chance(0.5) ? corpus::CompoundSurnames() : corpus::ExtraCompoundSurnames());
  } else {
    canonical += rng.Pick(rng.Chance(0.5) ? corpus::Surnames() : corpus::ExtraSurnames());
  }
  canonical += rng.Pick(corpus::GivenNameChars());
  if (rng.Chance(0.7)) canonical += rng.Pick(corpus::GivenNameChars());
}

void Generator::Impl::AdvIdNumber(std::string& out, bool own) {
  out.clear();
  if (own && text_.natural_person && text_.id.size() == 18) {
    out = text_.id;
    return;
  }
  Rng& rng = adv_rng_;
  const std::string_view area = rng.Pick(rng.Pick(corpus::Cities()).districts).code;
  const CivilDate decided = CivilFromDays(text_.decision_day);
  const int year = decided.year - static_cast<int>(rng.Range(19, 70));
  const int month = static_cast<int>(rng.Range(1, 12));
  const int32_t birth =
      DaysFromCivil(year, month, static_cast<int>(rng.Range(1, DaysInMonth(year, month))));
  // One in four with the check character X (GB 11643 gives it to one in eleven), so that every
  // way of writing it comes up often.
  const bool want_x = rng.Chance(0.25);
  for (int attempt = 0; attempt < 200; ++attempt) {
    out.assign(area);
    char date[10];
    FormatDateTo(birth, date);
    out.append(date, 4);
    out.append(date + 5, 2);
    out.append(date + 8, 2);
    AppendPadded(out, static_cast<uint64_t>(rng.Range(1, 999)), 3);
    const char check = IdCheckChar(out);
    out.push_back(check);
    if (!want_x || check == 'X') return;
  }
}

// The 15-digit number issued before 1999: area, YYMMDD, sequence (no check character).
void Generator::Impl::AdvOldIdNumber(std::string& out, bool own) {
  out.clear();
  if (own && text_.natural_person && text_.id.size() == 18 && text_.id.compare(6, 2, "19") == 0 &&
      text_.id[8] <= '8' && !(text_.id[8] == '8' && text_.id[9] > '3')) {
    // Born by 1983: had an ID card before 1999; the 18-digit number is this one upgraded.
    out.append(text_.id, 0, 6);
    out.append(text_.id, 8, 9);
    return;
  }
  Rng& rng = adv_rng_;
  out += rng.Pick(rng.Pick(corpus::Cities()).districts).code;
  const int year = static_cast<int>(rng.Range(1935, 1983));
  const int month = static_cast<int>(rng.Range(1, 12));
  AppendPadded(out, static_cast<uint64_t>(year % 100), 2);
  AppendPadded(out, static_cast<uint64_t>(month), 2);
  AppendPadded(out, static_cast<uint64_t>(rng.Range(1, DaysInMonth(year, month))), 2);
  AppendPadded(out, static_cast<uint64_t>(rng.Range(1, 999)), 3);
}

void Generator::Impl::AdvMobile(std::string& out) {
  out.assign(adv_rng_.Pick(corpus::MobilePrefixes()));
  AppendDigits(out, adv_rng_, 8);
}

void Generator::Impl::AdvCard(std::string& out) {
  out.assign(adv_rng_.Pick(corpus::AdversarialCardPrefixes()));
  // UnionPay debit cards are mostly 19 digits; Visa and Mastercard 16.
  const int length = out[0] == '6' && adv_rng_.Chance(0.6) ? 19 : 16;
  AppendDigits(out, adv_rng_, length - 1 - static_cast<int>(out.size()));
  out.push_back('0');
  for (char d = '0'; d <= '9'; ++d) {
    out.back() = d;
    if (LuhnValid(out)) break;
  }
}

void Generator::Impl::AdvEmail(std::string& local, std::string& domain, bool letter_first) {
  Rng& rng = adv_rng_;
  local.clear();
  if (!letter_first && rng.Chance(0.3)) {
    // A QQ number: 5 to 10 digits, never 11 (that would be a mobile in the local part).
    local.push_back(static_cast<char>('1' + rng.Below(9)));
    AppendDigits(local, rng, static_cast<int>(rng.Range(4, 9)));
  } else {
    local += rng.Pick(corpus::EmailLocalWords());
    const double r = rng.Unit();
    if (r < 0.2) {
      local.push_back('.');
    } else if (r < 0.4) {
      local.push_back('_');
    }
    local += rng.Pick(corpus::EmailLocalWords());
    if (rng.Chance(0.3)) local += rng.Pick(corpus::EmailLocalWords());
    if (rng.Chance(0.5)) {
      AppendUint(local,
                 static_cast<uint64_t>(rng.Chance(0.5) ? rng.Range(1, 99) : rng.Range(1965, 2005)));
    }
  }
  domain.assign(rng.Pick(corpus::AdversarialEmailDomains()));
}

void Generator::Impl::AppendAdvEmail(std::string& out, bool letter_first) {
  Rng& rng = adv_rng_;
  AdvEmail(adv_canonical_, adv_extra_, letter_first);
  const size_t at = out.size();
  // Full-width letters now and then (pasted from a form filled in with a Chinese input method).
  const bool full_letters = rng.Chance(0.12);
  for (char ch : adv_canonical_) {
    if (full_letters && std::isalpha(static_cast<unsigned char>(ch)) && rng.Chance(0.8)) {
      AppendCodePoint(out, 0xFF01 + static_cast<uint32_t>(ch - '!'));
    } else {
      out.push_back(ch);
    }
  }
  static constexpr std::string_view kAtForms[] = {"@",    "@",    "@",      "@",      "＠", "＠",
                                                  "(at)", "[at]", "（at）", "【at】", "#"};
  const std::string_view at_form = rng.Pick(std::span<const std::string_view>(kAtForms));
  const double spaced = rng.Unit();
  if (spaced < 0.15 || (spaced >= 0.95 && spaced < 0.975)) out.push_back(' ');
  out += at_form;
  if (spaced < 0.15 || spaced >= 0.975) out.push_back(' ');
  const bool full_dots = rng.Chance(0.3);
  for (char ch : adv_extra_) {
    if (ch == '.' && full_dots) {
      out += "．";
    } else {
      out.push_back(ch);
    }
  }
  adv_canonical_.push_back('@');
  adv_canonical_ += adv_extra_;
  AdvPending(out, at, PlantedKind::kEmail, adv_canonical_);
}

void Generator::Impl::AppendAdvNumber(std::string& out, PlantedKind kind,
                                      std::string_view canonical, int number_class, bool ascii_only,
                                      bool allow_prefix, double ungrouped_share) {
  Rng& rng = adv_rng_;
  const size_t at = out.size();
  const double w = rng.Unit();
  const DigitWidth width = ascii_only ? kWidthAscii
                           : w < 0.55 ? kWidthAscii
                           : w < 0.8  ? kWidthFull
                                      : kWidthMixed;
  Groups groups;
  PickGroups(rng, static_cast<NumberClass>(number_class), canonical.size(), ungrouped_share,
             groups);
  const SeparatorForm separator = PickSeparator(rng);
  const bool mixed_separators = rng.Chance(0.1);
  static constexpr std::string_view kXForms[] = {"X", "x", "Ｘ"};
  const std::string_view x_form = rng.Pick(std::span<const std::string_view>(kXForms));

  if (allow_prefix && rng.Chance(0.4)) {
    // +86 0086 86 ＋86, the digits as wide as the number's.
    static constexpr std::string_view kPrefixes[] = {"+86", "+86", "0086", "86", "＋86"};
    const std::string_view prefix = rng.Pick(std::span<const std::string_view>(kPrefixes));
    for (char ch : prefix) {
      if (ch >= '0' && ch <= '9') {
        AppendDigitOfWidth(out, ch, width == kWidthFull);
      } else {
        out.push_back(ch);
      }
    }
    if (rng.Chance(0.5)) AppendSeparator(out, groups.count > 1 ? separator : PickSeparator(rng));
  }

  // Mixed widths: each digit either way, at least one of each.
  const size_t n = canonical.size();
  const size_t force_ascii = rng.Below(n);
  const size_t force_full = (force_ascii + 1 + rng.Below(n - 1)) % n;
  size_t group = 0, in_group = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in_group == groups.sizes[group] && group + 1 < groups.count) {
      AppendSeparator(out, mixed_separators ? PickSeparator(rng) : separator);
      ++group;
      in_group = 0;
    }
    ++in_group;
    bool full = width == kWidthFull;
    if (width == kWidthMixed) full = i == force_full || (i != force_ascii && rng.Chance(0.5));
    const char ch = canonical[i];
    if (ch == 'X') {
      out += x_form;
    } else {
      AppendDigitOfWidth(out, ch, full);
    }
  }
  AdvPending(out, at, kind, canonical);
}

void Generator::Impl::AppendAdvOwnName(std::string& out, bool with_role) {
  Rng& rng = adv_rng_;
  const std::string& name = text_.natural_person ? text_.subject_name : text_.legal_rep;
  if (with_role) {
    if (!text_.natural_person && rng.Chance(0.7)) {
      out += "经营者";  // a 个体工商户's operator
    } else {
      out += rng.Pick(adv_license_ ? corpus::LicenseOwnRoles() : corpus::OwnRoles());
    }
  } else {
    out += rng.Chance(0.5) ? "经查，" : "";
  }
  const size_t at = out.size();
  const double r = rng.Unit();
  if (r < 0.25) {
    // 张 伟, 张　伟, 张·伟: padded to line up with three-character names, or a 中间点.
    const std::string_view separator = rng.Pick(std::span<const std::string_view>(kNameSeparators));
    for (size_t i = 0; i < name.size();) {
      const std::string_view ch = FirstChar(std::string_view(name).substr(i));
      if (i > 0) out += separator;
      out += ch;
      i += ch.size();
    }
  } else {
    out += name;
  }
  AdvPending(out, at, PlantedKind::kName, name);
  if (r >= 0.75) out += rng.Chance(0.5) ? "某" : "某某";  // half-anonymised: 张伟某
  const std::string_view follower = rng.Pick(corpus::NameFollowers());
  out += follower;
  if (follower == "，") {
    out += "经核实无误。";
  } else if (follower == "、") {
    AppendAdvOtherName(out);
  } else {
    out += "。";
  }
}

// Another person, named in full after a role word.
void Generator::Impl::AppendAdvOtherName(std::string& out) {
  Rng& rng = adv_rng_;
  if (out.empty() || !out.ends_with("、")) out += rng.Pick(corpus::OtherRoles());
  AdvName(adv_canonical_);
  const size_t at = out.size();
  if (rng.Chance(0.12)) {
    const std::string_view separator = rng.Pick(std::span<const std::string_view>(kNameSeparators));
    for (size_t i = 0; i < adv_canonical_.size();) {
      const std::string_view ch = FirstChar(std::string_view(adv_canonical_).substr(i));
      if (i > 0) out += separator;
      out += ch;
      i += ch.size();
    }
  } else {
    out += adv_canonical_;
  }
  AdvPending(out, at, PlantedKind::kName, adv_canonical_);
  std::string_view follower = rng.Pick(corpus::NameFollowers());
  if (follower == "、") follower = "等人";
  out += follower;
  out += follower == "，" ? "经核实无误。" : "。";
}

void Generator::Impl::AppendAdvIdentifier(std::string& out, AdvItem item, bool own) {
  Rng& rng = adv_rng_;
  // Whose number: the record's own person, or someone named before it.
  if (!own) {
    out += rng.Pick(corpus::OtherRoles());
    AdvName(adv_canonical_);
    const size_t at = out.size();
    out += adv_canonical_;
    AdvPending(out, at, PlantedKind::kName, adv_canonical_);
    out += rng.Chance(0.5) ? "的" : "，";
  }
  PlantedKind kind = PlantedKind::kIdNumber;
  int number_class = kClassId18;
  std::span<const std::string_view> labels = corpus::IdLabels();
  std::span<const std::string_view> ascii_labels = corpus::AsciiIdLabels();
  switch (item) {
    case AdvItem::kId15:
      AdvOldIdNumber(adv_token_, own);
      number_class = kClassId15;
      labels = corpus::OldIdLabels();
      break;
    case AdvItem::kMobile:
      if (own) {
        adv_token_ = text_.natural_person ? text_.mobile : adv_mobile_;
      } else {
        AdvMobile(adv_token_);
      }
      kind = PlantedKind::kMobile;
      number_class = kClassMobile;
      labels = corpus::MobileLabels();
      ascii_labels = corpus::AsciiMobileLabels();
      break;
    case AdvItem::kCard:
      if (own && text_.natural_person) {
        adv_token_ = text_.card;
      } else {
        AdvCard(adv_token_);
      }
      kind = PlantedKind::kBankCard;
      number_class = adv_token_.size() == 19 ? kClassCard19 : kClassCard16;
      labels = corpus::CardLabels();
      ascii_labels = corpus::AsciiCardLabels();
      break;
    default: AdvIdNumber(adv_token_, own); break;
  }
  // How it meets its neighbours.
  const double g = rng.Unit();
  bool ascii_only = false;
  bool letters_after = false;
  std::string_view trailer = rng.Pick(std::span<const std::string_view>(kTrailers));
  if (g < 0.12) {  // 联系电话＊17641468117
    out += rng.Pick(labels);
    out += rng.Chance(0.5) ? "*" : "＊";
  } else if (g < 0.22) {  // Tel13812345678
    out += rng.Pick(ascii_labels);
  } else if (g < 0.32) {  // 13812345678abc
    out += rng.Pick(labels);
    out += rng.Pick(std::span<const std::string_view>(kColonJoiners));
    letters_after = true;
  } else if (g < 0.4) {  // after a full-width digit: 工号０３７13812345678
    out += rng.Chance(0.5) ? "工号" : "序号";
    const int digits = static_cast<int>(rng.Range(1, 3));
    for (int i = 0; i < digits; ++i) {
      AppendDigitOfWidth(out, static_cast<char>('0' + rng.Below(10)), true);
    }
    ascii_only = true;
  } else if (g < 0.55) {  // glued to Chinese on both sides: 手机13812345678已核实
    out += rng.Pick(labels);
    trailer = "已核实。";
  } else {
    out += rng.Pick(labels);
    out += rng.Pick(std::span<const std::string_view>(kColonJoiners));
  }
  AppendAdvNumber(out, kind, adv_token_, number_class, ascii_only,
                  kind == PlantedKind::kMobile && !ascii_only, 0.3);
  if (letters_after) out += rng.Pick(corpus::AsciiTrailers());
  out += trailer;
}

// Two identifiers glued: abc@163.com13812345678, an ID then a mobile, a mobile then an e-mail.
void Generator::Impl::AppendAdvPair(std::string& out) {
  Rng& rng = adv_rng_;
  const uint64_t which = rng.Below(3);
  out += rng.Pick(std::span<const std::string_view>(kPairLabels));
  if (which == 0) {
    AppendAdvEmail(out, false);
    AdvMobile(adv_token_);
    AppendAdvNumber(out, PlantedKind::kMobile, adv_token_, kClassMobile, false, false, 0.7);
  } else if (which == 1) {
    AdvIdNumber(adv_token_, rng.Chance(0.5));
    AppendAdvNumber(out, PlantedKind::kIdNumber, adv_token_, kClassId18, false, false, 0.7);
    AdvMobile(adv_token_);
    AppendAdvNumber(out, PlantedKind::kMobile, adv_token_, kClassMobile, false, false, 0.7);
  } else {
    AdvMobile(adv_token_);
    AppendAdvNumber(out, PlantedKind::kMobile, adv_token_, kClassMobile, false, false, 0.7);
    AppendAdvEmail(out, true);  // a local part that starts with a letter
  }
  out += rng.Pick(std::span<const std::string_view>(kTrailers));
}

// Text a redactor must leave as it is. Families (the tests name them): 18 digits failing GB
// 11643, 15 digits that are no ID, dates (- / . 年月日, ranges), 文号, money, licence numbers,
// USCCs, landlines, and company names, places, dates and common words right after role words.
void Generator::Impl::AppendAdvNegative(std::string& out) {
  Rng& rng = adv_rng_;
  enum Family : uint8_t {
    kBadChecksumId,
    kNotId15,
    kDateDash,
    kDateSlash,
    kDateDot,
    kDateChinese,
    kDateRange,
    kDocNo,
    kMoneyComma,
    kMoneyPlain,
    kMoneyWan,
    kLicenceJy,
    kLicenceSc,
    kUscc,
    kCompany,
    kPlace,
    kRoleDate,
    kCommonWord,
    kLandline,
    kFamilyCount
  };
  const auto family = static_cast<Family>(rng.Below(kFamilyCount));
  const CivilDate decided = CivilFromDays(text_.decision_day);
  auto random_date = [&](int32_t& day) {
    day = text_.decision_day - static_cast<int32_t>(rng.Range(0, 2000));
    return CivilFromDays(day);
  };
  auto append_date = [&](std::string& s, const CivilDate& d, char sep, bool pad) {
    AppendUint(s, static_cast<uint64_t>(d.year));
    s.push_back(sep);
    AppendPadded(s, static_cast<uint64_t>(d.month), pad ? 2 : 1);
    s.push_back(sep);
    AppendPadded(s, static_cast<uint64_t>(d.day), pad ? 2 : 1);
  };
  std::string_view lead, tail = "。";
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string& t = adv_token_;
    t.clear();
    int32_t day = 0;
    switch (family) {
      case kBadChecksumId: {
        lead = rng.Pick(corpus::NumberLabels());
        AdvIdNumber(t, false);
        static constexpr std::string_view kChecks = "0123456789X";
        char bad = t[17];
        while (bad == t[17]) bad = kChecks[rng.Below(kChecks.size())];
        t[17] = bad;
        if (rng.Chance(0.2)) {
          adv_extra_.clear();
          AppendFullWidth(adv_extra_, t);
          t.swap(adv_extra_);
        }
        break;
      }
      case kNotId15:
        // An area code and a "birth date" whose month does not exist.
        lead = rng.Pick(corpus::NumberLabels());
        t += rng.Pick(rng.Pick(corpus::Cities()).districts).code;
        AppendPadded(t, static_cast<uint64_t>(rng.Range(0, 99)), 2);
        AppendPadded(t, static_cast<uint64_t>(rng.Chance(0.2) ? 0 : rng.Range(13, 99)), 2);
        AppendDigits(t, rng, 5);
        break;
      case kDateDash: append_date(t, random_date(day), '-', true); break;
      case kDateSlash: append_date(t, random_date(day), '/', rng.Chance(0.5)); break;
      case kDateDot: append_date(t, random_date(day), '.', true); break;
      case kDateChinese:
        AppendChineseDate(t, day = text_.decision_day - static_cast<int32_t>(rng.Range(0, 2000)));
        break;
      case kDateRange: {
        const CivilDate from = random_date(day);
        const CivilDate to = CivilFromDays(day + 365 * static_cast<int32_t>(rng.Range(1, 6)) - 1);
        switch (rng.Below(4)) {
          case 0:
            append_date(t, from, '.', true);
            t += "-";
            append_date(t, to, '.', true);
            break;
          case 1:
            append_date(t, from, '-', true);
            t += "至";
            append_date(t, to, '-', true);
            break;
          case 2:
            append_date(t, from, '/', true);
            t += "—";
            append_date(t, to, '/', true);
            break;
          default:
            AppendChineseDate(t, day);
            t += "至";
            AppendChineseDate(t, day + 365 * 5 - 1);
            break;
        }
        lead = "有效期";
        break;
      }
      case kDocNo: {
        lead = "依据";
        tail = "决定书。";
        const double r = rng.Unit();
        if (r < 0.5) {
          t += text_.city->abbr;
          t += "市监处罚";
        }
        t += r < 0.8 ? "〔" : "[";
        AppendUint(t, static_cast<uint64_t>(decided.year - static_cast<int>(rng.Below(3))));
        t += r < 0.8 ? "〕" : "]";
        if (r >= 0.8) t += "第";
        AppendPadded(t, static_cast<uint64_t>(rng.Range(1, 999)), rng.Chance(0.5) ? 5 : 1);
        t += "号";
        break;
      }
      case kMoneyComma: {
        lead = "涉案金额";
        const uint64_t yuan = static_cast<uint64_t>(rng.Range(1000, 9'999'999));
        adv_extra_.clear();
        AppendUint(adv_extra_, yuan);
        for (size_t i = 0; i < adv_extra_.size(); ++i) {
          if (i > 0 && (adv_extra_.size() - i) % 3 == 0) t.push_back(',');
          t.push_back(adv_extra_[i]);
        }
        t.push_back('.');
        AppendPadded(t, rng.Below(100), 2);
        t += "元";
        break;
      }
      case kMoneyPlain:
        lead = "罚款";
        AppendUint(t, static_cast<uint64_t>(rng.Range(1, 500) * 100));
        t += "元";
        break;
      case kMoneyWan:
        lead = "货值金额";
        AppendUint(t, static_cast<uint64_t>(rng.Range(1, 99)));
        if (rng.Chance(0.6)) {
          t.push_back('.');
          AppendUint(t, static_cast<uint64_t>(rng.Range(1, 9)));
        }
        t += "万元";
        break;
      case kLicenceJy:
      case kLicenceSc:
        lead = family == kLicenceJy ? "食品经营许可证号" : "食品生产许可证编号";
        if (rng.Chance(0.5)) lead = family == kLicenceJy ? "许可证编号：" : "许可证号：";
        t += family == kLicenceJy ? "JY1" : "SC1";
        t += text_.district->code;
        AppendDigits(t, rng, 7);
        break;
      case kUscc: {
        lead = rng.Chance(0.5) ? "统一社会信用代码：" : "统一社会信用代码";
        adv_extra_.clear();
        if (rng.Chance(0.6)) {
          adv_extra_ = "MA";
          adv_extra_.push_back(static_cast<char>('0' + rng.Below(10)));
          for (int i = 0; i < 5; ++i) {
            adv_extra_.push_back(kUsccAlphabet[rng.Below(kUsccAlphabet.size())]);
          }
        } else {
          AppendDigits(adv_extra_, rng, 8);
        }
        t += rng.Chance(0.7) ? "91" : "92";
        t += text_.district->code;
        t += adv_extra_;
        t.push_back(OrgCodeCheckChar(adv_extra_));
        t.push_back(UsccCheckChar(t));
        break;
      }
      case kCompany: {
        lead = rng.Pick(std::span<const std::string_view>(kCompanyRoles));
        std::string_view city = text_.city->name;
        if (city.ends_with("市")) city.remove_suffix(3);
        t += city;
        t += rng.Pick(corpus::TradeNameChars());
        t += rng.Pick(corpus::TradeNameChars());
        t += rng.Pick(corpus::Industries());
        t += rng.Pick(corpus::CompanyForms());
        tail = "提出申请。";
        break;
      }
      case kPlace:
        lead = rng.Pick(std::span<const std::string_view>(kPlaceRoles));
        t += "在";
        t += text_.district->name;
        tail = "从事经营活动。";
        break;
      case kRoleDate:
        lead = rng.Pick(corpus::OwnRoles());
        t += "于";
        AppendChineseDate(t, text_.decision_day - static_cast<int32_t>(rng.Range(1, 90)));
        tail = "到案接受调查。";
        break;
      case kCommonWord:
        lead = rng.Pick(corpus::OwnRoles());
        t += rng.Pick(corpus::RoleCommonWords());
        tail = "，依法应予处理。";
        break;
      case kLandline: {
        lead = rng.Pick(std::span<const std::string_view>(kLandlineLabels));
        const std::string_view area = rng.Pick(corpus::LandlineAreaCodes());
        const double r = rng.Unit();
        if (r < 0.2) t += "(";
        if (r >= 0.2 && r < 0.35) t += "（";
        t += area;
        if (r < 0.2) t += ")";
        if (r >= 0.2 && r < 0.35) t += "）";
        if (r >= 0.35 && r < 0.75) t += rng.Chance(0.8) ? "-" : "－";
        if (r >= 0.75) t += " ";
        // Local numbers start with 2-8 and have 8 digits (7 in a few smaller cities).
        t.push_back(static_cast<char>('2' + rng.Below(7)));
        AppendDigits(t, rng, area.size() == 3 || rng.Chance(0.8) ? 7 : 6);
        break;
      }
      case kFamilyCount: break;
    }
    if (family == kDateDash || family == kDateSlash || family == kDateDot ||
        family == kDateChinese) {
      lead = rng.Pick(std::span<const std::string_view>(kDateLeads));
      tail = rng.Pick(std::span<const std::string_view>(kDateTails));
    }
    if (lead.empty()) lead = rng.Pick(corpus::NumberLabels());
    if (!LooksLikePii(t)) break;
  }
  if (LooksLikePii(adv_token_)) return;  // 16 draws that all look like PII: leave it out
  out += lead;
  if (family == kBadChecksumId || family == kNotId15 || family == kLandline) {
    out += rng.Chance(0.7) ? "：" : "";
  }
  const size_t at = out.size();
  out += adv_token_;
  AdvPending(out, at, PlantedKind::kNegative, adv_token_);
  out += tail;
}

void Generator::Impl::AppendAdvItem(std::string& out, AdvItem item) {
  Rng& rng = adv_rng_;
  switch (item) {
    case AdvItem::kId18:
    case AdvItem::kId15:
    case AdvItem::kMobile:
    case AdvItem::kCard:
      AppendAdvIdentifier(out, item,
                          text_.natural_person ? rng.Chance(0.6) : item == AdvItem::kMobile);
      break;
    case AdvItem::kEmail:
      out += rng.Pick(corpus::EmailLabels());
      out += rng.Pick(std::span<const std::string_view>(kEmailJoiners));
      AppendAdvEmail(out, false);
      out += rng.Pick(std::span<const std::string_view>(kTrailers));
      break;
    case AdvItem::kOwnName: AppendAdvOwnName(out, rng.Chance(0.7)); break;
    case AdvItem::kOtherName: AppendAdvOtherName(out); break;
    case AdvItem::kPair: AppendAdvPair(out); break;
    case AdvItem::kNegative: AppendAdvNegative(out); break;
  }
}

bool Generator::Impl::InsertAdversarial(Content& c, int field, AdvItem item, size_t& budget) {
  if (field < 0) return false;
  adv_item_.clear();
  adv_pending_.Reset(RecordKind::kPenalty);
  AppendAdvItem(adv_item_, item);
  const size_t cost = adv_item_.size() * (c.ascii_only ? 2 : 1) + 8;
  if (adv_item_.empty() || cost > budget) return false;
  const uint32_t limit = SchemaOf(c.kind).field(field).max_length_chars;
  const size_t chars = c.Has(field) ? CharCount(c.values[field]) : 0;
  if (limit > 0 && chars + CharCount(adv_item_) + 1 > limit) return false;
  std::string& value = c.Has(field) ? c.values[field] : c.Set(field);
  // At the start, the end, or after a full stop: never inside a sentence or a number.
  adv_cuts_.clear();
  adv_cuts_.push_back(0);
  for (size_t at = value.find("。"); at != std::string::npos; at = value.find("。", at + 3)) {
    adv_cuts_.push_back(static_cast<uint32_t>(at + 3));
  }
  adv_cuts_.push_back(static_cast<uint32_t>(value.size()));
  size_t at = adv_cuts_[adv_rng_.Below(adv_cuts_.size())];
  if (at == value.size() && !value.empty()) {
    static constexpr std::string_view kEnds[] = {"。", "；", "，", "：", "）", "\n"};
    if (std::none_of(std::begin(kEnds), std::end(kEnds),
                     [&](std::string_view end) { return value.ends_with(end); })) {
      value += "。";
      at = value.size();
    }
  }
  value.insert(at, adv_item_);
  for (const PlantedRef& ref : adv_pending_.planted) {
    c.AddPlanted(field, ref.kind, adv_pending_.PlantedBytes(ref),
                 adv_pending_.PlantedCanonical(ref));
  }
  budget -= cost;
  return true;
}

void Generator::Impl::AddAdversarialText(Content& c) {
  const bool natural = c.category == kNaturalPerson;
  if (!natural && c.category != kIndividualBusiness) return;
  Rng& rng = adv_rng_;
  const FieldIds& f = FieldsOf(c.kind);
  if (!natural) AdvMobile(adv_mobile_);
  adv_license_ = c.kind == RecordKind::kLicense;
  // Half the record size limit at most, so that no record but record_too_large comes near it.
  size_t estimate = 0;
  for (size_t i = 0; i < kMaxFields; ++i) {
    if (c.present.test(i)) estimate += c.values[i].size() + 48;
  }
  if (c.ascii_only) estimate *= 2;
  const size_t half = options_.max_record_bytes / 2;
  if (estimate >= half) return;
  size_t budget = std::min<size_t>(half - estimate, 6000);

  auto pick = [&](bool basis) {
    const double r = rng.Unit();
    if (basis) {
      return r < 0.6 ? AdvItem::kNegative : r < 0.8 ? AdvItem::kOwnName : AdvItem::kId18;
    }
    if (!natural) {
      return r < 0.3    ? AdvItem::kOwnName
             : r < 0.5  ? AdvItem::kOtherName
             : r < 0.65 ? AdvItem::kMobile
                        : AdvItem::kNegative;
    }
    // Shares of the items in a natural person's texts.
    static constexpr std::pair<double, AdvItem> kShares[] = {
        {0.14, AdvItem::kId18},      {0.05, AdvItem::kId15},  {0.16, AdvItem::kMobile},
        {0.08, AdvItem::kCard},      {0.10, AdvItem::kEmail}, {0.10, AdvItem::kOwnName},
        {0.10, AdvItem::kOtherName}, {0.05, AdvItem::kPair}};
    double u = r;
    for (const auto& [share, item] : kShares) {
      if (u < share) return item;
      u -= share;
    }
    return AdvItem::kNegative;
  };
  struct Plan {
    int field;
    int low, high;
    bool basis;
  };
  std::array<Plan, 4> plans{};
  size_t count = 0;
  if (c.kind == RecordKind::kPenalty) {
    plans[count++] = {f.violation_facts, natural ? 2 : 1, natural ? 5 : 2, false};
    plans[count++] = {f.penalty_content, natural ? 1 : 0, natural ? 3 : 1, false};
    plans[count++] = {f.remark, natural ? 1 : 0, natural ? 3 : 1, false};
    plans[count++] = {f.legal_basis, 0, rng.Chance(0.35) ? 1 : 0, true};
  } else {
    plans[count++] = {f.license_content, natural ? 3 : 1, natural ? 6 : 3, false};
    plans[count++] = {f.remark, natural ? 1 : 0, natural ? 3 : 1, false};
  }
  for (size_t p = 0; p < count; ++p) {
    const int n = static_cast<int>(rng.Range(plans[p].low, plans[p].high));
    for (int k = 0; k < n; ++k) InsertAdversarial(c, plans[p].field, pick(plans[p].basis), budget);
  }
  // An update cuts license_content back to this before its note.
  if (c.kind == RecordKind::kLicense && c.Has(f.license_content)) {
    c.content_base_bytes = static_cast<uint32_t>(c.values[f.license_content].size());
  }
}

// ---- Building records ----

Category Generator::Impl::PickCategory(const Shape& shape, RecordKind kind) {
  if (shape.category >= 0) return static_cast<Category>(shape.category);
  if (rng_.Chance(options_.natural_person_share)) {
    // Natural persons are rarer among license holders; penalties fall on them more often.
    if (kind == RecordKind::kPenalty || rng_.Chance(0.6)) return kNaturalPerson;
  }
  return rng_.Chance(0.3) ? kIndividualBusiness : kOrganisation;
}

Authority& Generator::Impl::PickAuthority(int department) {
  const auto& list = by_department_[static_cast<size_t>(department)];
  return authorities_[rng_.Pick(list)];
}

void Generator::Impl::FillSubject(Content& c, const FieldIds& f, Category category,
                                  const Authority& authority, const Shape& shape) {
  const corpus::City& city = corpus::Cities()[authority.city];
  const corpus::District& district = authority.district >= 0
                                         ? city.districts[static_cast<size_t>(authority.district)]
                                         : rng_.Pick(city.districts);
  text_.city = &city;
  text_.district = &district;
  text_.natural_person = category == kNaturalPerson;
  text_.category = static_cast<uint8_t>(category);
  c.category = static_cast<uint8_t>(category);
  personal_planted_.Reset(RecordKind::kPenalty);
  text_.subject_told = false;
  text_.subject_name.clear();
  text_.legal_rep.clear();
  text_.address.clear();
  text_.uscc.clear();
  text_.personal.clear();
  text_.id.clear();
  AppendAddress(text_.address, city, district);

  std::string& category_value = c.Set(f.subject_category);
  if (!category_aliases_[category].empty() && rng_.Chance(0.1)) {
    category_value = rng_.Pick(category_aliases_[category]);
  } else {
    category_value = kCategoryValues[category];
  }

  auto set_legal_rep = [&](bool force_id) {
    c.Set(f.legal_rep_name) = text_.legal_rep;
    c.legal_rep = text_.legal_rep;
    if (force_id || rng_.Chance(0.35)) {
      c.Set(f.legal_rep_id_type) = "身份证";
      MakeIdNumber(c.Set(f.legal_rep_id_no), RandomArea(city), AdultBirthDay(c.decision_day));
    }
  };

  if (category == kNaturalPerson) {
    AppendPersonName(text_.subject_name);
    c.Set(f.subject_name) = text_.subject_name;
    const bool id_card = shape.id_card || shape.minor || rng_.Chance(0.95);
    const int32_t birth_day =
        shape.minor ? MinorBirthDay(c.decision_day) : AdultBirthDay(c.decision_day);
    if (id_card) {
      std::string& type = c.Set(f.subject_id_type);
      type = !id_card_aliases_.empty() && rng_.Chance(0.15) ? rng_.Pick(id_card_aliases_)
                                                            : std::string("身份证");
      MakeIdNumber(text_.id, RandomArea(city), birth_day);
    } else {
      const bool passport = rng_.Chance(0.5);
      c.Set(f.subject_id_type) = passport ? "护照号" : "港澳居民来往内地通行证";
      text_.id = passport ? "E" : "H";
      AppendDigits(text_.id, rng_, 8);
    }
    c.Set(f.subject_id_no) = text_.id;
    MakeMobile(text_.mobile);
    MakeEmail(text_.email);
    MakeCard(text_.card);
    MakePersonalBlock(CivilFromDays(birth_day), id_card);
    return;
  }

  std::string body;
  std::string_view prefix = "91";
  int org_kind = 0;
  if (category == kIndividualBusiness) {
    AppendPersonName(text_.legal_rep);
    const double r = rng_.Unit();
    if (r < 0.1) {
      text_.subject_name = text_.legal_rep;  // registered under the operator's own name
    } else {
      text_.subject_name += district.name;
      if (r < 0.4) {
        text_.subject_name += FirstChar(text_.legal_rep);
        text_.subject_name += "记";
      } else {
        text_.subject_name += rng_.Pick(corpus::TradeNameChars());
        text_.subject_name += rng_.Pick(corpus::TradeNameChars());
      }
      text_.subject_name += rng_.Pick(corpus::ShopTypes());
    }
    prefix = "92";
  } else {
    AppendPersonName(text_.legal_rep);
    // 事业单位 and 社会组织 only where such bodies are licensed or penalised (health, schools,
    // environment, safety, tax); hospitals dominate what health authorities decide on.
    const int department = authority.department;
    const bool institutions = department == 1 || department == 2 || department == 4 ||
                              department == 6 || department == 11;
    const bool societies = department == 2 || department == 4 || department == 6 || department == 7;
    double r = rng_.Unit();
    if (department == 6 && r < 0.4) r = 0.9;
    if ((!institutions && r >= 0.86 && r < 0.93) || (!societies && r >= 0.93)) r = 0;
    if (r < 0.8) {
      AppendCompanyName(text_.subject_name, city, district);
    } else if (r < 0.86) {
      text_.subject_name += district.name;
      text_.subject_name += rng_.Pick(corpus::TradeNameChars());
      text_.subject_name += rng_.Pick(corpus::TradeNameChars());
      text_.subject_name += rng_.Pick(corpus::CooperativeTypes());
      prefix = "93";
    } else if (r < 0.93) {
      const std::string_view pattern = rng_.Pick(corpus::PublicInstitutions());
      for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '$' && i + 1 < pattern.size()) {
          const char slot = pattern[++i];
          if (slot == 'c') text_.subject_name += city.name;
          if (slot == 'd') text_.subject_name += district.name;
          if (slot == 'n')
            text_.subject_name += rng_.Pick(std::span<const std::string_view>(kOrdinals));
        } else {
          text_.subject_name.push_back(pattern[i]);
        }
      }
      prefix = "12";
      org_kind = 1;
    } else {
      text_.subject_name += city.name;
      text_.subject_name += rng_.Pick(corpus::TradeNameChars());
      text_.subject_name += rng_.Pick(corpus::TradeNameChars());
      text_.subject_name += rng_.Pick(corpus::SocialOrganisations());
      prefix = "52";
      org_kind = 2;
    }
  }
  c.Set(f.subject_name) = text_.subject_name;
  AppendOrgCodeBody(body, org_kind);
  std::string& uscc = c.Set(f.uscc);
  MakeUscc(uscc, prefix, district.code, body);

  const bool placeholder =
      shape.placeholder == 1 ||
      (shape.placeholder == -1 && category == kIndividualBusiness && rng_.Chance(0.25));
  const bool needs_reg_no = placeholder ? shape.business_reg_no : rng_.Chance(0.12);
  std::string reg_no;
  if (needs_reg_no || placeholder) {
    reg_no += district.code;
    AppendDigits(reg_no, rng_, 8);
    reg_no.push_back(RegistrationNumberCheckDigit(reg_no));
  }
  if (placeholder) {
    uscc = placeholder_uscc_;
    text_.uscc = reg_no;
  } else {
    text_.uscc = uscc;
    if (shape.org_code || rng_.Chance(0.3)) {
      std::string& org = c.Set(f.org_code);
      org = body;
      if (rng_.Chance(0.5)) org.push_back('-');
      org.push_back(uscc[16]);
    }
    if (rng_.Chance(0.08)) {
      std::string& tax = c.Set(f.tax_reg_no);
      tax = district.code;
      tax.append(uscc, 8, 9);
    }
  }
  if (needs_reg_no) c.Set(f.business_reg_no) = reg_no;
  if (org_kind == 1 && rng_.Chance(0.6)) {
    std::string& cert = c.Set(f.public_inst_cert_no);
    cert.push_back('1');
    cert += district.code;
    AppendDigits(cert, rng_, 5);
  }
  if (org_kind == 2 && rng_.Chance(0.5)) {
    std::string& reg = c.Set(f.social_org_reg_no);
    reg += city.province_abbr;
    reg += "民证字第";
    AppendDigits(reg, rng_, 6);
    reg += "号";
  }
  set_legal_rep(shape.legal_rep_id);
}

void Generator::Impl::FillAuthority(Content& c, const FieldIds& f, const Authority& authority) {
  c.Set(f.authority_name) = authority.name;
  c.Set(f.authority_uscc) = authority.uscc;
  const Authority& source =
      rng_.Chance(0.75) ? authority : authorities_[source_unit_of_city_[authority.city]];
  c.Set(f.source_unit_name) = source.name;
  c.Set(f.source_unit_uscc) = source.uscc;
}

void Generator::Impl::FillDate(Content& c, int field, int32_t day, bool with_time) {
  std::string& value = c.Set(field);
  value.resize(10);
  FormatDateTo(day, value.data());
  if (with_time) value += " 00:00:00";
}

void Generator::Impl::SetMoney(Content& c, int field, int64_t cents) {
  std::string& value = c.Set(field, c.money_as_number ? ValueType::kRaw : ValueType::kString);
  AppendWanYuan(value, cents, !c.money_as_number && rng_.Chance(0.3));
}

// 处罚类别 in either vocabulary (1996 Art. 8 or 2021 Art. 9), with any of the separators feeds use,
// or as a JSON array.
void Generator::Impl::SetCategories(Content& c, const FieldIds& f) {
  using corpus::kConfiscation;
  using corpus::kLicenceAction;
  constexpr uint16_t k1996 = Bit(corpus::kWarning) | Bit(corpus::kFine) | kConfiscation |
                             Bit(corpus::kStopProduction) | kLicenceAction |
                             Bit(corpus::kDetention) | Bit(corpus::kOther);
  const uint16_t mask = c.categories;
  std::array<std::string_view, corpus::kPenaltyCategoryCount + 1> terms;
  size_t n = 0;
  const bool array = rng_.Chance(0.15);
  if ((mask & ~k1996) == 0 && rng_.Chance(0.3)) {
    if (mask & Bit(corpus::kWarning)) terms[n++] = "警告";
    if (mask & Bit(corpus::kFine)) terms[n++] = "罚款";
    if ((mask & kConfiscation) == kConfiscation) {
      if (array) {
        terms[n++] = "没收违法所得";
        terms[n++] = "没收非法财物";
      } else {
        terms[n++] = "没收违法所得、没收非法财物";
      }
    } else if (mask & kConfiscation) {
      terms[n++] = (mask & Bit(corpus::kConfiscateIncome)) ? "没收违法所得" : "没收非法财物";
    }
    if (mask & Bit(corpus::kStopProduction)) terms[n++] = "责令停产停业";
    if (mask & kLicenceAction) {
      terms[n++] = rng_.Chance(0.5) ? "暂扣或者吊销许可证" : "暂扣或者吊销执照";
    }
    if (mask & Bit(corpus::kDetention)) terms[n++] = "行政拘留";
    if (mask & Bit(corpus::kOther)) terms[n++] = "其他行政处罚";
  } else {
    for (int i = 0; i < corpus::kPenaltyCategoryCount; ++i) {
      if (mask & (1u << i))
        terms[n++] = corpus::PenaltyCategoryName(static_cast<PenaltyCategory>(i));
    }
    if (n > 1 && rng_.Chance(0.2)) std::swap(terms[0], terms[n - 1]);
  }
  if (array) {
    std::string& value = c.Set(f.penalty_categories, ValueType::kStringArray);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) value.push_back(kArraySeparator);
      value += terms[i];
    }
    return;
  }
  static constexpr std::string_view kSeparators[] = {"、", "、", ",", ";", "，", "；"};
  const std::string_view separator = rng_.Pick(std::span<const std::string_view>(kSeparators));
  std::string& value = c.Set(f.penalty_categories);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) value += separator;
    value += terms[i];
  }
}

void Generator::Impl::LoadClauseContext(const Content& c) {
  text_.item = c.item;
  text_.licence = c.licence;
  const int name = FieldsOf(c.kind).subject_name;
  text_.legal_rep = !c.legal_rep.empty() || !c.Has(name) ? c.legal_rep : c.values[name];
  text_.category = c.category;
  text_.fine_cents = c.fine_cents;
  text_.confiscated_cents = c.confiscated_cents;
  text_.days = c.days;
  text_.money_style = c.money_style;
  text_.ascii_quotes = false;
}

void Generator::Impl::AppendClauses(std::string& out, const Content& c) {
  size_t n = 0;
  for (int i = 0; i < corpus::kPenaltyCategoryCount; ++i) {
    if (!(c.categories & (1u << i))) continue;
    const std::string_view clause = corpus::PenaltyCategoryClause(static_cast<PenaltyCategory>(i));
    switch (c.clause_style) {
      case 0:
        if (n > 0) out += "；";
        AppendUint(out, n + 1);
        out += "．";
        break;
      case 1:
        if (n > 0) out += n == 1 ? "，并处" : "，";
        break;
      default:
        if (n > 0) out += "、";
        break;
    }
    Expand(out, clause);
    ++n;
  }
  out += "。";
}

void Generator::Impl::AppendPenaltyContent(std::string& out, const Content& c, bool with_subject) {
  if (with_subject && text_.natural_person && rng_.Chance(0.3)) {
    out += "对当事人";
    const size_t at = out.size();
    out += text_.subject_name;
    PlantName(out, at);
    out += "（证件号码：";
    AppendIdForText(out, text_.id);
    out += "）作出如下处罚：";
  } else {
    Expand(out, rng_.Pick(corpus::DecisionLeads()));
  }
  AppendClauses(out, c);
  if ((c.fine_cents > 0 || c.confiscated_cents > 0) && rng_.Chance(0.3)) {
    Expand(out, rng_.Pick(corpus::PaymentNotes()));
  }
}

void Generator::Impl::Build(Content& c, const Shape& shape) {
  RecordKind kind = shape.kind;
  if (kind == RecordKind::kUnknown) {
    kind = rng_.Chance(options_.penalty_share) ? RecordKind::kPenalty : RecordKind::kLicense;
  }
  c.Reset(kind);
  building_ = &c;
  c.ascii_only = rng_.Chance(0.04);
  c.spaced = rng_.Chance(0.1);
  c.money_as_number = rng_.Chance(0.3);
  c.money_style = static_cast<uint8_t>(rng_.Below(4));
  c.clause_style = static_cast<uint8_t>(rng_.Below(3));
  text_.money_style = c.money_style;
  text_.ascii_quotes = rng_.Chance(0.08);
  text_.licence = {};
  text_.item = {};
  text_.fine_cents = text_.confiscated_cents = text_.value_cents = 0;
  if (kind == RecordKind::kPenalty) {
    BuildPenalty(c, shape);
  } else {
    BuildLicense(c, shape);
  }
  const FieldIds& f = FieldsOf(kind);
  if (shape.confidential) {
    const double r = rng_.Unit();
    if (r < 0.4 || confidential_true_.empty()) {
      c.Set(f.confidential, ValueType::kRaw) = "true";
    } else if (r < 0.55) {
      c.Set(f.confidential) = "true";
    } else {
      c.Set(f.confidential) = rng_.Pick(confidential_true_);
    }
  } else if (rng_.Chance(0.04)) {
    if (rng_.Chance(0.5) || confidential_false_.empty()) {
      c.Set(f.confidential, ValueType::kRaw) = "false";
    } else {
      c.Set(f.confidential) = rng_.Pick(confidential_false_);
    }
  }
  if (adversarial_) AddAdversarialText(c);
  ClampLengths(c);
}

void Generator::Impl::BuildPenalty(Content& c, const Shape& shape) {
  const FieldIds& f = penalty_fields_;
  const Category category = PickCategory(shape, RecordKind::kPenalty);
  const auto cases = corpus::PenaltyCases();
  const corpus::PenaltyCase& pc = cases[rng_.Pick(penalty_cases_by_category_[category])];
  Authority& authority = PickAuthority(pc.department);
  c.decision_day = shape.future ? today_ + static_cast<int32_t>(rng_.Range(60, 400))
                                : today_ - static_cast<int32_t>(rng_.Range(1, 730));
  text_.decision_day = c.decision_day;
  text_.text_day = c.decision_day - static_cast<int32_t>(rng_.Range(20, 90));
  FillSubject(c, f, category, authority, shape);

  // Categories: one of the case's sets, or what the shape needs.
  size_t options = 0;
  while (options < pc.categories.size() && pc.categories[options] != 0) ++options;
  uint16_t mask = pc.categories[rng_.Below(options)];
  if (shape.warning_only) {
    const double r = rng_.Unit();
    mask = r < 0.5    ? Bit(corpus::kWarning)
           : r < 0.75 ? Bit(corpus::kCriticism)
                      : corpus::kWarningOnly;
  } else if (shape.need_categories != 0 &&
             (mask & shape.need_categories) != shape.need_categories) {
    for (size_t i = 0; i < options; ++i) {
      if ((pc.categories[i] & shape.need_categories) == shape.need_categories) {
        mask = pc.categories[i];
      }
    }
    mask |= shape.need_categories;
  }
  if ((mask & ~corpus::kWarningOnly) == 0 && !shape.warning_only) mask |= Bit(corpus::kFine);
  c.categories = mask;

  c.item = PickAlternative(rng_, pc.items);
  if (c.item.empty()) c.item = "涉案物品";
  text_.item = c.item;
  if (mask & Bit(corpus::kFine)) {
    int64_t low = pc.fine_min_yuan, high = pc.fine_max_yuan;
    if (high <= 0) {
      low = 1000;
      high = 50000;
    }
    int64_t yuan = rng_.Range(low, high);
    if (!rng_.Chance(0.1)) {
      const int64_t step = yuan >= 100000 ? 10000 : yuan >= 10000 ? 1000 : yuan >= 1000 ? 100 : 50;
      yuan = std::max(step, yuan / step * step);
    }
    c.fine_cents = yuan * 100;
  }
  if (mask & corpus::kConfiscation) {
    const int64_t high = std::clamp<int64_t>(int64_t{pc.fine_max_yuan} * 100, 500000, 50'000'000);
    c.confiscated_cents = rng_.Range(5000, high);
  }
  text_.fine_cents = c.fine_cents;
  text_.confiscated_cents = c.confiscated_cents;
  text_.value_cents = rng_.Range(100000, 10'000'000);
  text_.income_cents = rng_.Range(5000, 2'000'000);
  if (rng_.Chance(0.6)) text_.value_cents -= text_.value_cents % 100;
  c.days = static_cast<uint8_t>(rng_.Range(3, 15));
  text_.days = c.days;
  if (mask & corpus::kLicenceAction) {
    c.licence = "《";
    c.licence += pc.licence.empty() ? std::string_view("营业执照") : pc.licence;
    c.licence += "》（编号：";
    if ((pc.licence == "营业执照" || pc.licence.empty()) && !text_.uscc.empty()) {
      c.licence += text_.uscc;
    } else {
      c.licence += text_.city->province_abbr;
      AppendDigits(c.licence, rng_, 12);
    }
    c.licence += "）";
    c.Set(f.suspended_license) = c.licence;
  }
  text_.licence = c.licence;
  text_.legal_rep = c.legal_rep;

  SetCategories(c, f);
  if (c.fine_cents > 0) SetMoney(c, f.fine, c.fine_cents);
  if (c.confiscated_cents > 0) SetMoney(c, f.confiscated, c.confiscated_cents);

  c.Set(f.violation_type) = pc.violation_type;
  {
    std::string& facts = c.Set(f.violation_facts);
    const bool paragraphs = rng_.Chance(0.1);
    // Facts that open with their own date read badly after an opening that ends in "发现".
    if (!pc.facts.starts_with("$T")) {
      Expand(facts, rng_.Pick(corpus::FactOpenings()));
    } else if (rng_.Chance(0.3)) {
      facts += "经查，";
    }
    Expand(facts, pc.facts);
    if (rng_.Chance(0.3)) {
      if (paragraphs) facts.push_back('\n');
      Expand(facts, rng_.Pick(corpus::EvidenceSentences()));
    }
    if (rng_.Chance(0.12)) {
      if (paragraphs) facts.push_back('\n');
      Expand(facts, rng_.Pick(corpus::MitigationSentences()));
    }
    if (rng_.Chance(0.12)) {
      if (paragraphs) facts.push_back('\n');
      Expand(facts, rng_.Pick(corpus::NoticeSentences()));
    }
  }
  {
    std::string& basis = c.Set(f.legal_basis);
    basis += pc.basis;
    if (rng_.Chance(0.15)) basis += rng_.Pick(corpus::MitigationBases());
  }
  AppendPenaltyContent(c.Set(f.penalty_content), c, true);

  const CivilDate decided = CivilFromDays(c.decision_day);
  AppendDocNo(c.Set(f.decision_doc_no), corpus::Departments()[pc.department].penalty_doc, authority,
              decided.year, authority.penalty_counter);
  authority.penalty_counter += static_cast<uint32_t>(rng_.Range(1, 3));

  const bool with_time = rng_.Chance(0.03);
  FillDate(c, f.decision_date, c.decision_day, with_time);
  // 公示截止期 must lie after today, or the record would be due for withdrawal at once.
  int32_t publish_until = c.decision_day + (rng_.Chance(0.5) ? 365 : 3 * 365);
  if (publish_until <= today_ + 30) publish_until = c.decision_day + 3 * 365;
  const double r = rng_.Unit();
  const int32_t valid_to = r < 0.2 ? kLongTermDay
                           : r < 0.4
                               ? publish_until
                               : c.decision_day + static_cast<int32_t>(rng_.Range(1, 3) * 365);
  FillDate(c, f.penalty_valid_to, valid_to, with_time);
  // Without a 公示截止期 gongshi derives one (schemas/publication_periods.json): at least 12
  // months for a published penalty, so only a recent decision may leave it out (an older one
  // would be withheld as period_ended, which the intents do not model).
  if (rng_.Chance(0.8) || c.decision_day < today_ - 300) {
    FillDate(c, f.publish_until, publish_until, with_time);
  }
  FillAuthority(c, f, authority);

  const double remark = rng_.Unit();
  if (text_.natural_person && remark < 0.35) {
    Expand(c.Set(f.remark), rng_.Pick(corpus::PersonalRemarks()));
  } else if (remark < 0.7) {
    const std::string_view note = rng_.Pick(corpus::PenaltyRemarks());
    if (!note.empty() || rng_.Chance(0.3)) Expand(c.Set(f.remark), note);
  }
  if (rng_.Chance(0.1)) c.Set(f.status) = rng_.Pick(penalty_status_normal_);
}

void Generator::Impl::BuildLicense(Content& c, const Shape& shape) {
  const FieldIds& f = license_fields_;
  const Category category = PickCategory(shape, RecordKind::kLicense);
  const auto cases = corpus::LicenseCases();
  const size_t case_index = rng_.Pick(license_cases_by_category_[category]);
  const corpus::LicenseCase& lc = cases[case_index];
  Authority& authority = PickAuthority(lc.department);
  c.decision_day = shape.future ? today_ + static_cast<int32_t>(rng_.Range(60, 400))
                                : today_ - static_cast<int32_t>(rng_.Range(1, 730));
  text_.decision_day = c.decision_day;
  text_.text_day = c.decision_day - static_cast<int32_t>(rng_.Range(5, 30));
  FillSubject(c, f, category, authority, shape);
  c.item = PickAlternative(rng_, lc.items);
  text_.item = c.item;
  text_.valid_years = lc.valid_years;
  text_.legal_rep = c.legal_rep;
  const CivilDate decided = CivilFromDays(c.decision_day);

  text_.license_no.clear();
  if (!lc.number.empty()) {
    AppendLicenseNo(text_.license_no, lc.number, decided.year);
    c.Set(f.license_no) = text_.license_no;
  }
  {
    std::string& title = c.Set(f.decision_doc_title);
    Expand(title, lc.doc_title);
    const uint32_t limit =
        f.decision_doc_title >= 0
            ? SchemaOf(RecordKind::kLicense).field(f.decision_doc_title).max_length_chars
            : 0;
    if (limit > 0 && CharCount(title) > limit) title = "行政许可决定书";
  }
  AppendDocNo(c.Set(f.decision_doc_no), corpus::Departments()[lc.department].license_doc, authority,
              decided.year, authority.license_counter);
  authority.license_counter += static_cast<uint32_t>(rng_.Range(1, 3));
  {
    std::string& category_value = c.Set(f.license_category);
    category_value = lc.category;
    const auto& aliases = license_category_aliases_[case_index];
    if (!aliases.empty() && rng_.Chance(0.12)) category_value = rng_.Pick(aliases);
  }
  if (!lc.certificate.empty()) c.Set(f.certificate_name) = lc.certificate;
  {
    std::string& content = c.Set(f.license_content);
    Expand(content, lc.content);
    if (text_.natural_person && rng_.Chance(0.3)) {
      content += "申请人联系电话：";
      AppendMobileForText(content, text_.mobile);
      content += "。";
    }
    c.content_base_bytes = static_cast<uint32_t>(content.size());
  }

  const bool with_time = rng_.Chance(0.03);
  FillDate(c, f.decision_date, c.decision_day, with_time);
  const int32_t valid_from =
      c.decision_day + (rng_.Chance(0.8) ? 0 : static_cast<int32_t>(rng_.Range(1, 5)));
  FillDate(c, f.valid_from, valid_from, with_time);
  int32_t valid_to = kLongTermDay;
  if (lc.valid_years > 0 && !rng_.Chance(0.05)) {
    const CivilDate from = CivilFromDays(valid_from);
    const int year = from.year + lc.valid_years;
    valid_to =
        DaysFromCivil(year, from.month, std::min(from.day, DaysInMonth(year, from.month))) - 1;
  }
  FillDate(c, f.valid_to, valid_to, with_time);
  FillAuthority(c, f, authority);
  std::string& status = c.Set(f.status);
  status = rng_.Chance(0.8) ? license_status_valid_.front() : rng_.Pick(license_status_valid_);

  const double remark = rng_.Unit();
  if (text_.natural_person && remark < 0.3) {
    Expand(c.Set(f.remark), rng_.Pick(corpus::PersonalRemarks()));
  } else if (remark < 0.6) {
    const std::string_view note = rng_.Pick(corpus::LicenseRemarks());
    if (!note.empty() || rng_.Chance(0.3)) Expand(c.Set(f.remark), note);
  }
}

// Corpus text is written to fit; this keeps a long expansion (many slots) within maxLength.
void Generator::Impl::ClampLengths(Content& c) {
  const RecordSchema& schema = SchemaOf(c.kind);
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!c.Has(i) || c.types[i] != ValueType::kString) continue;
    const uint32_t limit = schema.field(i).max_length_chars;
    if (limit > 0 && c.values[i].size() > limit && CharCount(c.values[i]) > limit) {
      TruncateChars(c.values[i], limit);
    }
  }
}

// A correction keeps the identity (authority, document number, licence number, subject) and
// changes what was decided; the version number in the note makes every version's content new.
void Generator::Impl::Update(Content& c) {
  const FieldIds& f = FieldsOf(c.kind);
  building_ = &c;
  ++c.version;
  std::string note;
  note += rng_.Pick(corpus::UpdateNotes());
  note += "（第";
  AppendUint(note, c.version);
  note += "次更正，";
  AppendChineseDate(note, std::min(today_, c.decision_day + 7 * static_cast<int32_t>(c.version)));
  note += "）";
  if (c.kind == RecordKind::kPenalty) {
    if (c.fine_cents > 0 && rng_.Chance(0.6)) {
      int64_t cents = c.fine_cents * rng_.Range(50, 90) / 100;
      cents -= cents % 10000;
      if (cents <= 0 || cents == c.fine_cents) cents = c.fine_cents + 10000;
      c.fine_cents = cents;
      SetMoney(c, f.fine, c.fine_cents);
    }
    LoadClauseContext(c);
    std::string& content = c.Set(f.penalty_content);
    content += "经复核，变更为：";
    AppendClauses(content, c);
  } else {
    const int32_t valid_to =
        c.Has(f.valid_to) ? ParseDate(c.values[f.valid_to]).value_or(kLongTermDay) : kLongTermDay;
    if (valid_to != kLongTermDay && rng_.Chance(0.5)) {
      const bool with_time = c.values[f.valid_to].size() > 10;
      FillDate(c, f.valid_to, valid_to + static_cast<int32_t>(rng_.Range(1, 3)) * 365, with_time);
    }
    if (c.Has(f.license_content) && c.values[f.license_content].size() >= c.content_base_bytes) {
      std::string& content = c.values[f.license_content];
      content.resize(c.content_base_bytes);
      content += "变更事项：";
      content += note;
      content += "。";
    }
  }
  c.Set(f.remark) = note;
}

void Generator::Impl::Withdraw(Content& c) {
  const FieldIds& f = FieldsOf(c.kind);
  const bool license = c.kind == RecordKind::kLicense;
  const auto& values = license ? license_status_withdrawn_ : penalty_status_withdrawn_;
  c.Set(f.status) = rng_.Chance(0.6) ? values.front() : rng_.Pick(values);
  std::string& remark = c.Set(f.remark);
  remark += "撤销原因：";
  remark +=
      rng_.Pick(license ? corpus::LicenseWithdrawReasons() : corpus::PenaltyWithdrawReasons());
}

size_t Generator::Impl::Publish(Content& c) {
  // The pool is a bounded sample of published records: once full, a new record replaces a random
  // one, so memory stays flat however many records are generated.
  size_t slot;
  if (pool_size_ < options_.pool_capacity) {
    slot = pool_size_++;
    if (slot == pool_.size()) pool_.emplace_back();
  } else {
    slot = rng_.Below(pool_size_);
  }
  std::swap(pool_[slot], c);
  return slot;
}

// ---- Rendering ----

Style Generator::Impl::PickStyle(const Content& c) {
  Style style;
  if (rng_.Chance(options_.exchange_code_share)) {
    style.naming = Naming::kExchange;
  } else {
    style.naming = rng_.Chance(0.08) ? Naming::kChinese : Naming::kCanonical;
  }
  style.slash_dates = rng_.Chance(0.4);
  if (rng_.Chance(0.4)) {
    const auto& values = SchemaOf(c.kind).kind_values();
    if (!values.empty()) {
      style.kind_position = rng_.Chance(0.7) ? 1 : 2;
      size_t index = 0;
      if (style.naming == Naming::kChinese) {
        index = 1;
      } else if (style.naming == Naming::kExchange) {
        index = rng_.Below(3);
      } else {
        index = rng_.Chance(0.75) ? 0 : 1;
      }
      style.kind_value = values[std::min(index, values.size() - 1)];
    }
  }
  return style;
}

void Generator::Impl::AppendKey(std::string& line, const Content& c, Naming naming, int field) {
  const size_t slot = KindSlot(c.kind);
  const auto& keys = c.ascii_only ? ascii_keys_[slot][static_cast<size_t>(naming)]
                                  : keys_[slot][static_cast<size_t>(naming)];
  line += keys[static_cast<size_t>(field)];
  if (c.spaced) line.push_back(' ');
}

void Generator::Impl::AppendValue(std::string& line, const Content& c, int field,
                                  const Style& style) {
  const std::string& value = c.values[field];
  switch (c.types[field]) {
    case ValueType::kRaw: line += value; return;
    case ValueType::kStringArray: {
      line.push_back('[');
      size_t begin = 0;
      while (true) {
        const size_t end = value.find(kArraySeparator, begin);
        AppendJsonString(line, std::string_view(value).substr(begin, end - begin), c.ascii_only);
        if (end == std::string::npos) break;
        line += c.spaced ? ", " : ",";
        begin = end + 1;
      }
      line.push_back(']');
      return;
    }
    case ValueType::kString: break;
  }
  const size_t start = line.size();
  AppendJsonString(line, value, c.ascii_only);
  if (style.slash_dates && value.size() >= 10 && value[4] == '-' && value[7] == '-' &&
      SchemaOf(c.kind).field(field).format == FieldFormat::kDate) {
    line[start + 5] = '/';
    line[start + 8] = '/';
  }
}

void Generator::Impl::Render(const Content& c, const Style& style, std::string& line) {
  const RecordSchema& schema = SchemaOf(c.kind);
  const std::string_view comma = c.spaced ? ", " : ",";
  marks_.count = 0;
  line.push_back('{');
  bool first = true;
  auto write_kind = [&] {
    if (!first) line += comma;
    first = false;
    line += c.spaced ? "\"kind\": " : "\"kind\":";
    AppendJsonString(line, style.kind_value, c.ascii_only);
  };
  if (style.kind_position == 1) write_kind();
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!c.Has(i)) continue;
    if (!first) line += comma;
    first = false;
    const size_t n = marks_.count++;
    marks_.field[n] = static_cast<uint8_t>(i);
    marks_.key_begin[n] = static_cast<uint32_t>(line.size());
    AppendKey(line, c, style.naming, i);
    marks_.value_begin[n] = static_cast<uint32_t>(line.size());
    AppendValue(line, c, i, style);
    marks_.value_end[n] = static_cast<uint32_t>(line.size());
  }
  if (style.kind_position == 2) write_kind();
  line.push_back('}');
}

void Generator::Impl::TranscodeAppend(std::string_view in, std::string& out) {
  const size_t start = out.size();
  // GB18030 needs at most 4 bytes for a character UTF-8 writes in 2 or more, and 1 for ASCII.
  out.resize(start + in.size() * 2 + 16);
  char* source = const_cast<char*>(in.data());
  size_t source_left = in.size();
  char* target = out.data() + start;
  size_t target_left = out.size() - start;
  iconv(iconv_, nullptr, nullptr, nullptr, nullptr);
  if (iconv(iconv_, &source, &source_left, &target, &target_left) == static_cast<size_t>(-1)) {
    // Every character this generator writes exists in GB18030; a failure is a bug here.
    std::fprintf(stderr, "gongshi::Generator: iconv to GB18030 failed: %s\n", std::strerror(errno));
    std::abort();
  }
  out.resize(static_cast<size_t>(target - out.data()));
}

void Generator::Impl::Encode(std::string& line) {
  if (!gb18030_) return;
  work_.clear();
  TranscodeAppend(line, work_);
  line.swap(work_);
}

// ---- Invalid records ----

RejectReason Generator::Impl::NextInvalidReason() {
  // record_too_large lines are max_record_bytes long: one in 50 invalid records is enough.
  const uint64_t n = invalid_count_++;
  if (n % 50 == 49) return RejectReason::kRecordTooLarge;
  return cycled_reasons_[reason_cycle_++ % cycled_reasons_.size()];
}

Shape Generator::Impl::ShapeFor(RejectReason reason) {
  Shape shape;
  shape.placeholder = 0;  // only the placeholder reasons use it
  using R = RejectReason;
  constexpr uint16_t kFineBit = Bit(corpus::kFine);
  switch (reason) {
    case R::kPenaltyCategoryInvalid: shape.kind = RecordKind::kPenalty; break;
    case R::kMoneyFormat:
    case R::kMoneyImplausible:
    case R::kFineAmountMissing:
      shape.kind = RecordKind::kPenalty;
      shape.need_categories = kFineBit;
      break;
    case R::kConfiscationAmountMissing:
      shape.kind = RecordKind::kPenalty;
      shape.need_categories = Bit(corpus::kConfiscateIncome);
      break;
    case R::kSuspendedLicenseMissing:
      shape.kind = RecordKind::kPenalty;
      shape.need_categories = Bit(corpus::kRevokeLicense);
      break;
    case R::kUsccPlaceholderNotAllowed: shape.category = kOrganisation; break;
    case R::kBusinessRegNoMissing:
      shape.category = kIndividualBusiness;
      shape.placeholder = 1;
      shape.business_reg_no = false;
      break;
    case R::kOrgCodeChecksum:
      shape.category = rng_.Chance(0.7) ? kOrganisation : kIndividualBusiness;
      shape.org_code = true;
      break;
    case R::kIdNumberChecksum:
      if (rng_.Chance(0.7)) {
        shape.category = kNaturalPerson;
        shape.id_card = true;
      } else {
        shape.category = kOrganisation;
        shape.legal_rep_id = true;
      }
      break;
    case R::kIdNumberBirthDate:
      shape.category = kNaturalPerson;
      shape.id_card = true;
      break;
    case R::kDecisionDateInFuture: shape.future = true; break;
    default: break;
  }
  return shape;
}

// Index of a rendered field whose value is a JSON string, for inserting bytes into.
int Generator::Impl::PickRenderedString(const std::string& line, bool avoid_dates) {
  const RecordSchema& schema = SchemaOf(scratch_.kind);
  for (int attempt = 0; attempt < 16; ++attempt) {
    const size_t n = rng_.Below(marks_.count);
    if (line[marks_.value_begin[n]] != '"') continue;
    if (avoid_dates && schema.field(marks_.field[n]).format != FieldFormat::kText) continue;
    return static_cast<int>(n);
  }
  for (size_t n = 0; n < marks_.count; ++n) {
    if (line[marks_.value_begin[n]] == '"') return static_cast<int>(n);
  }
  return 0;
}

void Generator::Impl::BreakContent(Content& c, RejectReason reason, Style& style) {
  const FieldIds& f = FieldsOf(c.kind);
  const RecordSchema& schema = SchemaOf(c.kind);
  const bool license = c.kind == RecordKind::kLicense;
  using R = RejectReason;
  switch (reason) {
    case R::kJsonTooDeep: {
      // Nesting 4 deep where the schema allows 2 (x-gongshi-max-depth).
      std::string& value = c.Set(f.remark, ValueType::kRaw);
      value = "[[[";
      AppendJsonString(value, "见附件", c.ascii_only);
      value += "]]]";
      break;
    }
    case R::kKindUnknown:
      style.kind_position = rng_.Chance(0.5) ? 1 : 2;
      style.kind_value = rng_.Pick(std::span<const std::string_view>(kUnknownKinds));
      break;
    case R::kFieldWrongType: {
      const int candidates[] = {f.decision_doc_no, f.subject_name, f.authority_name,
                                license ? f.license_content : f.penalty_content};
      const int field = candidates[rng_.Below(4)];
      std::string& value = c.Set(field, ValueType::kRaw);
      switch (rng_.Below(3)) {
        case 0: AppendUint(value, static_cast<uint64_t>(rng_.Range(1000, 99999))); break;
        case 1:
          value = c.spaced ? "{\"value\": " : "{\"value\":";
          AppendJsonString(value, text_.subject_name, c.ascii_only);
          value.push_back('}');
          break;
        default: value = "true"; break;
      }
      break;
    }
    case R::kFieldMissing: {
      int candidates[kMaxFields];
      int n = 0;
      for (int i = 0; i < schema.field_count(); ++i) {
        if (schema.field(i).required && c.Has(i)) candidates[n++] = i;
      }
      for (int i : {f.uscc, f.legal_rep_name, f.subject_id_no, f.subject_id_type}) {
        if (c.Has(i) && c.values[i] != placeholder_uscc_) candidates[n++] = i;
      }
      const int field = candidates[rng_.Below(static_cast<uint64_t>(n))];
      if (rng_.Chance(0.7)) {
        c.Drop(field);
      } else {
        c.Set(field);  // present but empty: the standard counts that as missing
      }
      break;
    }
    case R::kFieldTooLong: {
      int field = f.remark;
      const double r = rng_.Unit();
      if (license && r < 0.3) {
        field = f.decision_doc_title;
      } else if (r < 0.55) {
        field = f.subject_name;
      }
      const uint32_t limit = schema.field(field).max_length_chars;
      std::string& value = c.Set(field);
      value = text_.subject_name;
      if (text_.natural_person && field != f.subject_name) PlantName(value, 0);
      AppendLongText(value, limit + static_cast<size_t>(rng_.Range(0, 40)));
      break;
    }
    case R::kEnumInvalid:
      if (license && rng_.Chance(0.5)) {
        c.Set(f.license_category) = rng_.Pick(corpus::BadLicenseCategories());
      } else {
        c.Set(f.subject_category) = rng_.Pick(corpus::BadSubjectCategories());
      }
      break;
    case R::kPenaltyCategoryInvalid: {
      const std::string_view bad = rng_.Pick(corpus::BadPenaltyCategories());
      std::string& value = c.values[f.penalty_categories];
      if (c.types[f.penalty_categories] == ValueType::kStringArray) {
        value.push_back(kArraySeparator);
      } else {
        value += "、";
      }
      value += bad;
      break;
    }
    case R::kUsccFormat:
    case R::kUsccChecksum: {
      int field = f.authority_uscc;
      const double r = rng_.Unit();
      if (c.Has(f.uscc) && c.values[f.uscc] != placeholder_uscc_ && r < 0.6) {
        field = f.uscc;
      } else if (r < 0.8) {
        field = f.source_unit_uscc;
      }
      std::string& uscc = c.values[field];
      if (reason == R::kUsccChecksum) {
        const size_t at = kUsccAlphabet.find(uscc[17]);
        uscc[17] =
            kUsccAlphabet[(at + 1 + rng_.Below(kUsccAlphabet.size() - 1)) % kUsccAlphabet.size()];
      } else {
        switch (rng_.Below(3)) {
          case 0: uscc[static_cast<size_t>(rng_.Range(2, 16))] = "IOSVZ"[rng_.Below(5)]; break;
          case 1: uscc.pop_back(); break;
          default: uscc.push_back(static_cast<char>('0' + rng_.Below(10))); break;
        }
      }
      break;
    }
    case R::kUsccPlaceholderNotAllowed: {
      c.Set(f.uscc) = placeholder_uscc_;
      c.Drop(f.org_code);
      c.Drop(f.tax_reg_no);
      if (!c.Has(f.business_reg_no)) {
        std::string& reg_no = c.Set(f.business_reg_no);
        reg_no = text_.district->code;
        AppendDigits(reg_no, rng_, 8);
        reg_no.push_back(RegistrationNumberCheckDigit(reg_no));
      }
      break;
    }
    case R::kOrgCodeChecksum: {
      std::string& org = c.values[f.org_code];
      const char good = org.back();
      static constexpr std::string_view kChecks = "0123456789X";
      char bad = good;
      while (bad == good) bad = kChecks[rng_.Below(kChecks.size())];
      org.back() = bad;
      break;
    }
    case R::kIdNumberChecksum: {
      const int field = c.Has(f.subject_id_no) ? f.subject_id_no : f.legal_rep_id_no;
      std::string& id = c.values[field];
      static constexpr std::string_view kChecks = "0123456789X";
      const char good = id[17];
      char bad = good;
      while (bad == good) bad = kChecks[rng_.Below(kChecks.size())];
      id[17] = bad;
      break;
    }
    case R::kIdNumberBirthDate: {
      // An impossible month or day, with the check character recomputed so that only the date is
      // wrong.
      std::string& id = c.values[f.subject_id_no];
      switch (rng_.Below(3)) {
        case 0:
          id[10] = '1';
          id[11] = static_cast<char>('3' + rng_.Below(7));
          break;
        case 1:
          id[12] = '3';
          id[13] = static_cast<char>('2' + rng_.Below(8));
          break;
        default:
          id[10] = '0';
          id[11] = '2';
          id[12] = '3';
          id[13] = '0';
          break;
      }
      id.resize(17);
      id.push_back(IdCheckChar(id));
      break;
    }
    case R::kDateFormat: {
      const int candidates[] = {f.decision_date, license ? f.valid_to : f.penalty_valid_to};
      const int field = candidates[rng_.Below(2)];
      const int32_t day = ParseDate(c.values[field]).value_or(c.decision_day);
      const CivilDate date = CivilFromDays(day);
      std::string& value = c.Set(field);
      const std::string_view pattern = rng_.Pick(corpus::BadDates());
      for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '$' || i + 1 >= pattern.size()) {
          value.push_back(pattern[i]);
          continue;
        }
        switch (pattern[++i]) {
          case 'y': AppendUint(value, static_cast<uint64_t>(date.year)); break;
          case 'm': AppendUint(value, static_cast<uint64_t>(date.month)); break;
          case 'd': AppendUint(value, static_cast<uint64_t>(date.day)); break;
          case 'M': AppendPadded(value, static_cast<uint64_t>(date.month), 2); break;
          case 'D': AppendPadded(value, static_cast<uint64_t>(date.day), 2); break;
          default: break;
        }
      }
      break;
    }
    case R::kDateRangeOrder: {
      const int32_t back = static_cast<int32_t>(rng_.Range(1, 365));
      if (license) {
        const int32_t from = ParseDate(c.values[f.valid_from]).value_or(c.decision_day);
        FillDate(c, f.valid_to, from - back, false);
      } else if (c.Has(f.publish_until) && rng_.Chance(0.4)) {
        FillDate(c, f.publish_until, c.decision_day - back, false);
      } else {
        FillDate(c, f.penalty_valid_to, c.decision_day - back, false);
      }
      break;
    }
    case R::kMoneyFormat: {
      std::string& value = c.Set(f.fine);
      switch (rng_.Below(3)) {
        case 0:
          AppendWanYuan(value, c.fine_cents, true);
          value.push_back(static_cast<char>('1' + rng_.Below(9)));  // a 7th decimal place
          break;
        case 1: value = "abc"; break;
        default:
          AppendWanYuan(value, c.fine_cents, true);
          value += ".5";  // two decimal points
          break;
      }
      break;
    }
    case R::kMoneyImplausible: {
      // More than 100000 万元 (10^9 yuan): the unit error of a fine typed in 元.
      const int64_t cents = rng_.Range(100'001, 9'999'999) * 1'000'000;
      SetMoney(c, rng_.Chance(0.8) || !c.Has(f.confiscated) ? f.fine : f.confiscated, cents);
      break;
    }
    case R::kFineAmountMissing:
      if (rng_.Chance(0.7)) {
        c.Drop(f.fine);
      } else {
        c.Set(f.fine) = "0";
      }
      break;
    case R::kConfiscationAmountMissing:
      if (rng_.Chance(0.7)) {
        c.Drop(f.confiscated);
      } else {
        c.Set(f.confiscated) = "0";
      }
      break;
    case R::kSuspendedLicenseMissing:
      if (rng_.Chance(0.7)) {
        c.Drop(f.suspended_license);
      } else {
        c.Set(f.suspended_license);
      }
      break;
    default: break;  // the line-level reasons, and those the shape alone produces
  }
}

void Generator::Impl::BreakLine(std::string& line, const Content& c, const Style& style,
                                RejectReason reason) {
  using R = RejectReason;
  switch (reason) {
    case R::kJsonSyntax: {
      const size_t n = 1 + rng_.Below(marks_.count - 1);
      switch (rng_.Below(4)) {
        case 0: line.pop_back(); break;                   // truncated: no closing brace
        case 1: line.resize(marks_.key_begin[n]); break;  // cut off after a comma
        case 2: line.erase(marks_.value_begin[n] - (c.spaced ? 2 : 1), 1); break;  // no colon
        default: line.erase(marks_.key_begin[n] - (c.spaced ? 2 : 1), 1); break;   // no comma
      }
      break;
    }
    case R::kJsonNotObject:
      if (rng_.Chance(0.7)) {
        line.insert(line.begin(), '[');
        line.push_back(']');
      } else {
        line.clear();
        AppendJsonString(line, text_.subject_name, c.ascii_only);
      }
      break;
    case R::kJsonTrailingGarbage: {
      static constexpr std::string_view kGarbage[] = {"}", "]", ",", " x", "\"\""};
      line += rng_.Pick(std::span<const std::string_view>(kGarbage));
      break;
    }
    case R::kJsonDuplicateKey: {
      // The same field again, under its own key or another name of it (canonical vs alias).
      const size_t n = rng_.Below(marks_.count);
      const int field = marks_.field[n];
      spare_.assign(c.spaced ? ", " : ",");
      Naming naming = style.naming;
      if (rng_.Chance(0.5))
        naming = style.naming == Naming::kCanonical ? Naming::kExchange : Naming::kCanonical;
      AppendKey(spare_, c, naming, field);
      spare_.append(line, marks_.value_begin[n], marks_.value_end[n] - marks_.value_begin[n]);
      line.insert(line.size() - 1, spare_);
      break;
    }
    default: break;
  }
}

// ---- The record stream ----

Intent Generator::Impl::PickIntent() {
  double u = rng_.Unit();
  const Intent order[] = {Intent::kDuplicate, Intent::kUpdate, Intent::kWithdraw, Intent::kWithheld,
                          Intent::kInvalid};
  const double shares[] = {options_.duplicate_share, options_.update_share, options_.withdraw_share,
                           options_.withheld_share, options_.invalid_share};
  for (size_t i = 0; i < std::size(order); ++i) {
    if (u < shares[i]) {
      const bool needs_pool = i < 3;
      return needs_pool && pool_size_ == 0 ? Intent::kNew : order[i];
    }
    u -= shares[i];
  }
  return Intent::kNew;
}

GeneratedRecord Generator::Impl::Next(std::string& line) {
  line.clear();
  GeneratedRecord out;
  out.intent = PickIntent();
  FieldMask on_line;
  on_line.set();
  const Content* rendered = nullptr;
  switch (out.intent) {
    case Intent::kNew: {
      Build(scratch_, Shape{});
      ReconcilePlanted(scratch_);
      Render(scratch_, PickStyle(scratch_), line);
      out.kind = scratch_.kind;
      rendered = &pool_[Publish(scratch_)];
      break;
    }
    case Intent::kDuplicate:
    case Intent::kUpdate:
    case Intent::kWithdraw: {
      const size_t slot = rng_.Below(pool_size_);
      Content& entry = pool_[slot];
      if (out.intent == Intent::kUpdate) Update(entry);
      if (out.intent == Intent::kWithdraw) Withdraw(entry);
      ReconcilePlanted(entry);
      Render(entry, PickStyle(entry), line);
      out.kind = entry.kind;
      rendered = &entry;
      if (out.intent == Intent::kWithdraw) {
        // A withdrawn record is gone: nothing may refer to it again.
        std::swap(pool_[slot], pool_[pool_size_ - 1]);
        --pool_size_;
        rendered = &pool_[pool_size_];
      }
      break;
    }
    case Intent::kWithheld: {
      Shape shape;
      switch (withheld_count_++ % 3) {
        case 0:
          shape.kind = RecordKind::kPenalty;
          shape.category = kNaturalPerson;
          shape.minor = true;
          out.withhold = WithholdReason::kMinor;
          break;
        case 1:
          shape.confidential = true;
          out.withhold = WithholdReason::kConfidential;
          break;
        default:
          shape.kind = RecordKind::kPenalty;
          shape.warning_only = true;
          out.withhold = WithholdReason::kWarningOnly;
          break;
      }
      Build(scratch_, shape);
      ReconcilePlanted(scratch_);
      Render(scratch_, PickStyle(scratch_), line);
      out.kind = scratch_.kind;
      rendered = &scratch_;
      break;
    }
    case Intent::kInvalid: {
      out.reason = NextInvalidReason();
      Build(scratch_, ShapeFor(out.reason));
      Style style = PickStyle(scratch_);
      BreakContent(scratch_, out.reason, style);
      ReconcilePlanted(scratch_);
      Render(scratch_, style, line);
      BreakLine(line, scratch_, style, out.reason);
      out.kind = scratch_.kind;
      rendered = &scratch_;
      // Fields the break cut off the line (or all of them, when the line is no object any more).
      if (out.reason == RejectReason::kJsonNotObject && (line.empty() || line[0] != '[')) {
        on_line.reset();
      } else {
        for (size_t n = 0; n < marks_.count; ++n) {
          if (marks_.value_end[n] > line.size()) on_line.reset(marks_.field[n]);
        }
      }
      PublishPlanted(*rendered, out, on_line);
      if (out.reason == RejectReason::kInvalidEncoding) {
        const size_t n = static_cast<size_t>(PickRenderedString(line, true));
        const size_t at = marks_.value_begin[n] + 1;  // just inside the opening quote
        static constexpr std::string_view kUtf8Breaks[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80",
                                                           "\xe4\xb8", "\x80"};
        const std::string_view bad = rng_.Pick(std::span<const std::string_view>(kUtf8Breaks));
        if (gb18030_) {
          // 0xFF is neither a single byte nor a lead byte in GB18030.
          work_.clear();
          TranscodeAppend(std::string_view(line).substr(0, at), work_);
          work_ += "\xff";
          TranscodeAppend(std::string_view(line).substr(at), work_);
          line.swap(work_);
        } else {
          line.insert(at, bad);
        }
        return out;
      }
      Encode(line);
      if (out.reason == RejectReason::kRecordTooLarge) {
        // Whitespace between tokens keeps the JSON valid: only the size is wrong.
        const size_t pad = options_.max_record_bytes + 1 -
                           std::min(line.size(), options_.max_record_bytes) +
                           static_cast<size_t>(rng_.Range(0, 256));
        line.insert(1, pad, ' ');
      }
      return out;
    }
  }
  PublishPlanted(*rendered, out, on_line);
  Encode(line);
  return out;
}

// ---- What was planted ----

void Generator::Impl::Plant(const std::string& out, PlantedKind kind, std::string_view bytes,
                            std::string_view canonical) {
  if (&out == &text_.personal) {
    personal_planted_.AddPlanted(0, kind, bytes, canonical);
    return;
  }
  // Anything else (the licence a clause names, the sink of a field the kind lacks, scratch text)
  // is not a field's text.
  if (building_ == nullptr) return;
  const std::string* first = building_->values.data();
  if (&out < first || &out >= first + kMaxFields) return;
  building_->AddPlanted(static_cast<int>(&out - first), kind, bytes, canonical);
}

void Generator::Impl::PlantAppended(const std::string& out, size_t from, PlantedKind kind,
                                    std::string_view canonical) {
  Plant(out, kind, std::string_view(out).substr(from), canonical);
}

void Generator::Impl::PlantName(const std::string& out, size_t from) {
  const std::string_view name = std::string_view(out).substr(from);
  Plant(out, PlantedKind::kName, name, name);
}

void Generator::Impl::AppendPersonal(std::string& out) {
  out += text_.personal;
  for (const PlantedRef& ref : personal_planted_.planted) {
    Plant(out, ref.kind, personal_planted_.PlantedBytes(ref),
          personal_planted_.PlantedCanonical(ref));
  }
}

// A token is only what the line carries: ClampLengths may have cut a long text, a break may have
// replaced a field.
void Generator::Impl::ReconcilePlanted(Content& c) {
  if (c.planted.empty()) return;
  c.KeepPlanted([&](const PlantedRef& ref) {
    return c.Has(ref.field) && c.types[ref.field] == ValueType::kString &&
           c.values[ref.field].find(c.PlantedBytes(ref)) != std::string::npos;
  });
}

void Generator::Impl::PublishPlanted(const Content& c, GeneratedRecord& record,
                                     const FieldMask& on_line) {
  planted_views_.clear();
  const RecordSchema& schema = SchemaOf(c.kind);
  if (!c.planted.empty()) {
    // Field (schema) order, and within a field the order of planting.
    FieldMask fields;
    for (const PlantedRef& ref : c.planted) fields.set(ref.field);
    fields &= on_line;
    for (int field = 0; field < schema.field_count(); ++field) {
      if (!fields.test(static_cast<size_t>(field))) continue;
      for (const PlantedRef& ref : c.planted) {
        if (ref.field != field) continue;
        planted_views_.push_back(PlantedToken{ref.kind, schema.field(field).name,
                                              c.PlantedBytes(ref), c.PlantedCanonical(ref)});
      }
    }
  }
  record.planted = planted_views_;
}

Generator::Generator(const SchemaSet& schemas, GeneratorOptions options)
    : impl_(std::make_unique<Impl>(schemas, std::move(options))) {}
Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

Result<Generator> Generator::Create(const SchemaSet& schemas, GeneratorOptions options) {
  if (Status status = CheckGeneratorOptions(options); !status) return Fail(status.error());
  return Generator(schemas, std::move(options));
}

GeneratedRecord Generator::Next(std::string& line) { return impl_->Next(line); }
size_t Generator::pool_size() const { return impl_->pool_size(); }
size_t Generator::pool_capacity() const { return impl_->pool_capacity(); }
int32_t Generator::today() const { return impl_->today(); }

void AppendPlantedJson(std::string& out, uint64_t line_number, const GeneratedRecord& record) {
  out += "{\"line\":";
  AppendUint(out, line_number);
  out += ",\"intent\":";
  AppendJsonString(out, IntentName(record.intent), false);
  out += ",\"tokens\":[";
  bool first = true;
  for (const PlantedToken& token : record.planted) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"kind\":";
    AppendJsonString(out, PlantedKindName(token.kind), false);
    out += ",\"field\":";
    AppendJsonString(out, token.field, false);
    out += ",\"bytes\":";
    AppendJsonString(out, token.bytes, false);
    out += ",\"canonical\":";
    AppendJsonString(out, token.canonical, false);
    out.push_back('}');
  }
  out += "]}";
}

Result<GenerateSummary> WriteRecords(const SchemaSet& schemas, const GeneratorOptions& options,
                                     uint64_t count, std::FILE* out, std::FILE* planted) {
  auto generator = Generator::Create(schemas, options);
  if (!generator) return Fail(generator.error());
  GenerateSummary summary;
  std::string line;
  std::string buffer;
  std::string planted_buffer;
  constexpr size_t kFlushBytes = 1 << 20;
  buffer.reserve(kFlushBytes + options.max_record_bytes + 4096);
  auto flush = [&](std::string& pending, std::FILE* file, std::string_view what) -> Status {
    if (!pending.empty() &&
        std::fwrite(pending.data(), 1, pending.size(), file) != pending.size()) {
      return Fail(ErrorCode::kIo,
                  fmt::format("generate: writing {} failed: {}", what, std::strerror(errno)));
    }
    pending.clear();
    return Ok();
  };
  for (uint64_t i = 0; i < count; ++i) {
    const GeneratedRecord record = generator->Next(line);
    buffer += line;
    buffer.push_back('\n');
    ++summary.lines;
    summary.bytes += line.size() + 1;
    ++summary.by_intent[static_cast<size_t>(record.intent)];
    for (const PlantedToken& token : record.planted) {
      ++summary.planted[static_cast<size_t>(token.kind)];
    }
    if (planted != nullptr) {
      AppendPlantedJson(planted_buffer, i + 1, record);
      planted_buffer.push_back('\n');
      if (planted_buffer.size() >= kFlushBytes) {
        if (Status status = flush(planted_buffer, planted, "planted tokens"); !status) {
          return Fail(status.error());
        }
      }
    }
    if (buffer.size() >= kFlushBytes) {
      if (Status status = flush(buffer, out, "records"); !status) return Fail(status.error());
    }
  }
  if (Status status = flush(buffer, out, "records"); !status) return Fail(status.error());
  if (std::fflush(out) != 0) {
    return Fail(ErrorCode::kIo,
                fmt::format("generate: flushing records failed: {}", std::strerror(errno)));
  }
  if (planted != nullptr) {
    if (Status status = flush(planted_buffer, planted, "planted tokens"); !status) {
      return Fail(status.error());
    }
    if (std::fflush(planted) != 0) {
      return Fail(ErrorCode::kIo, fmt::format("generate: flushing planted tokens failed: {}",
                                              std::strerror(errno)));
    }
  }
  return summary;
}

std::string PartitionKey(const SchemaSet& schemas, std::string_view line, RecordKind kind) {
  if (kind == RecordKind::kUnknown) return {};
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(line.data(), line.size()).get(object)) return {};
  const RecordSchema& schema = schemas.For(kind);
  const int doc_no = schema.FieldIndex("decision_doc_no");
  for (auto [key, value] : object) {
    std::string_view text;
    if (schema.LookupKey(key) == doc_no && !value.get(text)) return std::string(text);
  }
  return {};
}

}  // namespace gongshi
