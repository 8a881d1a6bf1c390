// Deduper: the dedupe stage. Gives each valid record its identity (a keyed HMAC of the spec's
// identity fields) and content fingerprint, looks the batch's identities up in the state store at
// once, and decides the outcome: new (publish), duplicate, update, or withdrawal.
#pragma once

#include <string_view>
#include <vector>

#include "pipeline/common/keyed_hash.h"
#include "pipeline/record/record.h"
#include "pipeline/schema/schema.h"
#include "pipeline/state/state_store.h"

namespace gongshi {

// Not thread-safe (owns reusable buffers and uses one KeyedHash); one per worker. Borrows the
// schemas, the store and the hash, which must outlive it.
class Deduper {
 public:
  // `policy_version`: the redaction policy records are published under now (its PolicyTag is
  // kept in each record's state).
  Deduper(const SchemaSet& schemas, StateStore& store, KeyedHash& hash,
          std::string_view policy_version);

  // Replay mode (gongshi replay): the current version of a record published under another
  // policy is a correction (kUpdated, Record::replayed), and one withheld under another policy
  // is judged again; everything else is as in live mode. In live mode a re-sent current version
  // is a duplicate whatever policy it went out under.
  void set_replay(bool replay) { replay_ = replay; }

  // Sets identity, fingerprint, prior state and outcome of every pending record. Records later
  // in the batch see the earlier ones (an update right after its original is an update). Writes
  // nothing to the store: the runner commits what Remember() adds to its transaction.
  // `after_uncommitted`: the batch Remember() saw last may not be committed yet (a runner that
  // commits batch k while it decides batch k+1): its states are found there before the store.
  // Every batch before that one must be committed.
  Status Process(RecordBatch& batch, bool after_uncommitted = false);

  // Adds the new state of every record whose outcome changed it to `transaction`, reading the
  // final outcomes (the redactor may have withheld some), and keeps those states for the next
  // Process(after_uncommitted). Call after Process() on the same batch. `batch_sequence` is the
  // feed batch carrying the records.
  void Remember(const RecordBatch& batch, uint64_t batch_sequence,
                StateStore::Transaction& transaction);

  // Identity and fingerprint of one record (exposed for tests and the generator's checks).
  void Identify(Record& record);

 private:
  // Open-addressing table of identities seen earlier in this batch, reused between batches.
  struct Slot {
    Digest128 id;
    uint32_t generation = 0;
    RecordState state;
  };
  // The slot of `id` in `table` (of a power-of-two size): its own, or the free one it would take.
  static Slot* FindSlot(std::vector<Slot>& table, uint32_t generation, const Digest128& id);

  const SchemaSet& schemas_;
  StateStore& store_;
  KeyedHash& hash_;
  uint64_t policy_;
  bool replay_ = false;
  std::vector<Digest128> ids_;
  std::vector<size_t> positions_;
  std::vector<RecordState> found_;
  std::vector<RecordState> next_;  // by position in positions_: the state after each record
  std::vector<Slot> overlay_;
  uint32_t overlay_generation_ = 0;
  // The states the last Remember() wrote, by identity: what a batch decided while that one
  // commits must see. Reused like the overlay.
  std::vector<Slot> uncommitted_;
  uint32_t uncommitted_generation_ = 0;
  std::string message_;  // reused: the identity message being hashed
  char scratch_[1024];
};

}  // namespace gongshi
