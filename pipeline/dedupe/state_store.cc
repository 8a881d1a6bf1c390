#include "pipeline/dedupe/state_store.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>
#include <xxhash.h>

#include "pipeline/calendar/civil_date.h"

namespace gongshi {
namespace {

// Key prefixes: one keyspace, so one bloom filter serves the identity lookups.
constexpr char kRecordPrefix = 'r';
constexpr char kProgressPrefix = 'p';
constexpr char kChainPrefix = 'c';
constexpr char kAuditPrefix = 'a';
constexpr char kExpiryPrefix = 'e';
constexpr char kOutboxPrefix = 'o';
constexpr char kReceiptPrefix = 'h';
constexpr uint8_t kOutboxVersion = 1;
constexpr uint8_t kExpiryVersion = 1;
constexpr uint8_t kAuditVersion = 1;
constexpr std::string_view kBatchSequenceKey = "b";
// 5 = the earlier versions as a count and only those there are (most records have none: 48
// bytes where 4 took 95, so a block holds twice the records). 4 = all three always, 3 = without
// policy, 2 = without publication_end_day: all still read.
constexpr uint8_t kRecordVersion = 5;
constexpr uint8_t kProgressVersion = 1;

Error FromRocksDb(const rocksdb::Status& status, std::string_view what) {
  // Busy/TimedOut/TryAgain are transient and worth a retry; anything else means a broken store.
  const bool transient = status.IsBusy() || status.IsTimedOut() || status.IsTryAgain();
  return Error(transient ? ErrorCode::kUnavailable : ErrorCode::kInternal,
               fmt::format("rocksdb {}: {}", what, status.ToString()));
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <typename T>
  void Put(const T& value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof(value));
  }
  void Bytes(const uint8_t* data, size_t n) { out_.append(reinterpret_cast<const char*>(data), n); }

