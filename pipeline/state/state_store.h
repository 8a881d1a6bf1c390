// StateStore: gongshi's durable memory in RocksDB. It holds, per record identity, what was last
// done with it (published / withdrawn / withheld) and its content fingerprint; per source, how far
// it was read; per feed, the head of the manifest chain; the expiry index, the HTTP outbox and
// receipts, and the auditors' ledger. All of a batch's changes are committed in one synced
// WriteBatch, so the state and the offsets it came from never disagree after a crash. What the
// bytes of each kind mean is in codecs.h. Keys and values hold no personal data: identities are
// keyed HMACs (see KeyedHash).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "pipeline/common/keyed_hash.h"
#include "pipeline/record/error.h"
#include "pipeline/record/record.h"
#include "pipeline/state/audit_event.h"
#include "pipeline/state/codecs.h"

namespace gongshi {

struct StateOptions {
  std::string dir;
  uint64_t block_cache_bytes = 256ull << 20;
  bool read_only = false;  // for `gongshi audit` beside a running service
};

class StateStore {
 public:
  static Result<std::unique_ptr<StateStore>> Open(const StateOptions& options);
  ~StateStore();

  // Looks up a batch of identities at once (RocksDB MultiGet): `out[i]` for `ids[i]`.
  Status Lookup(std::span<const Digest128> ids, std::vector<RecordState>& out);
  Result<std::optional<SourceProgress>> GetProgress(std::string_view source_id);
  Result<ChainHead> GetChain(RecordKind kind);
  Result<uint64_t> GetBatchSequence();

  // Collects the changes of one batch; Commit() applies them atomically and durably.
  class Transaction {
   public:
    void PutRecord(const Digest128& id, const RecordState& state);
    void PutProgress(std::string_view source_id, const SourceProgress& progress);
    void PutChain(RecordKind kind, const ChainHead& head);
    void PutBatchSequence(uint64_t next);
    // The expiry index: published penalties by the last day of their publication period.
    void PutExpiry(const ExpiryEntry& entry);
    void DeleteExpiry(int32_t end_day, const Digest128& identity);
    // The HTTP sink's outbox and receipts.
    void PutOutbox(const OutboxEntry& entry);
    void DeleteOutbox(uint64_t sequence);
    void PutReceipt(const Receipt& receipt);
    // The auditors' ledger: one entry per record that was not a duplicate, keyed by decision
    // month (arrival month when the decision date is unknown) so a period is a range scan.
    void PutAudit(const AuditEvent& event, const Digest128& identity, uint64_t batch_sequence,
                  uint32_t index_in_batch);
    size_t size() const { return ops_.size(); }
    // Forgets what was added (Commit does too); the buffers keep their capacity.
    void Clear() {
      ops_.clear();
      buf_.clear();
    }

   private:
    friend class StateStore;
    // Every key and value of the transaction, back to back in one buffer: no allocation per
    // entry, and Commit sorts the small Op records, not the bytes.
    struct Op {
      uint32_t key_at;
      uint32_t key_size;
      uint32_t value_at;
      uint32_t value_size;
      bool erase;
    };
    void Put(std::string_view key, std::string_view value);
    void Delete(std::string_view key);
    std::string_view KeyOf(const Op& op) const { return {buf_.data() + op.key_at, op.key_size}; }
    std::string buf_;
    std::vector<Op> ops_;  // applied in key order by Commit
    std::string key_;      // scratch of the per-record entries, reused
    std::string value_;
    // Commit's, here and not in the store: the HTTP delivery thread commits receipts through
    // its own transaction while the pipeline commits batches.
    std::vector<uint32_t> order_;
    rocksdb::WriteBatch write_batch_;
  };
  // Safe from several threads, each with its own Transaction (the HTTP delivery thread commits
  // receipts beside the pipeline).
  Status Commit(Transaction& transaction);

  // Calls `visit` for every ledger entry whose month overlaps [from_day, to_day] (0 = open).
  Status ForEachAudit(int32_t from_day, int32_t to_day,
                      const std::function<void(const AuditEvent&)>& visit);

  // Up to `limit` expiry entries whose publication ended before `today` (end_day < today), in
  // end-day order. `out` is cleared first.
  Status CollectExpired(int32_t today, size_t limit, std::vector<ExpiryEntry>& out);

  // Up to `limit` outbox entries in batch order (the oldest first). `out` is cleared first.
  Status ListOutbox(size_t limit, std::vector<OutboxEntry>& out);
  Result<std::optional<Receipt>> GetReceipt(uint64_t sequence);
  // Every receipt, in batch order.
  Status ForEachReceipt(const std::function<void(const Receipt&)>& visit);

  // A few RocksDB figures for logs and the summary.
  uint64_t ApproximateRecordCount();

 private:
  StateStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::Slice> keys_;  // reused by Lookup
  std::vector<std::string> key_bytes_;
  std::vector<rocksdb::PinnableSlice> values_;
  std::vector<rocksdb::Status> statuses_;
};

}  // namespace gongshi
