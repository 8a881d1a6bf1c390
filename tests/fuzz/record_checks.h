// Invariants of a record after the parse stage (and, for the validator target, after validate):
// one outcome, a reason from the enum, a detail that carries no value, views that stay inside the
// message or the batch's arena. Shared by json_parser_fuzz and validator_fuzz.
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "pipeline/record/record.h"
#include "pipeline/record/reject_reason.h"
#include "pipeline/schema/schema.h"
#include "tests/fuzz/fuzz_support.h"

namespace gongshi::fuzz {

// Where a batch's views may point: the messages' bytes and what the stages took from the arena.
struct BatchMemory {
  std::string_view bytes;  // RecordBatch::bytes, every message and its padding
  std::string_view arena;  // ArenaWindow::Used
};

inline void PrintRecord(const Record& r) {
  std::fprintf(stderr, "  record: kind %.*s, outcome %.*s, reason %.*s, field %d\n",
               static_cast<int>(RecordKindName(r.kind).size()), RecordKindName(r.kind).data(),
               static_cast<int>(OutcomeName(r.outcome).size()), OutcomeName(r.outcome).data(),
               static_cast<int>(RejectReasonCode(r.reject_reason).size()),
               RejectReasonCode(r.reject_reason).data(), r.reject_field);
  PrintEscaped("message", r.raw);
}

#define CHECK_RECORD(condition, what, record) \
  do {                                        \
    if (!(condition)) {                       \
      ::gongshi::fuzz::PrintRecord(record);   \
      GONGSHI_FUZZ_CHECK(condition, what);    \
    }                                         \
  } while (0)

inline bool KnownReason(RejectReason reason) {
  for (RejectReason r : AllRejectReasons()) {
    if (r == reason) return true;
  }
  return false;
}

// The outcome and reject fields: pending with nothing set, or rejected with a reason of the enum
// (its code round-trips), a field of the kind's schema or -1, and a detail that is static text or
// arena text holding none of the record's values (dead-letter entries and logs print the detail;
// the values may be personal data).
inline void CheckOutcome(const Record& r, const SchemaSet& schemas, const BatchMemory& memory) {
  CHECK_RECORD(r.outcome == Outcome::kPending || r.outcome == Outcome::kRejected,
               "parse and validate end a record pending or rejected, nothing else", r);
  if (r.outcome == Outcome::kPending) {
    CHECK_RECORD(
        r.reject_reason == RejectReason::kNone && r.reject_field == -1 && r.reject_detail.empty(),
        "a pending record carries reject information", r);
    CHECK_RECORD(r.kind == RecordKind::kLicense || r.kind == RecordKind::kPenalty,
                 "a pending record has no kind", r);
    return;
  }
  CHECK_RECORD(KnownReason(r.reject_reason), "a reject without a reason from the enum", r);
  CHECK_RECORD(RejectReasonFromCode(RejectReasonCode(r.reject_reason)) == r.reject_reason,
               "a reject reason whose code does not round-trip", r);
  const int fields = r.kind == RecordKind::kUnknown ? 0 : schemas.For(r.kind).field_count();
  CHECK_RECORD(r.reject_field >= -1 && r.reject_field < fields,
               "a reject names a field outside the kind's schema", r);
  if (r.reject_detail.empty()) return;
  CHECK_RECORD(!Overlaps(r.reject_detail, memory.bytes),
               "a reject detail is a view into the message: it carries input bytes", r);
  CHECK_RECORD(ValidUtf8(r.reject_detail), "a reject detail is not valid UTF-8", r);
  if (Overlaps(r.reject_detail, memory.arena)) {
    // Formatted text: it must not quote a value. Values of 4 bytes and more; shorter ones occur
    // in any sentence by chance.
    for (size_t i = 0; i < kMaxFields; ++i) {
      const std::string_view value = r.fields[i];
      CHECK_RECORD(value.size() < 4 || r.reject_detail.find(value) == std::string_view::npos,
                   "a reject detail quotes a field's value", r);
    }
  }
}

// `value` may lie in the record's JSON (the message, or its transcoding in the arena), anywhere
// the stages wrote into the arena, or be the parser's "true"/"false" for a boolean field. The
// validator adds its canonical enum values (`canonical`, the schema's own strings).
inline bool ViewInBounds(std::string_view value, const Record& r, const FieldSpec& spec,
                         const BatchMemory& memory, bool allow_canonical) {
  if (value.empty()) return true;
  if (Within(value, r.json) || Within(value, memory.arena)) return true;
  if (spec.allows_boolean && (value == "true" || value == "false") &&
      !Overlaps(value, memory.bytes)) {
    return true;
  }
  if (allow_canonical) {
    for (const std::string& canonical : spec.enum_values) {
      if (value.data() == canonical.data() && value.size() == canonical.size()) return true;
    }
  }
  return false;
}

// The views of a record the parser (or validator) left pending.
inline void CheckViews(const Record& r, const SchemaSet& schemas, const BatchMemory& memory,
                       bool gb18030, bool allow_canonical) {
  if (r.outcome != Outcome::kPending) return;
  if (gb18030) {
    // The transcoding lives in the arena with simdjson's padding after it (record.h).
    CHECK_RECORD(Within(r.json, memory.arena) &&
                     r.json.data() + r.json.size() + simdjson::SIMDJSON_PADDING <=
                         memory.arena.data() + memory.arena.size(),
                 "a GB18030 record's json is not an arena copy followed by padding", r);
  } else {
    CHECK_RECORD(r.json.data() == r.raw.data() && r.json.size() == r.raw.size(),
                 "a UTF-8 record's json is not its message", r);
  }
  const RecordSchema& schema = schemas.For(r.kind);
  for (size_t i = 0; i < kMaxFields; ++i) {
    const std::string_view value = r.fields[i];
    if (!r.present.test(i)) {
      CHECK_RECORD(value.empty(), "an absent field has a value", r);
      continue;
    }
    CHECK_RECORD(static_cast<int>(i) < schema.field_count(),
                 "a field is present beyond the kind's schema", r);
    if (!ViewInBounds(value, r, schema.field(static_cast<int>(i)), memory, allow_canonical)) {
      std::fprintf(stderr, "  field %zu (%s): view at %p, %zu bytes\n", i,
                   schema.field(static_cast<int>(i)).name.c_str(),
                   static_cast<const void*>(value.data()), value.size());
      CHECK_RECORD(false, "a field's view lies outside its message and the batch arena", r);
    }
    // Every later stage (the scanner, the CSV and JSON writers) takes the values for UTF-8.
    CHECK_RECORD(ValidUtf8(value), "a field of a pending record is not valid UTF-8", r);
  }
}

// What a stage decided about a record, as values: to compare two runs over the same message.
struct Decision {
  Outcome outcome = Outcome::kPending;
  RejectReason reason = RejectReason::kNone;
  int16_t field = -1;
  RecordKind kind = RecordKind::kUnknown;
  FieldMask present;
  std::array<std::string, kMaxFields> fields;
  std::array<int64_t, kMaxFields> values{};

  static Decision Of(const Record& r) {
    Decision d{r.outcome, r.reject_reason, r.reject_field, r.kind, r.present, {}, {}};
    for (size_t i = 0; i < kMaxFields; ++i) {
      if (!r.present.test(i)) continue;
      d.fields[i] = std::string(r.fields[i]);
      d.values[i] = r.values[i];
    }
    return d;
  }
  friend bool operator==(const Decision&, const Decision&) = default;
};

}  // namespace gongshi::fuzz
