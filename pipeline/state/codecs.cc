#include "pipeline/state/codecs.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <xxhash.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

// Little-endian fixed-width writes, spelled out so the bytes do not depend on the host.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void I32(int32_t v) { Le(static_cast<uint32_t>(v), 4); }
  void I64(int64_t v) { Le(static_cast<uint64_t>(v), 8); }
  void Bytes(const uint8_t* data, size_t n) { out_.append(reinterpret_cast<const char*>(data), n); }
  template <size_t N>
  void Bytes(const std::array<uint8_t, N>& data) {
    Bytes(data.data(), N);
  }
  // A u16 length and the bytes; longer text is cut at 65535 bytes.
  void String(std::string_view text) {
    const size_t size = std::min<size_t>(text.size(), 0xffff);
    U16(static_cast<uint16_t>(size));
    out_.append(text.data(), size);
  }

 private:
  void Le(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>(v >> (8 * i) & 0xff));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool U8(uint8_t& v) {
    uint64_t x = 0;
    if (!Le(x, 1)) return false;
    v = static_cast<uint8_t>(x);
    return true;
  }
  bool U16(uint16_t& v) {
    uint64_t x = 0;
    if (!Le(x, 2)) return false;
    v = static_cast<uint16_t>(x);
    return true;
  }
  bool U32(uint32_t& v) {
    uint64_t x = 0;
    if (!Le(x, 4)) return false;
    v = static_cast<uint32_t>(x);
    return true;
  }
  bool I32(int32_t& v) {
    uint32_t x = 0;
    if (!U32(x)) return false;
    v = static_cast<int32_t>(x);
    return true;
  }
  bool U64(uint64_t& v) { return Le(v, 8); }
  bool I64(int64_t& v) {
    uint64_t x = 0;
    if (!Le(x, 8)) return false;
    v = static_cast<int64_t>(x);
    return true;
  }
  bool Bytes(uint8_t* data, size_t n) {
    if (in_.size() < n) return false;
    std::copy_n(in_.data(), n, reinterpret_cast<char*>(data));
    in_.remove_prefix(n);
    return true;
  }
  template <size_t N>
  bool Bytes(std::array<uint8_t, N>& data) {
    return Bytes(data.data(), N);
  }
  bool String(std::string& out) {
    uint16_t size = 0;
    if (!U16(size) || in_.size() < size) return false;
    out.assign(in_.data(), size);
    in_.remove_prefix(size);
    return true;
  }
  bool empty() const { return in_.empty(); }

 private:
  bool Le(uint64_t& v, size_t bytes) {
    if (in_.size() < bytes) return false;
    v = 0;
    for (size_t i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(bytes);
    return true;
  }
  std::string_view in_;
};

void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(v >> shift & 0xff));
  }
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

void AppendIdentity(std::string& out, const Digest128& id) {
  out.append(reinterpret_cast<const char*>(id.data()), id.size());
}

}  // namespace

uint64_t PolicyTag(std::string_view policy_version) {
  const uint64_t tag = XXH3_64bits(policy_version.data(), policy_version.size());
  return tag == 0 ? 1 : tag;
}

bool RecordState::Knows(const Digest128& candidate) const {
  if (state == PublicationState::kNone) return false;
  if (candidate == fingerprint) return true;
  for (const Digest128& e : earlier) {
    if (e == candidate) return true;
  }
  return false;
}

// --- Record state.

void RecordStateCodec::Key(const Digest128& identity, std::string& out) {
  out.push_back(kPrefix);
  AppendIdentity(out, identity);
}

void RecordStateCodec::Encode(const RecordState& state, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(state.state));
  w.U8(static_cast<uint8_t>(state.kind));
  w.Bytes(state.fingerprint);
  // Newest first and contiguous: the first zero ends the list. Most records have none, so v5
  // keeps only those there are (48 bytes where v4 took 95: a block holds twice the records).
  uint8_t earlier_count = 0;
  while (earlier_count < state.earlier.size() && state.earlier[earlier_count] != Digest128{}) {
    ++earlier_count;
  }
  w.U8(earlier_count);
  for (uint8_t i = 0; i < earlier_count; ++i) w.Bytes(state.earlier[i]);
  w.I32(state.decision_day);
  w.I32(state.deadline_day);
  w.U64(state.batch_sequence);
  w.I32(state.publication_end_day);
  w.U64(state.policy);
}

