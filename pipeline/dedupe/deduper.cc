#include "pipeline/dedupe/deduper.h"

#include <algorithm>
#include <cstring>

#include "pipeline/common/identifiers.h"

namespace gongshi {
namespace {

constexpr char kSeparator = '\x1f';

}  // namespace

Deduper::Deduper(const SchemaSet& schemas, StateStore& store, KeyedHash& hash,
                 std::string_view policy_version)
    : schemas_(schemas), store_(store), hash_(hash), policy_(PolicyTag(policy_version)) {}

void Deduper::Identify(Record& record) {
  const RecordSchema& schema = schemas_.For(record.kind);
  message_.clear();
  message_.push_back(static_cast<char>(record.kind));
  for (int field : schema.identity()) {
    message_.push_back(kSeparator);
    if (field == RecordSchema::kSubjectKey) {
      // Subject key (spec §3): the USCC, else the ID number, else the name. Tagged so that a
      // name can never collide with a code.
      const int uscc = schema.FieldIndex("uscc");
      const int id_no = schema.FieldIndex("subject_id_no");
      const int name = schema.FieldIndex("subject_name");
      const FieldSpec& uscc_spec = schema.field(uscc);
      if (record.present.test(uscc) && record.fields[uscc] != uscc_spec.placeholder) {
        message_.append("U:").append(record.fields[uscc]);
      } else if (id_no >= 0 && record.present.test(id_no)) {
        message_.append("I:").append(record.fields[id_no]);
      } else {
        message_.append("N:").append(record.fields[name]);
      }
      continue;
    }
    if (!record.present.test(field)) continue;
    const std::string_view value = record.fields[field];
    if (schema.field(field).name == "decision_doc_no" && value.size() <= sizeof(scratch_)) {
      // 〔2024〕, [2024] and (2024) are the same document number.
      if (auto n = NormalizeDocumentNumber(value, scratch_, sizeof(scratch_))) {
        message_.append(scratch_, *n);
        continue;
      }
    }
    message_.append(value);
  }
  record.identity = hash_.Hmac(message_);

  hash_.FingerprintBegin();
  hash_.FingerprintAdd(schema.version());
  for (int i = 0; i < schema.field_count(); ++i) {
    if (!record.present.test(i)) continue;
    const char tag = static_cast<char>(i);
    hash_.FingerprintAdd(std::string_view(&tag, 1));
    const FieldFormat format = schema.field(i).format;
    if (format == FieldFormat::kDate || format == FieldFormat::kMoneyWanYuan ||
        format == FieldFormat::kPenaltyCategories) {
      // The normalised value: 2024/01/05 and 2024-01-05, 1.5 and 1.500000 are the same content.
      hash_.FingerprintAdd(
          std::string_view(reinterpret_cast<const char*>(&record.values[i]), sizeof(int64_t)));
    } else {
      hash_.FingerprintAdd(record.fields[i]);
    }
  }
  record.fingerprint = hash_.FingerprintFinish();

  record.repair_requested =
      schema.repair_field() >= 0 && record.present.test(schema.repair_field());
  record.withdraw_requested = false;
  const int withdraw = schema.withdraw_field();
  if (withdraw >= 0 && record.present.test(withdraw)) {
    for (const std::string& value : schema.withdraw_values()) {
      if (record.fields[withdraw] == value) record.withdraw_requested = true;
    }
  }
}

Deduper::Slot* Deduper::FindSlot(std::vector<Slot>& table, uint32_t generation,
                                 const Digest128& id) {
  const size_t mask = table.size() - 1;
  uint64_t h;
  std::memcpy(&h, id.data(), sizeof(h));  // already a keyed hash: uniformly distributed
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& slot = table[i];
    if (slot.generation != generation || slot.id == id) return &slot;
  }
}

namespace {

// Makes `table` big enough for `entries` at half load and starts a new generation in it (the
// slots of the last one are free without being touched).
template <typename Slot>
void Renew(std::vector<Slot>& table, uint32_t& generation, size_t entries) {
  size_t wanted = 1;
  while (wanted < entries * 2 + 2) wanted <<= 1;
  if (table.size() < wanted) {
    table.assign(wanted, Slot{});
    generation = 0;
  }
  if (++generation == 0) {  // wrapped: forget every slot explicitly
    for (Slot& slot : table) slot.generation = 0;
    generation = 1;
  }
}

}  // namespace

