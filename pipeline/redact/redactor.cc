#include "pipeline/redact/redactor.h"

#include <array>
#include <cstring>
#include <filesystem>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/identifiers.h"

namespace gongshi {
namespace {

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// The 18th birthday as a day number (29 Feb births have theirs on 1 Mar in non-leap years). Age
// in 周岁 is counted from the day after the birthday (最高人民法院法释〔2006〕1号 Art. 2, which
// administrative practice follows), so a decision on the 18th birthday itself is still a minor's:
// withheld. Where readings differ, this one withholds one day more, never one day less.
int32_t EighteenthBirthday(int32_t birth_day) {
  const CivilDate birth = CivilFromDays(birth_day);
  const int year = birth.year + 18;
  if (birth.month == 2 && birth.day == 29 && !IsLeapYear(year)) return DaysFromCivil(year, 3, 1);
  return DaysFromCivil(year, birth.month, birth.day);
}

}  // namespace

Redactor::Redactor(const SchemaSet& schemas, const RedactionConfig& config)
    : schemas_(schemas),
      config_(config),
      scanner_(PiiScanner::Options{.id_numbers = config.scan_id_numbers,
                                   .mobiles = config.scan_mobiles,
                                   .bank_cards = config.scan_bank_cards,
                                   .emails = config.scan_emails}) {}

Result<std::unique_ptr<Redactor>> Redactor::Create(const SchemaSet& schemas,
                                                   const RedactionConfig& config) {
  std::unique_ptr<Redactor> redactor(new Redactor(schemas, config));
  // The names dictionary: the structured mask keeps a compound surname (欧阳**) by it, and the
  // free-text masking finds people by it.
  std::string dictionary_path = config.names.dictionary;
  if (dictionary_path.empty()) {
    dictionary_path =
        (std::filesystem::path(schemas.For(RecordKind::kPenalty).path()).parent_path() /
         "names.json")
            .string();
  }
  auto dictionary = NameDictionary::Load(dictionary_path);
  if (!dictionary) return Fail(dictionary.error());
  auto names = NameMasker::Create(*dictionary, config.names);
  if (!names) return Fail(names.error());
  redactor->names_ = std::move(*names);
  if (config.names.individual_business_operator == FieldRule::kMask) {
    return Fail(ErrorCode::kInvalidConfig,
                "redaction.names.individual_business_operator: mask applies only to ID numbers; "
                "use mask_name, drop or keep");
  }
  // Markers compare as the record's text does: full-width folded, spaces removed, upper case.
  for (const std::string& marker : config.confidential_markers) {
    std::string normal(marker.size(), '\0');
    const auto n = NormalizeIdentifier(marker, normal.data(), normal.size());
    normal.resize(n.value_or(0));
    if (!normal.empty()) redactor->markers_.push_back(std::move(normal));
  }
  for (const auto& [name, rule] : config.fields) {
    if (schemas.For(RecordKind::kLicense).FieldIndex(name) < 0 &&
        schemas.For(RecordKind::kPenalty).FieldIndex(name) < 0) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("redaction.fields.{}: no schema has a field of that name", name));
    }
  }
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const RecordSchema& schema = schemas.For(kind);
    KindPolicy& policy = redactor->policies_[static_cast<int>(kind)];
    policy.rules.assign(schema.field_count(), FieldRule::kKeep);
    policy.scan.assign(schema.field_count(), false);
    for (int i = 0; i < schema.field_count(); ++i) {
      const FieldSpec& spec = schema.field(i);
      policy.scan[i] = spec.format == FieldFormat::kText;
      if (spec.personal == PersonalKind::kNone) continue;
      auto rule = config.fields.find(spec.name);
      if (rule == config.fields.end()) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("redaction policy lint: {} field '{}' ({}) is tagged personal "
                                "({}) in {} but redaction.fields has no rule for it",
                                RecordKindName(kind), spec.name, spec.title,
                                PersonalKindCode(spec.personal), schema.path()));
      }
      const bool is_name = spec.personal == PersonalKind::kName ||
                           spec.personal == PersonalKind::kNameIfNaturalPerson;
      if (spec.personal == PersonalKind::kIdNumber && rule->second == FieldRule::kKeep) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("redaction policy lint: redaction.fields.{}: keep would publish "
                                "ID numbers in clear; use mask or drop",
                                spec.name));
      }
      if (rule->second == FieldRule::kMaskName && !is_name) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("redaction policy lint: redaction.fields.{}: mask_name applies "
                                "only to names; use mask, drop or keep",
                                spec.name));
      }
      if (rule->second == FieldRule::kMask && spec.personal != PersonalKind::kIdNumber) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("redaction policy lint: redaction.fields.{}: mask applies only to "
                                "ID numbers; use {}",
                                spec.name, is_name ? "mask_name, drop or keep" : "drop or keep"));
      }
      policy.rules[i] = rule->second;
    }
    policy.subject_category = schema.FieldIndex("subject_category");
    policy.natural_person_value = schema.EnumIndex(policy.subject_category, "自然人");
    policy.individual_business_value = schema.EnumIndex(policy.subject_category, "个体工商户");
    policy.legal_rep_name = schema.FieldIndex("legal_rep_name");
    policy.subject_id_no = schema.FieldIndex("subject_id_no");
    policy.decision_date = schema.FieldIndex("decision_date");
    policy.confidential = schema.FieldIndex("confidential");
    policy.remark = schema.FieldIndex("remark");
    policy.penalty_categories = schema.FieldIndex("penalty_categories");
    if (policy.penalty_categories >= 0) {
      const FieldSpec& spec = schema.field(policy.penalty_categories);
      for (size_t b = 0; b < spec.enum_values.size(); ++b) {
        if (spec.enum_values[b] == "警告" || spec.enum_values[b] == "通报批评") {
          policy.warning_only_mask |= uint64_t{1} << b;
        }
      }
    }
  }
  return redactor;
}

