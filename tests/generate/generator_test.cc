// Tests for the record generator: determinism, the mix of intents, that every reject reason is
// produced and is the only one that applies, that the records meant to pass are well-formed JSON
// with valid identifiers and personal data in their free text, and that what it says it planted
// (PlantedToken) is there, in every form the adversarial mode promises.
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

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"
#include "pipeline/generate/corpus.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/validate/validator.h"
#include "tests/support/test_support.h"

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

// A PlantedToken copied out of the generator (whose views last until its next call).
struct Token {
  PlantedKind kind;
  std::string field;
  std::string bytes;
  std::string canonical;
};

struct Sample {
  std::string line;
  GeneratedRecord record;  // record.planted is cleared: the generator is gone
  std::vector<Token> tokens;
};

std::vector<Sample> Generate(const GeneratorOptions& options, size_t count) {
  Generator generator(Schemas(), options);
  std::vector<Sample> out(count);
  for (Sample& sample : out) {
    sample.record = generator.Next(sample.line);
    for (const PlantedToken& t : sample.record.planted) {
      sample.tokens.push_back(
          Token{t.kind, std::string(t.field), std::string(t.bytes), std::string(t.canonical)});
    }
    sample.record.planted = {};
  }
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
    // A null-valued Kafka message has no line to write: the generator cannot make one.
    if (RejectReasonCode(reason) == "kafka_tombstone") {
      EXPECT_FALSE(seen.count(reason)) << "a line cannot be a Kafka tombstone";
      continue;
    }
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
  options = TestOptions();
  options.pii_forms = static_cast<PiiForms>(7);
  status = CheckGeneratorOptions(options);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("pii_forms"), std::string::npos);
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

// ---- Realistic mode is what it was ----

// FNV-1a over everything WriteRecords writes.
uint64_t OutputHash(const GeneratorOptions& options, uint64_t count) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  auto summary = WriteRecords(Schemas(), options, count, file);
  EXPECT_TRUE(summary);
  std::rewind(file);
  uint64_t hash = 0xcbf29ce484222325ULL;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
    for (size_t i = 0; i < n; ++i) {
      hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 0x100000001b3ULL;
    }
  }
  std::fclose(file);
  return hash;
}

// The hashes were taken from the generator before the planted tokens and the adversarial forms
// existed (`gongshi generate --seed 42 --today 2025-06-01 --max-record-bytes 16384 ...` at
// 965870b): realistic output must not change, the tests and benchmarks depend on it.
TEST(GeneratorTest, RealisticOutputIsByteIdenticalToBeforeThePlantedTokens) {
  GeneratorOptions options = TestOptions();
  EXPECT_EQ(OutputHash(options, 20000), 0x3fd5c301975acfc4ULL);
  options.pii_forms = PiiForms::kRealistic;
  options.encoding = "gb18030";
  EXPECT_EQ(OutputHash(options, 5000), 0x374b3b7464a40dcbULL);
  options = TestOptions();
  options.seed = 7;
  options.natural_person_share = 1;
  EXPECT_EQ(OutputHash(options, 5000), 0x04398838ff41689dULL);
}

// ---- A reading of the planted tokens independent of the generator ----

void AppendUtf8(std::string& out, uint32_t cp) {
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

uint32_t CodePointAt(std::string_view s, size_t i, size_t& length) {
  const auto c = static_cast<unsigned char>(s[i]);
  length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  uint32_t cp = length == 1 ? c : c & (0xFF >> (length + 1));
  for (size_t k = 1; k < length && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
  return cp;
}

std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0, n = 0; i < s.size(); i += n) out.push_back(CodePointAt(s, i, n));
  return out;
}

// The separator classes the adversarial mode promises between digit groups.
constexpr std::string_view kSeparatorClassNames[] = {
    "space", "ideographic_space", "nbsp", "hyphen", "dot", "slash", "underscore"};
constexpr uint32_t kHyphenCodePoints[] = {0x2D,   0xFF0D, 0x2010, 0x2011, 0x2012,
                                          0x2013, 0x2014, 0x2015, 0x2212};
constexpr uint32_t kDotCodePoints[] = {0x2E, 0xFF0E, 0xB7, 0x30FB};

int SeparatorClassOf(uint32_t cp) {
  if (cp == ' ') return 0;
  if (cp == 0x3000) return 1;
  if (cp == 0xA0) return 2;
  if (std::find(std::begin(kHyphenCodePoints), std::end(kHyphenCodePoints), cp) !=
      std::end(kHyphenCodePoints)) {
    return 3;
  }
  if (std::find(std::begin(kDotCodePoints), std::end(kDotCodePoints), cp) !=
      std::end(kDotCodePoints)) {
    return 4;
  }
  if (cp == '/' || cp == 0xFF0F) return 5;
  if (cp == '_' || cp == 0xFF3F) return 6;
  return -1;
}

int DigitOf(uint32_t cp) {
  if (cp >= '0' && cp <= '9') return static_cast<int>(cp - '0');
  if (cp >= 0xFF10 && cp <= 0xFF19) return static_cast<int>(cp - 0xFF10);
  return -1;
}

bool IsXForm(uint32_t cp) { return cp == 'X' || cp == 'x' || cp == 0xFF38; }

struct NumberReading {
  std::string digits;  // without the prefix, 'X' for any form of the check character
  std::string prefix;  // "+86" "＋86" "0086" "86" or empty
  bool prefix_separated = false;
  std::vector<int> groups;
  std::set<int> separator_classes;
  std::set<uint32_t> separator_chars;
  size_t longest_separator_run = 0;
  bool spaced = false;  // ASCII spaces around another separator: " - "
  bool ascii = false, full = false;
  uint32_t x = 0;
  bool clean = true;  // nothing but digits, X, separators and a leading plus
};

