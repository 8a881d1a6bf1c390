// The state store's bytes: for every key kind, the golden key and value below are what the store
// wrote before its encodings were split into codecs (captured by running that encoder, commit
// eb46905). They must still be what is written, and still read back the same: an existing state
// directory opens and reads as it did.
#include "pipeline/state/codecs.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "pipeline/state/state_store.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

Digest128 Id(uint8_t seed) {
  Digest128 id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed * 31 + i + 1);
  return id;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

RecordState SampleRecord() {
  RecordState state;
  state.state = PublicationState::kPublished;
  state.kind = RecordKind::kPenalty;
  state.fingerprint = Id(100);
  state.earlier[0] = Id(101);
  state.earlier[1] = Id(102);
  state.decision_day = 20400;
  state.deadline_day = 20409;
  state.batch_sequence = 77;
  state.publication_end_day = 21500;
  state.policy = PolicyTag("p2");
  return state;
}

SourceProgress SampleProgress() {
  SourceProgress p;
  p.generation = 3;
  p.next_offset = 123456;
  p.next_line = 789;
  p.completed = true;
  p.head = Id(7);
  p.outcomes = {0, 10, 2, 3, 1, 4, 5};
  p.reject_reasons = {0, 1, 2};
  p.withhold_reasons = {0, 6};
  p.redactions = {1, 2, 3, 4};
  p.batches = 9;
  p.names_redacted = 11;
  return p;
}

ChainHead SampleChain() {
  ChainHead head;
  head.sequence = 42;
  for (size_t i = 0; i < head.manifest_sha256.size(); ++i) {
    head.manifest_sha256[i] = static_cast<uint8_t>(0xa0 + i);
  }
  return head;
}

ExpiryEntry SampleExpiry() {
  ExpiryEntry e;
  e.end_day = 21000;
  e.identity = Id(5);
  e.kind = RecordKind::kPenalty;
  e.decision_day = 20000;
  e.authority_uscc = "11100000000013127D";
  e.authority_name = "某市市场监督管理局";
  e.decision_doc_no = "某市监罚〔2025〕12号";
  e.license_no = "";
  return e;
}

OutboxEntry SampleOutbox() {
  OutboxEntry e;
  e.sequence = 17;
  e.batch_id = "0123456789abcdef";
  e.records = 250;
  e.files = {"feeds/penalty/0000000017-x.ndjson", "feeds/license/0000000017-x.ndjson"};
  e.attempts = 2;
  e.first_attempt_ms = 1700000000123;
  e.last_error = "http 503";
  return e;
}

Receipt SampleReceipt() {
  Receipt r;
  r.sequence = 16;
  r.batch_id = "fedcba9876543210";
  r.status = 202;
  r.answer = "{\"accepted\":true}";
  r.attempts = 3;
  r.answered_ms = 1700000000456;
  return r;
}

AuditEvent SampleAudit() {
  AuditEvent e;
  e.authority_uscc = "11100000000013127D";
  e.authority_name = "某市市场监督管理局";
  e.kind = RecordKind::kLicense;
  e.outcome = Outcome::kPublished;
  e.reason = 0;
  e.decision_day = 20400;
  e.arrival_day = 20402;
  e.published_day = 20403;
  e.deadline_day = 20409;
  e.deadline_provisional = true;
  e.latency_working_days = 3;
  e.lateness = Lateness::kOnTime;
  return e;
}

// Every key and value of the store at `path`, in hex.
std::map<std::string, std::string> Dump(const std::string& path) {
  std::map<std::string, std::string> out;
  rocksdb::DB* raw = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out[Hex(it->key().ToStringView())] = Hex(it->value().ToStringView());
  }
  return out;
}

