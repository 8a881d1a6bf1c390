// Tests for the record generator: determinism, the mix of intents, that every reject reason is
// produced and is the only one that applies, and that the records meant to pass are well-formed
// JSON with valid identifiers and personal data in their free text.
#include "pipeline/generate/generator.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <iconv.h>
#include <simdjson.h>

#include "pipeline/calendar/civil_date.h"
#include "pipeline/validate/identifiers.h"

namespace gongshi {
namespace {

constexpr int32_t kToday = DaysFromCivil(2025, 6, 1);
constexpr size_t kTestRecordBytes = 16 * 1024;

const SchemaSet& Schemas() {
  static const SchemaSet* schemas = [] {
    auto loaded = SchemaSet::Load(SchemasDir());
    if (!loaded) {
      ADD_FAILURE() << loaded.error().ToString();
      std::abort();
    }
    return new SchemaSet(std::move(*loaded));
  }();
  return *schemas;
}

GeneratorOptions TestOptions() {
  GeneratorOptions options;
  options.seed = 42;
  options.today = kToday;
  options.max_record_bytes = kTestRecordBytes;
  return options;
}

struct Sample {
  std::string line;
  GeneratedRecord record;
};

std::vector<Sample> Generate(const GeneratorOptions& options, size_t count) {
  Generator generator(Schemas(), options);
  std::vector<Sample> out(count);
  for (Sample& sample : out) sample.record = generator.Next(sample.line);
  return out;
}

// The default-share sample most tests look at; generated once.
const std::vector<Sample>& DefaultSample() {
  static const auto* sample = new std::vector<Sample>(Generate(TestOptions(), 20000));
  return *sample;
}

// ---- A reference reading of the records, independent of the validator stage ----

struct Parsed {
  RecordKind kind = RecordKind::kUnknown;
  std::map<int, simdjson::dom::element> fields;  // schema index -> value
  std::map<int, std::string> text;               // string values
  bool kind_field = false;
};

bool IsSeparator(std::string_view s, size_t i, size_t& length) {
  for (std::string_view sep : {"、", "，", "；", ",", ";", "|", " "}) {
    if (s.substr(i).starts_with(sep)) {
      length = sep.size();
      return true;
    }
  }
  return false;
}

size_t Depth(simdjson::dom::element e) {
  size_t inner = 0;
  if (e.type() == simdjson::dom::element_type::OBJECT) {
    for (auto [key, value] : simdjson::dom::object(e)) inner = std::max(inner, Depth(value));
    return 1 + inner;
  }
  if (e.type() == simdjson::dom::element_type::ARRAY) {
    for (auto value : simdjson::dom::array(e)) inner = std::max(inner, Depth(value));
    return 1 + inner;
  }
  return 0;
}

std::string Canonical(const RecordSchema& schema, int field, const std::string& value) {
  const int index = schema.EnumIndex(field, value);
  return index < 0 ? value : schema.field(field).enum_values[static_cast<size_t>(index)];
}

// Money as cents, or -1 if the text is not a decimal with at most 6 places.
int64_t ParseMoney(std::string_view text) {
  int64_t whole = 0, fraction = 0;
  size_t i = 0, digits = 0, places = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + (text[i] - '0');
  }
  if (digits == 0 || digits > 12) return -1;
  if (i < text.size()) {
    if (text[i++] != '.') return -1;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++places > 6) return -1;
      fraction = fraction * 10 + (text[i] - '0');
    }
    if (places == 0 || i != text.size()) return -1;
  }
  while (places++ < 6) fraction *= 10;
  return whole * 1'000'000 + fraction;
}