NumberReading ReadNumber(std::string_view bytes, size_t canonical_digits) {
  NumberReading r;
  const std::vector<uint32_t> cps = CodePoints(bytes);
  size_t total = 0;
  for (uint32_t cp : cps) total += DigitOf(cp) >= 0 || IsXForm(cp);
  size_t prefix_digits = total > canonical_digits ? total - canonical_digits : 0;
  size_t i = 0;
  if (!cps.empty() && (cps[0] == '+' || cps[0] == 0xFF0B)) {
    r.prefix = cps[0] == '+' ? "+" : "＋";
    ++i;
  }
  size_t run = 0, group = 0;
  for (; i < cps.size(); ++i) {
    const uint32_t cp = cps[i];
    const int digit = DigitOf(cp);
    const int separator = SeparatorClassOf(cp);
    if (digit >= 0 || IsXForm(cp)) {
      run = 0;
      if (prefix_digits > 0) {
        r.prefix.push_back(static_cast<char>('0' + digit));
        if (--prefix_digits == 0)
          r.prefix_separated = i + 1 < cps.size() && SeparatorClassOf(cps[i + 1]) >= 0;
        continue;
      }
      if (digit >= 0) {
        r.digits.push_back(static_cast<char>('0' + digit));
        (cp < 0x80 ? r.ascii : r.full) = true;
      } else {
        r.digits.push_back('X');
        r.x = cp;
      }
      ++group;
    } else if (separator >= 0) {
      r.longest_separator_run = std::max(r.longest_separator_run, ++run);
      if (separator > 0 &&
          ((i > 0 && cps[i - 1] == ' ') || (i + 1 < cps.size() && cps[i + 1] == ' '))) {
        r.spaced = true;
      }
      r.separator_classes.insert(separator);
      r.separator_chars.insert(cp);
      if (group > 0) r.groups.push_back(static_cast<int>(group));
      group = 0;
    } else {
      r.clean = false;
    }
  }
  if (group > 0) r.groups.push_back(static_cast<int>(group));
  return r;
}

std::string GroupingName(const std::vector<int>& groups) {
  if (groups.size() == 1) return "none";
  std::string name;
  for (int g : groups) name += (name.empty() ? "" : "-") + std::to_string(g);
  return name;
}

// The named groupings the adversarial mode promises; anything else with several groups is random.
std::string GroupingFamily(std::string_view number_class, const std::vector<int>& groups) {
  const std::string name = GroupingName(groups);
  if (name == "none") return name;
  static const std::map<std::string_view, std::set<std::string>> kFamilies = {
      {"id18", {"6-8-4", "6-4-4-4", "3-3-4-4-4", "2-4-4-4-4"}},
      {"id15", {"6-6-3"}},
      {"mobile", {"3-4-4", "3-8", "4-4-3", "3-3-5"}},
      {"card16", {"4-4-4-4", "6-10"}},
      {"card19", {"4-4-4-4-3", "6-13"}}};
  return kFamilies.at(number_class).count(name) ? name : "random";
}

// Full-width letters, digits and dots as ASCII; every at-form as '@'.
struct EmailReading {
  std::string canonical;
  std::string at_form;
  bool spaced = false, full_dot = false, full_letters = false;
};

EmailReading ReadEmail(std::string_view bytes) {
  EmailReading r;
  size_t at = std::string_view::npos;
  for (std::string_view form : {"（at）", "【at】", "(at)", "[at]", "＠", "@", "#"}) {
    at = bytes.find(form);
    if (at != std::string_view::npos) {
      r.at_form = std::string(form);
      break;
    }
  }
  if (at == std::string_view::npos) return r;
  std::string_view local = bytes.substr(0, at);
  std::string_view domain = bytes.substr(at + r.at_form.size());
  if (local.ends_with(' ')) {
    local.remove_suffix(1);
    r.spaced = true;
  }
  if (domain.starts_with(' ')) {
    domain.remove_prefix(1);
    r.spaced = true;
  }
  auto ascii = [&](std::string_view part) {
    std::string out;
    for (uint32_t cp : CodePoints(part)) {
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        if (cp == 0xFF0E) {
          r.full_dot = true;
        } else {
          r.full_letters = true;
        }
        cp = cp - 0xFF01 + '!';
      }
      if (cp >= 0x80) return std::string("\x01");  // not an e-mail character
      out.push_back(static_cast<char>(cp));
    }
    return out;
  };
  r.canonical = ascii(local) + "@" + ascii(domain);
  return r;
}

const simdjson::dom::element& NamesJson() {
  static auto* parser = new simdjson::dom::parser;
  static const simdjson::dom::element names = [] {
    simdjson::dom::element root;
    const auto error = parser->load(SchemasDir() + "/names.json").get(root);
    if (error) {
      ADD_FAILURE() << "schemas/names.json: " << simdjson::error_message(error);
      std::abort();
    }
    return root;
  }();
  return names;
}

std::set<std::string> NamesList(std::string_view key) {
  std::set<std::string> out;
  simdjson::dom::array items;
  EXPECT_FALSE(NamesJson()[key].get(items)) << key;
  for (auto item : items) out.emplace(std::string_view(item));
  return out;
}