 private:
  std::string& out_;
};

class ReaderView {
 public:
  explicit ReaderView(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T& value) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(&value, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool Bytes(uint8_t* data, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(data, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool empty() const { return in_.empty(); }

 private:
  std::string_view in_;
};

bool DecodeRecord(std::string_view value, RecordState& state) {
  ReaderView r(value);
  uint8_t version = 0, status = 0, kind = 0;
  if (!r.Get(version) || version < 2 || version > kRecordVersion || !r.Get(status) ||
      !r.Get(kind)) {
    return false;
  }
  state.state = static_cast<PublicationState>(status);
  state.kind = static_cast<RecordKind>(kind);
  if (!r.Bytes(state.fingerprint.data(), state.fingerprint.size())) return false;
  size_t earlier_count = state.earlier.size();
  if (version >= 5) {
    uint8_t count = 0;
    if (!r.Get(count) || count > state.earlier.size()) return false;
    earlier_count = count;
  }
  for (size_t i = 0; i < state.earlier.size(); ++i) {
    if (i >= earlier_count) {
      state.earlier[i] = Digest128{};
    } else if (!r.Bytes(state.earlier[i].data(), state.earlier[i].size())) {
      return false;
    }
  }
  if (!r.Get(state.decision_day) || !r.Get(state.deadline_day) || !r.Get(state.batch_sequence)) {
    return false;
  }
  state.publication_end_day = 0;
  state.policy = 0;
  if (version == 2) return true;
  if (!r.Get(state.publication_end_day)) return false;
  return version == 3 || r.Get(state.policy);
}

// "e" end_day(4, big-endian) identity(16): a range scan from "e" finds the earliest ends first.
std::string ExpiryKey(int32_t end_day, const Digest128& id) {
  std::string key(1, kExpiryPrefix);
  const uint32_t day = static_cast<uint32_t>(end_day);
  for (int shift = 24; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>(day >> shift & 0xff));
  key.append(reinterpret_cast<const char*>(id.data()), id.size());
  return key;
}

std::string SequenceKey(char prefix, uint64_t sequence) {
  std::string key(1, prefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>(sequence >> shift & 0xff));
  }
  return key;
}

void PutString(std::string& out, std::string_view text) {
  const uint16_t size = static_cast<uint16_t>(std::min<size_t>(text.size(), 0xffff));
  out.append(reinterpret_cast<const char*>(&size), sizeof(size));
  out.append(text.data(), size);
}

bool GetString(std::string_view& in, std::string& out) {
  uint16_t size = 0;
  if (in.size() < sizeof(size)) return false;
  std::memcpy(&size, in.data(), sizeof(size));
  in.remove_prefix(sizeof(size));
  if (in.size() < size) return false;
  out.assign(in.data(), size);
  in.remove_prefix(size);
  return true;
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
    key.assign(1, kRecordPrefix);
    key.append(reinterpret_cast<const char*>(ids[i].data()), ids[i].size());
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
    if (!DecodeRecord(values_[i].ToStringView(), out[i])) {
      for (rocksdb::PinnableSlice& value : values_) value.Reset();
      return Fail(ErrorCode::kInternal, "state store: a record state has an unknown layout");
    }
  }
  for (rocksdb::PinnableSlice& value : values_) value.Reset();
  return Ok();
}

Result<std::optional<SourceProgress>> StateStore::GetProgress(std::string_view source_id) {
  std::string key(1, kProgressPrefix);
  key.append(source_id);
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (status.IsNotFound()) return std::optional<SourceProgress>();
  if (!status.ok()) return Fail(FromRocksDb(status, "get progress"));
  SourceProgress p;
  ReaderView r(value);
  uint8_t version = 0, completed = 0;
  uint32_t reasons = 0, withholds = 0;
  bool ok = r.Get(version) && version == kProgressVersion && r.Get(p.generation) &&
            r.Get(p.next_offset) && r.Get(p.next_line) && r.Get(completed) &&
            r.Bytes(p.head.data(), p.head.size()) && r.Get(p.outcomes) && r.Get(p.redactions) &&
            r.Get(p.batches) && r.Get(reasons) && r.Get(withholds);
  if (ok) {
    p.reject_reasons.resize(reasons);
    for (uint64_t& n : p.reject_reasons) ok = ok && r.Get(n);
    p.withhold_reasons.resize(withholds);
    for (uint64_t& n : p.withhold_reasons) ok = ok && r.Get(n);
    // Written since names were masked in free text; progress written before has none.
    if (ok && !r.empty()) ok = r.Get(p.names_redacted);
  }
  if (!ok) return Fail(ErrorCode::kInternal, "state store: source progress has an unknown layout");
  p.completed = completed != 0;
  return std::optional<SourceProgress>(std::move(p));
}

Result<ChainHead> StateStore::GetChain(RecordKind kind) {
  const std::string key{kChainPrefix, static_cast<char>(kind)};
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
  ChainHead head;
  if (status.IsNotFound()) return head;
  if (!status.ok()) return Fail(FromRocksDb(status, "get chain"));
  ReaderView r(value);
  if (!r.Get(head.sequence) || !r.Bytes(head.manifest_sha256.data(), 32)) {
    return Fail(ErrorCode::kInternal, "state store: chain head has an unknown layout");
  }
  return head;
}

Result<uint64_t> StateStore::GetBatchSequence() {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), kBatchSequenceKey, &value);
  if (status.IsNotFound()) return uint64_t{0};
  if (!status.ok()) return Fail(FromRocksDb(status, "get batch sequence"));
  uint64_t next = 0;
  ReaderView r(value);
  if (!r.Get(next)) return Fail(ErrorCode::kInternal, "state store: bad batch sequence");
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
  std::string& value = value_;
  value.clear();
  Writer w(value);
  w.Put(kRecordVersion);
  w.Put(static_cast<uint8_t>(state.state));
  w.Put(static_cast<uint8_t>(state.kind));
  w.Bytes(state.fingerprint.data(), state.fingerprint.size());
  // Newest first and contiguous: the first zero ends the list.
  uint8_t earlier_count = 0;
  while (earlier_count < state.earlier.size() && state.earlier[earlier_count] != Digest128{}) {
    ++earlier_count;
  }
  w.Put(earlier_count);
  for (uint8_t i = 0; i < earlier_count; ++i) {
    w.Bytes(state.earlier[i].data(), state.earlier[i].size());
  }
  w.Put(state.decision_day);
  w.Put(state.deadline_day);
  w.Put(state.batch_sequence);
  w.Put(state.publication_end_day);
  w.Put(state.policy);
  key_.assign(1, kRecordPrefix);
  key_.append(reinterpret_cast<const char*>(id.data()), id.size());
  Put(key_, value);
}