struct Golden {
  const char* kind;
  const char* key;
  const char* value;
};
// Captured from the store before the split (eb46905), one entry per key kind, for the samples
// above. Do not regenerate these from the current code: they are the compatibility contract.
constexpr Golden kGolden[] = {
    {"audit ledger",
     "613230323531313131313030303030303030303133313237440018191a1b1c1d1e1f202122232425262700000000"
     "0000001100000004",
     "010101000101b04f0000b24f0000b34f0000b94f00000300000012003131313030303030303030303133313237441"
     "b"
     "00e69f90e5b882e5b882e59cbae79b91e79da3e7aea1e79086e5b180"},
    {"batch sequence", "62", "d204000000000000"},
    {"chain head", "6302",
     "2a00000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"},
    {"expiry index", "65000052089c9d9e9fa0a1a2a3a4a5a6a7a8a9aaab",
     "0102204e000012003131313030303030303030303133313237441b00e69f90e5b882e5b882e59cbae79b91e79da3"
     "e7aea1e79086e5b1801b00e69f90e5b882e79b91e7bd9ae3809432303235e380953132e58fb70000"},
    {"receipt", "680000000000000010",
     "01ca00000003000000c869e5cf8b01000010006665646362613938373635343332313011007b2261636365707465"
     "64223a747275657d"},
    {"http outbox", "6f0000000000000011",
     "01fa00000000000000020000007b68e5cf8b010000100030313233343536373839616263646566080068747470203"
     "530330200210066656564732f70656e616c74792f303030303030303031372d782e6e646a736f6e210066656564"
     "732f6c6963656e73652f303030303030303031372d782e6e646a736f6e"},
    {"source progress", "7066696c653a616263",
     "01030000000000000040e2010000000000150300000000000001dadbdcdddedfe0e1e2e3e4e5e6e7e8e9000000000"
     "00000000a00000000000000020000000000000003000000000000000100000000000000040000000000000005000"
     "000000000000100000000000000020000000000000003000000000000000400000000000000090000000000000003"
     "000000020000000000000000000000010000000000000002000000000000000000000000000000060000000000000"
     "00b00000000000000"},
    {"record state", "72202122232425262728292a2b2c2d2e2f",
     "0501021d1e1f202122232425262728292a2b2c023c3d3e3f404142434445464748494a4b5b5c5d5e5f6061626364"
     "65666768696ab04f0000b94f00004d00000000000000fc530000b1a3c56324a4a5f8"},
};

void PutSamples(StateStore::Transaction& t) {
  t.PutRecord(Id(1), SampleRecord());
  t.PutProgress("file:abc", SampleProgress());
  t.PutChain(RecordKind::kPenalty, SampleChain());
  t.PutBatchSequence(1234);
  t.PutExpiry(SampleExpiry());
  t.PutOutbox(SampleOutbox());
  t.PutReceipt(SampleReceipt());
  t.PutAudit(SampleAudit(), Id(9), 17, 4);
}

TEST(StateGoldenTest, EveryKindIsWrittenAsBeforeTheSplit) {
  testing::TempDir dir;
  {
    auto store = StateStore::Open({.dir = dir / "db"});
    ASSERT_TRUE(store) << store.error().ToString();
    StateStore::Transaction t;
    PutSamples(t);
    ASSERT_TRUE((*store)->Commit(t));
  }
  const std::map<std::string, std::string> written = Dump(dir / "db");
  EXPECT_EQ(written.size(), std::size(kGolden));
  for (const Golden& golden : kGolden) {
    SCOPED_TRACE(golden.kind);
    const auto it = written.find(golden.key);
    ASSERT_NE(it, written.end()) << "key not written";
    EXPECT_EQ(it->second, golden.value);
  }
}

