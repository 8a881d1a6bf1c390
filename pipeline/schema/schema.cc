// Loads schemas/*.schema.json (a subset of JSON Schema 2020-12 plus x-gongshi-* keywords) into the
// field tables the stages index by. Unknown standard keywords are ignored; malformed ones are
// start-up errors naming the file and the field.
#include "pipeline/schema/schema.h"

#include <algorithm>
#include <climits>
#include <filesystem>

#include <simdjson.h>
#include <unistd.h>

namespace gongshi {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

tl::unexpected<Error> SchemaError(const std::string& path, std::string_view where,
                                  std::string_view what) {
  return Fail(ErrorCode::kInvalidConfig, fmt::format("schema {}: {}: {}", path, where, what));
}

Result<std::vector<std::string>> StringList(element value, const std::string& path,
                                            std::string_view where) {
  std::vector<std::string> out;
  array items;
  if (value.get_array().get(items)) return SchemaError(path, where, "expected an array of strings");
  for (element item : items) {
    std::string_view text;
    if (item.get_string().get(text)) return SchemaError(path, where, "expected strings only");
    out.emplace_back(text);
  }
  return out;
}

bool ReadTypes(element value, FieldSpec& spec) {
  std::vector<std::string_view> types;
  std::string_view one;
  if (!value.get_string().get(one)) {
    types.push_back(one);
  } else {
    array list;
    if (value.get_array().get(list)) return false;
    for (element t : list) {
      if (t.get_string().get(one)) return false;
      types.push_back(one);
    }
  }
  spec.allows_string = spec.allows_number = spec.allows_boolean = spec.allows_array = false;
  for (std::string_view t : types) {
    if (t == "string")
      spec.allows_string = true;
    else if (t == "number" || t == "integer")
      spec.allows_number = true;
    else if (t == "boolean")
      spec.allows_boolean = true;
    else if (t == "array")
      spec.allows_array = true;
    else
      return false;
  }
  return true;
}

}  // namespace

std::string_view PersonalKindCode(PersonalKind kind) {
  switch (kind) {
    case PersonalKind::kNone: return "none";
    case PersonalKind::kName: return "name";
    case PersonalKind::kNameIfNaturalPerson: return "name_if_natural_person";
    case PersonalKind::kIdNumber: return "id_number";
    case PersonalKind::kIdType: return "id_type";
  }
  return "none";
}

int RecordSchema::FieldIndex(std::string_view canonical_name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == canonical_name) return static_cast<int>(i);
  }
  return -1;
}

int RecordSchema::LookupKey(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? -1 : it->second;
}

int RecordSchema::EnumIndex(int field, std::string_view value) const {
  const FieldSpec& spec = fields_[field];
  std::string_view canonical = value;
  if (auto alias = spec.enum_aliases.find(value); alias != spec.enum_aliases.end()) {
    canonical = alias->second;
  }
  for (size_t i = 0; i < spec.enum_values.size(); ++i) {
    if (spec.enum_values[i] == canonical) return static_cast<int>(i);
  }
  for (const std::string& prefix : spec.enum_prefixes) {
    if (canonical.size() >= prefix.size() && canonical.substr(0, prefix.size()) == prefix) {
      for (size_t i = 0; i < spec.enum_values.size(); ++i) {
        if (spec.enum_values[i] == prefix) return static_cast<int>(i);
      }
    }
  }
  return -1;
}