DecodeStatus RecordStateCodec::Decode(std::string_view value, RecordState& state) {
  ByteReader r(value);
  uint8_t version = 0, status = 0, kind = 0;
  if (!r.U8(version) || version < 2 || version > kVersion || !r.U8(status) || !r.U8(kind)) {
    return DecodeStatus::kUnknownLayout;
  }
  state.state = static_cast<PublicationState>(status);
  state.kind = static_cast<RecordKind>(kind);
  if (!r.Bytes(state.fingerprint)) return DecodeStatus::kUnknownLayout;
  size_t earlier_count = state.earlier.size();
  if (version >= 5) {
    uint8_t count = 0;
    if (!r.U8(count) || count > state.earlier.size()) return DecodeStatus::kUnknownLayout;
    earlier_count = count;
  }
  for (size_t i = 0; i < state.earlier.size(); ++i) {
    if (i >= earlier_count) {
      state.earlier[i] = Digest128{};
    } else if (!r.Bytes(state.earlier[i])) {
      return DecodeStatus::kUnknownLayout;
    }
  }
  if (!r.I32(state.decision_day) || !r.I32(state.deadline_day) || !r.U64(state.batch_sequence)) {
    return DecodeStatus::kUnknownLayout;
  }
  state.publication_end_day = 0;
  state.policy = 0;
  if (version == 2) return DecodeStatus::kOk;
  if (!r.I32(state.publication_end_day)) return DecodeStatus::kUnknownLayout;
  if (version == 3 || r.U64(state.policy)) return DecodeStatus::kOk;
  return DecodeStatus::kUnknownLayout;
}

// --- Source progress.

void SourceProgressCodec::Key(std::string_view source_id, std::string& out) {
  out.push_back(kPrefix);
  out.append(source_id);
}

void SourceProgressCodec::Encode(const SourceProgress& p, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.U64(p.generation);
  w.I64(p.next_offset);
  w.I64(p.next_line);
  w.U8(static_cast<uint8_t>(p.completed));
  w.Bytes(p.head);
  for (uint64_t n : p.outcomes) w.U64(n);
  for (uint64_t n : p.redactions) w.U64(n);
  w.U64(p.batches);
  w.U32(static_cast<uint32_t>(p.reject_reasons.size()));
  w.U32(static_cast<uint32_t>(p.withhold_reasons.size()));
  for (uint64_t n : p.reject_reasons) w.U64(n);
  for (uint64_t n : p.withhold_reasons) w.U64(n);
  w.U64(p.names_redacted);
}

DecodeStatus SourceProgressCodec::Decode(std::string_view value, SourceProgress& p) {
  ByteReader r(value);
  uint8_t version = 0, completed = 0;
  uint32_t reasons = 0, withholds = 0;
  bool ok = r.U8(version) && version == kVersion && r.U64(p.generation) && r.I64(p.next_offset) &&
            r.I64(p.next_line) && r.U8(completed) && r.Bytes(p.head);
  for (uint64_t& n : p.outcomes) ok = ok && r.U64(n);
  for (uint64_t& n : p.redactions) ok = ok && r.U64(n);
  ok = ok && r.U64(p.batches) && r.U32(reasons) && r.U32(withholds);
  if (ok) {
    p.reject_reasons.resize(reasons);
    for (uint64_t& n : p.reject_reasons) ok = ok && r.U64(n);
    p.withhold_reasons.resize(withholds);
    for (uint64_t& n : p.withhold_reasons) ok = ok && r.U64(n);
    // Written since names were masked in free text; progress written before has none.
    p.names_redacted = 0;
    if (ok && !r.empty()) ok = r.U64(p.names_redacted);
  }
  if (!ok) return DecodeStatus::kUnknownLayout;
  p.completed = completed != 0;
  return DecodeStatus::kOk;
}

// --- Chain head and batch sequence.

