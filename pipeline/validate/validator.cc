#include "pipeline/validate/validator.h"

#include <cstring>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"

namespace gongshi {
namespace {

std::string_view Trim(std::string_view s) {
  auto space = [](std::string_view t, size_t at) -> size_t {
    if (at < t.size() && (t[at] == ' ' || t[at] == '\t' || t[at] == '\r' || t[at] == '\n')) {
      return 1;
    }
    // U+3000 ideographic space, common in hand-typed Chinese.
    if (at + 3 <= t.size() && t.substr(at, 3) == "\xE3\x80\x80") return 3;
    return 0;
  };
  while (size_t n = space(s, 0)) s.remove_prefix(n);
  while (!s.empty()) {
    if (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n') {
      s.remove_suffix(1);
    } else if (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

// Separators real feeds put between penalty categories: 、 , ; ， ； | and whitespace.
size_t SeparatorAt(std::string_view s, size_t at) {
  const char c = s[at];
  if (c == ',' || c == ';' || c == '|' || c == ' ' || c == '\t' || c == '/') return 1;
  if (at + 3 <= s.size()) {
    const std::string_view three = s.substr(at, 3);
    if (three == "、" || three == "，" || three == "；" || three == "\xE3\x80\x80") return 3;
  }
  return 0;
}

}  // namespace

Validator::Validator(const SchemaSet& schemas, ValidatorOptions options)
    : schemas_(schemas), options_(options) {
  if (options_.today == 0) options_.today = TodayInShanghai();
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const RecordSchema& schema = schemas_.For(kind);
    KindTables& t = tables_[static_cast<int>(kind)];
    t.subject_category = schema.FieldIndex("subject_category");
    if (t.subject_category >= 0)
      t.natural_person_value = schema.EnumIndex(t.subject_category, "自然人");
    const int id_type = schema.FieldIndex("subject_id_type");
    if (id_type >= 0) t.id_card_value = schema.EnumIndex(id_type, "身份证");
  }
}

void Validator::Process(RecordBatch& batch) const { Process(batch.records, batch.arena); }

void Validator::Process(std::span<Record> records, Arena& arena) const {
  for (Record& record : records) {
    if (record.pending()) Validate(record, arena);
  }
}

size_t Validator::CountChars(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<int64_t> Validator::ParseWanYuan(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  int64_t whole = 0;
  size_t i = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    if (whole > 1'000'000'000'000LL) return std::nullopt;  // beyond any plausible amount
    whole = whole * 10 + (text[i] - '0');
  }
  int64_t fraction = 0;
  int places = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++places > 6) return std::nullopt;  // finer than 0.01 yuan
      fraction = fraction * 10 + (text[i] - '0');
    }
    if (places == 0) return std::nullopt;
  }
  if (i != text.size() || digits == 0) return std::nullopt;  // exponents, letters, units
  for (int p = places; p < 6; ++p) fraction *= 10;
  const int64_t cents = whole * 1'000'000 + fraction;
  return negative ? -cents : cents;
}