// Every reason the line deserves, as the spec and schemas define them. Parse-level reasons end the
// reading, as they do in the pipeline.
std::set<RejectReason> ReasonsFor(const std::string& line, Parsed* parsed_out = nullptr) {
  using R = RejectReason;
  std::set<R> reasons;
  if (line.size() > kTestRecordBytes) reasons.insert(R::kRecordTooLarge);
  if (!simdjson::validate_utf8(line.data(), line.size())) {
    reasons.insert(R::kInvalidEncoding);
    return reasons;
  }
  // Parsed keeps elements of this document: they stay valid until the next call.
  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(line).get(root)) {
    // Trailing garbage: some prefix ending in '}' is a whole object.
    for (size_t end = line.rfind('}'); end != std::string::npos && end > 0;
         end = line.rfind('}', end - 1)) {
      simdjson::dom::parser prefix_parser;
      simdjson::dom::element prefix;
      if (!prefix_parser.parse(line.substr(0, end + 1)).get(prefix) &&
          prefix.type() == simdjson::dom::element_type::OBJECT) {
        reasons.insert(R::kJsonTrailingGarbage);
        return reasons;
      }
    }
    reasons.insert(R::kJsonSyntax);
    return reasons;
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    reasons.insert(R::kJsonNotObject);
    return reasons;
  }
  const SchemaSet& schemas = Schemas();
  Parsed parsed;
  simdjson::dom::object object(root);
  for (auto [key, value] : object) {
    if (key == "kind") {
      parsed.kind_field = true;
      std::string_view text;
      parsed.kind =
          value.get_string().get(text) ? RecordKind::kUnknown : schemas.KindFromValue(text);
      if (parsed.kind == RecordKind::kUnknown) {
        reasons.insert(R::kKindUnknown);
        return reasons;
      }
    }
  }
  if (parsed.kind == RecordKind::kUnknown) {
    for (auto [key, value] : object) {
      if (parsed.kind == RecordKind::kUnknown) parsed.kind = schemas.KindFromKey(key);
    }
  }
  if (parsed.kind == RecordKind::kUnknown) {
    reasons.insert(R::kKindUnknown);
    return reasons;
  }
  const RecordSchema& schema = schemas.For(parsed.kind);
  if (Depth(root) > static_cast<size_t>(schema.max_depth())) {
    reasons.insert(R::kJsonTooDeep);
    return reasons;
  }
  for (auto [key, value] : object) {
    const int field = schema.LookupKey(key);
    if (field < 0) continue;
    if (!parsed.fields.emplace(field, value).second) {
      reasons.insert(R::kJsonDuplicateKey);
      return reasons;
    }
  }

  // Types and texts.
  for (auto& [field, value] : parsed.fields) {
    const FieldSpec& spec = schema.field(field);
    using T = simdjson::dom::element_type;
    switch (value.type()) {
      case T::STRING: parsed.text[field] = std::string(std::string_view(value)); break;
      case T::INT64:
      case T::UINT64:
      case T::DOUBLE:
        if (!spec.allows_number) reasons.insert(R::kFieldWrongType);
        break;
      case T::BOOL:
        if (!spec.allows_boolean) reasons.insert(R::kFieldWrongType);
        parsed.text[field] = bool(value) ? "true" : "false";
        break;
      case T::ARRAY:
        if (!spec.allows_array) reasons.insert(R::kFieldWrongType);
        break;
      default: reasons.insert(R::kFieldWrongType); break;
    }
  }
  auto present = [&](int field) {
    if (field < 0 || !parsed.fields.count(field)) return false;
    auto it = parsed.text.find(field);
    return it == parsed.text.end() || !it->second.empty();
  };
  auto text_of = [&](std::string_view name) -> std::string {
    const int field = schema.FieldIndex(name);
    auto it = parsed.text.find(field);
    return it == parsed.text.end() ? std::string() : it->second;
  };
  for (int i = 0; i < schema.field_count(); ++i) {
    if (schema.field(i).required && !present(i)) reasons.insert(R::kFieldMissing);
  }

  std::map<int, int32_t> dates;
  std::map<int, int64_t> money;
  uint64_t categories = 0;
  for (auto& [field, value] : parsed.fields) {
    const FieldSpec& spec = schema.field(field);
    auto text_it = parsed.text.find(field);
    const bool is_text = text_it != parsed.text.end() && value.is_string();
    const std::string text = is_text ? text_it->second : std::string();
    if (is_text && text.empty()) continue;
    if (is_text && spec.max_length_chars > 0) {
      size_t chars = 0;
      for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      if (chars > spec.max_length_chars) reasons.insert(R::kFieldTooLong);
    }
    switch (spec.format) {
      case FieldFormat::kEnum:
        if (!text.empty() && schema.EnumIndex(field, text) < 0) reasons.insert(R::kEnumInvalid);
        break;
      case FieldFormat::kPenaltyCategories: {
        std::vector<std::string> terms;
        if (value.is_array()) {
          for (auto item : simdjson::dom::array(value)) {
            std::string_view term;
            if (!item.get_string().get(term)) terms.emplace_back(term);
          }
        } else {
          size_t begin = 0, length = 0;
          for (size_t i = 0; i <= text.size(); ++i) {
            if (i == text.size() || IsSeparator(text, i, length)) {
              if (i > begin) terms.push_back(text.substr(begin, i - begin));
              if (i < text.size()) i += length - 1;
              begin = i + 1;
            }
          }
        }
        for (const std::string& term : terms) {
          auto it = spec.vocabulary.find(term);
          if (it == spec.vocabulary.end()) {
            reasons.insert(R::kPenaltyCategoryInvalid);
          } else {
            categories |= it->second;
          }
        }
        break;
      }
      case FieldFormat::kUscc:
        if (!spec.placeholder.empty() && text == spec.placeholder) {
          const std::string category =
              Canonical(schema, schema.FieldIndex("subject_category"), text_of("subject_category"));
          if (category != spec.placeholder_allowed_category) {
            reasons.insert(R::kUsccPlaceholderNotAllowed);
          } else if (!present(spec.placeholder_requires_field)) {
            reasons.insert(R::kBusinessRegNoMissing);
          }
        } else if (!UsccWellFormed(text)) {
          reasons.insert(R::kUsccFormat);
        } else if (!UsccValid(text)) {
          reasons.insert(R::kUsccChecksum);
        }
        break;
      case FieldFormat::kOrgCode:
        if (!OrgCodeValid(text)) reasons.insert(R::kOrgCodeChecksum);
        break;
      case FieldFormat::kIdNumber: {
        const std::string type =
            spec.id_type_field >= 0 && parsed.text.count(spec.id_type_field)
                ? Canonical(schema, spec.id_type_field, parsed.text[spec.id_type_field])
                : std::string();
        if (type != "身份证") break;
        if (!IdChecksumValid(text)) {
          reasons.insert(R::kIdNumberChecksum);
        } else if (!IdBirthDay(text) || *IdBirthDay(text) > kToday) {
          reasons.insert(R::kIdNumberBirthDate);
        }
        break;
      }
      case FieldFormat::kDate: {
        auto day = ParseDate(text);
        if (!day) {
          reasons.insert(R::kDateFormat);
        } else {
          dates[field] = *day;
          if (spec.not_future && *day > kToday) reasons.insert(R::kDecisionDateInFuture);
        }
        break;
      }
      case FieldFormat::kMoneyWanYuan: {
        int64_t cents = -1;
        if (is_text) {
          cents = ParseMoney(text);
        } else if (value.is_number()) {
          cents = std::llround(double(value) * 1e6);
        }
        if (cents < 0) {
          reasons.insert(R::kMoneyFormat);
        } else {
          money[field] = cents;
          if (spec.max_cents > 0 && cents > spec.max_cents) reasons.insert(R::kMoneyImplausible);
        }
        break;
      }
      default: break;
    }
  }
  for (auto& [field, day] : dates) {
    const int before = schema.field(field).not_before_field;
    if (before >= 0 && dates.count(before) && day < dates[before]) {
      reasons.insert(R::kDateRangeOrder);
    }
  }
  for (const ConditionalRule& rule : schema.rules()) {
    bool applies = false;
    if (rule.contains) {
      applies = (categories & rule.value_mask) != 0;
    } else if (parsed.text.count(rule.if_field)) {
      const std::string value = Canonical(schema, rule.if_field, parsed.text[rule.if_field]);
      applies = std::find(rule.values.begin(), rule.values.end(), value) != rule.values.end();
    }
    if (!applies) continue;
    for (int field : rule.then_required) {
      if (!present(field)) reasons.insert(rule.reason);
    }
    for (int field : rule.then_positive) {
      if (money.count(field) && money[field] <= 0) reasons.insert(rule.reason);
    }
  }
  if (parsed_out != nullptr) *parsed_out = std::move(parsed);
  return reasons;
}