void StateStore::Transaction::PutExpiry(const ExpiryEntry& entry) {
  std::string value;
  value.push_back(static_cast<char>(kExpiryVersion));
  value.push_back(static_cast<char>(entry.kind));
  value.append(reinterpret_cast<const char*>(&entry.decision_day), sizeof(entry.decision_day));
  PutString(value, entry.authority_uscc);
  PutString(value, entry.authority_name);
  PutString(value, entry.decision_doc_no);
  PutString(value, entry.license_no);
  Put(ExpiryKey(entry.end_day, entry.identity), value);
}

void StateStore::Transaction::DeleteExpiry(int32_t end_day, const Digest128& identity) {
  Delete(ExpiryKey(end_day, identity));
}

void StateStore::Transaction::PutOutbox(const OutboxEntry& entry) {
  std::string value;
  Writer w(value);
  w.Put(kOutboxVersion);
  w.Put(entry.records);
  w.Put(entry.attempts);
  w.Put(entry.first_attempt_ms);
  PutString(value, entry.batch_id);
  PutString(value, entry.last_error);
  w.Put(static_cast<uint16_t>(entry.files.size()));
  for (const std::string& file : entry.files) PutString(value, file);
  Put(SequenceKey(kOutboxPrefix, entry.sequence), value);
}

void StateStore::Transaction::DeleteOutbox(uint64_t sequence) {
  Delete(SequenceKey(kOutboxPrefix, sequence));
}

void StateStore::Transaction::PutReceipt(const Receipt& receipt) {
  std::string value;
  Writer w(value);
  w.Put(kOutboxVersion);
  w.Put(static_cast<int32_t>(receipt.status));
  w.Put(receipt.attempts);
  w.Put(receipt.answered_ms);
  PutString(value, receipt.batch_id);
  PutString(value, receipt.answer.substr(0, 1024));
  Put(SequenceKey(kReceiptPrefix, receipt.sequence), value);
}

namespace {

uint64_t SequenceOf(std::string_view key) {
  uint64_t sequence = 0;
  for (size_t i = 1; i < key.size() && i <= 8; ++i) {
    sequence = sequence << 8 | static_cast<uint8_t>(key[i]);
  }
  return sequence;
}

bool DecodeOutbox(std::string_view key, std::string_view value, OutboxEntry& entry) {
  if (key.size() != 9) return false;
  entry.sequence = SequenceOf(key);
  uint8_t version = 0;
  if (value.size() < 1 + 8 + 4 + 8) return false;
  std::memcpy(&version, value.data(), 1);
  if (version != kOutboxVersion) return false;
  std::memcpy(&entry.records, value.data() + 1, 8);
  std::memcpy(&entry.attempts, value.data() + 9, 4);
  std::memcpy(&entry.first_attempt_ms, value.data() + 13, 8);
  value.remove_prefix(21);
  if (!GetString(value, entry.batch_id) || !GetString(value, entry.last_error)) return false;
  uint16_t files = 0;
  if (value.size() < 2) return false;
  std::memcpy(&files, value.data(), 2);
  value.remove_prefix(2);
  entry.files.resize(files);
  for (std::string& file : entry.files) {
    if (!GetString(value, file)) return false;
  }
  return true;
}

bool DecodeReceipt(std::string_view key, std::string_view value, Receipt& receipt) {
  if (key.size() != 9 || value.size() < 1 + 4 + 4 + 8) return false;
  receipt.sequence = SequenceOf(key);
  if (static_cast<uint8_t>(value[0]) != kOutboxVersion) return false;
  int32_t status = 0;
  std::memcpy(&status, value.data() + 1, 4);
  receipt.status = status;
  std::memcpy(&receipt.attempts, value.data() + 5, 4);
  std::memcpy(&receipt.answered_ms, value.data() + 9, 8);
  value.remove_prefix(17);
  return GetString(value, receipt.batch_id) && GetString(value, receipt.answer);
}

}  // namespace

