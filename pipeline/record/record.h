// Record and RecordBatch: the unit of work that flows through every stage.
//
// Stages take a RecordBatch by reference and work in place. A record's fields are string_views into
// the message bytes held by the batch (or, where a stage had to rewrite a value, into the batch's
// arena), so nothing is copied per record. A stage that rejects or withholds a record sets its
// outcome and carries on; only a failure of the stage itself is returned as an Error.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/record/arena.h"
#include "pipeline/record/reject_reason.h"

namespace gongshi {

// 行政许可 (license) or 行政处罚 (penalty).
enum class RecordKind : uint8_t { kUnknown, kLicense, kPenalty };
std::string_view RecordKindName(RecordKind kind);  // "license", "penalty", "unknown"

// Every input record ends in exactly one of these (spec: "Nothing is lost").
enum class Outcome : uint8_t {
  kPending,    // still on its way through the stages
  kPublished,  // new identity: published as an upsert
  kUpdated,    // known identity, new content: published as a correction (upsert)
  kDuplicate,  // same identity and content fingerprint as what was already handled
  kWithdrawn,  // revocation / status 无效: published as a withdrawal
  kWithheld,   // valid, but not for publication (minor, confidential, publication rules)
  kRejected,   // dead-lettered with a RejectReason
};
std::string_view OutcomeName(Outcome outcome);

// Why a valid record is not published. Stable codes, like RejectReason.
enum class WithholdReason : uint8_t {
  kNone,
  kMinor,         // the subject was under 18 at the decision date (暂行办法 Art. 5)
  kConfidential,  // the source marks it 涉密 / 不予公示
  kWarningOnly,   // SAMR 令45 Art. 2 / NDRC 令36: warning-only (or 通报批评-only) penalties
  kPeriodEnded,  // a penalty whose publication period (公示截止期) ended before it could go out
};
inline constexpr size_t kWithholdReasonCount =
    static_cast<size_t>(WithholdReason::kPeriodEnded) + 1;
std::string_view WithholdReasonCode(WithholdReason reason);
// Lower-case hex of digests (identities, fingerprints, SHA-256 sums).
std::string HexEncode(const uint8_t* data, size_t size);
template <size_t N>
std::string HexEncode(const std::array<uint8_t, N>& digest) {
  return HexEncode(digest.data(), N);
}

// What was last done with a record identity, as the state store remembers it. Stored; do not
// renumber.
enum class PublicationState : uint8_t { kNone = 0, kPublished = 1, kWithdrawn = 2, kWithheld = 3 };

// Where a record came from: a Kafka topic-partition-offset, or a file's byte offset and line.
struct SourcePosition {
  uint32_t source_index = 0;  // index into the run's table of sources (file paths or topics)
  int32_t partition = -1;     // Kafka partition; -1 for a file
  int64_t offset = 0;         // Kafka offset, or byte offset of the line's first byte in the file
  int64_t line = 0;           // 1-based line number in a file; 0 for Kafka
  int64_t timestamp_ms = 0;   // Kafka message timestamp (broker append or create time); 0 = none
};

// The head of one feed's manifest chain: how many manifests it has and the SHA-256 of the last
// one, which the next manifest names so that a removed or altered batch shows.
struct ChainHead {
  uint64_t sequence = 0;
  std::array<uint8_t, 32> manifest_sha256{};
};

// Fields are indexed by their position in the kind's schema (pipeline/schema). 64 is more than
// either record kind of the national standard has (28 and 30), and lets a uint64_t mask track them.
inline constexpr size_t kMaxFields = 64;
using FieldMask = std::bitset<kMaxFields>;

// A Kafka message's headers as one byte string, as the sources stage them beside the message and
// the dead-letter seals them: for each header in order, the name's length (4 bytes, big-endian),
// the name, the value's length (4 bytes, big-endian; 0xFFFFFFFF for a null value) and the value.
// Dead-letter entries keep this form, so it is fixed: a new form gets a new name beside it.
inline constexpr uint32_t kNullHeaderValue = 0xFFFFFFFF;

// Appends one header to a block. `value` nullptr is a null value (Kafka tells it from empty).
template <typename Bytes>
void AppendHeader(Bytes& out, std::string_view name, const char* value, size_t size) {
  auto put32 = [&out](uint32_t n) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  };
  put32(static_cast<uint32_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  put32(value == nullptr ? kNullHeaderValue : static_cast<uint32_t>(size));
  if (value != nullptr) out.insert(out.end(), value, value + size);
}

struct MessageHeader {
  std::string_view name;
  std::string_view value;
  bool value_null = false;
};

// Reads a header block in order. Next returns false at its end, and also on a block that is cut
// or garbled (a dead-letter entry altered by hand): then ok() is false.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view block) : block_(block) {}
  bool Next(MessageHeader& header) {
    if (at_ == block_.size()) return false;  // the end, between two headers
    uint32_t name_size = 0, value_size = 0;
    if (!Get32(name_size) || block_.size() - at_ < name_size) return Garbled();
    header.name = block_.substr(at_, name_size);
    at_ += name_size;
    if (!Get32(value_size)) return Garbled();
    header.value_null = value_size == kNullHeaderValue;
    if (header.value_null) value_size = 0;
    if (block_.size() - at_ < value_size) return Garbled();
    header.value = block_.substr(at_, value_size);
    at_ += value_size;
    return true;
  }
  bool ok() const { return ok_; }