bool Validator::CheckField(const RecordSchema& schema, int index, Record& record,
                           Arena& arena) const {
  const FieldSpec& spec = schema.field(index);
  std::string_view value = record.fields[index];
  if (spec.max_length_chars != 0 && value.size() > spec.max_length_chars &&
      CountChars(value) > spec.max_length_chars) {
    record.Reject(RejectReason::kFieldTooLong, index);
    return false;
  }
  switch (spec.format) {
    case FieldFormat::kText: return true;
    case FieldFormat::kEnum: {
      const std::string_view trimmed = Trim(value);
      const int e = schema.EnumIndex(index, trimmed);
      if (e < 0) {
        record.Reject(RejectReason::kEnumInvalid, index);
        return false;
      }
      record.values[index] = e;
      // Publish the canonical value, except for a "其他-…" form that names the specific kind.
      const std::string& canonical = spec.enum_values[e];
      if (trimmed.substr(0, canonical.size()) != canonical || trimmed.size() == canonical.size()) {
        record.fields[index] = canonical;
      }
      return true;
    }
    case FieldFormat::kUscc:
    case FieldFormat::kOrgCode:
    case FieldFormat::kIdNumber: {
      char* out = arena.Allocate(value.size());
      const std::optional<size_t> n = NormalizeIdentifier(value, out, value.size());
      const std::string_view code = n ? std::string_view(out, *n) : value;
      record.fields[index] = code;
      if (spec.format == FieldFormat::kUscc) {
        if (!spec.placeholder.empty() && code == spec.placeholder)
          return true;  // cross-checked later
        if (!UsccWellFormed(code)) {
          record.Reject(RejectReason::kUsccFormat, index);
          return false;
        }
        if (!UsccValid(code)) {
          record.Reject(RejectReason::kUsccChecksum, index);
          return false;
        }
        return true;
      }
      if (spec.format == FieldFormat::kOrgCode) {
        if (!OrgCodeValid(code)) {
          record.Reject(RejectReason::kOrgCodeChecksum, index);
          return false;
        }
        return true;
      }
      // 证件号码: GB 11643 applies when the id-type field says 身份证, or when no type is given and
      // the value has the shape of a resident ID number (legacy *_SFZ fields have no type).
      bool is_resident_id = false;
      if (spec.id_type_field >= 0 && record.present.test(spec.id_type_field) &&
          !record.fields[spec.id_type_field].empty()) {
        const int type =
            schema.EnumIndex(spec.id_type_field, Trim(record.fields[spec.id_type_field]));
        is_resident_id =
            type >= 0 && schema.field(spec.id_type_field).enum_values[type] == "身份证";
      } else {
        is_resident_id = code.size() == 18 || code.size() == 15;
      }
      if (!is_resident_id) return true;
      if (code.size() == 18) {
        if (!IdChecksumValid(code)) {
          record.Reject(RejectReason::kIdNumberChecksum, index);
          return false;
        }
      } else if (code.size() != 15) {
        record.Reject(RejectReason::kIdNumberChecksum, index, "not 18 (or 15) characters");
        return false;
      }
      const std::optional<int32_t> birth = IdBirthDay(code);
      if (!birth || *birth > options_.today) {
        record.Reject(RejectReason::kIdNumberBirthDate, index);
        return false;
      }
      record.values[index] = *birth;  // the redactor uses it to withhold minors
      return true;
    }
    case FieldFormat::kDate: {
      const std::optional<int32_t> day = ParseDate(Trim(value));
      if (!day) {
        record.Reject(RejectReason::kDateFormat, index);
        return false;
      }
      record.values[index] = *day;
      return true;
    }
    case FieldFormat::kMoneyWanYuan: {
      const std::optional<int64_t> cents = ParseWanYuan(value);
      if (!cents || *cents < 0) {
        record.Reject(RejectReason::kMoneyFormat, index);
        return false;
      }
      if (spec.max_cents != 0 && *cents > spec.max_cents) {
        record.Reject(RejectReason::kMoneyImplausible, index);
        return false;
      }
      record.values[index] = *cents;
      return true;
    }
    case FieldFormat::kPenaltyCategories: {
      uint64_t mask = 0;
      size_t start = 0;
      auto take = [&](size_t end) -> bool {
        const std::string_view term = Trim(value.substr(start, end - start));
        if (term.empty()) return true;
        auto it = spec.vocabulary.find(term);
        if (it == spec.vocabulary.end()) {
          // 其他-<specific kind> is 其他.
          if (term.substr(0, 6) == "其他") {
            const auto other = spec.vocabulary.find(std::string_view("其他"));
            if (other == spec.vocabulary.end()) return false;
            mask |= other->second;
            return true;
          }
          return false;
        }
        mask |= it->second;
        return true;
      };
      for (size_t i = 0; i < value.size();) {
        if (const size_t sep = SeparatorAt(value, i)) {
          if (!take(i)) break;
          i += sep;
          start = i;
        } else {
          ++i;
        }
      }
      if (start <= value.size() && !take(value.size())) mask = 0;
      if (mask == 0) {
        record.Reject(RejectReason::kPenaltyCategoryInvalid, index);
        return false;
      }
      record.values[index] = static_cast<int64_t>(mask);
      // Publish the canonical 2021 terms, joined with 、.
      size_t bytes = 0;
      for (size_t b = 0; b < spec.enum_values.size(); ++b) {
        if (mask >> b & 1) bytes += spec.enum_values[b].size() + 3;
      }
      char* out = arena.Allocate(bytes);
      size_t used = 0;
      for (size_t b = 0; b < spec.enum_values.size(); ++b) {
        if (!(mask >> b & 1)) continue;
        if (used != 0) {
          std::memcpy(out + used, "、", 3);
          used += 3;
        }
        std::memcpy(out + used, spec.enum_values[b].data(), spec.enum_values[b].size());
        used += spec.enum_values[b].size();
      }
      record.fields[index] = std::string_view(out, used);
      return true;
    }
  }
  return true;
}