// A state directory as the store wrote it before the split, reopened: every kind reads back.
TEST(StateGoldenTest, AStoreWrittenBeforeTheSplitReadsTheSame) {
  testing::TempDir dir;
  const std::string path = dir / "db";
  {
    auto store = StateStore::Open({.dir = path});  // creates the store as the product does
    ASSERT_TRUE(store);
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (const Golden& golden : kGolden) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), Unhex(golden.key), Unhex(golden.value)).ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  auto opened = StateStore::Open({.dir = path, .read_only = true});
  ASSERT_TRUE(opened) << opened.error().ToString();
  StateStore& store = **opened;

  std::vector<RecordState> found;
  const std::vector<Digest128> ids = {Id(1)};
  ASSERT_TRUE(store.Lookup(ids, found));
  const RecordState record = SampleRecord();
  EXPECT_EQ(found[0].state, record.state);
  EXPECT_EQ(found[0].kind, record.kind);
  EXPECT_EQ(found[0].fingerprint, record.fingerprint);
  EXPECT_EQ(found[0].earlier, record.earlier);
  EXPECT_EQ(found[0].decision_day, record.decision_day);
  EXPECT_EQ(found[0].deadline_day, record.deadline_day);
  EXPECT_EQ(found[0].batch_sequence, record.batch_sequence);
  EXPECT_EQ(found[0].publication_end_day, record.publication_end_day);
  EXPECT_EQ(found[0].policy, record.policy);

  auto progress = store.GetProgress("file:abc");
  ASSERT_TRUE(progress && progress->has_value());
  const SourceProgress p = SampleProgress();
  const SourceProgress& q = **progress;
  EXPECT_EQ(q.generation, p.generation);
  EXPECT_EQ(q.next_offset, p.next_offset);
  EXPECT_EQ(q.next_line, p.next_line);
  EXPECT_EQ(q.completed, p.completed);
  EXPECT_EQ(q.head, p.head);
  EXPECT_EQ(q.outcomes, p.outcomes);
  EXPECT_EQ(q.reject_reasons, p.reject_reasons);
  EXPECT_EQ(q.withhold_reasons, p.withhold_reasons);
  EXPECT_EQ(q.redactions, p.redactions);
  EXPECT_EQ(q.batches, p.batches);
  EXPECT_EQ(q.names_redacted, p.names_redacted);

  auto chain = store.GetChain(RecordKind::kPenalty);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->sequence, SampleChain().sequence);
  EXPECT_EQ(chain->manifest_sha256, SampleChain().manifest_sha256);
  auto sequence = store.GetBatchSequence();
  ASSERT_TRUE(sequence);
  EXPECT_EQ(*sequence, 1234u);

  std::vector<ExpiryEntry> expired;
  ASSERT_TRUE(store.CollectExpired(SampleExpiry().end_day + 1, 10, expired));
  ASSERT_EQ(expired.size(), 1u);
  const ExpiryEntry e = SampleExpiry();
  EXPECT_EQ(expired[0].end_day, e.end_day);
  EXPECT_EQ(expired[0].identity, e.identity);
  EXPECT_EQ(expired[0].kind, e.kind);
  EXPECT_EQ(expired[0].decision_day, e.decision_day);
  EXPECT_EQ(expired[0].authority_uscc, e.authority_uscc);
  EXPECT_EQ(expired[0].authority_name, e.authority_name);
  EXPECT_EQ(expired[0].decision_doc_no, e.decision_doc_no);
  EXPECT_EQ(expired[0].license_no, e.license_no);
  ASSERT_TRUE(store.CollectExpired(SampleExpiry().end_day, 10, expired));
  EXPECT_TRUE(expired.empty());  // not yet ended on its last day

  std::vector<OutboxEntry> outbox;
  ASSERT_TRUE(store.ListOutbox(10, outbox));
  ASSERT_EQ(outbox.size(), 1u);
  const OutboxEntry o = SampleOutbox();
  EXPECT_EQ(outbox[0].sequence, o.sequence);
  EXPECT_EQ(outbox[0].batch_id, o.batch_id);
  EXPECT_EQ(outbox[0].records, o.records);
  EXPECT_EQ(outbox[0].files, o.files);
  EXPECT_EQ(outbox[0].attempts, o.attempts);
  EXPECT_EQ(outbox[0].first_attempt_ms, o.first_attempt_ms);
  EXPECT_EQ(outbox[0].last_error, o.last_error);

  auto receipt = store.GetReceipt(SampleReceipt().sequence);
  ASSERT_TRUE(receipt && receipt->has_value());
  const Receipt r = SampleReceipt();
  EXPECT_EQ((*receipt)->sequence, r.sequence);
  EXPECT_EQ((*receipt)->batch_id, r.batch_id);
  EXPECT_EQ((*receipt)->status, r.status);
  EXPECT_EQ((*receipt)->answer, r.answer);
  EXPECT_EQ((*receipt)->attempts, r.attempts);
  EXPECT_EQ((*receipt)->answered_ms, r.answered_ms);

  std::vector<AuditEvent> ledger;
  ASSERT_TRUE(store.ForEachAudit(0, 0, [&](const AuditEvent& event) { ledger.push_back(event); }));
  ASSERT_EQ(ledger.size(), 1u);
  const AuditEvent a = SampleAudit();
  EXPECT_EQ(ledger[0].authority_uscc, a.authority_uscc);
  EXPECT_EQ(ledger[0].authority_name, a.authority_name);
  EXPECT_EQ(ledger[0].kind, a.kind);
  EXPECT_EQ(ledger[0].outcome, a.outcome);
  EXPECT_EQ(ledger[0].reason, a.reason);
  EXPECT_EQ(ledger[0].decision_day, a.decision_day);
  EXPECT_EQ(ledger[0].arrival_day, a.arrival_day);
  EXPECT_EQ(ledger[0].published_day, a.published_day);
  EXPECT_EQ(ledger[0].deadline_day, a.deadline_day);
  EXPECT_EQ(ledger[0].deadline_provisional, a.deadline_provisional);
  EXPECT_EQ(ledger[0].latency_working_days, a.latency_working_days);
  EXPECT_EQ(ledger[0].lateness, a.lateness);
}