Status StateStore::ListOutbox(size_t limit, std::vector<OutboxEntry>& out) {
  out.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string start(1, kOutboxPrefix);
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.empty() || key[0] != kOutboxPrefix) break;
    OutboxEntry entry;
    if (!DecodeOutbox(key, it->value().ToStringView(), entry)) {
      return Fail(ErrorCode::kInternal, "state store: an outbox entry has an unknown layout");
    }
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "outbox scan"));
  return Ok();
}

Result<std::optional<Receipt>> StateStore::GetReceipt(uint64_t sequence) {
  std::string value;
  const rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), SequenceKey(kReceiptPrefix, sequence), &value);
  if (status.IsNotFound()) return std::optional<Receipt>();
  if (!status.ok()) return Fail(FromRocksDb(status, "receipt"));
  Receipt receipt;
  if (!DecodeReceipt(SequenceKey(kReceiptPrefix, sequence), value, receipt)) {
    return Fail(ErrorCode::kInternal, "state store: a receipt has an unknown layout");
  }
  return std::optional<Receipt>(std::move(receipt));
}

Status StateStore::ForEachReceipt(const std::function<void(const Receipt&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, kReceiptPrefix)); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.empty() || key[0] != kReceiptPrefix) break;
    Receipt receipt;
    if (!DecodeReceipt(key, it->value().ToStringView(), receipt)) {
      return Fail(ErrorCode::kInternal, "state store: a receipt has an unknown layout");
    }
    visit(receipt);
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "receipt scan"));
  return Ok();
}

Status StateStore::CollectExpired(int32_t today, size_t limit, std::vector<ExpiryEntry>& out) {
  out.clear();
  const std::string start(1, kExpiryPrefix);
  const std::string end = ExpiryKey(today, Digest128{});  // every end_day < today sorts before
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key >= end || key.size() != 1 + 4 + 16) break;
    ExpiryEntry entry;
    uint32_t day = 0;
    for (int i = 0; i < 4; ++i) day = day << 8 | static_cast<uint8_t>(key[1 + i]);
    entry.end_day = static_cast<int32_t>(day);
    std::memcpy(entry.identity.data(), key.data() + 5, entry.identity.size());
    std::string_view value = it->value().ToStringView();
    if (value.size() < 2 + sizeof(int32_t) || static_cast<uint8_t>(value[0]) != kExpiryVersion) {
      return Fail(ErrorCode::kInternal, "state store: an expiry entry has an unknown layout");
    }
    entry.kind = static_cast<RecordKind>(value[1]);
    std::memcpy(&entry.decision_day, value.data() + 2, sizeof(entry.decision_day));
    value.remove_prefix(2 + sizeof(int32_t));
    if (!GetString(value, entry.authority_uscc) || !GetString(value, entry.authority_name) ||
        !GetString(value, entry.decision_doc_no) || !GetString(value, entry.license_no)) {
      return Fail(ErrorCode::kInternal, "state store: an expiry entry is truncated");
    }
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return Fail(FromRocksDb(it->status(), "expiry scan"));
  return Ok();
}

void StateStore::Transaction::PutProgress(std::string_view source_id, const SourceProgress& p) {
  std::string key(1, kProgressPrefix);
  key.append(source_id);
  std::string value;
  Writer w(value);
  w.Put(kProgressVersion);
  w.Put(p.generation);
  w.Put(p.next_offset);
  w.Put(p.next_line);
  w.Put(static_cast<uint8_t>(p.completed));
  w.Bytes(p.head.data(), p.head.size());
  w.Put(p.outcomes);
  w.Put(p.redactions);
  w.Put(p.batches);
  w.Put(static_cast<uint32_t>(p.reject_reasons.size()));
  w.Put(static_cast<uint32_t>(p.withhold_reasons.size()));
  for (uint64_t n : p.reject_reasons) w.Put(n);
  for (uint64_t n : p.withhold_reasons) w.Put(n);
  w.Put(p.names_redacted);
  Put(key, value);
}