// A name's surname by the lead's dictionary (compound first, as redaction reads it).
std::string SurnameOf(const std::string& name) {
  static const auto compound = NamesList("surnames_compound");
  static const auto single = NamesList("surnames_single");
  for (const std::string& s : compound) {
    if (name.starts_with(s) && name.size() > s.size()) return s;
  }
  size_t length = 0;
  CodePointAt(name, 0, length);
  const std::string first = name.substr(0, length);
  return single.count(first) ? first : std::string();
}

// Any digit run that, read as leniently as a redactor may (full-width as ASCII, separators between
// digits dropped), is an ID number, a mobile or a bank card.
bool DigitsLookLikePii(std::string_view text) {
  std::string run;
  auto pii = [](const std::string& d) {
    const bool digits = d.find('X') == std::string::npos;
    auto mobile = [](std::string_view m) {
      return m.size() == 11 && m[0] == '1' && m[1] >= '3' && m[1] <= '9';
    };
    if (mobile(d) || (d.size() == 13 && d.starts_with("86") && mobile(d.substr(2)))) return true;
    if (d.size() == 15 && digits &&
        (IdBirthDay(d) || (d.starts_with("0086") && mobile(d.substr(4)))))
      return true;
    if ((d.size() == 16 || d.size() == 19) && digits && LuhnValid(d)) return true;
    return d.size() == 18 && IdChecksumValid(d) && IdBirthDay(d);
  };
  for (uint32_t cp : CodePoints(text)) {
    const int digit = DigitOf(cp);
    if (digit >= 0) {
      run.push_back(static_cast<char>('0' + digit));
    } else if (IsXForm(cp) && run.size() == 17) {
      run.push_back('X');
    } else if (!(SeparatorClassOf(cp) >= 0 && !run.empty())) {
      if (pii(run)) return true;
      run.clear();
    }
  }
  return pii(run);
}

// A date YYYY<sep>MM<sep>DD (ASCII digits; month and day of 1 or 2 digits where `short_parts`).
bool IsDate(std::string_view t, char sep, bool short_parts) {
  std::vector<size_t> sizes(1, 0);
  for (char c : t) {
    if (c == sep) {
      sizes.push_back(0);
    } else if (c >= '0' && c <= '9') {
      ++sizes.back();
    } else {
      return false;
    }
  }
  auto part = [&](size_t n) { return n == 2 || (short_parts && n == 1); };
  return sizes.size() == 3 && sizes[0] == 4 && part(sizes[1]) && part(sizes[2]);
}

// What a negative control is, read from its text.
std::string NegativeFamily(const std::string& t) {
  static const auto common_words = NamesList("common_words");
  if ((t.find("〔") != std::string::npos || t.find('[') != std::string::npos) &&
      t.ends_with("号")) {
    return "doc_no";
  }
  if (t.ends_with("万元")) return "money_wan";
  if (t.ends_with("元")) return t.find(',') != std::string::npos ? "money_comma" : "money_plain";
  if (t.starts_with("JY")) return "licence_jy";
  if (t.starts_with("SC")) return "licence_sc";
  if (t.starts_with("于") && t.find("年") != std::string::npos) return "role_date";
  if (t.starts_with("在")) return "role_place";
  if (t.ends_with("公司")) return "role_company";
  for (const std::string& word : common_words) {
    if (t.starts_with(word)) return "role_common_word";
  }
  if (t.find("至") != std::string::npos || t.find("—") != std::string::npos ||
      (t.size() == 21 && IsDate(t.substr(0, 10), '.', false) && t[10] == '-' &&
       IsDate(t.substr(11), '.', false))) {
    return "date_range";
  }
  if (t.find("年") != std::string::npos) return "date_chinese";
  if (IsDate(t, '-', false)) return "date_dash";
  if (IsDate(t, '/', true)) return "date_slash";
  if (IsDate(t, '.', false)) return "date_dot";
  if (t.starts_with("0") || t.starts_with("(") || t.starts_with("（")) return "landline";
  const NumberReading number = ReadNumber(t, std::string::npos);
  if (t.size() == 18 && UsccValid(t)) return "uscc";
  if (number.clean && number.digits.size() == 18) return "bad_checksum_id";
  if (number.clean && number.digits.size() == 15) return "not_id_15";
  return "other";
}

struct Coverage {
  std::map<std::string, size_t> counts;
  void Add(const std::string& key) { ++counts[key]; }
  size_t operator[](const std::string& key) const {
    auto it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
  }
};

std::string Hex(uint32_t cp) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", cp);
  return buffer;
}

