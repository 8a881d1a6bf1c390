// JsonParser: the parse stage. Turns each message of a batch into a canonical record: the kind,
// and every field as a string_view under its schema index, whatever name (snake_case, exchange
// code, legacy 2015 code, Chinese) the source used. Structural problems are rejects here.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "pipeline/parse/transcoder.h"
#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

struct ParserOptions {
  SourceEncoding encoding = SourceEncoding::kUtf8;
  // Larger messages are rejected as record_too_large (the source enforces it while reading).
  size_t max_record_bytes = 256 * 1024;
  // Kind of records that carry neither a kind field nor kind-revealing field names.
  RecordKind default_kind = RecordKind::kUnknown;
  // The same, per source (by SourcePosition::source_index): a topic that carries one kind.
  std::vector<RecordKind> default_kind_by_source{};
};

// Not thread-safe: one JsonParser per worker thread, reused for every batch, because simdjson's
// parser keeps its buffers between documents. Borrows `schemas`, which must outlive it.
class JsonParser {
 public:
  JsonParser(const SchemaSet& schemas, ParserOptions options);
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;

  // Parses every pending record of the batch. A message that is not one well-formed JSON object
  // in the source's encoding, or whose fields break the schema's structure (duplicate, wrong
  // JSON type, too deep), is rejected with its reason; the rest get kind and fields.
  void Process(RecordBatch& batch);
  // The same for a part of a batch, values it rewrites in `arena` (the part's own: the runtime
  // parses a batch's parts on several cores, a JsonParser per core).
  void Process(std::span<Record> records, Arena& arena);
  // One record; views point into record.json or `arena`. Public for tests and benchmarks.
  void Parse(Record& record, Arena& arena);

 private:
  enum class ValueType : uint8_t { kString, kNumber, kBoolean, kNull, kArray, kObject };
  struct RawField {
    std::string_view key;  // parser buffer or arena; only used within Parse()
    std::string_view value;
    ValueType type;
  };
  RejectReason ReadFields(Record& record, Arena& arena, int& reject_field);
  bool LooksLikeTrailingGarbage(std::string_view json);

  const SchemaSet& schemas_;
  ParserOptions options_;
  simdjson::ondemand::parser parser_;
  std::unique_ptr<simdjson::dom::parser> dom_parser_;  // cold path only, made on first use
  Transcoder transcoder_;
  std::vector<RawField> raw_fields_;       // reused: fields before the kind is known
  std::vector<std::string> unknown_keys_;  // reused: duplicate check for keys not in the schema
  std::string joined_;                     // reused: array values joined with '、'
};

}  // namespace gongshi