std::string FieldText(const Parsed& parsed, std::string_view name) {
  const int field = Schemas().For(parsed.kind).FieldIndex(name);
  auto it = parsed.text.find(field);
  return it == parsed.text.end() ? std::string() : it->second;
}

// Full-width digits to ASCII, and spaces and hyphens between digits dropped: how a redactor has to
// see free text to find the numbers in it.
std::string DigitsView(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBC) {
      const auto d = static_cast<unsigned char>(text[i + 2]);
      if (d >= 0x90 && d <= 0x99) {
        out.push_back(static_cast<char>('0' + d - 0x90));
        i += 2;
        continue;
      }
      if (d == 0xB8) {
        out.push_back('X');
        i += 2;
        continue;
      }
    }
    if ((c == ' ' || c == '-') && !out.empty() &&
        std::isdigit(static_cast<unsigned char>(out.back())) && i + 1 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string FreeText(const Parsed& parsed) {
  std::string all;
  for (std::string_view name :
       {"violation_facts", "penalty_content", "license_content", "remark", "legal_basis"}) {
    all += FieldText(parsed, name);
    all.push_back('\n');
  }
  return all;
}

bool HasMobile(const std::string& digits) {
  for (size_t i = 0; i + 11 <= digits.size(); ++i) {
    if (digits[i] != '1' || digits[i + 1] < '3' || digits[i + 1] > '9') continue;
    if (i > 0 && std::isdigit(static_cast<unsigned char>(digits[i - 1]))) continue;
    size_t n = 0;
    while (i + n < digits.size() && std::isdigit(static_cast<unsigned char>(digits[i + n]))) ++n;
    if (n == 11) return true;
  }
  return false;
}

// ---- Tests ----

TEST(GeneratorTest, SameOptionsGiveByteIdenticalOutput) {
  const auto first = Generate(TestOptions(), 5000);
  const auto second = Generate(TestOptions(), 5000);
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(first[i].line, second[i].line) << "record " << i;
    ASSERT_EQ(first[i].record.intent, second[i].record.intent);
    ASSERT_EQ(first[i].record.reason, second[i].record.reason);
  }
  GeneratorOptions other = TestOptions();
  other.seed = 43;
  EXPECT_NE(Generate(other, 1)[0].line, first[0].line);
}