// Checks every token of one parsed record (failing the test where one is not what it claims) and
// counts its forms.
void CheckTokens(const Sample& sample, const Parsed& parsed, Coverage& coverage) {
  const RecordSchema& schema = Schemas().For(parsed.kind);
  const std::string subject = FieldText(parsed, "subject_name");
  const std::string operator_name = FieldText(parsed, "legal_rep_name");
  static const auto roles = NamesList("roles");
  static const auto not_given_name = NamesList("not_given_name");
  for (size_t k = 0; k < sample.tokens.size(); ++k) {
    const Token& t = sample.tokens[k];
    const int field = schema.FieldIndex(t.field);
    ASSERT_GE(field, 0) << t.field;
    const auto text_it = parsed.text.find(field);
    ASSERT_NE(text_it, parsed.text.end()) << t.field << " is not a text of " << sample.line;
    const std::string& text = text_it->second;
    const size_t at = text.find(t.bytes);
    ASSERT_NE(at, std::string::npos) << PlantedKindName(t.kind) << " not in " << t.field;
    coverage.Add("field:" + t.field);
    coverage.Add(std::string("kind:") + std::string(PlantedKindName(t.kind)));
    // The neighbours of every occurrence.
    for (size_t pos = at; pos != std::string::npos; pos = text.find(t.bytes, pos + 1)) {
      const std::vector<uint32_t> before = CodePoints(text.substr(0, pos));
      const std::vector<uint32_t> after = CodePoints(text.substr(pos + t.bytes.size()));
      const uint32_t prev = before.empty() ? 0 : before.back();
      const uint32_t next = after.empty() ? 0 : after.front();
      if (t.kind == PlantedKind::kName) {
        if (next == U'某') coverage.Add("name:mou");
        for (const std::string& role : roles) {
          if (text.substr(0, pos).ends_with(role)) {
            coverage.Add("name:after_role");
            break;
          }
        }
        // Where a name ends is not a guess when a character that ends names follows (or no Han
        // at all). The realistic texts have a few that do not (殴打$M头部, 旅客$M入住).
        std::string next_char;
        AppendUtf8(next_char, next);
        if (!(next == 0 || next < 0x3400 || next > 0x9FFF || next == U'某' ||
              not_given_name.count(next_char))) {
          coverage.Add("name:runs_on");
        }
        continue;
      }
      if (t.kind == PlantedKind::kNegative) continue;
      if (prev == '*') coverage.Add("glue:star_ascii");
      if (prev == 0xFF0A) coverage.Add("glue:star_fullwidth");
      if (prev < 0x80 && std::isalpha(static_cast<int>(prev)) && t.kind != PlantedKind::kEmail) {
        coverage.Add("glue:letter_before");
      }
      if (next < 0x80 && std::isalpha(static_cast<int>(next)) && t.kind != PlantedKind::kEmail) {
        coverage.Add("glue:letter_after");
      }
      if (prev >= 0xFF10 && prev <= 0xFF19) coverage.Add("glue:fullwidth_digit_before");
      if (prev >= 0x4E00 && prev <= 0x9FFF && next >= 0x4E00 && next <= 0x9FFF) {
        coverage.Add("glue:han_both_sides");
      }
    }
    if (k + 1 < sample.tokens.size() && sample.tokens[k + 1].field == t.field &&
        text.find(t.bytes + sample.tokens[k + 1].bytes) != std::string::npos) {
      const PlantedKind next = sample.tokens[k + 1].kind;
      if (t.kind == PlantedKind::kEmail && next == PlantedKind::kMobile) {
        coverage.Add("glue:email_then_mobile");
      }
      if (t.kind == PlantedKind::kIdNumber && next == PlantedKind::kMobile) {
        coverage.Add("glue:id_then_mobile");
      }
      if (t.kind == PlantedKind::kMobile && next == PlantedKind::kEmail) {
        coverage.Add("glue:mobile_then_email");
      }
    }

    switch (t.kind) {
      case PlantedKind::kIdNumber:
      case PlantedKind::kMobile:
      case PlantedKind::kBankCard: {
        const NumberReading n = ReadNumber(t.bytes, t.canonical.size());
        EXPECT_TRUE(n.clean) << PlantedKindName(t.kind) << " carries more than digits";
        EXPECT_EQ(n.digits, t.canonical) << "the bytes do not read as the canonical number";
        EXPECT_LE(n.longest_separator_run, 3u);
        std::string number_class;
        if (t.kind == PlantedKind::kIdNumber) {
          number_class = t.canonical.size() == 18 ? "id18" : "id15";
          if (t.canonical.size() == 18) {
            EXPECT_TRUE(IdChecksumValid(t.canonical));
          } else {
            // The 15-digit number was issued until 1999.
            EXPECT_EQ(t.canonical.size(), 15u);
            EXPECT_LT(IdBirthDay(t.canonical).value_or(0), DaysFromCivil(1999, 1, 1));
          }
          EXPECT_TRUE(IdBirthDay(t.canonical).has_value()) << "no real birth date";
          if (n.x != 0) coverage.Add("x:" + Hex(n.x));
        } else if (t.kind == PlantedKind::kMobile) {
          number_class = "mobile";
          EXPECT_EQ(t.canonical.size(), 11u);
          EXPECT_TRUE(t.canonical[0] == '1' && t.canonical[1] >= '3' && t.canonical[1] <= '9');
          if (!n.prefix.empty()) {
            EXPECT_TRUE(n.prefix == "+86" || n.prefix == "＋86" || n.prefix == "0086" ||
                        n.prefix == "86")
                << n.prefix;
            coverage.Add("prefix:" + n.prefix);
            coverage.Add(n.prefix_separated ? "prefix:separated" : "prefix:glued");
          } else {
            coverage.Add("prefix:none");
          }
        } else {
          number_class = t.canonical.size() == 19 ? "card19" : "card16";
          EXPECT_TRUE(t.canonical.size() == 16 || t.canonical.size() == 19);
          EXPECT_TRUE(LuhnValid(t.canonical));
          coverage.Add(std::string("bin:") +
                       (t.canonical.starts_with("62") ? "62" : t.canonical.substr(0, 1)));
        }
        if (t.kind != PlantedKind::kMobile) {
          EXPECT_TRUE(n.prefix.empty());
        }
        coverage.Add("class:" + number_class);
        coverage.Add("grouping:" + number_class + ":" + GroupingFamily(number_class, n.groups));
        coverage.Add(std::string("digits:") + (n.ascii && n.full ? "mixed"
                                               : n.full          ? "fullwidth"
                                                                 : "ascii"));
        for (int c : n.separator_classes)
          coverage.Add("separator:" + std::string(kSeparatorClassNames[c]));
        for (uint32_t cp : n.separator_chars) coverage.Add("separator_char:" + Hex(cp));
        if (n.spaced) coverage.Add("separator:spaced");
        break;
      }
      case PlantedKind::kEmail: {
        const EmailReading e = ReadEmail(t.bytes);
        EXPECT_EQ(e.canonical, t.canonical) << "the bytes do not read as the canonical e-mail";
        const size_t at_sign = t.canonical.find('@');
        ASSERT_NE(at_sign, std::string::npos);
        const std::string local = t.canonical.substr(0, at_sign);
        EXPECT_EQ(t.canonical.find('@', at_sign + 1), std::string::npos);
        EXPECT_NE(t.canonical.find('.', at_sign), std::string::npos);
        coverage.Add("email:at:" + e.at_form);
        if (e.spaced) coverage.Add("email:spaced");
        if (e.full_dot) coverage.Add("email:fullwidth_dot");
        if (e.full_letters) coverage.Add("email:fullwidth_letters");
        if (local.find('.') != std::string::npos) coverage.Add("email:local_dot");
        if (local.find('_') != std::string::npos) coverage.Add("email:local_underscore");
        if (std::all_of(local.begin(), local.end(), ::isdigit)) coverage.Add("email:local_digits");
        break;
      }
      case PlantedKind::kName: {
        std::string joined;
        bool separated = false;
        for (uint32_t cp : CodePoints(t.bytes)) {
          if (cp == ' ' || cp == 0x3000 || cp == 0xB7) {
            separated = true;
            continue;
          }
          AppendUtf8(joined, cp);
        }
        EXPECT_EQ(joined, t.canonical);
        const std::string surname = SurnameOf(t.canonical);
        EXPECT_FALSE(surname.empty()) << "a surname outside schemas/names.json";
        const size_t given = CodePoints(t.canonical).size() - CodePoints(surname).size();
        EXPECT_TRUE(given == 1 || given == 2);
        if (separated) coverage.Add("name:separated");
        if (surname.size() > 3) coverage.Add("name:compound_surname");
        const bool own = t.canonical == subject || t.canonical == operator_name;
        coverage.Add(own ? "name:own" : "name:other");
        break;
      }
      case PlantedKind::kNegative: {
        EXPECT_EQ(t.bytes, t.canonical);
        EXPECT_FALSE(DigitsLookLikePii(t.bytes)) << "a negative control that reads as PII";
        const std::string family = NegativeFamily(t.bytes);
        // (A negative control is no personal data: it may be printed.)
        EXPECT_NE(family, "other") << "a negative control of no family: " << t.bytes;
        if (family == "bad_checksum_id") {
          EXPECT_FALSE(IdChecksumValid(ReadNumber(t.bytes, 18).digits));
        }
        if (family == "not_id_15") {
          EXPECT_FALSE(IdBirthDay(t.bytes).has_value());
        }
        coverage.Add("negative:" + family);
        break;
      }
    }
  }
}

