#include "pipeline/parse/json_parser.h"

#include <algorithm>
#include <cstring>

namespace gongshi {
namespace {

namespace od = simdjson::ondemand;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Nesting depth of a value in containers (a scalar is 0, {"a":1} is 1), counted up to `limit`:
// On-Demand does not enforce a depth on values it is not asked to descend into.
int MeasureDepth(od::value value, int limit) {
  od::json_type type;
  if (value.type().get(type)) return limit;
  if (type != od::json_type::array && type != od::json_type::object) return 0;
  if (limit <= 1) return 1;
  int deepest = 0;
  if (type == od::json_type::array) {
    od::array array;
    if (value.get_array().get(array)) return limit;
    for (auto element : array) {
      od::value child;
      if (std::move(element).get(child)) return limit;
      deepest = std::max(deepest, MeasureDepth(child, limit - 1));
    }
  } else {
    od::object object;
    if (value.get_object().get(object)) return limit;
    for (auto field : object) {
      od::field f;
      if (std::move(field).get(f)) return limit;
      deepest = std::max(deepest, MeasureDepth(f.value(), limit - 1));
    }
  }
  return 1 + deepest;
}

RejectReason FromSimdjson(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR: return RejectReason::kInvalidEncoding;
    case simdjson::DEPTH_ERROR: return RejectReason::kJsonTooDeep;
    case simdjson::CAPACITY: return RejectReason::kRecordTooLarge;
    default: return RejectReason::kJsonSyntax;
  }
}

}  // namespace

JsonParser::JsonParser(const SchemaSet& schemas, ParserOptions options)
    : schemas_(schemas), options_(options) {
  raw_fields_.reserve(kMaxFields);
}

void JsonParser::Process(RecordBatch& batch) { Process(batch.records, batch.arena); }

void JsonParser::Process(std::span<Record> records, Arena& arena) {
  for (Record& record : records) {
    if (record.pending()) Parse(record, arena);
  }
}