Result<RecordSchema> RecordSchema::LoadFile(const std::string& path) {
  simdjson::dom::parser parser;
  element root;
  if (auto error = parser.load(path).get(root)) {
    return SchemaError(path, "file", simdjson::error_message(error));
  }
  RecordSchema schema;
  schema.path_ = path;
  std::string_view text;
  if (root["x-gongshi-kind"].get_string().get(text)) {
    return SchemaError(path, "x-gongshi-kind", "missing (expected \"license\" or \"penalty\")");
  }
  if (text == "license")
    schema.kind_ = RecordKind::kLicense;
  else if (text == "penalty")
    schema.kind_ = RecordKind::kPenalty;
  else
    return SchemaError(path, "x-gongshi-kind", "expected \"license\" or \"penalty\"");
  if (root["x-gongshi-version"].get_string().get(text)) {
    return SchemaError(path, "x-gongshi-version", "missing");
  }
  schema.version_ = std::string(text);

  object properties;
  if (root["properties"].get_object().get(properties)) {
    return SchemaError(path, "properties", "missing or not an object");
  }
  // First pass: names, so that later keywords can refer to other fields by name.
  for (auto [key, value] : properties) {
    FieldSpec spec;
    spec.name = std::string(key);
    schema.fields_.push_back(std::move(spec));
  }
  if (schema.fields_.size() > kMaxFields) {
    return SchemaError(path, "properties", fmt::format("more than {} fields", kMaxFields));
  }
  auto field_ref = [&](std::string_view name) { return schema.FieldIndex(name); };

  size_t index = 0;
  for (auto [key, value] : properties) {
    FieldSpec& spec = schema.fields_[index++];
    const std::string where = fmt::format("properties.{}", key);
    object def;
    if (value.get_object().get(def)) return SchemaError(path, where, "not an object");
    element e;
    if (!def["type"].get(e) && !ReadTypes(e, spec)) {
      return SchemaError(path, where + ".type", "expected string/number/boolean/array or a list");
    }
    if (!def["title"].get_string().get(text)) spec.title = std::string(text);
    uint64_t n = 0;
    if (!def["maxLength"].get_uint64().get(n)) spec.max_length_chars = static_cast<uint32_t>(n);
    if (!def["format"].get_string().get(text)) {
      if (text == "uscc")
        spec.format = FieldFormat::kUscc;
      else if (text == "org_code")
        spec.format = FieldFormat::kOrgCode;
      else if (text == "id_number")
        spec.format = FieldFormat::kIdNumber;
      else if (text == "date")
        spec.format = FieldFormat::kDate;
      else if (text == "money_wan_yuan")
        spec.format = FieldFormat::kMoneyWanYuan;
      else if (text == "penalty_categories")
        spec.format = FieldFormat::kPenaltyCategories;
      else
        return SchemaError(path, where + ".format", fmt::format("unknown format '{}'", text));
    }
    element enum_source;
    bool has_enum = !def["enum"].get(enum_source);
    if (spec.format == FieldFormat::kPenaltyCategories) {
      has_enum = !def.at_pointer("/items/enum").get(enum_source);
      if (!has_enum) return SchemaError(path, where + ".items.enum", "missing");
    }
    if (has_enum) {
      auto values = StringList(enum_source, path, where + ".enum");
      if (!values) return Fail(values.error());
      spec.enum_values = std::move(*values);
      if (spec.format == FieldFormat::kText) spec.format = FieldFormat::kEnum;
      if (spec.enum_values.size() > 64) return SchemaError(path, where, "more than 64 values");
    }
    object aliases;
    if (!def["x-gongshi-enum-aliases"].get_object().get(aliases)) {
      for (auto [from, to] : aliases) {
        if (to.get_string().get(text)) return SchemaError(path, where, "enum alias not a string");
        if (std::find(spec.enum_values.begin(), spec.enum_values.end(), text) ==
            spec.enum_values.end()) {
          return SchemaError(path, where + ".x-gongshi-enum-aliases",
                             fmt::format("'{}' maps to '{}', which is not in enum", from, text));
        }
        spec.enum_aliases.emplace(std::string(from), std::string(text));
      }
    }
    if (!def["x-gongshi-enum-prefixes"].get(e)) {
      auto prefixes = StringList(e, path, where + ".x-gongshi-enum-prefixes");
      if (!prefixes) return Fail(prefixes.error());
      spec.enum_prefixes = std::move(*prefixes);
    }
    if (spec.format == FieldFormat::kPenaltyCategories) {
      for (size_t i = 0; i < spec.enum_values.size(); ++i) {
        spec.vocabulary.emplace(spec.enum_values[i], uint64_t{1} << i);
      }
      object vocabulary;
      if (!def["x-gongshi-vocabulary"].get_object().get(vocabulary)) {
        for (auto [term, targets] : vocabulary) {
          auto list = StringList(targets, path, where + ".x-gongshi-vocabulary");
          if (!list) return Fail(list.error());
          uint64_t mask = 0;
          for (const std::string& target : *list) {
            auto it = std::find(spec.enum_values.begin(), spec.enum_values.end(), target);
            if (it == spec.enum_values.end()) {
              return SchemaError(path, where + ".x-gongshi-vocabulary",
                                 fmt::format("'{}' is not in items.enum", target));
            }
            mask |= uint64_t{1} << (it - spec.enum_values.begin());
          }
          spec.vocabulary.emplace(std::string(term), mask);
        }
      }
    }
    if (!def["x-gongshi-aliases"].get(e)) {
      auto list = StringList(e, path, where + ".x-gongshi-aliases");
      if (!list) return Fail(list.error());
      spec.aliases = std::move(*list);
    }
    if (!def["x-gongshi-personal"].get_string().get(text)) {
      if (text == "name")
        spec.personal = PersonalKind::kName;
      else if (text == "name_if_natural_person")
        spec.personal = PersonalKind::kNameIfNaturalPerson;
      else if (text == "id_number")
        spec.personal = PersonalKind::kIdNumber;
      else if (text == "id_type")
        spec.personal = PersonalKind::kIdType;
      else
        return SchemaError(path, where + ".x-gongshi-personal", "unknown kind");
    }
    bool flag = false;
    if (!def["x-gongshi-publish"].get_bool().get(flag)) spec.publish = flag;
    if (!def["x-gongshi-not-future"].get_bool().get(flag)) spec.not_future = flag;
    auto resolve = [&](std::string_view keyword, int& out) -> Status {
      std::string_view name;
      if (def[keyword].get_string().get(name)) return Ok();
      out = field_ref(name);
      if (out < 0) {
        return SchemaError(path, fmt::format("{}.{}", where, keyword),
                           fmt::format("no field named '{}'", name));
      }
      return Ok();
    };
    if (auto s = resolve("x-gongshi-not-before", spec.not_before_field); !s) return Fail(s.error());
    if (auto s = resolve("x-gongshi-id-type-field", spec.id_type_field); !s) return Fail(s.error());
    object placeholder;
    if (!def["x-gongshi-placeholder"].get_object().get(placeholder)) {
      if (placeholder["value"].get_string().get(text)) {
        return SchemaError(path, where + ".x-gongshi-placeholder", "value missing");
      }
      spec.placeholder = std::string(text);
      if (!placeholder["allowed-if-category"].get_string().get(text)) {
        spec.placeholder_allowed_category = std::string(text);
      }
      if (!placeholder["requires"].get_string().get(text)) {
        spec.placeholder_requires_field = field_ref(text);
        if (spec.placeholder_requires_field < 0) {
          return SchemaError(path, where + ".x-gongshi-placeholder.requires",
                             fmt::format("no field named '{}'", text));
        }
      }
    }
    double max_wan = 0;
    if (!def["x-gongshi-max-wan-yuan"].get_double().get(max_wan)) {
      spec.max_cents = static_cast<int64_t>(max_wan * 1'000'000);  // 1 万元 = 10^6 cents
    }
  }

  // Keys: canonical names and every alias, each unique across the schema.
  for (size_t i = 0; i < schema.fields_.size(); ++i) {
    const FieldSpec& spec = schema.fields_[i];
    auto add = [&](const std::string& key) -> Status {
      auto [it, inserted] = schema.by_key_.emplace(key, static_cast<int>(i));
      if (!inserted && it->second != static_cast<int>(i)) {
        return SchemaError(path, "x-gongshi-aliases",
                           fmt::format("'{}' names both {} and {}", key,
                                       schema.fields_[it->second].name, spec.name));
      }
      return Ok();
    };
    if (auto s = add(spec.name); !s) return Fail(s.error());
    for (const std::string& alias : spec.aliases) {
      if (auto s = add(alias); !s) return Fail(s.error());
    }
  }

  array required;
  if (!root["required"].get_array().get(required)) {
    for (element r : required) {
      if (r.get_string().get(text) || field_ref(text) < 0) {
        return SchemaError(path, "required", fmt::format("'{}' is not a property", text));
      }
      schema.fields_[field_ref(text)].required = true;
    }
  }

  element e;
  array all_of;
  if (!root["allOf"].get_array().get(all_of)) {
    size_t rule_index = 0;
    for (element rule_def : all_of) {
      const std::string where = fmt::format("allOf[{}]", rule_index++);
      ConditionalRule rule;
      object condition;
      if (rule_def.at_pointer("/if/properties").get_object().get(condition)) {
        return SchemaError(path, where + ".if.properties", "missing");
      }
      size_t conditions = 0;
      for (auto [name, test] : condition) {
        if (++conditions > 1)
          return SchemaError(path, where, "only one field per `if` is supported");
        rule.if_field = field_ref(name);
        if (rule.if_field < 0) {
          return SchemaError(path, where, fmt::format("no field named '{}'", name));
        }
        element inner = test;
        element contains;
        if (!test["contains"].get(contains)) {
          rule.contains = true;
          inner = contains;
        }
        std::vector<std::string> values;
        if (!inner["const"].get_string().get(text)) {
          values.emplace_back(text);
        } else if (!inner["enum"].get(e)) {
          auto list = StringList(e, path, where + ".if");
          if (!list) return Fail(list.error());
          values = std::move(*list);
        } else {
          return SchemaError(path, where + ".if", "expected const or enum");
        }
        const FieldSpec& spec = schema.fields_[rule.if_field];
        for (const std::string& v : values) {
          auto it = std::find(spec.enum_values.begin(), spec.enum_values.end(), v);
          if (it == spec.enum_values.end()) {
            return SchemaError(path, where + ".if",
                               fmt::format("'{}' is not a value of {}", v, spec.name));
          }
          rule.value_mask |= uint64_t{1} << (it - spec.enum_values.begin());
        }
        rule.values = std::move(values);
      }
      array then_required;
      if (!rule_def.at_pointer("/then/required").get_array().get(then_required)) {
        for (element r : then_required) {
          if (r.get_string().get(text) || field_ref(text) < 0) {
            return SchemaError(path, where + ".then.required", "not a property");
          }
          rule.then_required.push_back(field_ref(text));
        }
      }
      object then_properties;
      if (!rule_def.at_pointer("/then/properties").get_object().get(then_properties)) {
        for (auto [name, test] : then_properties) {
          double minimum = 0;
          if (field_ref(name) < 0 || test["exclusiveMinimum"].get_double().get(minimum) ||
              minimum != 0) {
            return SchemaError(path, where + ".then.properties",
                               "only exclusiveMinimum: 0 on a known field is supported");
          }
          rule.then_positive.push_back(field_ref(name));
        }
      }
      if (!rule_def["x-gongshi-reason"].get_string().get(text)) {
        auto reason = RejectReasonFromCode(text);
        if (!reason) return SchemaError(path, where, fmt::format("unknown reason '{}'", text));
        rule.reason = *reason;
      }
      schema.rules_.push_back(std::move(rule));
    }
  }

  if (!root["x-gongshi-identity"].get(e)) {
    auto list = StringList(e, path, "x-gongshi-identity");
    if (!list) return Fail(list.error());
    for (const std::string& name : *list) {
      const int f = name == "$subject_key" ? kSubjectKey : field_ref(name);
      if (f == -1) return SchemaError(path, "x-gongshi-identity", "no field named " + name);
      schema.identity_.push_back(f);
    }
  }
  if (schema.identity_.empty()) return SchemaError(path, "x-gongshi-identity", "missing");
  if (!root["x-gongshi-withdraw-field"].get_string().get(text)) {
    schema.withdraw_field_ = field_ref(text);
    if (schema.withdraw_field_ < 0) return SchemaError(path, "x-gongshi-withdraw-field", "unknown");
    if (!root["x-gongshi-withdraw-values"].get(e)) {
      auto list = StringList(e, path, "x-gongshi-withdraw-values");
      if (!list) return Fail(list.error());
      schema.withdraw_values_ = std::move(*list);
    }
  }
  if (!root["x-gongshi-repair-field"].get_string().get(text)) {
    schema.repair_field_ = field_ref(text);
    if (schema.repair_field_ < 0) return SchemaError(path, "x-gongshi-repair-field", "unknown");
    if (root["x-gongshi-repair-required"].get(e)) {
      return SchemaError(path, "x-gongshi-repair-required", "missing beside the repair field");
    }
    auto list = StringList(e, path, "x-gongshi-repair-required");
    if (!list) return Fail(list.error());
    for (const std::string& name : *list) {
      const int f = field_ref(name);
      if (f < 0) return SchemaError(path, "x-gongshi-repair-required", "no field named " + name);
      schema.repair_required_.push_back(f);
    }
  }
  for (auto [keyword, target] : {std::pair{"x-gongshi-kind-values", &schema.kind_values_},
                                 std::pair{"x-gongshi-kind-prefixes", &schema.kind_prefixes_}}) {
    if (!root[keyword].get(e)) {
      auto list = StringList(e, path, keyword);
      if (!list) return Fail(list.error());
      *target = std::move(*list);
    }
  }
  if (!root["x-gongshi-kind-marker-fields"].get(e)) {
    auto list = StringList(e, path, "x-gongshi-kind-marker-fields");
    if (!list) return Fail(list.error());
    for (const std::string& name : *list) {
      if (field_ref(name) < 0) return SchemaError(path, "x-gongshi-kind-marker-fields", name);
      schema.kind_marker_fields_.push_back(field_ref(name));
    }
  }
  int64_t depth = 0;
  if (!root["x-gongshi-max-depth"].get_int64().get(depth)) {
    schema.max_depth_ = static_cast<int>(depth);
  }
  return schema;
}