void ChainHeadCodec::Key(RecordKind kind, std::string& out) {
  out.push_back(kPrefix);
  out.push_back(static_cast<char>(kind));
}

void ChainHeadCodec::Encode(const ChainHead& head, std::string& out) {
  ByteWriter w(out);
  w.U64(head.sequence);
  w.Bytes(head.manifest_sha256);
}

DecodeStatus ChainHeadCodec::Decode(std::string_view value, ChainHead& head) {
  ByteReader r(value);
  if (!r.U64(head.sequence) || !r.Bytes(head.manifest_sha256)) return DecodeStatus::kUnknownLayout;
  return DecodeStatus::kOk;
}

void BatchSequenceCodec::Encode(uint64_t next, std::string& out) { ByteWriter(out).U64(next); }

DecodeStatus BatchSequenceCodec::Decode(std::string_view value, uint64_t& next) {
  ByteReader r(value);
  return r.U64(next) ? DecodeStatus::kOk : DecodeStatus::kUnknownLayout;
}

// --- Expiry index.

void ExpiryCodec::Key(int32_t end_day, const Digest128& identity, std::string& out) {
  out.push_back(kPrefix);
  AppendBigEndian(out, static_cast<uint32_t>(end_day), 4);
  AppendIdentity(out, identity);
}

void ExpiryCodec::Encode(const ExpiryEntry& entry, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(entry.kind));
  w.I32(entry.decision_day);
  w.String(entry.authority_uscc);
  w.String(entry.authority_name);
  w.String(entry.decision_doc_no);
  w.String(entry.license_no);
}

DecodeStatus ExpiryCodec::Decode(std::string_view key, std::string_view value, ExpiryEntry& entry) {
  if (key.size() != kKeySize) return DecodeStatus::kUnknownLayout;
  entry.end_day = static_cast<int32_t>(static_cast<uint32_t>(ReadBigEndian(key.substr(1, 4))));
  std::copy_n(key.data() + 5, entry.identity.size(),
              reinterpret_cast<char*>(entry.identity.data()));
  ByteReader r(value);
  uint8_t version = 0, kind = 0;
  if (!r.U8(version) || version != kVersion || !r.U8(kind) || !r.I32(entry.decision_day)) {
    return DecodeStatus::kUnknownLayout;
  }
  entry.kind = static_cast<RecordKind>(kind);
  if (!r.String(entry.authority_uscc) || !r.String(entry.authority_name) ||
      !r.String(entry.decision_doc_no) || !r.String(entry.license_no)) {
    return DecodeStatus::kTruncated;
  }
  return DecodeStatus::kOk;
}

// --- HTTP outbox and receipts.

void OutboxCodec::Key(uint64_t sequence, std::string& out) {
  out.push_back(kPrefix);
  AppendBigEndian(out, sequence, 8);
}

void OutboxCodec::Encode(const OutboxEntry& entry, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.U64(entry.records);
  w.U32(entry.attempts);
  w.I64(entry.first_attempt_ms);
  w.String(entry.batch_id);
  w.String(entry.last_error);
  w.U16(static_cast<uint16_t>(entry.files.size()));
  for (const std::string& file : entry.files) w.String(file);
}

DecodeStatus OutboxCodec::Decode(std::string_view key, std::string_view value, OutboxEntry& entry) {
  if (key.size() != 9) return DecodeStatus::kUnknownLayout;
  entry.sequence = ReadBigEndian(key.substr(1));
  ByteReader r(value);
  uint8_t version = 0;
  uint16_t files = 0;
  if (!r.U8(version) || version != kVersion || !r.U64(entry.records) || !r.U32(entry.attempts) ||
      !r.I64(entry.first_attempt_ms) || !r.String(entry.batch_id) || !r.String(entry.last_error) ||
      !r.U16(files)) {
    return DecodeStatus::kUnknownLayout;
  }
  entry.files.resize(files);
  for (std::string& file : entry.files) {
    if (!r.String(file)) return DecodeStatus::kUnknownLayout;
  }
  return DecodeStatus::kOk;
}