GeneratorOptions AdversarialOptions() {
  GeneratorOptions options = TestOptions();
  options.seed = 2026;
  options.pii_forms = PiiForms::kAdversarial;
  return options;
}

const std::vector<Sample>& AdversarialSample() {
  static const auto* sample = new std::vector<Sample>(Generate(AdversarialOptions(), 5000));
  return *sample;
}

TEST(GeneratorTest, PiiFormsHaveNames) {
  EXPECT_EQ(PiiFormsFromName("realistic"), PiiForms::kRealistic);
  EXPECT_EQ(PiiFormsFromName("adversarial"), PiiForms::kAdversarial);
  EXPECT_FALSE(PiiFormsFromName("Adversarial").has_value());
  EXPECT_EQ(PiiFormsName(PiiForms::kAdversarial), "adversarial");
  EXPECT_EQ(PlantedKindName(PlantedKind::kBankCard), "bank_card");
}

// The adversarial sample's seed in realistic mode.
const std::vector<Sample>& RealisticTwinSample() {
  static const auto* sample = [] {
    GeneratorOptions options = AdversarialOptions();
    options.pii_forms = PiiForms::kRealistic;
    return new std::vector<Sample>(Generate(options, 5000));
  }();
  return *sample;
}

// The adversarial forms come from a random stream of their own: the records (kind, intent,
// reason, why withheld) are the realistic ones for the seed, only their free text has more in it.
TEST(GeneratorTest, AdversarialRecordsAreTheRealisticRecordsWithMoreInTheirText) {
  const auto& plain = RealisticTwinSample();
  const auto& adversarial = AdversarialSample();
  size_t longer = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    ASSERT_EQ(plain[i].record.intent, adversarial[i].record.intent) << i;
    ASSERT_EQ(plain[i].record.reason, adversarial[i].record.reason) << i;
    ASSERT_EQ(plain[i].record.withhold, adversarial[i].record.withhold) << i;
    ASSERT_EQ(plain[i].record.kind, adversarial[i].record.kind) << i;
    longer += adversarial[i].line.size() > plain[i].line.size();
  }
  EXPECT_GT(longer, 1000u);
  // And the same seed gives the same bytes and tokens.
  const auto again = Generate(AdversarialOptions(), 500);
  for (size_t i = 0; i < again.size(); ++i) {
    ASSERT_EQ(again[i].line, adversarial[i].line) << i;
    ASSERT_EQ(again[i].tokens.size(), adversarial[i].tokens.size()) << i;
    for (size_t k = 0; k < again[i].tokens.size(); ++k) {
      EXPECT_EQ(again[i].tokens[k].bytes, adversarial[i].tokens[k].bytes);
    }
  }
}