TEST(GeneratorTest, EveryRejectReasonAppearsIn20000Records) {
  std::set<RejectReason> seen;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) seen.insert(sample.record.reason);
  }
  for (RejectReason reason : AllRejectReasons()) {
    EXPECT_TRUE(seen.count(reason)) << RejectReasonCode(reason) << " never generated";
  }
}

TEST(GeneratorTest, EachInvalidRecordDeservesExactlyItsReason) {
  size_t checked = 0;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent != Intent::kInvalid) continue;
    ASSERT_NE(sample.record.reason, RejectReason::kNone);
    const auto reasons = ReasonsFor(sample.line);
    EXPECT_EQ(reasons, std::set<RejectReason>{sample.record.reason})
        << "intended " << RejectReasonCode(sample.record.reason) << ", got "
        << (reasons.empty() ? std::string("none") : std::string(RejectReasonCode(*reasons.begin())))
        << (reasons.size() > 1 ? " and more" : "") << ": " << sample.line.substr(0, 600);
    ++checked;
  }
  EXPECT_GT(checked, 300u);
}

TEST(GeneratorTest, RecordTooLargeIsRareAndJustOverTheLimit) {
  size_t too_large = 0, invalid = 0;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent != Intent::kInvalid) continue;
    ++invalid;
    if (sample.record.reason != RejectReason::kRecordTooLarge) {
      EXPECT_LE(sample.line.size(), kTestRecordBytes);
      continue;
    }
    ++too_large;
    EXPECT_GT(sample.line.size(), kTestRecordBytes);
    EXPECT_LT(sample.line.size(), kTestRecordBytes + 1024);
  }
  EXPECT_GE(too_large, 1u);
  EXPECT_LE(too_large * 50, invalid + 50);
}

TEST(GeneratorTest, RecordsMeantToPassAreValidJsonObjectsWithValidIdentifiers) {
  size_t usccs = 0, ids = 0, org_codes = 0, placeholders = 0;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) continue;
    Parsed parsed;
    const auto reasons = ReasonsFor(sample.line, &parsed);
    ASSERT_TRUE(reasons.empty()) << RejectReasonCode(*reasons.begin()) << ": " << sample.line;
    EXPECT_EQ(parsed.kind, sample.record.kind);
    for (std::string_view name : {"uscc", "authority_uscc", "source_unit_uscc"}) {
      const std::string value = FieldText(parsed, name);
      if (value.empty()) continue;
      if (value == "00000000000000000X") {
        ++placeholders;
        EXPECT_FALSE(FieldText(parsed, "business_reg_no").empty());
        continue;
      }
      ++usccs;
      EXPECT_TRUE(UsccValid(value)) << value;
      // The org code embedded in a USCC is itself valid, and the org_code field matches it.
      EXPECT_TRUE(OrgCodeValid(value.substr(8, 9))) << value;
      const std::string org = FieldText(parsed, "org_code");
      if (name == "uscc" && !org.empty()) {
        ++org_codes;
        std::string compact = org;
        std::erase(compact, '-');
        EXPECT_EQ(compact, value.substr(8, 9));
      }
    }
    for (std::string_view name : {"subject_id_no", "legal_rep_id_no"}) {
      const std::string value = FieldText(parsed, name);
      if (value.size() != 18) continue;
      ++ids;
      EXPECT_TRUE(IdChecksumValid(value)) << value;
      EXPECT_TRUE(IdBirthDay(value).has_value()) << value;
    }
  }
  EXPECT_GT(usccs, 30000u);
  EXPECT_GT(ids, 3000u);
  EXPECT_GT(org_codes, 1000u);
  EXPECT_GT(placeholders, 100u);
}

