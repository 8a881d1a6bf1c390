// Loads schemas/publication_periods.json into per-regime month tables and two category masks, so
// that deriving a record's publication end is a binary search over a few regimes and two ANDs.
#include "pipeline/lifecycle/publication_period.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// A period above 100 years is a typo (months for days, an extra digit), not a rule.
constexpr int64_t kMaxMonths = 1200;

// Keys that document the file and that every object may carry; they must be strings.
constexpr std::string_view kDocumentationKeys[] = {"description", "source", "title", "note",
                                                   "$comment"};

tl::unexpected<Error> BadKey(const std::string& path, std::string_view key, std::string_view what) {
  return Fail(ErrorCode::kInvalidConfig, fmt::format("{}: {}: {}", path, key, what));
}

std::string Join(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

// Every key of `object_value` is one of `allowed` or a documentation key, and appears once:
// simdjson keeps duplicate keys and lookups see only the first, so a second one would be ignored.
Status CheckKeys(object object_value, std::span<const std::string_view> allowed,
                 const std::string& path, std::string_view where) {
  std::vector<std::string_view> seen;
  for (auto [key, value] : object_value) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return BadKey(path, Join(where, key), "appears twice");
    }
    seen.push_back(key);
    if (std::find(std::begin(kDocumentationKeys), std::end(kDocumentationKeys), key) !=
        std::end(kDocumentationKeys)) {
      if (!value.is_string()) return BadKey(path, Join(where, key), "must be a string");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return BadKey(path, Join(where, key),
                    fmt::format("unknown key (expected {} or a documentation key: {})",
                                fmt::join(allowed, ", "), fmt::join(kDocumentationKeys, ", ")));
    }
  }
  return Ok();
}

Result<int32_t> ReadDate(object parent, std::string_view key, const std::string& path,
                         std::string_view where) {
  std::string_view text;
  if (parent[key].get_string().get(text)) {
    return BadKey(path, Join(where, key), "must be a date string \"YYYY-MM-DD\"");
  }
  // Only the strict form: the file is edited by people, and "2019/7/1" or a time part there is
  // more likely a slip than a choice.
  const std::optional<int32_t> day =
      text.size() == 10 && text[4] == '-' ? ParseDate(text) : std::nullopt;
  if (!day) {
    return BadKey(path, Join(where, key),
                  fmt::format("\"{}\" is not a real YYYY-MM-DD date", text));
  }
  return *day;
}

Result<int16_t> ReadMonths(object parent, std::string_view key, const std::string& path,
                           std::string_view where) {
  int64_t months = 0;
  if (parent[key].get_int64().get(months)) {
    return BadKey(path, Join(where, key), "must be an integer number of months");
  }
  if (months < 0 || months > kMaxMonths) {
    return BadKey(path, Join(where, key),
                  fmt::format("{} is outside 0..{} months", months, kMaxMonths));
  }
  return static_cast<int16_t>(months);
}

// `parent[key]`, an array of canonical category names, as a bit set over `category_names`.
Result<uint64_t> ReadCategoryMask(object parent, std::string_view key,
                                  std::span<const std::string> category_names,
                                  const std::string& path, std::string_view where) {
  const std::string at = Join(where, key);
  array names;
  if (parent[key].get_array().get(names)) {
    return BadKey(path, at, "must be an array of penalty category names");
  }
  uint64_t mask = 0;
  size_t index = 0;
  for (const element item : names) {
    const std::string item_at = fmt::format("{}[{}]", at, index++);
    std::string_view name;
    if (item.get_string().get(name)) return BadKey(path, item_at, "must be a string");
    const auto it = std::find(category_names.begin(), category_names.end(), name);
    if (it == category_names.end()) {
      return BadKey(path, item_at,
                    fmt::format("\"{}\" is not a penalty category of the penalty schema "
                                "(items.enum of penalty_categories: {})",
                                name, fmt::join(category_names, ", ")));
    }
    const uint64_t bit = uint64_t{1} << (it - category_names.begin());
    if ((mask & bit) != 0)
      return BadKey(path, item_at, fmt::format("\"{}\" is listed twice", name));
    mask |= bit;
  }
  return mask;
}