Status Deduper::Process(RecordBatch& batch, bool after_uncommitted) {
  ids_.clear();
  positions_.clear();
  for (size_t i = 0; i < batch.records.size(); ++i) {
    Record& record = batch.records[i];
    if (!record.pending()) continue;
    Identify(record);
    ids_.push_back(record.identity);
    positions_.push_back(i);
  }
  if (auto looked_up = store_.Lookup(ids_, found_); !looked_up) return looked_up;

  Renew(overlay_, overlay_generation_, ids_.size());
  // Without an uncommitted batch before this one, what the last Remember() kept is committed
  // (or was never: a failed batch) and the store is the truth.
  const bool uncommitted = after_uncommitted && !uncommitted_.empty();

  next_.resize(positions_.size());
  for (size_t k = 0; k < positions_.size(); ++k) {
    Record& record = batch.records[positions_[k]];
    Slot* slot = FindSlot(overlay_, overlay_generation_, record.identity);
    const RecordState* known = &found_[k];
    if (slot->generation == overlay_generation_) {
      known = &slot->state;  // earlier in this batch
    } else if (uncommitted) {
      const Slot* pending = FindSlot(uncommitted_, uncommitted_generation_, record.identity);
      if (pending->generation == uncommitted_generation_) known = &pending->state;
    }
    const RecordState& prior = *known;
    record.prior = prior.state;
    record.replayed = false;
    RecordState next = prior;
    // Replay: the current version, out under another policy, goes out again under this one.
    const bool republish = replay_ && prior.policy != policy_ &&
                           prior.fingerprint == record.fingerprint &&
                           (prior.state == PublicationState::kPublished ||
                            prior.state == PublicationState::kWithheld) &&
                           !record.withdraw_requested && !record.repair_requested;
    if (republish) {
      // A correction of what the site shows (or, withheld before, a first publication if the
      // new policy allows it); the content and its history stay as they are.
      record.outcome =
          prior.state == PublicationState::kPublished ? Outcome::kUpdated : Outcome::kPublished;
      record.replayed = true;
      next.state = PublicationState::kPublished;
    } else if (prior.Knows(record.fingerprint)) {
      // The current version, or an older one sent again: nothing new to publish either way.
      record.outcome = Outcome::kDuplicate;
    } else {
      if (record.withdraw_requested || record.repair_requested) {
        // A revocation of something never published is still published as a withdrawal: the
        // site may hold it from another channel, and the auditors see the revocation either way.
        record.outcome = Outcome::kWithdrawn;
        next.state = PublicationState::kWithdrawn;
      } else if (prior.state == PublicationState::kPublished ||
                 prior.state == PublicationState::kWithdrawn) {
        record.outcome = Outcome::kUpdated;
        next.state = PublicationState::kPublished;
      } else {
        record.outcome = Outcome::kPublished;  // new, or withheld before and changed since
        next.state = PublicationState::kPublished;
      }
      if (prior.state != PublicationState::kNone) {
        std::copy_backward(next.earlier.begin(), next.earlier.end() - 1, next.earlier.end());
        next.earlier[0] = prior.fingerprint;
      }
      next.fingerprint = record.fingerprint;
      next.kind = record.kind;
    }
    // Under this policy now (a second copy later in the batch is a duplicate, also in replay).
    if (record.outcome != Outcome::kDuplicate) next.policy = policy_;
    // The redactor may still withhold it; the overlay keeps what dedupe knows now, and
    // Remember() writes the state of the final outcome.
    slot->id = record.identity;
    slot->generation = overlay_generation_;
    slot->state = next;
    next_[k] = next;
  }
  return Ok();
}

void Deduper::Remember(const RecordBatch& batch, uint64_t batch_sequence,
                       StateStore::Transaction& transaction) {
  Renew(uncommitted_, uncommitted_generation_, positions_.size());
  for (size_t k = 0; k < positions_.size(); ++k) {
    const Record& record = batch.records[positions_[k]];
    RecordState state = next_[k];
    switch (record.outcome) {
      case Outcome::kPublished:
      case Outcome::kUpdated: state.state = PublicationState::kPublished; break;
      case Outcome::kWithdrawn: state.state = PublicationState::kWithdrawn; break;
      case Outcome::kWithheld: state.state = PublicationState::kWithheld; break;
      default: continue;  // duplicates change nothing; rejects were never state
    }
    const RecordSchema& schema = schemas_.For(record.kind);
    const int decision = schema.FieldIndex("decision_date");
    state.policy = policy_;
    state.decision_day = static_cast<int32_t>(record.values[decision]);
    state.deadline_day = record.deadline_day;
    state.batch_sequence = batch_sequence;
    // The expiry index follows the published version's publication end. (A second version of
    // the same identity in one batch may leave its first version's entry behind; the sweep
    // checks every entry against the record's state and drops such leftovers.)
    const bool published =
        record.outcome == Outcome::kPublished || record.outcome == Outcome::kUpdated;
    const int32_t old_end = state.publication_end_day;
    state.publication_end_day = published ? record.publication_end_day : 0;
    if (old_end != 0 && old_end != state.publication_end_day) {
      transaction.DeleteExpiry(old_end, record.identity);
    }
    if (state.publication_end_day != 0) {
      ExpiryEntry entry;
      entry.end_day = state.publication_end_day;
      entry.identity = record.identity;
      entry.kind = record.kind;
      entry.decision_day = state.decision_day;
      auto field = [&](const char* name, std::string& out) {
        const int f = schema.FieldIndex(name);
        if (f >= 0 && record.present.test(f)) out = record.fields[f];
      };
      field("authority_uscc", entry.authority_uscc);
      field("authority_name", entry.authority_name);
      field("decision_doc_no", entry.decision_doc_no);
      field("license_no", entry.license_no);
      transaction.PutExpiry(entry);
    }
    transaction.PutRecord(record.identity, state);
    Slot* kept = FindSlot(uncommitted_, uncommitted_generation_, record.identity);
    kept->id = record.identity;
    kept->generation = uncommitted_generation_;
    kept->state = state;
  }
}

}  // namespace gongshi