TEST(GeneratorTest, AverageRecordIsAboutOneKilobyte) {
  size_t bytes = 0;
  for (const Sample& sample : DefaultSample()) bytes += sample.line.size() + 1;
  const double average = static_cast<double>(bytes) / static_cast<double>(DefaultSample().size());
  EXPECT_GT(average, 700);
  EXPECT_LT(average, 1600);
}

TEST(GeneratorTest, BothKindsAndAllNamingStylesAppear) {
  size_t exchange = 0, canonical = 0, chinese = 0, with_kind = 0, without_kind = 0;
  size_t licenses = 0, penalties = 0, arrays = 0, old_vocabulary = 0, numbers = 0;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) continue;
    const std::string& line = sample.line;
    if (line.find("\"CF_") != std::string::npos || line.find("\"XK_") != std::string::npos) {
      ++exchange;
    } else if (line.find("\"subject_name\"") != std::string::npos) {
      ++canonical;
    } else if (line.find("行政相对人名称") != std::string::npos) {
      ++chinese;
    }
    (line.find("\"kind\"") != std::string::npos ? with_kind : without_kind)++;
    (sample.record.kind == RecordKind::kLicense ? licenses : penalties)++;
    Parsed parsed;
    ReasonsFor(line, &parsed);
    const int categories = Schemas().For(RecordKind::kPenalty).FieldIndex("penalty_categories");
    if (parsed.kind == RecordKind::kPenalty && parsed.fields.count(categories)) {
      if (parsed.fields.at(categories).is_array()) ++arrays;
      if (FieldText(parsed, "penalty_categories").find("或者吊销") != std::string::npos ||
          FieldText(parsed, "penalty_categories").find("、没收非法财物") != std::string::npos) {
        ++old_vocabulary;
      }
    }
    const int fine = Schemas().For(RecordKind::kPenalty).FieldIndex("fine_wan_yuan");
    if (parsed.kind == RecordKind::kPenalty && parsed.fields.count(fine) &&
        parsed.fields.at(fine).is_number()) {
      ++numbers;
    }
  }
  EXPECT_GT(exchange, 7000u);
  EXPECT_GT(canonical, 6000u);
  EXPECT_GT(chinese, 300u);
  EXPECT_GT(with_kind, 5000u);
  EXPECT_GT(without_kind, 5000u);
  EXPECT_GT(licenses, 7000u);
  EXPECT_GT(penalties, 7000u);
  EXPECT_GT(arrays, 500u);
  EXPECT_GT(old_vocabulary, 100u);
  EXPECT_GT(numbers, 1000u);
}

