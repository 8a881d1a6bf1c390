// The state store's record layout: what is written reads back, and states written by earlier
// versions (v4 kept every earlier fingerprint slot, zero or not) still read the same.
#include "pipeline/state/state_store.h"

#include <cstring>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "tests/support/test_support.h"

namespace gongshi {
namespace {

Digest128 Id(uint8_t seed) {
  Digest128 id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed * 31 + i + 1);
  return id;
}

RecordState Sample(size_t earlier) {
  RecordState state;
  state.state = PublicationState::kPublished;
  state.kind = RecordKind::kPenalty;
  state.fingerprint = Id(100);
  for (size_t i = 0; i < earlier; ++i) state.earlier[i] = Id(static_cast<uint8_t>(101 + i));
  state.decision_day = 20400;
  state.deadline_day = 20409;
  state.batch_sequence = 77;
  state.publication_end_day = 21500;
  state.policy = PolicyTag("p2");
  return state;
}

void ExpectSame(const RecordState& a, const RecordState& b) {
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.earlier, b.earlier);
  EXPECT_EQ(a.decision_day, b.decision_day);
  EXPECT_EQ(a.deadline_day, b.deadline_day);
  EXPECT_EQ(a.batch_sequence, b.batch_sequence);
  EXPECT_EQ(a.publication_end_day, b.publication_end_day);
  EXPECT_EQ(a.policy, b.policy);
}

TEST(StateStoreTest, ARecordStateReadsBackWithNoneSomeOrAllEarlierVersions) {
  testing::TempDir dir;
  auto store = StateStore::Open({.dir = dir / "db"});
  ASSERT_TRUE(store) << store.error().ToString();
  StateStore::Transaction t;
  for (size_t earlier = 0; earlier <= RecordState::kHistory; ++earlier) {
    t.PutRecord(Id(static_cast<uint8_t>(earlier)), Sample(earlier));
  }
  ASSERT_TRUE((*store)->Commit(t));
  std::vector<Digest128> ids;
  for (size_t earlier = 0; earlier <= RecordState::kHistory; ++earlier) {
    ids.push_back(Id(static_cast<uint8_t>(earlier)));
  }
  ids.push_back(Id(200));  // never written
  std::vector<RecordState> found;
  ASSERT_TRUE((*store)->Lookup(ids, found));
  ASSERT_EQ(found.size(), ids.size());
  for (size_t earlier = 0; earlier <= RecordState::kHistory; ++earlier) {
    SCOPED_TRACE(earlier);
    ExpectSame(found[earlier], Sample(earlier));
    EXPECT_TRUE(found[earlier].Knows(Id(100)));
    if (earlier > 0) {
      EXPECT_TRUE(found[earlier].Knows(Id(101)));
    }
  }
  EXPECT_EQ(found.back().state, PublicationState::kNone);
}

TEST(StateStoreTest, AStateWrittenInTheVersion4LayoutStillReads) {
  testing::TempDir dir;
  const std::string path = dir / "db";
  const RecordState expected = Sample(1);
  {
    auto store = StateStore::Open({.dir = path});  // creates the store as the product does
    ASSERT_TRUE(store);
  }
  {
    // What 1ee2f7e and earlier wrote: every earlier slot, zero or not.
    std::string value;
    auto put = [&](const auto& v) { value.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    put(uint8_t{4});
    put(static_cast<uint8_t>(expected.state));
    put(static_cast<uint8_t>(expected.kind));
    value.append(reinterpret_cast<const char*>(expected.fingerprint.data()), 16);
    for (const Digest128& e : expected.earlier)
      value.append(reinterpret_cast<const char*>(e.data()), 16);
    put(expected.decision_day);
    put(expected.deadline_day);
    put(expected.batch_sequence);
    put(expected.publication_end_day);
    put(expected.policy);
    std::string key(1, 'r');
    const Digest128 id = Id(9);
    key.append(reinterpret_cast<const char*>(id.data()), id.size());
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto store = StateStore::Open({.dir = path});
  ASSERT_TRUE(store) << store.error().ToString();
  std::vector<RecordState> found;
  const std::vector<Digest128> ids = {Id(9)};
  ASSERT_TRUE((*store)->Lookup(ids, found));
  ExpectSame(found[0], expected);
}

TEST(StateStoreTest, AValueClaimingMoreEarlierVersionsThanKeptIsRefused) {
  testing::TempDir dir;
  const std::string path = dir / "db";
  {
    auto store = StateStore::Open({.dir = path});
    ASSERT_TRUE(store);
  }
  {
    std::string value = {5, 1, 2};
    value.append(16, 'f');
    value.push_back(static_cast<char>(RecordState::kHistory + 1));
    value.append(200, 'x');
    std::string key(1, 'r');
    const Digest128 id = Id(3);
    key.append(reinterpret_cast<const char*>(id.data()), id.size());
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto store = StateStore::Open({.dir = path});
  ASSERT_TRUE(store);
  std::vector<RecordState> found;
  const std::vector<Digest128> ids = {Id(3)};
  auto looked = (*store)->Lookup(ids, found);
  ASSERT_FALSE(looked);
  EXPECT_NE(looked.error().message().find("unknown layout"), std::string::npos);
}

}  // namespace
}  // namespace gongshi