Result<SchemaSet> SchemaSet::Load(const std::string& dir) {
  SchemaSet set;
  auto license = RecordSchema::LoadFile(dir + "/license.schema.json");
  if (!license) return Fail(license.error());
  auto penalty = RecordSchema::LoadFile(dir + "/penalty.schema.json");
  if (!penalty) return Fail(penalty.error());
  if (license->kind() != RecordKind::kLicense || penalty->kind() != RecordKind::kPenalty) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("schemas in {}: license.schema.json and penalty.schema.json must "
                            "declare x-gongshi-kind license and penalty",
                            dir));
  }
  set.license_ = std::move(*license);
  set.penalty_ = std::move(*penalty);
  return set;
}

RecordKind SchemaSet::KindFromValue(std::string_view value) const {
  for (const RecordSchema* schema : {&license_, &penalty_}) {
    for (const std::string& v : schema->kind_values()) {
      if (v == value) return schema->kind();
    }
  }
  return RecordKind::kUnknown;
}

RecordKind SchemaSet::KindFromKey(std::string_view key) const {
  for (const RecordSchema* schema : {&license_, &penalty_}) {
    for (const std::string& prefix : schema->kind_prefixes()) {
      if (key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix) {
        return schema->kind();
      }
    }
  }
  for (const RecordSchema* schema : {&license_, &penalty_}) {
    for (int f : schema->kind_marker_fields()) {
      if (schema->LookupKey(key) == f) return schema->kind();
    }
  }
  return RecordKind::kUnknown;
}

std::string DataDir() {
  if (const char* env = std::getenv("GONGSHI_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  // An installed binary: <prefix>/bin/gongshi with data in <prefix>/share/gongshi.
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto share = exe.parent_path().parent_path() / "share" / "gongshi";
    if (std::filesystem::exists(share / "schemas" / "penalty.schema.json", error)) {
      return share.string();
    }
  }
  return GONGSHI_SOURCE_DATA_DIR;
}

std::string SchemasDir() { return DataDir() + "/schemas"; }

std::string HolidaysDir() {
  const std::string dir = DataDir();
  std::error_code error;
  if (std::filesystem::exists(dir + "/holidays/2024.json", error)) return dir + "/holidays";
  return dir + "/pipeline/calendar/holidays";
}

}  // namespace gongshi
