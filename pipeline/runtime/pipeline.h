// Pipeline: the only code that knows the order of the stages, and with it the delivery guarantee:
// parse -> validate -> deadline -> dedupe -> redact -> write feeds and dead-letter (durable) ->
// commit state + source progress + chain heads in one synced RocksDB write. A crash before the
// commit re-makes the same batch (same id, same files, replaced in place); a crash after it
// resumes after the batch. Nothing is lost and nothing is published twice.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "pipeline/calendar/calendar.h"
#include "pipeline/common/keyed_hash.h"
#include "pipeline/config/config.h"
#include "pipeline/dedupe/deduper.h"
#include "pipeline/lifecycle/publication_period.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/redact/redactor.h"
#include "pipeline/runtime/worker_pool.h"
#include "pipeline/schema/schema.h"
#include "pipeline/sink/batch_sink.h"
#include "pipeline/sink/dead_letter.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/state/audit_event.h"
#include "pipeline/state/state_store.h"
#include "pipeline/validate/validator.h"

namespace gongshi {

// Everything a run needs, opened and checked at start-up (fail fast: a bad schema, holiday file,
// policy or key stops the run before it reads a record).
struct PipelineParts {
  std::unique_ptr<SchemaSet> schemas;
  std::unique_ptr<WorkingCalendar> calendar;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<KeyedHash> hash;
  std::unique_ptr<PublicationRules> periods;  // schemas/publication_periods.json
};

// The HMAC key: state.hmac_key_file, else $<state.hmac_key_env>, else <state_dir>/hmac.key
// (created once, mode 0600). The key is never logged.
Result<std::string> ResolveHmacKey(const StateConfig& config, const std::string& state_dir,
                                   bool& generated);

Result<PipelineParts> OpenPipelineParts(const Config& config, const std::string& state_dir);

// What one sweep of the expiry index did.
struct SweepStats {
  uint64_t withdrawn = 0;  // withdrawals published (reason period_ended)
  uint64_t stale = 0;      // index entries of records changed since, dropped
  uint64_t batches = 0;
  // Per withdrawal: seconds from the end of the publication period (24:00 Asia/Shanghai of its
  // last day) to the commit; gongshi_withdrawal_latency_seconds.
  std::vector<double> latency_seconds;
};

// Per-run totals; SourceProgress carries the same figures across a resume.
struct RunCounts {
  std::array<uint64_t, 7> outcomes{};  // by Outcome
  std::vector<uint64_t> reject_reasons = std::vector<uint64_t>(AllRejectReasons().size() + 1);
  std::vector<uint64_t> withhold_reasons = std::vector<uint64_t>(kWithholdReasonCount);
  std::array<uint64_t, 5> redactions{};  // id_number, mobile, bank_card, email, name
  uint64_t batches = 0;
  uint64_t read() const;
  // Adds one batch's figures (as ProcessBatch reported them for the metrics).
  void Add(const BatchCounts& counts);
  // Adds what a source (a file, a partition, a replay's part) has done, as its progress keeps it.
  void Add(const SourceProgress& progress);
};

// What runs the pipeline: the file pass (and `gongshi replay`) or the Kafka service, whose
// rejects also go to the dead-letter topic when kafka.dead_letter.to says so.
enum class RunKind : uint8_t { kFilePass, kKafkaService };

class Pipeline {
 public:
  // Borrows `parts`, which must outlive the Pipeline.
  static Result<std::unique_ptr<Pipeline>> Create(const Config& config, PipelineParts& parts,
                                                  const std::string& out_dir,
                                                  RunKind kind = RunKind::kFilePass);

  // Runs one batch from the source through every stage and commits it, with `progress` (already
  // advanced by the caller to the position after the batch) in the same write. `info` needs the
  // source fields set; the batch id and sequence are filled in here.
  // The sinks run in their order (batch_sink.h) before the state commits. `counts`, when
  // given, receives the batch's figures for the metrics. A failed batch leaves the attempt's
  // figures in `progress` and `counts`: the caller restores or drops them (the Publisher and
  // the replay runner do) before it tries the batch again.
  Status ProcessBatch(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                      SourceProgress& progress, BatchCounts* counts = nullptr);

  // ProcessBatch in two halves. Prepare parses and validates the batch and sets the records'
  // publication deadlines; it touches only the batch, the parsers and the validator, so one
  // reader thread may prepare the next batch while this one runs ProcessPrepared (the file
  // pass does). Never two Prepare (or ProbeDeadlines) calls at once, never two ProcessPrepared.
  // Both cut the batch into parts that the pool's cores (service.threads) parse, validate and
  // redact at once; dedupe, the feed files and the commit keep the batch's order on the caller.
  void Prepare(RecordBatch& batch);
  Status ProcessPrepared(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                         SourceProgress& progress, BatchCounts* counts = nullptr);

