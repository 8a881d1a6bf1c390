#include "pipeline/state/state_store.h"

#include <algorithm>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

namespace gongshi {
namespace {

// One keyspace for every kind (the codecs' key prefixes), so one bloom filter serves the
// identity lookups.

Error FromRocksDb(const rocksdb::Status& status, std::string_view what) {
  // Busy/TimedOut/TryAgain are transient and worth a retry; anything else means a broken store.
  const bool transient = status.IsBusy() || status.IsTimedOut() || status.IsTryAgain();
  return Error(transient ? ErrorCode::kUnavailable : ErrorCode::kInternal,
               fmt::format("rocksdb {}: {}", what, status.ToString()));
}

// The error of a value that did not decode, as the store has always said it.
tl::unexpected<Error> Undecodable(std::string_view what, DecodeStatus status) {
  return Fail(
      ErrorCode::kInternal,
      fmt::format("state store: {} {}", what,
                  status == DecodeStatus::kTruncated ? "is truncated" : "has an unknown layout"));
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const StateOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.max_background_jobs = 2;
  db_options.level_compaction_dynamic_level_bytes = true;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 5;
  // Most lookups are for new records, i.e. misses: filters on every level, including the last
  // (optimize_filters_for_hits would drop them there).
  db_options.optimize_filters_for_hits = false;
  // The same for the memtable: a bloom filter over whole keys lets a lookup of a new record skip
  // the skip list search (it was ~6% of a file pass; 2% of the memtable's size).
  db_options.memtable_prefix_bloom_size_ratio = 0.02;
  db_options.memtable_whole_key_filtering = true;
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Memtables are charged to the same cache, so the store's memory has one bound.
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.block_cache_bytes / 4, cache);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));  // ~1 % false positives
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Every table's filter and index stay pinned (charged to the cache, ~2 bytes a key): a lookup
  // probes each level's without an LRU lookup (MultiGet at 10 M keys: +10%).
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  table.whole_key_filtering = true;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = options.read_only
                               ? rocksdb::DB::OpenForReadOnly(db_options, options.dir, &raw)
                               : rocksdb::DB::Open(db_options, options.dir, &raw);
  if (!status.ok()) {
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot open the state store at {}: {}",
                                                     options.dir, status.ToString()));
  }
  std::unique_ptr<StateStore> store(new StateStore());
  store->db_.reset(raw);
  return store;
}

StateStore::~StateStore() {
  if (db_) db_->Close().PermitUncheckedError();
}

Status StateStore::Lookup(std::span<const Digest128> ids, std::vector<RecordState>& out) {
  out.assign(ids.size(), RecordState{});
  if (ids.empty()) return Ok();
  key_bytes_.resize(ids.size());
  keys_.resize(ids.size());
  // A PinnableSlice that holds its value in its own buffer points into itself, so the vector
  // must never move one that is not reset: they are reset after every lookup (below), before the
  // vector can grow.
  values_.resize(ids.size());
  statuses_.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string& key = key_bytes_[i];
    key.clear();
    RecordStateCodec::Key(ids[i], key);
    keys_[i] = rocksdb::Slice(key);
  }
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ids.size(), keys_.data(),
                values_.data(), statuses_.data(), /*sorted_input=*/false);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses_[i].IsNotFound()) continue;
    if (!statuses_[i].ok()) {
      for (rocksdb::PinnableSlice& value : values_) value.Reset();
      return Fail(FromRocksDb(statuses_[i], "multiget"));
    }
    const DecodeStatus decoded = RecordStateCodec::Decode(values_[i].ToStringView(), out[i]);
    if (decoded != DecodeStatus::kOk) {
      for (rocksdb::PinnableSlice& value : values_) value.Reset();
      return Undecodable("a record state", decoded);
    }
  }
  for (rocksdb::PinnableSlice& value : values_) value.Reset();
  return Ok();
}

Result<std::optional<SourceProgress>> StateStore::GetProgress(std::string_view source_id) {
  std::string key;
  SourceProgressCodec::Key(source_id, key);
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (status.IsNotFound()) return std::optional<SourceProgress>();
  if (!status.ok()) return Fail(FromRocksDb(status, "get progress"));
  SourceProgress progress;
  const DecodeStatus decoded = SourceProgressCodec::Decode(value, progress);
  if (decoded != DecodeStatus::kOk) return Undecodable("source progress", decoded);
  return std::optional<SourceProgress>(std::move(progress));
}