TEST(GeneratorTest, NaturalPersonsFreeTextCarriesTheirPersonalData) {
  size_t persons = 0, with_id = 0, with_mobile = 0, full_width = 0, cards = 0, mails = 0;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) continue;
    Parsed parsed;
    ReasonsFor(sample.line, &parsed);
    if (Canonical(Schemas().For(parsed.kind),
                  Schemas().For(parsed.kind).FieldIndex("subject_category"),
                  FieldText(parsed, "subject_category")) != "自然人") {
      continue;
    }
    ++persons;
    const std::string text = FreeText(parsed);
    const std::string digits = DigitsView(text);
    const std::string id = FieldText(parsed, "subject_id_no");
    const bool has_id = !id.empty() && digits.find(id) != std::string::npos;
    const bool has_mobile = HasMobile(digits);
    with_id += has_id;
    with_mobile += has_mobile;
    EXPECT_TRUE(has_id || has_mobile) << sample.line;
    full_width += text.find("\xEF\xBC") != std::string::npos && digits != text;
    mails += text.find('@') != std::string::npos;
    for (size_t i = 0; i + 16 <= digits.size(); ++i) {
      size_t n = 0;
      while (i + n < digits.size() && std::isdigit(static_cast<unsigned char>(digits[i + n]))) ++n;
      if ((n == 16 || n == 19) && digits.substr(i, n) != id && LuhnValid(digits.substr(i, n))) {
        ++cards;
        break;
      }
      i += n;
    }
  }
  EXPECT_GT(persons, 2500u);
  EXPECT_GT(with_id, persons * 8 / 10);
  EXPECT_GT(with_mobile, persons / 2);
  EXPECT_GT(full_width, 100u);
  EXPECT_GT(cards, 20u);
  EXPECT_GT(mails, 100u);
}

TEST(GeneratorTest, IntentsFollowTheShares) {
  std::array<size_t, kIntentCount> counts{};
  for (const Sample& sample : DefaultSample()) ++counts[static_cast<size_t>(sample.record.intent)];
  const GeneratorOptions options = TestOptions();
  const double n = static_cast<double>(DefaultSample().size());
  const std::pair<Intent, double> expected[] = {{Intent::kDuplicate, options.duplicate_share},
                                                {Intent::kUpdate, options.update_share},
                                                {Intent::kWithdraw, options.withdraw_share},
                                                {Intent::kWithheld, options.withheld_share},
                                                {Intent::kInvalid, options.invalid_share}};
  for (auto [intent, share] : expected) {
    const double got = static_cast<double>(counts[static_cast<size_t>(intent)]) / n;
    EXPECT_NEAR(got, share, share * 0.25) << IntentName(intent);
  }
  EXPECT_GT(counts[static_cast<size_t>(Intent::kNew)], n * 0.85);
}

// What the dedupe stage will see: identities and content, read back from the lines.
TEST(GeneratorTest, DuplicatesUpdatesAndWithdrawalsReferToPublishedRecords) {
  struct Known {
    std::string content;
    bool withdrawn = false;
  };
  std::map<std::string, Known> known;
  for (const Sample& sample : DefaultSample()) {
    const Intent intent = sample.record.intent;
    if (intent == Intent::kInvalid) continue;
    Parsed parsed;
    ReasonsFor(sample.line, &parsed);
    const RecordSchema& schema = Schemas().For(parsed.kind);
    std::string subject = FieldText(parsed, "uscc");
    if (subject.empty() || subject == "00000000000000000X")
      subject = FieldText(parsed, "subject_id_no");
    if (subject.empty()) subject = FieldText(parsed, "subject_name");
    const std::string identity = std::string(RecordKindName(parsed.kind)) + "|" +
                                 FieldText(parsed, "authority_uscc") + "|" +
                                 FieldText(parsed, "decision_doc_no") + "|" +
                                 FieldText(parsed, "license_no") + "|" + subject;
    // Content as canonical values: names, date separators and enum spellings do not count.
    std::string content;
    for (auto& [field, value] : parsed.fields) {
      content += schema.field(field).name;
      content += '=';
      std::string text = parsed.text.count(field) ? parsed.text.at(field) : std::string();
      if (value.is_array()) {
        for (auto item : simdjson::dom::array(value)) content += std::string_view(item);
      } else if (value.is_number()) {
        content += std::to_string(std::llround(double(value) * 1e6));
      } else if (schema.field(field).format == FieldFormat::kDate) {
        content += std::to_string(ParseDate(text).value_or(-1));
      } else if (schema.field(field).format == FieldFormat::kMoneyWanYuan) {
        content += std::to_string(ParseMoney(text));
      } else if (schema.field(field).format == FieldFormat::kEnum) {
        content += Canonical(schema, field, text);
      } else {
        content += text;
      }
      content += '\n';
    }
    auto it = known.find(identity);
    switch (intent) {
      case Intent::kNew:
      case Intent::kWithheld:
        EXPECT_EQ(it, known.end()) << "a new record reuses an identity: " << identity;
        if (intent == Intent::kNew) known[identity] = Known{content};
        break;
      case Intent::kDuplicate:
        ASSERT_NE(it, known.end()) << sample.line;
        EXPECT_FALSE(it->second.withdrawn);
        EXPECT_EQ(it->second.content, content) << sample.line;
        break;
      case Intent::kUpdate:
        ASSERT_NE(it, known.end()) << sample.line;
        EXPECT_FALSE(it->second.withdrawn);
        EXPECT_NE(it->second.content, content) << sample.line;
        it->second.content = content;
        break;
      case Intent::kWithdraw: {
        ASSERT_NE(it, known.end()) << sample.line;
        EXPECT_FALSE(it->second.withdrawn);
        const std::string status =
            Canonical(schema, schema.withdraw_field(), FieldText(parsed, "status"));
        EXPECT_NE(
            std::find(schema.withdraw_values().begin(), schema.withdraw_values().end(), status),
            schema.withdraw_values().end())
            << sample.line;
        it->second.withdrawn = true;
        break;
      }
      case Intent::kInvalid: break;
    }
  }
}