const Golden& GoldenOf(std::string_view kind) {
  for (const Golden& golden : kGolden) {
    if (golden.kind == kind) return golden;
  }
  ADD_FAILURE() << "no golden entry " << kind;
  return kGolden[0];
}

// Each codec on its own: the golden bytes are what it encodes, and what it decodes back.
TEST(StateCodecTest, EachCodecEncodesTheGoldenBytes) {
  std::string key, value;
  RecordStateCodec::Key(Id(1), key);
  RecordStateCodec::Encode(SampleRecord(), value);
  EXPECT_EQ(Hex(key), GoldenOf("record state").key);
  EXPECT_EQ(Hex(value), GoldenOf("record state").value);

  key.clear(), value.clear();
  SourceProgressCodec::Key("file:abc", key);
  SourceProgressCodec::Encode(SampleProgress(), value);
  EXPECT_EQ(Hex(key), GoldenOf("source progress").key);
  EXPECT_EQ(Hex(value), GoldenOf("source progress").value);

  key.clear(), value.clear();
  ChainHeadCodec::Key(RecordKind::kPenalty, key);
  ChainHeadCodec::Encode(SampleChain(), value);
  EXPECT_EQ(Hex(key), GoldenOf("chain head").key);
  EXPECT_EQ(Hex(value), GoldenOf("chain head").value);

  value.clear();
  BatchSequenceCodec::Encode(1234, value);
  EXPECT_EQ(Hex(BatchSequenceCodec::kKey), GoldenOf("batch sequence").key);
  EXPECT_EQ(Hex(value), GoldenOf("batch sequence").value);

  key.clear(), value.clear();
  ExpiryCodec::Key(SampleExpiry().end_day, SampleExpiry().identity, key);
  ExpiryCodec::Encode(SampleExpiry(), value);
  EXPECT_EQ(Hex(key), GoldenOf("expiry index").key);
  EXPECT_EQ(Hex(value), GoldenOf("expiry index").value);

  key.clear(), value.clear();
  OutboxCodec::Key(SampleOutbox().sequence, key);
  OutboxCodec::Encode(SampleOutbox(), value);
  EXPECT_EQ(Hex(key), GoldenOf("http outbox").key);
  EXPECT_EQ(Hex(value), GoldenOf("http outbox").value);

  key.clear(), value.clear();
  ReceiptCodec::Key(SampleReceipt().sequence, key);
  ReceiptCodec::Encode(SampleReceipt(), value);
  EXPECT_EQ(Hex(key), GoldenOf("receipt").key);
  EXPECT_EQ(Hex(value), GoldenOf("receipt").value);

  key.clear(), value.clear();
  AuditLedgerCodec::Key(SampleAudit(), Id(9), 17, 4, key);
  AuditLedgerCodec::Encode(SampleAudit(), value);
  EXPECT_EQ(Hex(key), GoldenOf("audit ledger").key);
  EXPECT_EQ(Hex(value), GoldenOf("audit ledger").value);
}