Result<ChainHead> StateStore::GetChain(RecordKind kind) {
  std::string key;
  ChainHeadCodec::Key(kind, key);
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
  ChainHead head;
  if (status.IsNotFound()) return head;
  if (!status.ok()) return Fail(FromRocksDb(status, "get chain"));
  const DecodeStatus decoded = ChainHeadCodec::Decode(value, head);
  if (decoded != DecodeStatus::kOk) return Undecodable("chain head", decoded);
  return head;
}

Result<uint64_t> StateStore::GetBatchSequence() {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), BatchSequenceCodec::kKey, &value);
  if (status.IsNotFound()) return uint64_t{0};
  if (!status.ok()) return Fail(FromRocksDb(status, "get batch sequence"));
  uint64_t next = 0;
  if (BatchSequenceCodec::Decode(value, next) != DecodeStatus::kOk) {
    return Fail(ErrorCode::kInternal, "state store: bad batch sequence");
  }
  return next;
}

void StateStore::Transaction::Put(std::string_view key, std::string_view value) {
  const auto at = static_cast<uint32_t>(buf_.size());
  buf_.append(key).append(value);
  ops_.push_back({at, static_cast<uint32_t>(key.size()), at + static_cast<uint32_t>(key.size()),
                  static_cast<uint32_t>(value.size()), false});
}

void StateStore::Transaction::Delete(std::string_view key) {
  const auto at = static_cast<uint32_t>(buf_.size());
  buf_.append(key);
  ops_.push_back({at, static_cast<uint32_t>(key.size()), at, 0, true});
}

void StateStore::Transaction::PutRecord(const Digest128& id, const RecordState& state) {
  key_.clear();
  RecordStateCodec::Key(id, key_);
  value_.clear();
  RecordStateCodec::Encode(state, value_);
  Put(key_, value_);
}

void StateStore::Transaction::PutProgress(std::string_view source_id, const SourceProgress& p) {
  key_.clear();
  SourceProgressCodec::Key(source_id, key_);
  value_.clear();
  SourceProgressCodec::Encode(p, value_);
  Put(key_, value_);
}

void StateStore::Transaction::PutChain(RecordKind kind, const ChainHead& head) {
  key_.clear();
  ChainHeadCodec::Key(kind, key_);
  value_.clear();
  ChainHeadCodec::Encode(head, value_);
  Put(key_, value_);
}

void StateStore::Transaction::PutBatchSequence(uint64_t next) {
  value_.clear();
  BatchSequenceCodec::Encode(next, value_);
  Put(BatchSequenceCodec::kKey, value_);
}

void StateStore::Transaction::PutExpiry(const ExpiryEntry& entry) {
  key_.clear();
  ExpiryCodec::Key(entry.end_day, entry.identity, key_);
  value_.clear();
  ExpiryCodec::Encode(entry, value_);
  Put(key_, value_);
}

void StateStore::Transaction::DeleteExpiry(int32_t end_day, const Digest128& identity) {
  key_.clear();
  ExpiryCodec::Key(end_day, identity, key_);
  Delete(key_);
}

void StateStore::Transaction::PutOutbox(const OutboxEntry& entry) {
  key_.clear();
  OutboxCodec::Key(entry.sequence, key_);
  value_.clear();
  OutboxCodec::Encode(entry, value_);
  Put(key_, value_);
}

void StateStore::Transaction::DeleteOutbox(uint64_t sequence) {
  key_.clear();
  OutboxCodec::Key(sequence, key_);
  Delete(key_);
}

void StateStore::Transaction::PutReceipt(const Receipt& receipt) {
  key_.clear();
  ReceiptCodec::Key(receipt.sequence, key_);
  value_.clear();
  ReceiptCodec::Encode(receipt, value_);
  Put(key_, value_);
}

void StateStore::Transaction::PutAudit(const AuditEvent& event, const Digest128& identity,
                                       uint64_t batch_sequence, uint32_t index_in_batch) {
  key_.clear();
  AuditLedgerCodec::Key(event, identity, batch_sequence, index_in_batch, key_);
  value_.clear();
  AuditLedgerCodec::Encode(event, value_);
  Put(key_, value_);
}

Status StateStore::ListOutbox(size_t limit, std::vector<OutboxEntry>& out) {
  out.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string start(1, OutboxCodec::kPrefix);
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.empty() || key[0] != OutboxCodec::kPrefix) break;
    OutboxEntry entry;
    const DecodeStatus decoded = OutboxCodec::Decode(key, it->value().ToStringView(), entry);
    if (decoded != DecodeStatus::kOk) return Undecodable("an outbox entry", decoded);
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "outbox scan"));
  return Ok();
}