TEST(GeneratorTest, AdversarialRecordsValidateAsIntended) {
  // The reference reading of this file, and the parse and validate stages themselves.
  JsonParser parser(Schemas(), ParserOptions{.max_record_bytes = kTestRecordBytes});
  Validator validator(Schemas(), ValidatorOptions{.today = kToday});
  RecordBatch batch;
  const auto& sample = AdversarialSample();
  size_t invalid = 0, valid = 0;
  for (size_t begin = 0; begin < sample.size(); begin += 500) {
    std::vector<std::string> lines;
    for (size_t i = begin; i < std::min(sample.size(), begin + 500); ++i) {
      lines.push_back(sample[i].line);
    }
    testing::FillBatch(batch, lines);
    parser.Process(batch);
    validator.Process(batch);
    for (size_t j = 0; j < lines.size(); ++j) {
      const Sample& s = sample[begin + j];
      const Record& r = batch.records[j];
      const auto reasons = ReasonsFor(s.line);
      if (s.record.intent == Intent::kInvalid) {
        ++invalid;
        EXPECT_EQ(reasons, std::set<RejectReason>{s.record.reason})
            << "intended " << RejectReasonCode(s.record.reason) << ": " << s.line.substr(0, 400);
        EXPECT_EQ(r.reject_reason, s.record.reason)
            << "validator: " << RejectReasonCode(r.reject_reason) << " field " << r.reject_field;
      } else {
        ++valid;
        EXPECT_TRUE(reasons.empty()) << RejectReasonCode(*reasons.begin()) << ": " << s.line;
        EXPECT_TRUE(r.pending()) << RejectReasonCode(r.reject_reason) << " field "
                                 << r.reject_field;
        EXPECT_LE(s.line.size(), kTestRecordBytes);
        // Nothing in the added text marks a record confidential (gongshi.example.yaml's
        // redaction.withhold.confidential_markers).
        if (s.record.withhold == WithholdReason::kNone) {
          Parsed parsed;
          ReasonsFor(s.line, &parsed);
          const std::string text = FreeText(parsed);
          for (std::string_view marker : {"不予公示", "涉密", "不公开"}) {
            EXPECT_EQ(text.find(marker), std::string::npos) << marker;
          }
        }
      }
    }
  }
  EXPECT_GT(invalid, 50u);
  EXPECT_GT(valid, 4500u);
}

TEST(GeneratorTest, AdversarialGb18030OutputIsTheUtf8OutputTranscoded) {
  GeneratorOptions options = AdversarialOptions();
  options.encoding = "gb18030";
  const auto gb = Generate(options, 2000);
  const auto& utf8 = AdversarialSample();
  for (size_t i = 0; i < gb.size(); ++i) {
    bool ok = false;
    const std::string back = Gb18030ToUtf8(gb[i].line, ok);
    if (gb[i].record.reason == RejectReason::kInvalidEncoding ||
        gb[i].record.reason == RejectReason::kRecordTooLarge) {
      continue;
    }
    ASSERT_TRUE(ok) << i;
    EXPECT_EQ(back, utf8[i].line) << i;
  }
}

// Both modes: every token is in its field, exactly, and its bytes read (by this file's own
// reading) as its canonical form, which is a valid number, e-mail or dictionary name.
TEST(GeneratorTest, EveryPlantedTokenIsInItsFieldAndReadsAsItsCanonicalForm) {
  for (const auto* sample : {&DefaultSample(), &AdversarialSample()}) {
    Coverage coverage;
    size_t records = 0, checked = 0;
    for (const Sample& s : *sample) {
      Parsed parsed;
      ReasonsFor(s.line, &parsed);
      if (parsed.kind == RecordKind::kUnknown) {
        // A line broken so that no field can be read (json_syntax, json_not_object...).
        EXPECT_EQ(s.record.intent, Intent::kInvalid);
        continue;
      }
      ++records;
      checked += s.tokens.size();
      CheckTokens(s, parsed, coverage);
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(records, 4000u);
    EXPECT_GT(checked, 10000u);
    EXPECT_GT(coverage["kind:id_number"], 1000u);
    EXPECT_GT(coverage["kind:mobile"], 1000u);
    EXPECT_GT(coverage["kind:name"], 1000u);
  }
}

// Every natural person's record says something was planted, and what the generator planted in
// it is everything of the person's that is in the text.
TEST(GeneratorTest, NaturalPersonsRecordsListTheirPlantedData) {
  for (const auto* sample : {&DefaultSample(), &AdversarialSample()}) {
    size_t persons = 0, listed = 0;
    for (const Sample& s : *sample) {
      if (s.record.intent == Intent::kInvalid) continue;
      Parsed parsed;
      ReasonsFor(s.line, &parsed);
      const RecordSchema& schema = Schemas().For(parsed.kind);
      if (Canonical(schema, schema.FieldIndex("subject_category"),
                    FieldText(parsed, "subject_category")) != "自然人") {
        continue;
      }
      ++persons;
      listed += !s.tokens.empty();
      // The person's ID number, wherever the text carries it plainly, is listed.
      const std::string id = FieldText(parsed, "subject_id_no");
      if (id.size() != 18) continue;
      for (std::string_view name :
           {"violation_facts", "penalty_content", "license_content", "remark", "legal_basis"}) {
        const std::string text = FieldText(parsed, name);
        if (text.find(id) == std::string::npos) continue;
        const bool found = std::any_of(s.tokens.begin(), s.tokens.end(), [&](const Token& t) {
          return t.field == name && t.canonical == id && t.bytes.find(id) != std::string::npos;
        });
        EXPECT_TRUE(found) << "the subject's ID number in " << name << " is not listed";
      }
    }
    EXPECT_GT(listed, persons * 95 / 100);
  }
}

// A name the adversarial mode adds is followed by a character that ends names (names.json
// "not_given_name"), 某, punctuation or no Han at all: where it stops is never a guess. Counted
// against the realistic record of the same seed, whose text is the adversarial one without the
// additions (a few realistic sentences do run on: 殴打$M头部).
TEST(GeneratorTest, AdversarialNamesEndWhereAReaderCanTell) {
  const auto not_given_name = NamesList("not_given_name");
  auto runs_on = [&](const std::string& text, const std::string& name) {
    size_t n = 0;
    for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
      const size_t end = at + name.size();
      if (end >= text.size()) continue;
      size_t length = 0;
      const uint32_t next = CodePointAt(text, end, length);
      n += next >= 0x3400 && next <= 0x9FFF && next != U'某' &&
           !not_given_name.count(text.substr(end, length));
    }
    return n;
  };
  size_t names = 0;
  for (size_t i = 0; i < AdversarialSample().size(); ++i) {
    const Sample& adversarial = AdversarialSample()[i];
    const Sample& plain = RealisticTwinSample()[i];
    Parsed a, p;
    ReasonsFor(adversarial.line, &a);
    ReasonsFor(plain.line, &p);
    if (a.kind == RecordKind::kUnknown) continue;
    std::set<std::pair<std::string, std::string>> seen;
    for (const Token& t : adversarial.tokens) {
      if (t.kind != PlantedKind::kName || !seen.emplace(t.field, t.bytes).second) continue;
      ++names;
      EXPECT_EQ(runs_on(FieldText(a, t.field), t.bytes), runs_on(FieldText(p, t.field), t.bytes))
          << "an added name in " << t.field << " runs on into the next word";
    }
  }
  EXPECT_GT(names, 2000u);
}