struct MinMax {
  int16_t min;
  int16_t max;
};

Result<MinMax> ReadClass(element value, const std::string& path, const std::string& where) {
  object class_object;
  if (value.get_object().get(class_object)) {
    return BadKey(path, where, "must be an object with \"min_months\" and \"max_months\"");
  }
  constexpr std::string_view kKeys[] = {"min_months", "max_months"};
  if (Status keys = CheckKeys(class_object, kKeys, path, where); !keys) return Fail(keys.error());
  Result<int16_t> min = ReadMonths(class_object, "min_months", path, where);
  if (!min) return Fail(min.error());
  Result<int16_t> max = ReadMonths(class_object, "max_months", path, where);
  if (!max) return Fail(max.error());
  if (*max < *min) {
    return BadKey(path, Join(where, "max_months"),
                  fmt::format("{} is less than min_months {}", *max, *min));
  }
  return MinMax{*min, *max};
}

// Regime names go into outputs and metrics: a stable code, not prose.
bool IsRegimeName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::string_view SeverityCode(Severity severity) {
  switch (severity) {
    case Severity::kMinor: return "minor";
    case Severity::kGeneral: return "general";
    case Severity::kSevere: return "severe";
  }
  return "unknown";
}

Result<PublicationRules> PublicationRules::Load(const std::string& path,
                                                std::span<const std::string> category_names) {
  if (category_names.size() > 64) {
    return BadKey(path, "severity",
                  fmt::format("{} penalty categories given; a category bit set holds at most 64",
                              category_names.size()));
  }
  simdjson::dom::parser parser;
  element doc;
  if (const auto error = parser.load(path).get(doc)) {
    if (error == simdjson::IO_ERROR) {
      return Fail(ErrorCode::kIo, fmt::format("{}: cannot read the file", path));
    }
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: not valid JSON: {}", path, simdjson::error_message(error)));
  }
  object root;
  if (doc.get_object().get(root)) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: the top level must be an object", path));
  }
  constexpr std::string_view kRootKeys[] = {"version", "severity", "regimes"};
  if (Status keys = CheckKeys(root, kRootKeys, path, ""); !keys) return Fail(keys.error());

  PublicationRules rules;
  rules.path_ = path;
  std::string_view version;
  if (root["version"].get_string().get(version) || version.empty()) {
    return BadKey(path, "version", "needs a non-empty string (it goes into the manifests)");
  }
  rules.version_ = std::string(version);

  object severity;
  if (root["severity"].get_object().get(severity)) {
    return BadKey(path, "severity",
                  "needs an object with \"minor_if_all_in\" and \"severe_if_any_in\"");
  }
  constexpr std::string_view kSeverityKeys[] = {"minor_if_all_in", "severe_if_any_in"};
  if (Status keys = CheckKeys(severity, kSeverityKeys, path, "severity"); !keys) {
    return Fail(keys.error());
  }
  Result<uint64_t> minor =
      ReadCategoryMask(severity, "minor_if_all_in", category_names, path, "severity");
  if (!minor) return Fail(minor.error());
  Result<uint64_t> severe =
      ReadCategoryMask(severity, "severe_if_any_in", category_names, path, "severity");
  if (!severe) return Fail(severe.error());
  if (const uint64_t both = *minor & *severe; both != 0) {
    const size_t bit = static_cast<size_t>(std::countr_zero(both));
    return BadKey(
        path, "severity",
        fmt::format("\"{}\" is in both minor_if_all_in and severe_if_any_in", category_names[bit]));
  }
  rules.minor_mask_ = *minor;
  rules.severe_mask_ = *severe;

  array regimes;
  if (root["regimes"].get_array().get(regimes) || regimes.size() == 0) {
    return BadKey(path, "regimes", "needs a non-empty array of regimes in date order");
  }
  const size_t count = regimes.size();
  // Each regime's bounds, checked together after the loop: order first (a list pasted in the
  // wrong order should say so, not report the gap it makes), then gaps and overlaps.
  std::vector<std::optional<int32_t>> froms;
  std::vector<std::optional<int32_t>> untils;
  size_t index = 0;
  for (const element item : regimes) {
    const std::string where = fmt::format("regimes[{}]", index);
    const bool first = index == 0;
    const bool last = index + 1 == count;
    object regime_object;
    if (item.get_object().get(regime_object)) return BadKey(path, where, "must be an object");
    constexpr std::string_view kRegimeKeys[] = {"name", "from", "until", "periods"};
    if (Status keys = CheckKeys(regime_object, kRegimeKeys, path, where); !keys) {
      return Fail(keys.error());
    }
    Regime regime;
    std::string_view name;
    if (regime_object["name"].get_string().get(name) || !IsRegimeName(name)) {
      return BadKey(path, where + ".name",
                    "needs a stable code of a-z, 0-9, '-', '_', '.' (e.g. \"ndrc-2023-58\")");
    }
    for (const Regime& earlier : rules.regimes_) {
      if (earlier.name == name) {
        return BadKey(path, where + ".name", fmt::format("\"{}\" names two regimes", name));
      }
    }
    regime.name = std::string(name);

    // The regimes must cover every day exactly once, so Derive always has an answer: the first is
    // open towards the past, the last towards the future, and each starts the day after the one
    // before it ends.
    const bool has_from = regime_object["from"].error() != simdjson::NO_SUCH_FIELD;
    const bool has_until = regime_object["until"].error() != simdjson::NO_SUCH_FIELD;
    if (first && has_from) {
      return BadKey(path, where + ".from",
                    "the first regime must have no \"from\": it covers every earlier decision");
    }
    if (!first && !has_from) return BadKey(path, where + ".from", "missing");
    if (last && has_until) {
      return BadKey(path, where + ".until",
                    "the last regime must have no \"until\": it covers every later decision");
    }
    if (!last && !has_until) return BadKey(path, where + ".until", "missing");
    std::optional<int32_t> from;
    std::optional<int32_t> until;
    if (has_from) {
      Result<int32_t> day = ReadDate(regime_object, "from", path, where);
      if (!day) return Fail(day.error());
      from = *day;
      regime.first_day = *day;
    }
    if (has_until) {
      Result<int32_t> day = ReadDate(regime_object, "until", path, where);
      if (!day) return Fail(day.error());
      until = *day;
    }
    if (from && until && *until < *from) {
      return BadKey(path, where + ".until",
                    fmt::format("{} is before \"from\" {}", FormatDate(*until), FormatDate(*from)));
    }
    froms.push_back(from);
    untils.push_back(until);

    const std::string periods_where = where + ".periods";
    object periods;
    if (regime_object["periods"].get_object().get(periods)) {
      return BadKey(path, periods_where,
                    "needs an object with \"all\", or \"general\" and \"severe\" (and optionally "
                    "\"minor\")");
    }
    std::optional<MinMax> all, minor_class, general_class, severe_class;
    for (auto [key, value] : periods) {
      std::optional<MinMax>* slot = key == "all"       ? &all
                                    : key == "minor"   ? &minor_class
                                    : key == "general" ? &general_class
                                    : key == "severe"  ? &severe_class
                                                       : nullptr;
      if (slot == nullptr) {
        return BadKey(path, Join(periods_where, key),
                      "unknown severity key (expected \"all\", \"minor\", \"general\" or "
                      "\"severe\")");
      }
      if (slot->has_value()) return BadKey(path, Join(periods_where, key), "appears twice");
      Result<MinMax> months = ReadClass(value, path, Join(periods_where, key));
      if (!months) return Fail(months.error());
      *slot = *months;
    }
    auto to_months = [](MinMax m) { return Months{m.min, m.max}; };
    if (all) {
      if (minor_class || general_class || severe_class) {
        return BadKey(path, periods_where,
                      "\"all\" is one class for every penalty and excludes \"minor\", "
                      "\"general\" and \"severe\"");
      }
      regime.months.fill(to_months(*all));
      regime.reported = {Severity::kGeneral, Severity::kGeneral, Severity::kSevere};
    } else {
      if (!general_class) return BadKey(path, periods_where + ".general", "missing");
      if (!severe_class) return BadKey(path, periods_where + ".severe", "missing");
      regime.months[static_cast<size_t>(Severity::kGeneral)] = to_months(*general_class);
      regime.months[static_cast<size_t>(Severity::kSevere)] = to_months(*severe_class);
      // Without a minor class, minor decisions are general ones (发改办财金〔2019〕527号 has only
      // 一般 and 严重).
      regime.months[static_cast<size_t>(Severity::kMinor)] =
          to_months(minor_class ? *minor_class : *general_class);
      regime.reported = {minor_class ? Severity::kMinor : Severity::kGeneral, Severity::kGeneral,
                         Severity::kSevere};
    }
    rules.regimes_.push_back(std::move(regime));
    ++index;
  }
  // Date order: each "from" after the previous regime's "from". The first regime has no "from",
  // so the second can only overlap it, which the next loop reports.
  for (size_t i = 2; i < count; ++i) {
    if (*froms[i] <= *froms[i - 1]) {
      return BadKey(path, fmt::format("regimes[{}].from", i),
                    fmt::format("{} is not after regimes[{}]'s \"from\" {}: regimes must be in "
                                "date order",
                                FormatDate(*froms[i]), i - 1, FormatDate(*froms[i - 1])));
    }
  }
  for (size_t i = 1; i < count; ++i) {
    const int32_t previous_until = *untils[i - 1];
    const std::string_view problem = *froms[i] <= previous_until      ? "overlaps"
                                     : *froms[i] > previous_until + 1 ? "leaves a gap after"
                                                                      : "";
    if (!problem.empty()) {
      return BadKey(path, fmt::format("regimes[{}].from", i),
                    fmt::format("{} {} regimes[{}] (\"{}\"), which runs until {}; it must start "
                                "on {}",
                                FormatDate(*froms[i]), problem, i - 1, rules.regimes_[i - 1].name,
                                FormatDate(previous_until), FormatDate(previous_until + 1)));
    }
  }
  return rules;
}