void ReceiptCodec::Key(uint64_t sequence, std::string& out) {
  out.push_back(kPrefix);
  AppendBigEndian(out, sequence, 8);
}

void ReceiptCodec::Encode(const Receipt& receipt, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.I32(static_cast<int32_t>(receipt.status));
  w.U32(receipt.attempts);
  w.I64(receipt.answered_ms);
  w.String(receipt.batch_id);
  w.String(std::string_view(receipt.answer).substr(0, kMaxAnswer));
}

DecodeStatus ReceiptCodec::Decode(std::string_view key, std::string_view value, Receipt& receipt) {
  if (key.size() != 9) return DecodeStatus::kUnknownLayout;
  receipt.sequence = ReadBigEndian(key.substr(1));
  ByteReader r(value);
  uint8_t version = 0;
  int32_t status = 0;
  if (!r.U8(version) || version != kVersion || !r.I32(status) || !r.U32(receipt.attempts) ||
      !r.I64(receipt.answered_ms) || !r.String(receipt.batch_id) || !r.String(receipt.answer)) {
    return DecodeStatus::kUnknownLayout;
  }
  receipt.status = status;
  return DecodeStatus::kOk;
}

// --- Audit ledger.

void AuditLedgerCodec::MonthKey(int32_t day, std::string& out) {
  out.push_back(kPrefix);
  // Once per ledger entry: digits by hand, no formatting, no allocation.
  const CivilDate c = CivilFromDays(day);
  if (c.year < 0 || c.year > 9999) {
    fmt::format_to(std::back_inserter(out), "{:04}{:02}", c.year, c.month);
    return;
  }
  char digits[6];
  int year = c.year;
  for (int i = 3; i >= 0; --i, year /= 10) digits[i] = static_cast<char>('0' + year % 10);
  digits[4] = static_cast<char>('0' + c.month / 10);
  digits[5] = static_cast<char>('0' + c.month % 10);
  out.append(digits, sizeof(digits));
}

void AuditLedgerCodec::Key(const AuditEvent& event, const Digest128& identity,
                           uint64_t batch_sequence, uint32_t index_in_batch, std::string& out) {
  MonthKey(event.decision_day != 0 ? event.decision_day : event.arrival_day, out);
  out += event.authority_uscc;
  out.push_back('\0');
  AppendIdentity(out, identity);
  AppendBigEndian(out, batch_sequence, 8);
  AppendBigEndian(out, index_in_batch, 4);
}

void AuditLedgerCodec::Encode(const AuditEvent& event, std::string& out) {
  ByteWriter w(out);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(event.kind));
  w.U8(static_cast<uint8_t>(event.outcome));
  w.U8(event.reason);
  w.U8(static_cast<uint8_t>(event.lateness));
  w.U8(static_cast<uint8_t>(event.deadline_provisional));
  w.I32(event.decision_day);
  w.I32(event.arrival_day);
  w.I32(event.published_day);
  w.I32(event.deadline_day);
  w.I32(event.latency_working_days);
  w.String(event.authority_uscc);
  w.String(event.authority_name);
}

DecodeStatus AuditLedgerCodec::Decode(std::string_view value, AuditEvent& e) {
  ByteReader r(value);
  uint8_t version = 0, kind = 0, outcome = 0, lateness = 0, provisional = 0;
  if (!r.U8(version) || version != kVersion || !r.U8(kind) || !r.U8(outcome) || !r.U8(e.reason) ||
      !r.U8(lateness) || !r.U8(provisional) || !r.I32(e.decision_day) || !r.I32(e.arrival_day) ||
      !r.I32(e.published_day) || !r.I32(e.deadline_day) || !r.I32(e.latency_working_days)) {
    return DecodeStatus::kUnknownLayout;
  }
  if (!r.String(e.authority_uscc) || !r.String(e.authority_name)) return DecodeStatus::kTruncated;
  e.kind = static_cast<RecordKind>(kind);
  e.outcome = static_cast<Outcome>(outcome);
  e.lateness = static_cast<Lateness>(lateness);
  e.deadline_provisional = provisional != 0;
  return DecodeStatus::kOk;
}

}  // namespace gongshi