// The record state layouts before v5, as they were written (v4: every earlier slot; v3: no
// policy; v2: no publication end either), still read.
TEST(StateCodecTest, OlderRecordStateLayoutsStillRead) {
  const RecordState sample = SampleRecord();
  // v5 golden: version, state, kind, fingerprint(16), count(1)=2, two earlier(32), then the tail.
  const std::string v5 = Unhex(GoldenOf("record state").value);
  const std::string head = v5.substr(1, 2 + 16);
  const std::string earlier = v5.substr(1 + 2 + 16 + 1, 32);
  const std::string days_and_batch = v5.substr(1 + 2 + 16 + 1 + 32, 4 + 4 + 8);
  const std::string end_day = v5.substr(1 + 2 + 16 + 1 + 32 + 16, 4);
  const std::string policy = v5.substr(1 + 2 + 16 + 1 + 32 + 16 + 4, 8);
  ASSERT_EQ(v5.size(), 1 + 2 + 16 + 1 + 32 + 16 + 4 + 8u);
  const std::string all_slots = earlier + std::string(16, '\0');
  struct Layout {
    uint8_t version;
    std::string tail;
    int32_t publication_end_day;
    uint64_t policy;
  };
  const Layout layouts[] = {
      {4, all_slots + days_and_batch + end_day + policy, sample.publication_end_day, sample.policy},
      {3, all_slots + days_and_batch + end_day, sample.publication_end_day, 0},
      {2, all_slots + days_and_batch, 0, 0},
  };
  for (const Layout& layout : layouts) {
    SCOPED_TRACE(static_cast<int>(layout.version));
    RecordState state;
    state.policy = 99;  // must be reset, not left over
    state.publication_end_day = 99;
    const std::string value =
        std::string(1, static_cast<char>(layout.version)) + head + layout.tail;
    ASSERT_EQ(RecordStateCodec::Decode(value, state), DecodeStatus::kOk);
    EXPECT_EQ(state.state, sample.state);
    EXPECT_EQ(state.kind, sample.kind);
    EXPECT_EQ(state.fingerprint, sample.fingerprint);
    EXPECT_EQ(state.earlier, sample.earlier);
    EXPECT_EQ(state.decision_day, sample.decision_day);
    EXPECT_EQ(state.deadline_day, sample.deadline_day);
    EXPECT_EQ(state.batch_sequence, sample.batch_sequence);
    EXPECT_EQ(state.publication_end_day, layout.publication_end_day);
    EXPECT_EQ(state.policy, layout.policy);
  }
}

TEST(StateCodecTest, ProgressWrittenBeforeNamesWereMaskedReadsZeroNames) {
  std::string value = Unhex(GoldenOf("source progress").value);
  value.resize(value.size() - 8);  // without names_redacted
  SourceProgress progress;
  progress.names_redacted = 5;
  ASSERT_EQ(SourceProgressCodec::Decode(value, progress), DecodeStatus::kOk);
  EXPECT_EQ(progress.names_redacted, 0u);
  EXPECT_EQ(progress.batches, SampleProgress().batches);
}