Severity PublicationRules::Classify(uint64_t category_bits) const {
  // Several penalties in one decision: the longest period applies (令第58号), so severe wins.
  if ((category_bits & severe_mask_) != 0) return Severity::kSevere;
  if (category_bits != 0 && (category_bits & ~minor_mask_) == 0) return Severity::kMinor;
  return Severity::kGeneral;
}

PublicationPeriod PublicationRules::Derive(int32_t decision_day, uint64_t category_bits) const {
  // The first regime has no start: search the others for the last one starting on or before
  // the decision day.
  const auto after =
      std::upper_bound(regimes_.begin() + 1, regimes_.end(), decision_day,
                       [](int32_t day, const Regime& regime) { return day < regime.first_day; });
  const Regime& regime = *(after - 1);
  const size_t severity = static_cast<size_t>(Classify(category_bits));
  const Months months = regime.months[severity];
  return PublicationPeriod{AddMonths(decision_day, months.max), AddMonths(decision_day, months.min),
                           regime.reported[severity], regime.name};
}

int32_t AddMonths(int32_t day, int months) {
  const CivilDate date = CivilFromDays(day);
  const int64_t month_index = int64_t{date.year} * 12 + (date.month - 1) + months;
  // Floor division, so that the month stays in 1..12 for years before 0 as well.
  const int64_t year = month_index >= 0 ? month_index / 12 : -((-month_index + 11) / 12);
  const int month = static_cast<int>(month_index - year * 12) + 1;
  const int y = static_cast<int>(year);
  return DaysFromCivil(y, month, std::min(date.day, DaysInMonth(y, month)));
}

std::string PublicationRulesPath(const std::string& schemas_dir) {
  return schemas_dir + "/publication_periods.json";
}

}  // namespace gongshi