 private:
  bool Get32(uint32_t& n) {
    if (block_.size() - at_ < 4) return false;
    n = 0;
    for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<unsigned char>(block_[at_ + i]);
    at_ += 4;
    return true;
  }
  bool Garbled() {
    ok_ = false;
    at_ = block_.size();
    return false;
  }
  std::string_view block_;
  size_t at_ = 0;
  bool ok_ = true;
};

struct Record {
  SourcePosition position;
  // The message exactly as received. Valid while the batch is.
  std::string_view raw;
  // A Kafka message's key and headers (a HeaderReader block), as received: views into the
  // batch's bytes like `raw`. A message without a key, and a record from a file, has key_null.
  std::string_view key;
  std::string_view headers;
  bool key_null = true;
  // A tombstone: a Kafka message whose value is null (a delete marker), not an empty one. `raw`
  // is then empty and the source has rejected it (kafka_tombstone).
  bool value_null = false;
  // The UTF-8 JSON the parser reads: `raw`, or its transcoding when the source is GB18030.
  // Followed by at least simdjson::SIMDJSON_PADDING readable bytes.
  std::string_view json;

  RecordKind kind = RecordKind::kUnknown;
  // Canonical field values, unescaped, as views into `json` or the batch arena.
  std::array<std::string_view, kMaxFields> fields{};
  FieldMask present;
  // Values the validator derived, by field: dates as days since 1970-01-01, money as an exact
  // count of 0.01 yuan, multi-valued enumerations as a bit set of canonical values.
  std::array<int64_t, kMaxFields> values{};

  Outcome outcome = Outcome::kPending;
  RejectReason reject_reason = RejectReason::kNone;
  int16_t reject_field = -1;       // schema index of the field the reason is about, or -1
  std::string_view reject_detail;  // static text or arena text; never holds a field's value
  WithholdReason withhold_reason = WithholdReason::kNone;

  // Set by dedupe: the keyed identity (HMAC) and content fingerprint.
  std::array<uint8_t, 16> identity{};
  std::array<uint8_t, 16> fingerprint{};
  PublicationState prior = PublicationState::kNone;  // before this record
  // Set by the runner from the calendar: the publication deadline (day number) and whether it was
  // computed over a year whose holiday notice is not loaded.
  int32_t deadline_day = 0;
  bool deadline_provisional = false;
  bool withdraw_requested = false;  // the record itself revokes (status 无效 / 撤销)
  bool repair_requested = false;    // a credit-repair event (信用修复): withdraw the record
  // Set by dedupe in replay mode: published again only because the redaction policy changed
  // (not a new version; its deadline was met, or missed, by the first publication).
  bool replayed = false;
  // Penalties: the last day of publication (公示截止期), from the source or derived from the
  // rules in force at the decision date (schemas/publication_periods.json); 0 = none.
  int32_t publication_end_day = 0;
  bool publication_end_derived = false;

  bool pending() const { return outcome == Outcome::kPending; }
  void Reject(RejectReason reason, int field = -1, std::string_view detail = {}) {
    outcome = Outcome::kRejected;
    reject_reason = reason;
    reject_field = static_cast<int16_t>(field);
    reject_detail = detail;
  }
  void Withhold(WithholdReason reason) {
    outcome = Outcome::kWithheld;
    withhold_reason = reason;
  }
  // Resets for reuse by the next batch; keeps nothing that points into the previous one.
  void Clear() { *this = Record(); }
};

// A batch owns the bytes its records point into. Buffers keep their capacity between batches, so
// a steady stream allocates nothing per record.
struct RecordBatch {
  std::vector<Record> records;
  // Message bytes, each message followed by padding for simdjson. Filled by the source before any
  // record view is taken, never appended to afterwards.
  std::vector<char> bytes;
  // Values stages had to rewrite (unescaped strings, transcodings, normalised codes).
  Arena arena;
  // The same for the parts of the batch the runtime hands to several cores at once: part k's
  // records keep their rewritten values in part_arenas[k] (never written by two threads).
  std::vector<Arena> part_arenas;

  void Clear() {
    records.clear();
    bytes.clear();
    arena.Reset();
    for (Arena& part : part_arenas) part.Reset();
  }
  // Forgets what the stages decided so the batch can run through them again (a sink failed):
  // messages, keys, headers and positions stay; what the source rejected (a message cut for
  // size, a tombstone) stays rejected.
  void ResetOutcomes() {
    for (Record& record : records) {
      const SourcePosition position = record.position;
      const std::string_view raw = record.raw, key = record.key, headers = record.headers;
      const bool key_null = record.key_null, value_null = record.value_null;
      const RejectReason reason = record.reject_reason;
      const bool by_source =
          reason == RejectReason::kRecordTooLarge || reason == RejectReason::kKafkaTombstone;
      const std::string_view detail = record.reject_detail;
      record.Clear();
      record.position = position;
      record.raw = raw;
      record.json = raw;  // padded: the source laid it out in `bytes`
      record.key = key;
      record.headers = headers;
      record.key_null = key_null;
      record.value_null = value_null;
      if (by_source) record.Reject(reason, -1, detail);
    }
  }
};

}  // namespace gongshi