TEST(GeneratorTest, EveryAdversarialFormOccursIn5000Records) {
  Coverage coverage;
  for (const Sample& s : AdversarialSample()) {
    Parsed parsed;
    ReasonsFor(s.line, &parsed);
    if (parsed.kind != RecordKind::kUnknown) CheckTokens(s, parsed, coverage);
  }
  std::vector<std::string> required = {"class:id18",
                                       "class:id15",
                                       "class:mobile",
                                       "class:card16",
                                       "class:card19",
                                       "kind:email",
                                       "kind:name",
                                       "kind:negative",
                                       "digits:ascii",
                                       "digits:fullwidth",
                                       "digits:mixed",
                                       "x:U+0058",
                                       "x:U+0078",
                                       "x:U+FF38",
                                       "prefix:+86",
                                       "prefix:＋86",
                                       "prefix:0086",
                                       "prefix:86",
                                       "prefix:glued",
                                       "prefix:separated",
                                       "prefix:none",
                                       "separator:spaced",
                                       "bin:62",
                                       "bin:4",
                                       "bin:5",
                                       "email:at:@",
                                       "email:at:＠",
                                       "email:at:(at)",
                                       "email:at:[at]",
                                       "email:at:（at）",
                                       "email:at:【at】",
                                       "email:at:#",
                                       "email:spaced",
                                       "email:fullwidth_dot",
                                       "email:fullwidth_letters",
                                       "email:local_dot",
                                       "email:local_underscore",
                                       "email:local_digits",
                                       "glue:star_ascii",
                                       "glue:star_fullwidth",
                                       "glue:letter_before",
                                       "glue:letter_after",
                                       "glue:fullwidth_digit_before",
                                       "glue:han_both_sides",
                                       "glue:email_then_mobile",
                                       "glue:id_then_mobile",
                                       "glue:mobile_then_email",
                                       "name:own",
                                       "name:other",
                                       "name:separated",
                                       "name:mou",
                                       "name:compound_surname",
                                       "name:after_role",
                                       "field:violation_facts",
                                       "field:penalty_content",
                                       "field:license_content",
                                       "field:remark",
                                       "field:legal_basis"};
  for (std::string_view c : kSeparatorClassNames) required.push_back("separator:" + std::string(c));
  for (uint32_t cp : kHyphenCodePoints) required.push_back("separator_char:" + Hex(cp));
  for (uint32_t cp : kDotCodePoints) required.push_back("separator_char:" + Hex(cp));
  for (uint32_t cp : {0x2Fu, 0xFF0Fu, 0x5Fu, 0xFF3Fu})
    required.push_back("separator_char:" + Hex(cp));
  const std::map<std::string, std::vector<std::string>> groupings = {
      {"id18", {"6-8-4", "6-4-4-4", "3-3-4-4-4", "2-4-4-4-4"}},
      {"id15", {"6-6-3"}},
      {"mobile", {"3-4-4", "3-8", "4-4-3", "3-3-5"}},
      {"card16", {"4-4-4-4", "6-10"}},
      {"card19", {"4-4-4-4-3", "6-13"}}};
  for (const auto& [number_class, names] : groupings) {
    for (const std::string& name : names)
      required.push_back("grouping:" + number_class + ":" + name);
    required.push_back("grouping:" + number_class + ":random");
    required.push_back("grouping:" + number_class + ":none");
  }
  for (std::string_view family :
       {"bad_checksum_id", "not_id_15", "date_dash", "date_slash", "date_dot", "date_chinese",
        "date_range", "doc_no", "money_comma", "money_plain", "money_wan", "licence_jy",
        "licence_sc", "uscc", "role_company", "role_place", "role_date", "role_common_word",
        "landline"}) {
    required.push_back("negative:" + std::string(family));
  }
  for (const std::string& key : required) {
    EXPECT_GE(coverage[key], 10u) << key << " occurs " << coverage[key] << " times";
  }
  // The distribution, for the record (counts only: no token is printed).
  for (const auto& [key, n] : coverage.counts) std::printf("  %-40s %zu\n", key.c_str(), n);
}