void JsonParser::Parse(Record& record, Arena& arena) {
  if (record.raw.size() > options_.max_record_bytes) {
    record.Reject(RejectReason::kRecordTooLarge);
    return;
  }
  if (options_.encoding == SourceEncoding::kGb18030) {
    std::string_view utf8;
    if (!transcoder_.ToUtf8(record.raw, arena, simdjson::SIMDJSON_PADDING, utf8)) {
      record.Reject(RejectReason::kInvalidEncoding, -1, "not valid GB18030");
      return;
    }
    record.json = utf8;
  } else if (record.json.data() == nullptr) {
    // Sources that cannot promise padding after the message get a padded copy.
    char* copy = arena.Allocate(record.raw.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(copy, record.raw.data(), record.raw.size());
    std::memset(copy + record.raw.size(), ' ', simdjson::SIMDJSON_PADDING);
    record.json = std::string_view(copy, record.raw.size());
  }
  int reject_field = -1;
  const RejectReason reason = ReadFields(record, arena, reject_field);
  if (reason != RejectReason::kNone) {
    record.Reject(reason, reject_field);
    record.present.reset();
  }
}

RejectReason JsonParser::ReadFields(Record& record, Arena& arena, int& reject_field) {
  const std::string_view json = record.json;
  od::document doc;
  if (auto error =
          parser_.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING)
              .get(doc)) {
    return FromSimdjson(error);
  }
  od::json_type root_type;
  if (auto error = doc.type().get(root_type)) return FromSimdjson(error);
  if (root_type != od::json_type::object) {
    // On-Demand types the root by its first byte ("nonsense" looks like null): a full DOM parse,
    // only on this cold path, tells malformed text from a well-formed non-object.
    if (!dom_parser_) dom_parser_ = std::make_unique<simdjson::dom::parser>();
    simdjson::dom::element ignored;
    return dom_parser_->parse(json.data(), json.size(), false).get(ignored)
               ? RejectReason::kJsonSyntax
               : RejectReason::kJsonNotObject;
  }
  od::object object;
  if (auto error = doc.get_object().get(object)) {
    return LooksLikeTrailingGarbage(json) ? RejectReason::kJsonTrailingGarbage
                                          : FromSimdjson(error);
  }

  raw_fields_.clear();
  unknown_keys_.clear();
  std::string_view kind_value;
  bool kind_given = false;
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) {
      return LooksLikeTrailingGarbage(json) ? RejectReason::kJsonTrailingGarbage
                                            : FromSimdjson(error);
    }
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return FromSimdjson(error);
    od::value value = field.value();
    od::json_type type;
    if (auto error = value.type().get(type)) return FromSimdjson(error);

    RawField raw{key, {}, ValueType::kString};
    switch (type) {
      case od::json_type::string: {
        const std::string_view token = TrimRight(value.raw_json_token());
        const std::string_view inner = token.substr(1, token.size() - 2);
        if (inner.find('\\') == std::string_view::npos) {
          raw.value = inner;  // zero copy: a view into the message
        } else {
          std::string_view unescaped;
          if (auto error = value.get_string().get(unescaped)) return FromSimdjson(error);
          raw.value = arena.Copy(unescaped);
        }
        break;
      }
      case od::json_type::number: {
        // Keep the exact text: money is parsed from it as a decimal, never through a double.
        raw.type = ValueType::kNumber;
        od::number number;
        if (auto error = value.get_number().get(number)) return FromSimdjson(error);
        raw.value = TrimRight(value.raw_json_token());
        break;
      }
      case od::json_type::boolean: {
        raw.type = ValueType::kBoolean;
        bool flag = false;
        if (auto error = value.get_bool().get(flag)) return FromSimdjson(error);
        raw.value = flag ? "true" : "false";
        break;
      }
      case od::json_type::null: raw.type = ValueType::kNull; break;
      case od::json_type::array: {
        // Only multi-valued fields (处罚类别) may be arrays, of strings: joined with 、 so the
        // validator sees one separator-delimited value. The key is copied first: reading the
        // elements reuses the parser's string buffer it lives in.
        raw.type = ValueType::kArray;
        raw.key = arena.Copy(key);
        od::array array;
        if (auto error = value.get_array().get(array)) return FromSimdjson(error);
        joined_.clear();
        for (auto element_result : array) {
          od::value element;
          if (auto error = std::move(element_result).get(element)) return FromSimdjson(error);
          od::json_type element_type;
          if (auto error = element.type().get(element_type)) return FromSimdjson(error);
          if (element_type == od::json_type::array || element_type == od::json_type::object) {
            return RejectReason::kJsonTooDeep;  // the record, the array, and one more level
          }
          std::string_view text;
          if (element.get_string().get(text)) {
            raw.type = ValueType::kObject;  // an array of non-strings: wrong type for any field
            break;
          }
          if (!joined_.empty()) joined_.append("、");
          joined_.append(text);
        }
        raw.value = arena.Copy(joined_);
        break;
      }
      case od::json_type::object: {
        const int max_depth = schemas_.For(RecordKind::kPenalty).max_depth();
        // The record itself is depth 1.
        if (1 + MeasureDepth(value, max_depth) > max_depth) return RejectReason::kJsonTooDeep;
        raw.type = ValueType::kObject;
        raw.key = arena.Copy(key);
        break;
      }
    }
    if (key == "kind") {
      if (kind_given) return RejectReason::kJsonDuplicateKey;
      kind_given = true;
      kind_value = raw.value;
      continue;
    }
    raw_fields_.push_back(raw);
  }
  // On-Demand validates only what it reads, and 3.0.1 has no at_end(): anything after the closing
  // brace is found by asking where the iterator stopped.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return RejectReason::kJsonTrailingGarbage;
  }

  // The kind: the kind field, else the field names, else configuration.
  RecordKind kind = RecordKind::kUnknown;
  if (kind_given) {
    kind = schemas_.KindFromValue(kind_value);
    if (kind == RecordKind::kUnknown) return RejectReason::kKindUnknown;
  } else {
    for (const RawField& f : raw_fields_) {
      kind = schemas_.KindFromKey(f.key);
      if (kind != RecordKind::kUnknown) break;
    }
    if (kind == RecordKind::kUnknown &&
        record.position.source_index < options_.default_kind_by_source.size()) {
      kind = options_.default_kind_by_source[record.position.source_index];
    }
    if (kind == RecordKind::kUnknown) kind = options_.default_kind;
    if (kind == RecordKind::kUnknown) return RejectReason::kKindUnknown;
  }
  record.kind = kind;
  const RecordSchema& schema = schemas_.For(kind);

  for (const RawField& f : raw_fields_) {
    const int index = schema.LookupKey(f.key);
    if (index < 0) {
      // Not ours to publish, but a key given twice is still an ambiguous message.
      if (std::find(unknown_keys_.begin(), unknown_keys_.end(), f.key) != unknown_keys_.end()) {
        return RejectReason::kJsonDuplicateKey;
      }
      unknown_keys_.emplace_back(f.key);
      continue;
    }
    if (record.present.test(index)) {
      reject_field = index;
      return RejectReason::kJsonDuplicateKey;
    }
    if (f.type == ValueType::kNull) continue;  // null is absent
    const FieldSpec& spec = schema.field(index);
    const bool type_ok = (f.type == ValueType::kString && spec.allows_string) ||
                         (f.type == ValueType::kNumber && spec.allows_number) ||
                         (f.type == ValueType::kBoolean && spec.allows_boolean) ||
                         (f.type == ValueType::kArray && spec.allows_array);
    if (!type_ok) {
      reject_field = index;
      return RejectReason::kFieldWrongType;
    }
    // Present but possibly empty: the validator tells an empty required field from a missing one.
    record.fields[index] = f.value;
    record.present.set(index);
  }
  return RejectReason::kNone;
}

bool JsonParser::LooksLikeTrailingGarbage(std::string_view json) {
  // Cold path, only after a syntax error: the message is an object with garbage after it if the
  // top-level object closes before the end and that prefix parses whole. One pass finds where it
  // closes (strings and escapes skipped), then one parse checks it: linear in the message, where
  // trying every '}' from the end re-parsed up to 4096 prefixes (125 ms for 256 KB of '}').
  size_t i = 0;
  while (i < json.size() &&
         (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) {
    ++i;
  }
  if (i >= json.size() || json[i] != '{') return false;
  size_t depth = 0, end = 0;
  bool in_string = false;
  for (; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0 && --depth == 0) {
      end = i + 1;
      break;
    }
  }
  if (end == 0) return false;
  size_t rest = end;
  while (rest < json.size() &&
         (json[rest] == ' ' || json[rest] == '\t' || json[rest] == '\r' || json[rest] == '\n')) {
    ++rest;
  }
  if (rest == json.size()) return false;  // nothing after it: the error is inside the object
  simdjson::padded_string prefix(json.substr(0, end));
  simdjson::ondemand::parser probe;
  od::document doc;
  if (probe.iterate(prefix).get(doc)) return false;
  od::object object;
  if (doc.get_object().get(object)) return false;
  for (auto field : object) {
    od::field f;
    if (std::move(field).get(f)) return false;
  }
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

}  // namespace gongshi
