#include "pipeline/redact/redactor.h"

#include <array>
#include <cstring>

#include "pipeline/calendar/civil_date.h"

namespace gongshi {
namespace {

// 复姓 (two-character surnames) common enough to matter; any other name keeps one character.
constexpr std::array<std::string_view, 32> kCompoundSurnames = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延",
    "万俟", "闻人", "赫连", "澹台", "公羊", "太史", "申屠", "拓跋", "完颜", "单于"};

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// The 18th birthday as a day number (29 Feb births turn 18 on 1 Mar in non-leap years).
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

std::string_view Redactor::MaskName(std::string_view name, Arena& arena) {
  size_t keep = name.empty() ? 0 : Utf8Length(static_cast<unsigned char>(name[0]));
  for (std::string_view surname : kCompoundSurnames) {
    if (name.size() > surname.size() && name.substr(0, surname.size()) == surname) {
      keep = surname.size();
      break;
    }
  }
  keep = std::min(keep, name.size());
  size_t rest = 0;
  for (size_t i = keep; i < name.size(); i += Utf8Length(static_cast<unsigned char>(name[i]))) {
    ++rest;
  }
  char* out = arena.Allocate(keep + rest);
  std::memcpy(out, name.data(), keep);
  std::memset(out + keep, '*', rest);
  return {out, keep + rest};
}

WithholdReason Redactor::WithholdFor(const Record& record, const KindPolicy& policy) const {
  if (policy.confidential >= 0 && record.present.test(policy.confidential) &&
      record.fields[policy.confidential] == "true") {
    return WithholdReason::kConfidential;
  }
  if (policy.remark >= 0 && record.present.test(policy.remark)) {
    for (const std::string& marker : config_.confidential_markers) {
      if (record.fields[policy.remark].find(marker) != std::string_view::npos) {
        return WithholdReason::kConfidential;
      }
    }
  }
  if (config_.withhold_minors && policy.subject_category >= 0 &&
      record.values[policy.subject_category] == policy.natural_person_value &&
      policy.subject_id_no >= 0 && record.present.test(policy.subject_id_no) &&
      record.values[policy.subject_id_no] != 0 &&
      record.values[policy.decision_date] <
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
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!record.present.test(i)) continue;
    const FieldSpec& spec = schema.field(i);
    if (!spec.publish) {
      record.present.reset(i);
      continue;
    }
    FieldRule rule = policy.rules[i];
    if (spec.personal == PersonalKind::kNameIfNaturalPerson && !natural_person) {
      rule = FieldRule::kKeep;  // an organisation's name is not personal data
    }
    switch (rule) {
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
    }
  }
}

void Redactor::Process(RecordBatch& batch, RedactionCounts& counts) {
  for (Record& record : batch.records) {
    const KindPolicy& policy = policies_[static_cast<int>(record.kind)];
    if (record.outcome == Outcome::kWithdrawn) {
      // A withdrawal publishes the natural key (document and licence numbers), redacted exactly
      // as the upsert it takes down was.
      RedactFields(record, policy, batch.arena, counts);
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
        RedactFields(record, policy, batch.arena, counts);
      }
      continue;
    }
    RedactFields(record, policy, batch.arena, counts);
  }
}

}  // namespace gongshi