void Validator::Validate(Record& record, Arena& arena) const {
  const RecordSchema& schema = schemas_.For(record.kind);
  const int count = schema.field_count();
  // Absent, empty and whitespace-only values are all "not given".
  for (int i = 0; i < count; ++i) {
    if (record.present.test(i) && Trim(record.fields[i]).empty()) {
      record.present.reset(i);
      record.fields[i] = {};
    }
  }
  // A credit-repair event names the published record and nothing else.
  const bool repair = schema.repair_field() >= 0 && record.present.test(schema.repair_field());
  if (repair) {
    for (int i : schema.repair_required()) {
      if (!record.present.test(i)) {
        record.Reject(RejectReason::kFieldMissing, i);
        return;
      }
    }
  } else {
    for (int i = 0; i < count; ++i) {
      if (schema.field(i).required && !record.present.test(i)) {
        record.Reject(RejectReason::kFieldMissing, i);
        return;
      }
    }
  }
  for (int i = 0; i < count; ++i) {
    if (record.present.test(i) && !CheckField(schema, i, record, arena)) return;
  }
  for (int i = 0; i < count; ++i) {
    if (!record.present.test(i)) continue;
    const FieldSpec& spec = schema.field(i);
    if (spec.format == FieldFormat::kDate) {
      if (spec.not_future && record.values[i] > options_.today) {
        record.Reject(RejectReason::kDecisionDateInFuture, i);
        return;
      }
      if (spec.not_before_field >= 0 && record.present.test(spec.not_before_field) &&
          record.values[i] < record.values[spec.not_before_field]) {
        record.Reject(RejectReason::kDateRangeOrder, i);
        return;
      }
    }
    if (spec.format == FieldFormat::kUscc && !spec.placeholder.empty() &&
        record.fields[i] == spec.placeholder) {
      // 00000000000000000X: only for 个体工商户, and then 工商注册号 must be given (domain §2.4).
      const int category = tables_[static_cast<int>(record.kind)].subject_category;
      const bool allowed = spec.placeholder_allowed_category.empty() ||
                           (category >= 0 && record.present.test(category) &&
                            record.fields[category] == spec.placeholder_allowed_category);
      if (!allowed) {
        record.Reject(RejectReason::kUsccPlaceholderNotAllowed, i);
        return;
      }
      if (spec.placeholder_requires_field >= 0 &&
          !record.present.test(spec.placeholder_requires_field)) {
        record.Reject(RejectReason::kBusinessRegNoMissing, spec.placeholder_requires_field);
        return;
      }
    }
  }
  if (repair) return;  // the rules below are about a decision's content
  for (const ConditionalRule& rule : schema.rules()) {
    if (!record.present.test(rule.if_field)) continue;
    const uint64_t have = rule.contains ? static_cast<uint64_t>(record.values[rule.if_field])
                                        : uint64_t{1} << record.values[rule.if_field];
    if ((have & rule.value_mask) == 0) continue;
    for (int f : rule.then_required) {
      if (!record.present.test(f)) {
        record.Reject(rule.reason, f);
        return;
      }
    }
    for (int f : rule.then_positive) {
      if (record.present.test(f) && record.values[f] <= 0) {
        record.Reject(rule.reason, f);
        return;
      }
    }
  }
}

}  // namespace gongshi