Result<std::optional<Receipt>> StateStore::GetReceipt(uint64_t sequence) {
  std::string key;
  ReceiptCodec::Key(sequence, key);
  std::string value;
  const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (status.IsNotFound()) return std::optional<Receipt>();
  if (!status.ok()) return Fail(FromRocksDb(status, "receipt"));
  Receipt receipt;
  const DecodeStatus decoded = ReceiptCodec::Decode(key, value, receipt);
  if (decoded != DecodeStatus::kOk) return Undecodable("a receipt", decoded);
  return std::optional<Receipt>(std::move(receipt));
}

Status StateStore::ForEachReceipt(const std::function<void(const Receipt&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, ReceiptCodec::kPrefix)); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.empty() || key[0] != ReceiptCodec::kPrefix) break;
    Receipt receipt;
    const DecodeStatus decoded = ReceiptCodec::Decode(key, it->value().ToStringView(), receipt);
    if (decoded != DecodeStatus::kOk) return Undecodable("a receipt", decoded);
    visit(receipt);
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "receipt scan"));
  return Ok();
}

Status StateStore::CollectExpired(int32_t today, size_t limit, std::vector<ExpiryEntry>& out) {
  out.clear();
  const std::string start(1, ExpiryCodec::kPrefix);
  std::string end;
  ExpiryCodec::Key(today, Digest128{}, end);  // every end_day < today sorts before
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key >= end || key.size() != ExpiryCodec::kKeySize) break;
    ExpiryEntry entry;
    const DecodeStatus decoded = ExpiryCodec::Decode(key, it->value().ToStringView(), entry);
    if (decoded != DecodeStatus::kOk) return Undecodable("an expiry entry", decoded);
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "expiry scan"));
  return Ok();
}

Status StateStore::Commit(Transaction& transaction) {
  rocksdb::WriteOptions options;
  // One synced write per batch: the feed files of the batch are already durable, and after this
  // returns the state, the offsets and the chain head say so too.
  options.sync = true;
  // In key order (stable: a put and a delete of one key keep their order): the memtable's
  // skip list finds each insert's place from the previous one's, where random identities in
  // arrival order made it search from the top every time (a quarter of a file pass; sorted,
  // a tenth).
  const std::vector<Transaction::Op>& ops = transaction.ops_;
  transaction.order_.resize(ops.size());
  for (uint32_t i = 0; i < ops.size(); ++i) transaction.order_[i] = i;
  std::stable_sort(transaction.order_.begin(), transaction.order_.end(),
                   [&](uint32_t a, uint32_t b) {
                     return transaction.KeyOf(ops[a]) < transaction.KeyOf(ops[b]);
                   });
  transaction.write_batch_.Clear();
  for (uint32_t i : transaction.order_) {
    const Transaction::Op& op = ops[i];
    const rocksdb::Slice key(transaction.buf_.data() + op.key_at, op.key_size);
    (op.erase ? transaction.write_batch_.Delete(key)
              : transaction.write_batch_.Put(
                    key, rocksdb::Slice(transaction.buf_.data() + op.value_at, op.value_size)))
        .PermitUncheckedError();
  }
  rocksdb::Status status = db_->Write(options, &transaction.write_batch_);
  if (!status.ok()) return Fail(FromRocksDb(status, "commit"));
  transaction.ops_.clear();
  transaction.buf_.clear();
  return Ok();
}

Status StateStore::ForEachAudit(int32_t from_day, int32_t to_day,
                                const std::function<void(const AuditEvent&)>& visit) {
  std::string start(1, AuditLedgerCodec::kPrefix);
  if (from_day != 0) {
    start.clear();
    AuditLedgerCodec::MonthKey(from_day, start);
  }
  std::string end(1, AuditLedgerCodec::kPrefix + 1);
  if (to_day != 0) {
    end.clear();
    AuditLedgerCodec::MonthKey(to_day, end);
    end += "\xff";
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().ToStringView() < end; it->Next()) {
    AuditEvent event;
    const DecodeStatus decoded = AuditLedgerCodec::Decode(it->value().ToStringView(), event);
    if (decoded != DecodeStatus::kOk) return Undecodable("an audit entry", decoded);
    visit(event);
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "audit scan"));
  return Ok();
}

uint64_t StateStore::ApproximateRecordCount() {
  uint64_t n = 0;
  db_->GetIntProperty("rocksdb.estimate-num-keys", &n);
  return n;
}

}  // namespace gongshi