void StateStore::Transaction::PutChain(RecordKind kind, const ChainHead& head) {
  const std::string key{kChainPrefix, static_cast<char>(kind)};
  std::string value;
  Writer w(value);
  w.Put(head.sequence);
  w.Bytes(head.manifest_sha256.data(), head.manifest_sha256.size());
  Put(key, value);
}

void StateStore::Transaction::PutBatchSequence(uint64_t next) {
  std::string value;
  Writer(value).Put(next);
  Put(kBatchSequenceKey, value);
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

namespace {

// "a" YYYYMM authority 0x00 identity(16) batch(8, big-endian) index(4, big-endian).
// Appends the YYYYMM (once per ledger entry: digits by hand, no formatting, no allocation).
void AppendAuditMonth(std::string& out, int32_t day) {
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

std::string AuditMonth(int32_t day) {
  std::string out;
  AppendAuditMonth(out, day);
  return out;
}

}  // namespace

void StateStore::Transaction::PutAudit(const AuditEvent& event, const Digest128& identity,
                                       uint64_t batch_sequence, uint32_t index_in_batch) {
  const int32_t day = event.decision_day != 0 ? event.decision_day : event.arrival_day;
  std::string& key = key_;
  key.assign(1, kAuditPrefix);
  AppendAuditMonth(key, day);
  key += event.authority_uscc;
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(identity.data()), identity.size());
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>(batch_sequence >> shift & 0xff));
  }
  for (int shift = 24; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>(index_in_batch >> shift & 0xff));
  }
  std::string& value = value_;
  value.clear();
  Writer w(value);
  w.Put(kAuditVersion);
  w.Put(static_cast<uint8_t>(event.kind));
  w.Put(static_cast<uint8_t>(event.outcome));
  w.Put(event.reason);
  w.Put(static_cast<uint8_t>(event.lateness));
  w.Put(static_cast<uint8_t>(event.deadline_provisional));
  w.Put(event.decision_day);
  w.Put(event.arrival_day);
  w.Put(event.published_day);
  w.Put(event.deadline_day);
  w.Put(event.latency_working_days);
  w.Put(static_cast<uint16_t>(event.authority_uscc.size()));
  value += event.authority_uscc;
  w.Put(static_cast<uint16_t>(event.authority_name.size()));
  value += event.authority_name;
  Put(key, value);
}

Status StateStore::ForEachAudit(int32_t from_day, int32_t to_day,
                                const std::function<void(const AuditEvent&)>& visit) {
  const std::string start = std::string(1, kAuditPrefix) + (from_day ? AuditMonth(from_day) : "");
  const std::string end =
      to_day ? std::string(1, kAuditPrefix) + AuditMonth(to_day) + "\xff" : std::string(1, 'a' + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().ToStringView() < end; it->Next()) {
    ReaderView r(it->value().ToStringView());
    AuditEvent e;
    uint8_t version = 0, kind = 0, outcome = 0, lateness = 0, provisional = 0;
    uint16_t size = 0;
    if (!r.Get(version) || version != kAuditVersion || !r.Get(kind) || !r.Get(outcome) ||
        !r.Get(e.reason) || !r.Get(lateness) || !r.Get(provisional) || !r.Get(e.decision_day) ||
        !r.Get(e.arrival_day) || !r.Get(e.published_day) || !r.Get(e.deadline_day) ||
        !r.Get(e.latency_working_days) || !r.Get(size)) {
      return Fail(ErrorCode::kInternal, "state store: an audit entry has an unknown layout");
    }
    e.authority_uscc.resize(size);
    if (!r.Bytes(reinterpret_cast<uint8_t*>(e.authority_uscc.data()), size) || !r.Get(size)) {
      return Fail(ErrorCode::kInternal, "state store: an audit entry is truncated");
    }
    e.authority_name.resize(size);
    if (!r.Bytes(reinterpret_cast<uint8_t*>(e.authority_name.data()), size)) {
      return Fail(ErrorCode::kInternal, "state store: an audit entry is truncated");
    }
    e.kind = static_cast<RecordKind>(kind);
    e.outcome = static_cast<Outcome>(outcome);
    e.lateness = static_cast<Lateness>(lateness);
    e.deadline_provisional = provisional != 0;
    visit(e);
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