TEST(GeneratorTest, WithheldRecordsSayWhyAndOthersDoNot) {
  std::map<WithholdReason, size_t> counts;
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) continue;
    Parsed parsed;
    ReasonsFor(sample.line, &parsed);
    const RecordSchema& schema = Schemas().For(parsed.kind);
    const std::string id = FieldText(parsed, "subject_id_no");
    const int32_t decided = ParseDate(FieldText(parsed, "decision_date")).value_or(0);
    bool minor = false;
    if (id.size() == 18 && IdBirthDay(id)) {
      const CivilDate birth = CivilFromDays(*IdBirthDay(id));
      const CivilDate at = CivilFromDays(decided);
      const int age =
          at.year - birth.year - ((at.month * 100 + at.day) < (birth.month * 100 + birth.day));
      minor = age < 18;
    }
    const std::string confidential_text = FieldText(parsed, "confidential");
    const bool confidential =
        !confidential_text.empty() &&
        Canonical(schema, schema.FieldIndex("confidential"), confidential_text) == "true";
    bool warning_only = false;
    if (parsed.kind == RecordKind::kPenalty) {
      const std::string categories = FieldText(parsed, "penalty_categories");
      const int field = schema.FieldIndex("penalty_categories");
      warning_only = true;
      std::vector<std::string> terms;
      if (parsed.fields.at(field).is_array()) {
        for (auto item : simdjson::dom::array(parsed.fields.at(field)))
          terms.emplace_back(std::string_view(item));
      } else {
        terms.push_back(categories);
      }
      for (const std::string& term : terms) {
        std::string rest = term;
        for (std::string_view word : {"警告", "通报批评", "、", ",", ";", "，", "；"}) {
          for (size_t at = rest.find(word); at != std::string::npos; at = rest.find(word)) {
            rest.erase(at, word.size());
          }
        }
        if (!rest.empty()) warning_only = false;
      }
    }
    switch (sample.record.withhold) {
      case WithholdReason::kNone:
        EXPECT_FALSE(minor || confidential || warning_only) << sample.line;
        break;
      case WithholdReason::kMinor: EXPECT_TRUE(minor) << sample.line; break;
      case WithholdReason::kConfidential: EXPECT_TRUE(confidential) << sample.line; break;
      case WithholdReason::kWarningOnly: EXPECT_TRUE(warning_only) << sample.line; break;
      case WithholdReason::kPeriodEnded:
        ADD_FAILURE() << "the generator makes no record whose publication period ended: "
                      << sample.line;
        break;
    }
    EXPECT_EQ(sample.record.intent == Intent::kWithheld,
              sample.record.withhold != WithholdReason::kNone);
    ++counts[sample.record.withhold];
  }
  EXPECT_GT(counts[WithholdReason::kMinor], 30u);
  EXPECT_GT(counts[WithholdReason::kConfidential], 30u);
  EXPECT_GT(counts[WithholdReason::kWarningOnly], 30u);
}

TEST(GeneratorTest, DecisionsFallInTheTwoYearsBeforeToday) {
  for (const Sample& sample : DefaultSample()) {
    if (sample.record.intent == Intent::kInvalid) continue;
    Parsed parsed;
    ReasonsFor(sample.line, &parsed);
    const auto decided = ParseDate(FieldText(parsed, "decision_date"));
    ASSERT_TRUE(decided.has_value()) << sample.line;
    EXPECT_LT(*decided, kToday);
    EXPECT_GE(*decided, kToday - 731);
    if (parsed.kind == RecordKind::kPenalty && !FieldText(parsed, "publish_until").empty()) {
      EXPECT_GT(*ParseDate(FieldText(parsed, "publish_until")), kToday);
    }
  }
}