  // A batch decided and waiting for its sinks and its commit. Reused: its buffers keep their
  // capacity. The batch it points to must stay as it is until Commit returns.
  struct Decided {
    RecordBatch* batch = nullptr;
    BatchInfo info;
    BatchCounts* counts = nullptr;
    std::vector<RenderedPart> rendered;  // the feed lines rendered on the pool, by part
    size_t rendered_parts = 0;
    StateStore::Transaction transaction;  // the batch's state write but for the chain heads
  };
  // ProcessPrepared in two halves, for a runner that commits batch k on one thread while it
  // decides batch k+1 on another (the file pass): Decide dedupes, redacts, dates and renders the
  // batch and makes its state write; Commit runs the sinks in their order and commits. The rule
  // that keeps the guarantee: Commit(k+1) starts only after Commit(k) returned Ok, so nothing of
  // k+1 is durable before k is; a crash re-makes both from k's start. `uncommitted` is the batch
  // whose Commit may still be running (its records' states and sequence are taken from it, not
  // from the store), or null; every batch before it must be committed. After a failed Commit,
  // the next Decide must pass null (its decisions of later batches are void).
  Status Decide(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                SourceProgress& progress, BatchCounts* counts, const Decided* uncommitted,
                Decided& out);
  // Also the sweep's batches go this way, so the write→commit tail is written once.
  Status Commit(Decided& decided);

  // The daily sweep: publishes a withdrawal (reason period_ended) for every published penalty
  // whose publication period ended before today (config.today, else the Shanghai day of
  // `now_ms`, 0 = now), in feed batches committed like any other: the withdrawals' files first,
  // then, in one synced write, the records' state, the index, the ledger and the chain heads. A
  // crash in between re-makes the same batches. Sweep withdrawals are not input records: they
  // are counted here, not in the outcomes.
  Result<SweepStats> Sweep(int64_t now_ms = 0);

  // Parses and validates `batch` to learn the publication deadlines of the records that will be
  // published (appended to `deadline_days`), then forgets the outcomes so the batch can be
  // processed later. For a service that holds records until their batch is due.
  void ProbeDeadlines(RecordBatch& batch, std::vector<int32_t>& deadline_days);

  // Test-only: consulted before a batch's files are written; an error (kUnavailable: the sink is
  // down) fails the batch there, as a failing disk or site would. Empty: no fault.
  void set_sink_fault(std::function<Status()> fault) { sink_fault_ = std::move(fault); }

  const Config& config() const { return config_; }

 private:
  Pipeline(const Config& config, PipelineParts& parts, const std::string& out_dir,
           std::vector<std::unique_ptr<Redactor>> redactors, OriginalBytes original);
  void AssignDeadlines(std::span<Record> records) const;
  // Runs fn(records, arena, slot) over the batch cut into parts, on the pool's cores; part k
  // keeps its rewritten values in batch.part_arenas[k] (the batch's own arena when it is one
  // part, as with service.threads 1). Returns how many parts there were.
  size_t ForEachPart(
      RecordBatch& batch,
      const std::function<void(std::span<Record>, Arena&, size_t part, size_t slot)>& fn);
  // Penalties about to be published get their publication end; one that has already passed is
  // withheld (or, if it was published before, withdrawn) with reason period_ended.
  void ApplyPublicationPeriods(RecordBatch& batch, int32_t today) const;
  // Commit's first half: the staged files, durable together, then the acknowledged sinks
  // (batch_sink.h).
  Status Deliver(SinkBatch& out);
  // What the in-commit sinks (the outbox) add to the batch's state write.
  void AddToCommit(const SinkBatch& out, StateStore::Transaction& transaction) const;
  // The commit day: config.today when set, else the batch's publication time in Shanghai.
  int32_t TodayFor(const BatchInfo& info) const;
  // The ledger entry of a record whose outcome is final; `today` is the commit day.
  AuditEvent AuditOf(const Record& record, int32_t today) const;

  Config config_;
  PipelineParts& parts_;
  WorkerPool pool_;
  std::vector<std::unique_ptr<JsonParser>> parsers_;  // by pool slot
  Validator validator_;
  Deduper deduper_;
  std::vector<std::unique_ptr<Redactor>> redactors_;  // by pool slot
  std::vector<RedactionCounts> part_redactions_;      // by part of the batch
  FeedWriter feeds_;
  DeadLetterWriter dead_letter_;
  int region_index_ = -1;
  std::array<int, 3> decision_field_{-1, -1, -1};
  std::array<int, 3> authority_uscc_field_{-1, -1, -1};
  std::array<int, 3> authority_name_field_{-1, -1, -1};
  int publish_until_field_ = -1;  // penalty
  int repair_field_ = -1;         // penalty: credit_repair_date
  int penalty_categories_field_ = -1;
  int batches_in_this_process_ = 0;
  int kill_after_files_batch_ = -1;  // test-only fault injection, see pipeline.cc
  std::function<Status()> sink_fault_;
  std::string out_dir_;
  std::vector<std::unique_ptr<BatchSink>> sinks_;  // in their order; see batch_sink.h
  Decided decided_;                                // reused by ProcessPrepared
  RecordBatch sweep_batch_;                        // reused by Sweep
  std::vector<ExpiryEntry> expired_;
  std::vector<Digest128> expired_ids_;
  std::vector<RecordState> expired_states_;
};

}  // namespace gongshi