std::string_view Redactor::MaskName(std::string_view name, Arena& arena) const {
  const size_t keep = std::min(names_->SurnameBytes(name), name.size());
  size_t rest = 0;
  for (size_t i = keep; i < name.size(); i += Utf8Length(static_cast<unsigned char>(name[i]))) {
    ++rest;
  }
  char* out = arena.Allocate(keep + rest);
  std::memcpy(out, name.data(), keep);
  std::memset(out + keep, '*', rest);
  return {out, keep + rest};
}

bool Redactor::RemarkHasMarker(std::string_view remark) {
  if (markers_.empty()) return false;
  // Normalising never changes a CJK character: a remark without the first character of any
  // marker holds none of them (the usual case, and the cheap one).
  bool maybe = false;
  for (const std::string& marker : markers_) {
    const size_t first =
        std::min<size_t>(marker.size(), Utf8Length(static_cast<unsigned char>(marker[0])));
    if (static_cast<unsigned char>(marker[0]) < 0x80 ||
        remark.find(marker.substr(0, first)) != std::string_view::npos) {
      maybe = true;
      break;
    }
  }
  if (!maybe) return false;
  remark_.resize(remark.size());
  const auto n = NormalizeIdentifier(remark, remark_.data(), remark_.size());
  const std::string_view normal(remark_.data(), n.value_or(0));
  for (const std::string& marker : markers_) {
    if (normal.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

WithholdReason Redactor::WithholdFor(const Record& record, const KindPolicy& policy) {
  if (policy.confidential >= 0 && record.present.test(policy.confidential) &&
      record.fields[policy.confidential] == "true") {
    return WithholdReason::kConfidential;
  }
  // "不予公示", "不 予 公 示", "（涉密）": written as clerks write them.
  if (policy.remark >= 0 && record.present.test(policy.remark) &&
      RemarkHasMarker(record.fields[policy.remark])) {
    return WithholdReason::kConfidential;
  }
  if (config_.withhold_minors && policy.subject_category >= 0 &&
      record.values[policy.subject_category] == policy.natural_person_value &&
      policy.subject_id_no >= 0 && record.present.test(policy.subject_id_no) &&
      record.values[policy.subject_id_no] != 0 &&
      record.values[policy.decision_date] <=
          EighteenthBirthday(static_cast<int32_t>(record.values[policy.subject_id_no]))) {
    return WithholdReason::kMinor;
  }
  if (config_.withhold_warning_only && policy.penalty_categories >= 0 &&
      record.present.test(policy.penalty_categories)) {
    const uint64_t categories = static_cast<uint64_t>(record.values[policy.penalty_categories]);
    if (categories != 0 && (categories & ~policy.warning_only_mask) == 0) {
      return WithholdReason::kWarningOnly;
    }
  }
  return WithholdReason::kNone;
}

void Redactor::RedactFields(Record& record, const KindPolicy& policy, Arena& arena,
                            RedactionCounts& counts) {
  const RecordSchema& schema = schemas_.For(record.kind);
  const bool natural_person = policy.subject_category >= 0 &&
                              record.values[policy.subject_category] == policy.natural_person_value;
  const bool individual_business =
      policy.subject_category >= 0 &&
      record.values[policy.subject_category] == policy.individual_business_value;
  // The record's own natural persons, as the record names them (before their fields are masked):
  // every name field whose rule for this record is not keep. Their names are masked in the free
  // text by the same rule.
  std::array<std::string_view, 4> own{};
  size_t own_count = 0;
  auto rule_for = [&](int i) {
    const FieldSpec& spec = schema.field(i);
    FieldRule rule = policy.rules[i];
    if (spec.personal == PersonalKind::kNameIfNaturalPerson && !natural_person) {
      rule = FieldRule::kKeep;  // an organisation's name is not personal data
    }
    // The operator (经营者) of a 个体工商户 is a natural person, unlike a company's 法定代表人.
    if (i == policy.legal_rep_name && individual_business) {
      rule = config_.names.individual_business_operator;
    }
    return rule;
  };
  for (int i = 0; i < schema.field_count(); ++i) {
    const FieldSpec& spec = schema.field(i);
    const bool is_name =
        spec.personal == PersonalKind::kName || spec.personal == PersonalKind::kNameIfNaturalPerson;
    if (is_name && record.present.test(i) && rule_for(i) != FieldRule::kKeep &&
        own_count < own.size()) {
      own[own_count++] = record.fields[i];
    }
  }
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!record.present.test(i)) continue;
    const FieldSpec& spec = schema.field(i);
    if (!spec.publish) {
      record.present.reset(i);
      continue;
    }
    switch (rule_for(i)) {
      case FieldRule::kDrop:
        record.present.reset(i);
        record.fields[i] = {};
        ++counts.fields_dropped;
        continue;
      case FieldRule::kMask:
        record.fields[i] = MaskPii(record.fields[i], PiiKind::kIdNumber, arena);
        ++counts.fields_masked;
        continue;
      case FieldRule::kMaskName:
        record.fields[i] = MaskName(record.fields[i], arena);
        ++counts.fields_masked;
        break;  // and scan what is left
      case FieldRule::kKeep: break;
    }
    if (policy.scan[i]) {
      record.fields[i] = scanner_.Redact(record.fields[i], arena, counts.free_text, scratch_);
      if (config_.names.free_text) {
        record.fields[i] = names_->Mask(record.fields[i], std::span(own.data(), own_count), arena,
                                        counts.names, name_scratch_);
      }
    }
  }
}

void Redactor::Process(RecordBatch& batch, RedactionCounts& counts) {
  Process(batch.records, batch.arena, counts);
}

void Redactor::Process(std::span<Record> records, Arena& arena, RedactionCounts& counts) {
  for (Record& record : records) {
    const KindPolicy& policy = policies_[static_cast<int>(record.kind)];
    if (record.outcome == Outcome::kWithdrawn) {
      // A withdrawal publishes the natural key (document and licence numbers), redacted exactly
      // as the upsert it takes down was.
      RedactFields(record, policy, arena, counts);
      continue;
    }
    if (record.outcome != Outcome::kPublished && record.outcome != Outcome::kUpdated) continue;
    const WithholdReason withhold = WithholdFor(record, policy);
    if (withhold != WithholdReason::kNone) {
      const bool was_public = record.prior == PublicationState::kPublished;
      record.Withhold(withhold);
      // Published before, not publishable now: take it down (a withdrawal), and say why.
      if (was_public) {
        record.outcome = Outcome::kWithdrawn;
        RedactFields(record, policy, arena, counts);
      }
      continue;
    }
    RedactFields(record, policy, arena, counts);
  }
}

}  // namespace gongshi