// A value of a version this build does not know, or cut short, is refused, never read as zeros.
TEST(StateCodecTest, UnknownVersionsAndShortValuesAreRefused) {
  const auto bump = [](std::string value) {
    value[0] = static_cast<char>(value[0] + 1);
    return value;
  };
  RecordState record;
  SourceProgress progress;
  ExpiryEntry expiry;
  OutboxEntry outbox;
  Receipt receipt;
  AuditEvent audit;
  ChainHead chain;
  uint64_t sequence = 0;
  const std::string r = Unhex(GoldenOf("record state").value);
  EXPECT_EQ(RecordStateCodec::Decode(bump(r), record), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(RecordStateCodec::Decode(r.substr(0, r.size() - 1), record),
            DecodeStatus::kUnknownLayout);
  EXPECT_EQ(RecordStateCodec::Decode(std::string(1, '\1') + r.substr(1), record),
            DecodeStatus::kUnknownLayout);  // v1 was never written
  const std::string p = Unhex(GoldenOf("source progress").value);
  EXPECT_EQ(SourceProgressCodec::Decode(bump(p), progress), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(SourceProgressCodec::Decode(p.substr(0, 40), progress), DecodeStatus::kUnknownLayout);
  const std::string c = Unhex(GoldenOf("chain head").value);
  EXPECT_EQ(ChainHeadCodec::Decode(c.substr(0, 39), chain), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(BatchSequenceCodec::Decode("1234567", sequence), DecodeStatus::kUnknownLayout);

  const std::string ek = Unhex(GoldenOf("expiry index").key);
  const std::string ev = Unhex(GoldenOf("expiry index").value);
  EXPECT_EQ(ExpiryCodec::Decode(ek, bump(ev), expiry), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(ExpiryCodec::Decode(ek, ev.substr(0, 5), expiry), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(ExpiryCodec::Decode(ek, ev.substr(0, ev.size() - 1), expiry), DecodeStatus::kTruncated);
  EXPECT_EQ(ExpiryCodec::Decode(ek.substr(1), ev, expiry), DecodeStatus::kUnknownLayout);

  const std::string ok = Unhex(GoldenOf("http outbox").key);
  const std::string ov = Unhex(GoldenOf("http outbox").value);
  EXPECT_EQ(OutboxCodec::Decode(ok, bump(ov), outbox), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(OutboxCodec::Decode(ok, ov.substr(0, ov.size() - 1), outbox),
            DecodeStatus::kUnknownLayout);
  EXPECT_EQ(OutboxCodec::Decode(ok.substr(0, 8), ov, outbox), DecodeStatus::kUnknownLayout);

  const std::string hk = Unhex(GoldenOf("receipt").key);
  const std::string hv = Unhex(GoldenOf("receipt").value);
  EXPECT_EQ(ReceiptCodec::Decode(hk, bump(hv), receipt), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(ReceiptCodec::Decode(hk, hv.substr(0, 16), receipt), DecodeStatus::kUnknownLayout);

  const std::string av = Unhex(GoldenOf("audit ledger").value);
  EXPECT_EQ(AuditLedgerCodec::Decode(bump(av), audit), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(AuditLedgerCodec::Decode(av.substr(0, 20), audit), DecodeStatus::kUnknownLayout);
  EXPECT_EQ(AuditLedgerCodec::Decode(av.substr(0, av.size() - 1), audit), DecodeStatus::kTruncated);
}

// The site's answer is kept to its first KiB: a receipt stays small whatever the site says.
TEST(StateCodecTest, AReceiptKeepsTheFirstKibOfTheAnswer) {
  Receipt receipt = SampleReceipt();
  receipt.answer = std::string(ReceiptCodec::kMaxAnswer, 'a') + "tail";
  std::string key, value;
  ReceiptCodec::Key(receipt.sequence, key);
  ReceiptCodec::Encode(receipt, value);
  Receipt read;
  ASSERT_EQ(ReceiptCodec::Decode(key, value, read), DecodeStatus::kOk);
  EXPECT_EQ(read.answer, std::string(ReceiptCodec::kMaxAnswer, 'a'));
  EXPECT_EQ(read.sequence, receipt.sequence);
}

// The store names the kind and the fault of a value it cannot read.
TEST(StateGoldenTest, ATruncatedExpiryEntryIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir / "db";
  {
    auto store = StateStore::Open({.dir = path});
    ASSERT_TRUE(store);
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const std::string value = Unhex(GoldenOf("expiry index").value);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), Unhex(GoldenOf("expiry index").key),
                        value.substr(0, value.size() - 3))
                    .ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto store = StateStore::Open({.dir = path});
  ASSERT_TRUE(store);
  std::vector<ExpiryEntry> expired;
  auto collected = (*store)->CollectExpired(SampleExpiry().end_day + 1, 10, expired);
  ASSERT_FALSE(collected);
  EXPECT_NE(collected.error().message().find("an expiry entry is truncated"), std::string::npos);
}

}  // namespace
}  // namespace gongshi