TEST(GeneratorTest, PoolStaysBoundedOver200000Records) {
  GeneratorOptions options = TestOptions();
  options.pool_capacity = 1000;
  Generator generator(Schemas(), options);
  std::string line;
  auto resident_kib = [] {
    std::ifstream status("/proc/self/status");
    std::string word;
    while (status >> word) {
      if (word == "VmRSS:") {
        long kib = 0;
        status >> kib;
        return kib;
      }
    }
    return 0L;
  };
  long after_warm_up = 0;
  for (int i = 0; i < 200000; ++i) {
    generator.Next(line);
    ASSERT_LE(generator.pool_size(), 1000u);
    if (i == 50000) after_warm_up = resident_kib();
  }
  EXPECT_EQ(generator.pool_size(), 1000u);
  EXPECT_EQ(generator.pool_capacity(), 1000u);
  // Nothing grows per record once the pool is full.
  EXPECT_LT(resident_kib() - after_warm_up, 8 * 1024);
}

std::string Gb18030ToUtf8(const std::string& in, bool& ok) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  std::string out(in.size() * 2 + 16, '\0');
  char* source = const_cast<char*>(in.data());
  size_t source_left = in.size();
  char* target = out.data();
  size_t target_left = out.size();
  ok = iconv(cd, &source, &source_left, &target, &target_left) != static_cast<size_t>(-1);
  iconv_close(cd);
  out.resize(out.size() - target_left);
  return out;
}

TEST(GeneratorTest, Gb18030OutputIsTheUtf8OutputTranscoded) {
  GeneratorOptions options = TestOptions();
  const auto utf8 = Generate(options, 3000);
  options.encoding = "gb18030";
  const auto gb = Generate(options, 3000);
  size_t broken = 0, differs = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    ASSERT_EQ(utf8[i].record.intent, gb[i].record.intent);
    ASSERT_EQ(utf8[i].record.reason, gb[i].record.reason);
    bool ok = false;
    const std::string back = Gb18030ToUtf8(gb[i].line, ok);
    if (gb[i].record.reason == RejectReason::kInvalidEncoding) {
      EXPECT_FALSE(ok);
      ++broken;
      continue;
    }
    EXPECT_TRUE(ok);
    if (gb[i].record.reason != RejectReason::kRecordTooLarge) {
      EXPECT_EQ(back, utf8[i].line);
    }
    differs += gb[i].line != utf8[i].line;
  }
  EXPECT_GT(broken, 0u);
  EXPECT_GT(differs, 2500u);
}

TEST(GeneratorTest, BadOptionsAreRejectedNamingTheOption) {
  GeneratorOptions options = TestOptions();
  options.invalid_share = 1.5;
  auto status = CheckGeneratorOptions(options);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("invalid_share"), std::string::npos);
  options = TestOptions();
  options.duplicate_share = options.update_share = options.withdraw_share = 0.4;
  EXPECT_FALSE(CheckGeneratorOptions(options));
  options = TestOptions();
  options.encoding = "latin1";
  EXPECT_FALSE(Generator::Create(Schemas(), options));
  options = TestOptions();
  options.max_record_bytes = 100;
  EXPECT_FALSE(CheckGeneratorOptions(options));
  EXPECT_TRUE(CheckGeneratorOptions(TestOptions()));
}

TEST(GeneratorTest, WriteRecordsWritesOneLinePerRecordAndCountsThem) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  auto summary = WriteRecords(Schemas(), TestOptions(), 2000, file);
  ASSERT_TRUE(summary) << summary.error().ToString();
  EXPECT_EQ(summary->lines, 2000u);
  uint64_t total = 0;
  for (uint64_t n : summary->by_intent) total += n;
  EXPECT_EQ(total, 2000u);
  std::rewind(file);
  std::string content;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) content.append(buffer, n);
  std::fclose(file);
  EXPECT_EQ(content.size(), summary->bytes);
  EXPECT_EQ(static_cast<uint64_t>(std::count(content.begin(), content.end(), '\n')), 2000u);
  // The same records as Next() gives.
  const auto direct = Generate(TestOptions(), 2);
  EXPECT_EQ(content.substr(0, direct[0].line.size() + 1), direct[0].line + "\n");
}

}  // namespace
}  // namespace gongshi
