// The state store's values and one codec per key kind: record state, source progress, chain head,
// batch sequence, expiry index, HTTP outbox, receipt, audit ledger. The store (state_store.h)
// only moves their bytes; what the bytes mean, and which older layouts still read, is here.
//
// One encoding style for every value: a leading version byte (except the chain head and the batch
// sequence, see below), then fixed-width little-endian integers and strings as a u16 little-endian
// length and bytes. Fixed-width little-endian because it is byte for byte what every store written
// so far holds (the store used to memcpy host integers on x86-64): no value needs migrating, and a
// record state, the per-record write, encodes with plain stores and decodes at fixed offsets.
// Keys are big-endian where they must sort (expiry day, batch sequence, ledger position).
// The chain head and the batch sequence have never had a version byte; one is not added, because
// the binaries already deployed read those values without checking their length and would misread
// a longer one silently. A new layout of either is told from today's by its length (40 and 8).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/common/keyed_hash.h"
#include "pipeline/record/record.h"
#include "pipeline/state/audit_event.h"

namespace gongshi {

struct RecordState {
  // How many earlier versions are remembered: a re-sent older version (a replayed file, a
  // consumer rewound past a correction) is a duplicate, not an update that would roll the
  // published correction back.
  static constexpr size_t kHistory = 3;
  PublicationState state = PublicationState::kNone;
  RecordKind kind = RecordKind::kUnknown;
  Digest128 fingerprint{};
  std::array<Digest128, kHistory> earlier{};  // newest first; zero = none
  bool Knows(const Digest128& fingerprint) const;
  int32_t decision_day = 0;
  int32_t deadline_day = 0;
  uint64_t batch_sequence = 0;  // the feed batch that last carried it
  // Penalties published: the last day of publication; the expiry index holds the same day.
  int32_t publication_end_day = 0;
  // The redaction policy its last publication went out under (PolicyTag of
  // redaction.policy_version); 0 = unknown (state written before it was kept). A replay under
  // another policy re-publishes the current version as a correction.
  uint64_t policy = 0;
};

// A 64-bit tag of a redaction policy version, never 0.
uint64_t PolicyTag(std::string_view policy_version);

// What a withdrawal at the end of the publication period needs of a published penalty: its
// natural key as it was published (redacted, organisations' data only), by publication end.
struct ExpiryEntry {
  int32_t end_day = 0;
  Digest128 identity{};
  RecordKind kind = RecordKind::kUnknown;
  int32_t decision_day = 0;
  std::string authority_uscc;
  std::string authority_name;
  std::string decision_doc_no;
  std::string license_no;
};

// How far one input source has been processed, and the counts so far, so that a run resumed after
// a crash reports the same totals as an uninterrupted one.
struct SourceProgress {
  uint64_t generation = 0;  // passes over this source; batch ids include it
  int64_t next_offset = 0;  // byte offset (file) or Kafka offset of the first unprocessed record
  int64_t next_line = 1;
  bool completed = false;
  Digest128 head{};  // hash of the source's first bytes: a different file at the same path restarts
  std::array<uint64_t, 7> outcomes{};      // by Outcome (kPending unused)
  std::vector<uint64_t> reject_reasons;    // by RejectReason
  std::vector<uint64_t> withhold_reasons;  // by WithholdReason
  std::array<uint64_t, 4> redactions{};    // id_number, mobile, bank_card, email
  uint64_t batches = 0;
  uint64_t names_redacted = 0;  // names of natural persons masked in free text
};

// A feed batch the HTTP sink has still to deliver (the outbox), or its receipt once the site
// answered. Written in the batch's own commit, so a batch is never durable without its entry.
struct OutboxEntry {
  uint64_t sequence = 0;
  std::string batch_id;
  uint64_t records = 0;
  std::vector<std::string> files;  // feed files, relative to the output directory, in kind order
  uint32_t attempts = 0;
  int64_t first_attempt_ms = 0;
  std::string last_error;  // of the last failed attempt ("" before any)
};
struct Receipt {
  uint64_t sequence = 0;
  std::string batch_id;
  int status = 0;      // the site's HTTP status: 2xx acknowledged, 4xx refused
  std::string answer;  // the site's answer (body), at most 1 KiB
  uint32_t attempts = 0;
  int64_t answered_ms = 0;
};

// Why a value did not decode: its version or fixed part is not one this build knows, or it ends
// inside a string. The store turns either into an error naming the kind.
enum class DecodeStatus : uint8_t { kOk, kUnknownLayout, kTruncated };

// Every codec appends its key or value to `out` (cleared by the caller when it reuses a buffer).

// "r" identity(16) -> v5: version, state, kind, fingerprint(16), count of earlier versions, the
// earlier fingerprints, decision day, deadline day, batch sequence, publication end, policy tag.
// Still read: v4 (all three earlier slots always), v3 (no policy), v2 (no publication end).
struct RecordStateCodec {
  static constexpr char kPrefix = 'r';
  static constexpr uint8_t kVersion = 5;
  static void Key(const Digest128& identity, std::string& out);
  static void Encode(const RecordState& state, std::string& out);
  static DecodeStatus Decode(std::string_view value, RecordState& state);
};

// "p" source id -> v1: generation, next offset, next line, completed, head(16), outcomes(7),
// redactions(4), batches, the two reason counts' sizes (u32), the counts, names redacted (absent
// in progress written before names were masked: read as 0).
struct SourceProgressCodec {
  static constexpr char kPrefix = 'p';
  static constexpr uint8_t kVersion = 1;
  static void Key(std::string_view source_id, std::string& out);
  static void Encode(const SourceProgress& progress, std::string& out);
  static DecodeStatus Decode(std::string_view value, SourceProgress& progress);
};

// "c" kind(1) -> sequence, manifest SHA-256(32); no version byte (see the top of this file).
struct ChainHeadCodec {
  static constexpr char kPrefix = 'c';
  static void Key(RecordKind kind, std::string& out);
  static void Encode(const ChainHead& head, std::string& out);
  static DecodeStatus Decode(std::string_view value, ChainHead& head);
};

// "b" -> the next batch sequence (u64); no version byte (see the top of this file).
struct BatchSequenceCodec {
  static constexpr std::string_view kKey = "b";
  static void Encode(uint64_t next, std::string& out);
  static DecodeStatus Decode(std::string_view value, uint64_t& next);
};

// "e" end day(4, big-endian) identity(16): a range scan from "e" finds the earliest ends first.
// -> v1: kind, decision day, authority USCC, authority name, document number, licence number.
struct ExpiryCodec {
  static constexpr char kPrefix = 'e';
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kKeySize = 1 + 4 + 16;
  static void Key(int32_t end_day, const Digest128& identity, std::string& out);
  static void Encode(const ExpiryEntry& entry, std::string& out);
  // `key` must be kKeySize bytes (the caller's scan stops at one that is not).
  static DecodeStatus Decode(std::string_view key, std::string_view value, ExpiryEntry& entry);
};

// "o" sequence(8, big-endian) -> v1: records, attempts, first attempt ms, batch id, last error,
// the files (u16 count, then each).
struct OutboxCodec {
  static constexpr char kPrefix = 'o';
  static constexpr uint8_t kVersion = 1;
  static void Key(uint64_t sequence, std::string& out);
  static void Encode(const OutboxEntry& entry, std::string& out);
  static DecodeStatus Decode(std::string_view key, std::string_view value, OutboxEntry& entry);
};

// "h" sequence(8, big-endian) -> v1 (the outbox's version, shared since both were written):
// status (i32), attempts, answered ms, batch id, answer (at most 1 KiB).
struct ReceiptCodec {
  static constexpr char kPrefix = 'h';
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kMaxAnswer = 1024;
  static void Key(uint64_t sequence, std::string& out);
  static void Encode(const Receipt& receipt, std::string& out);
  static DecodeStatus Decode(std::string_view key, std::string_view value, Receipt& receipt);
};

// "a" YYYYMM authority USCC 0x00 identity(16) batch sequence(8, big-endian) index(4, big-endian):
// keyed by decision month (arrival month when the decision date is unknown) so a period is a
// range scan. -> v1: kind, outcome, reason, lateness, provisional, decision, arrival, published
// and deadline days, latency in working days, authority USCC, authority name.
struct AuditLedgerCodec {
  static constexpr char kPrefix = 'a';
  static constexpr uint8_t kVersion = 1;
  static void Key(const AuditEvent& event, const Digest128& identity, uint64_t batch_sequence,
                  uint32_t index_in_batch, std::string& out);
  // The first key of `day`'s month: "a" YYYYMM.
  static void MonthKey(int32_t day, std::string& out);
  static void Encode(const AuditEvent& event, std::string& out);
  static DecodeStatus Decode(std::string_view value, AuditEvent& event);
};

}  // namespace gongshi
