// Publication periods of penalty records: derives 公示截止期 (publish_until, the end of the
// publication period) when the source leaves it empty, from the rules in force at the decision
// date. The rules are data (schemas/publication_periods.json), loaded once at start-up.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/record/error.h"

namespace gongshi {

// The class of a penalty decision that selects its period: 轻微 (minor), 一般 (general), 严重
// (severe). Classified from the penalty categories by the lists in the rules file.
enum class Severity : uint8_t { kMinor, kGeneral, kSevere };
// Stable codes: "minor", "general", "severe" (the keys of the rules file).
std::string_view SeverityCode(Severity severity);

struct PublicationPeriod {
  // Last day of publication (inclusive), as a day number (civil_date.h): the decision date plus
  // the regime's maximum months. Reaching the maximum ends publication without any request.
  // Inclusive is our reading (domain.md does not say): 民法典 Arts. 201-202 [R] start a period the
  // day after the decision and end it on the corresponding day, so the sweep withdraws the day
  // after end_day.
  int32_t end_day;
  // The decision date plus the regime's minimum months: the day the minimum period has run, before
  // which credit repair (信用修复) may not end publication. Equal to the decision day when the
  // minimum is 0 months.
  int32_t min_end_day;
  // The decision's class as the regime sees it: the categories' class, with kMinor folded into
  // kGeneral when the regime has no minor class (a single-class regime has none either).
  Severity severity;
  // The regime's "name" from the file ("ndrc-2023-58"); valid while the rules object lives.
  std::string_view regime;
};

class PublicationRules {
 public:
  // Reads the rules file at `path` (see PublicationRulesPath). `category_names[i]` is the
  // canonical name of bit i of the penalty_categories bit set the validator stores in
  // Record::values, i.e. the penalty schema's items.enum in order (FieldSpec::enum_values).
  //
  // Fails with kIo when the file cannot be read and kInvalidConfig, naming the file and the key,
  // when its content is wrong: unknown keys, a category not in `category_names`, a date that is
  // not a real YYYY-MM-DD, regimes out of order, overlapping or leaving a gap, a first regime with
  // a "from" or a last one with an "until", an unknown severity key, months outside 0..1200 or
  // max_months < min_months.
  static Result<PublicationRules> Load(const std::string& path,
                                       std::span<const std::string> category_names);

  // The period of a penalty decided on `decision_day` with categories `category_bits` (bit i =
  // category_names[i]). Every day falls in exactly one regime (Load checks it). Allocation-free and
  // string-compare-free; safe to call from any number of threads.
  PublicationPeriod Derive(int32_t decision_day, uint64_t category_bits) const;

  // The categories' class, before a regime folds minor into general: kSevere if any bit is a
  // severe category, else kMinor if every bit is a minor category, else kGeneral (also for no
  // bits: a decision without categories does not get the shortest period by default).
  Severity Classify(uint64_t category_bits) const;

  // The file's "version" ("publication-periods-2026.1"): goes into manifests.
  std::string_view version() const { return version_; }
  // The file the rules were loaded from.
  const std::string& path() const { return path_; }

 private:
  struct Months {
    int16_t min = 0;
    int16_t max = 0;
  };
  struct Regime {
    std::string name;
    int32_t first_day = 0;           // unused for the first regime, which covers every earlier day
    std::array<Months, 3> months{};  // indexed by Severity, fall-backs already applied
    std::array<Severity, 3> reported{};  // Severity of the categories -> PublicationPeriod
  };

  PublicationRules() = default;

  std::string path_;
  std::string version_;
  uint64_t minor_mask_ = 0;
  uint64_t severe_mask_ = 0;
  std::vector<Regime> regimes_;  // in date order, contiguous
};

// `day` plus `months` calendar months (negative subtracts), clamped to the last day of the target
// month: 2024-01-31 + 1 = 2024-02-29, 2023-01-31 + 1 = 2023-02-28. 民法典 Art. 202 [R] counts a
// period in months to the corresponding day of the last month, or its last day if there is none.
int32_t AddMonths(int32_t day, int months);

// <schemas_dir>/publication_periods.json
std::string PublicationRulesPath(const std::string& schemas_dir);

}  // namespace gongshi