// Every surname the generator uses, and every role word it names people after, is in the lead's
// dictionary (schemas/names.json), which the redactor reads; common words are ones it knows.
TEST(GeneratorTest, EverySurnameAndRoleWordIsInNamesJson) {
  const auto single = NamesList("surnames_single");
  const auto compound = NamesList("surnames_compound");
  const auto roles = NamesList("roles");
  const auto common_words = NamesList("common_words");
  const auto not_given_name = NamesList("not_given_name");
  ASSERT_GT(single.size(), 100u);
  for (auto list : {corpus::Surnames(), corpus::ExtraSurnames()}) {
    for (std::string_view s : list) EXPECT_TRUE(single.count(std::string(s))) << s;
  }
  for (auto list : {corpus::CompoundSurnames(), corpus::ExtraCompoundSurnames()}) {
    for (std::string_view s : list) EXPECT_TRUE(compound.count(std::string(s))) << s;
  }
  for (auto list : {corpus::OwnRoles(), corpus::LicenseOwnRoles(), corpus::OtherRoles()}) {
    for (std::string_view r : list) EXPECT_TRUE(roles.count(std::string(r))) << r;
  }
  for (std::string_view word : corpus::RoleCommonWords()) {
    EXPECT_TRUE(std::any_of(common_words.begin(), common_words.end(), [&](const std::string& w) {
      return word.starts_with(w);
    })) << word;
  }
  for (std::string_view ch : corpus::GivenNameChars()) {
    EXPECT_FALSE(not_given_name.count(std::string(ch))) << ch << " cannot be in a given name";
  }
  for (std::string_view follower : corpus::NameFollowers()) {
    size_t length = 0;
    const uint32_t first = CodePointAt(follower, 0, length);
    EXPECT_TRUE(not_given_name.count(std::string(follower.substr(0, length))) || first < 0x3400 ||
                first > 0x9FFF)
        << follower << " could be read as part of the name before it";
  }
}

// The tokens live in the generator's reused storage: the span of a warm generator points into the
// same buffer record after record, and nothing of a record's tokens survives into the next.
TEST(GeneratorTest, PlantedTokensReuseTheGeneratorsStorage) {
  Generator generator(Schemas(), AdversarialOptions());
  std::string line;
  for (int i = 0; i < 3000; ++i) generator.Next(line);
  std::set<const PlantedToken*> buffers;
  size_t with_tokens = 0;
  for (int i = 0; i < 2000; ++i) {
    const GeneratedRecord r = generator.Next(line);
    if (r.planted.empty()) continue;
    ++with_tokens;
    buffers.insert(r.planted.data());
  }
  EXPECT_GT(with_tokens, 300u);
  EXPECT_LE(buffers.size(), 2u);
}

TEST(GeneratorTest, WriteRecordsWritesOnePlantedLinePerRecord) {
  std::FILE* records = std::tmpfile();
  std::FILE* planted = std::tmpfile();
  ASSERT_TRUE(records != nullptr && planted != nullptr);
  auto summary = WriteRecords(Schemas(), AdversarialOptions(), 1000, records, planted);
  ASSERT_TRUE(summary) << summary.error().ToString();
  std::rewind(planted);
  std::string content;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, planted)) > 0;)
    content.append(buffer, n);
  std::fclose(records);
  std::fclose(planted);
  const auto& direct = AdversarialSample();
  simdjson::dom::parser parser;
  size_t line_number = 0, begin = 0, tokens = 0;
  std::array<uint64_t, kPlantedKindCount> by_kind{};
  for (size_t end; (end = content.find('\n', begin)) != std::string::npos; begin = end + 1) {
    ++line_number;
    simdjson::dom::element root;
    ASSERT_FALSE(parser.parse(content.substr(begin, end - begin)).get(root)) << line_number;
    EXPECT_EQ(uint64_t(root["line"]), line_number);
    const Sample& s = direct[line_number - 1];
    EXPECT_EQ(std::string_view(root["intent"]), IntentName(s.record.intent));
    simdjson::dom::array list = root["tokens"];
    ASSERT_EQ(list.size(), s.tokens.size()) << line_number;
    size_t k = 0;
    for (auto item : list) {
      const Token& t = s.tokens[k++];
      EXPECT_EQ(std::string_view(item["kind"]), PlantedKindName(t.kind));
      EXPECT_EQ(std::string_view(item["field"]), t.field);
      EXPECT_EQ(std::string_view(item["bytes"]), t.bytes);
      EXPECT_EQ(std::string_view(item["canonical"]), t.canonical);
      ++by_kind[static_cast<size_t>(t.kind)];
      ++tokens;
    }
  }
  EXPECT_EQ(line_number, 1000u);
  EXPECT_EQ(summary->planted, by_kind);
  EXPECT_GT(tokens, 1000u);
}

}  // namespace
}  // namespace gongshi
