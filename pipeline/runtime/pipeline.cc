#include "pipeline/runtime/pipeline.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <span>

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

template <typename T>
Status Check(const Result<T>& result) {
  if (!result) return Fail(result.error());
  return Ok();
}

ParserOptions MakeParserOptions(const Config& config) {
  ParserOptions options;
  options.encoding = *ParseSourceEncoding(config.input.encoding);  // checked by LoadConfig
  options.max_record_bytes = config.input.max_record_bytes;
  if (config.input.default_kind == "license") options.default_kind = RecordKind::kLicense;
  if (config.input.default_kind == "penalty") options.default_kind = RecordKind::kPenalty;
  return options;
}

int32_t Today(const Config& config) {
  if (!config.today.empty()) {
    if (auto day = ParseDate(config.today)) return *day;
  }
  return TodayInShanghai();
}

}  // namespace

uint64_t RunCounts::read() const {
  uint64_t total = 0;
  for (size_t i = 1; i < outcomes.size(); ++i) total += outcomes[i];
  return total;
}

namespace {

// Sums figures kept by outcome and reason; a shorter list (from an older store) adds what it has.
void AddCounts(RunCounts& into, std::span<const uint64_t> outcomes,
               std::span<const uint64_t> rejects, std::span<const uint64_t> withheld,
               std::span<const uint64_t> redactions) {
  auto add = [](std::span<uint64_t> to, std::span<const uint64_t> from) {
    for (size_t i = 0; i < from.size() && i < to.size(); ++i) to[i] += from[i];
  };
  add(into.outcomes, outcomes);
  add(into.reject_reasons, rejects);
  add(into.withhold_reasons, withheld);
  add(into.redactions, redactions);
}

}  // namespace

void RunCounts::Add(const BatchCounts& counts) {
  static_assert(std::tuple_size_v<decltype(counts.outcomes)> ==
                std::tuple_size_v<decltype(outcomes)>);
  AddCounts(*this, counts.outcomes, counts.rejects, counts.withheld, counts.redactions);
  ++batches;
}

void RunCounts::Add(const SourceProgress& progress) {
  AddCounts(*this, progress.outcomes, progress.reject_reasons, progress.withhold_reasons,
            progress.redactions);
  redactions[static_cast<size_t>(PiiKind::kName)] += progress.names_redacted;
  batches += progress.batches;
}

Result<std::string> ResolveHmacKey(const StateConfig& config, const std::string& state_dir,
                                   bool& generated) {
  generated = false;
  if (!config.hmac_key_file.empty()) {
    auto key = ReadSmallFile(config.hmac_key_file, 4096);
    if (!key) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("state.hmac_key_file: {}", key.error().message()));
    }
    while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
    if (key->size() < 16) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("state.hmac_key_file {}: the key must be at least 16 bytes",
                              config.hmac_key_file));
    }
    return *key;
  }
  if (!config.hmac_key_env.empty()) {
    if (const char* env = std::getenv(config.hmac_key_env.c_str()); env && *env) {
      if (std::strlen(env) < 16) {
        return Fail(ErrorCode::kInvalidConfig,
                    fmt::format("${} must hold at least 16 bytes", config.hmac_key_env));
      }
      return std::string(env);
    }
  }
  const std::string path = state_dir + "/hmac.key";
  if (auto existing = ReadSmallFile(path, 4096)) {
    // Named here: KeyedHash's own refusal would not say which key it was.
    if (existing->size() < 16) {
      return Fail(
          ErrorCode::kInvalidConfig,
          fmt::format("{}: the key must be at least 16 bytes (it has {})", path, existing->size()));
    }
    return *existing;
  }
  // First run with no configured key: make one beside the state it protects. Without the same
  // key a restarted service would not recognise its own identities.
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return Fail(ErrorCode::kInternal, "no randomness for a new HMAC key");
  }
  const std::string key = HexEncode(random, sizeof(random));
  if (auto made = EnsureDirectory(state_dir); !made) return Fail(made.error());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrorCode::kIo, fmt::format("cannot create {}", path));
  const bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Fail(ErrorCode::kIo, fmt::format("cannot write {}", path));
  generated = true;
  return key;
}

Result<PipelineParts> OpenPipelineParts(const Config& config, const std::string& state_dir) {
  PipelineParts parts;
  auto schemas = SchemaSet::Load(config.schemas_dir.empty() ? SchemasDir() : config.schemas_dir);
  if (!schemas) return Fail(schemas.error());
  parts.schemas = std::make_unique<SchemaSet>(std::move(*schemas));
  auto calendar =
      WorkingCalendar::Load(config.holidays_dir.empty() ? HolidaysDir() : config.holidays_dir);
  if (!calendar) return Fail(calendar.error());
  parts.calendar = std::make_unique<WorkingCalendar>(std::move(*calendar));
  if (!config.deadline.region.empty() && !parts.calendar->HasRegion(config.deadline.region)) {
    std::string known;
    for (const std::string& r : parts.calendar->Regions()) known += (known.empty() ? "" : ", ") + r;
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: deadline.region: no holiday data for region '{}' (known: {})",
                            config.source_path, config.deadline.region, known));
  }
  bool generated = false;
  auto key = ResolveHmacKey(config.state, state_dir, generated);
  if (!key) return Fail(key.error());
  auto hash = KeyedHash::Create(*key);
  if (!hash) return Fail(hash.error());
  parts.hash = std::move(*hash);
  if (auto made = EnsureDirectory(state_dir); !made) return Fail(made.error());
  auto store = StateStore::Open(
      {.dir = state_dir + "/rocksdb", .block_cache_bytes = config.state.block_cache_bytes});
  if (!store) return Fail(store.error());
  parts.store = std::move(*store);
  const std::string schemas_dir = config.schemas_dir.empty() ? SchemasDir() : config.schemas_dir;
  const RecordSchema& penalty = parts.schemas->For(RecordKind::kPenalty);
  const int categories = penalty.FieldIndex("penalty_categories");
  if (categories < 0) {
    return Fail(ErrorCode::kInvalidConfig, "the penalty schema has no penalty_categories");
  }
  auto periods = PublicationRules::Load(PublicationRulesPath(schemas_dir),
                                        penalty.field(categories).enum_values);
  if (!periods) return Fail(periods.error());
  parts.periods = std::make_unique<PublicationRules>(std::move(*periods));
  return parts;
}

Pipeline::Pipeline(const Config& config, PipelineParts& parts, const std::string& out_dir,
                   std::vector<std::unique_ptr<Redactor>> redactors, OriginalBytes original)
    : config_(config),
      parts_(parts),
      pool_(config.service.threads),
      validator_(*parts.schemas, ValidatorOptions{.today = Today(config)}),
      deduper_(*parts.schemas, *parts.store, *parts.hash, config.redaction.policy_version),
      redactors_(std::move(redactors)),
      feeds_(*parts.schemas, out_dir,
             FeedOptions{
                 .csv = config.feeds.csv,
                 .csv_encoding =
                     ParseCsvEncoding(config.feeds.csv_encoding).value_or(CsvEncoding::kUtf8Bom)}),
      dead_letter_(*parts.schemas, out_dir, original,
                   parts.hash->DeriveKey(kDeadLetterSealKeyLabel),
                   parts.hash->DeriveKey(kDeadLetterNonceKeyLabel)) {
  for (size_t slot = 0; slot < pool_.threads(); ++slot) {
    parsers_.push_back(std::make_unique<JsonParser>(*parts.schemas, MakeParserOptions(config)));
  }
  region_index_ = parts.calendar->RegionIndex(config.deadline.region);
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    const RecordSchema& schema = parts.schemas->For(kind);
    decision_field_[static_cast<size_t>(kind)] = schema.FieldIndex("decision_date");
    authority_uscc_field_[static_cast<size_t>(kind)] = schema.FieldIndex("authority_uscc");
    authority_name_field_[static_cast<size_t>(kind)] = schema.FieldIndex("authority_name");
  }
  const RecordSchema& penalty = parts.schemas->For(RecordKind::kPenalty);
  publish_until_field_ = penalty.FieldIndex("publish_until");
  repair_field_ = penalty.repair_field();
  penalty_categories_field_ = penalty.FieldIndex("penalty_categories");
  // Test-only fault injection for the crash tests: GONGSHI_FAULT_KILL_AFTER_FILES=N kills the
  // process with SIGKILL after the N-th batch's files are durable and before its commit, the
  // one window where a naive sink would publish twice.
  if (const char* fault = std::getenv("GONGSHI_FAULT_KILL_AFTER_FILES")) {
    kill_after_files_batch_ = std::atoi(fault);
  }
}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const Config& config, PipelineParts& parts,
                                                   const std::string& out_dir, RunKind kind) {
  // A Redactor per core: each keeps scratch state (the scanner's spans, the names' matches).
  const size_t threads = WorkerPool::ThreadsFor(config.service.threads);
  std::vector<std::unique_ptr<Redactor>> redactors;
  for (size_t slot = 0; slot < threads; ++slot) {
    auto redactor = Redactor::Create(*parts.schemas, config.redaction);
    if (!redactor) return Fail(redactor.error());
    redactors.push_back(std::move(*redactor));
  }
  auto original = ParseOriginalBytes(config.dead_letter.original);
  if (!original) return Fail(original.error());
  std::unique_ptr<Pipeline> pipeline(
      new Pipeline(config, parts, out_dir, std::move(redactors), *original));
  pipeline->out_dir_ = out_dir;
  // The sinks, in their order (batch_sink.h): files, then what must acknowledge before the
  // commit, then what is part of it.
  auto& sinks = pipeline->sinks_;
  sinks.push_back(MakeFeedFileSink(pipeline->feeds_));
  sinks.push_back(MakeDeadLetterFileSink(pipeline->dead_letter_));
  if (config.kafka_sink.enabled) {
    auto sink = KafkaFeedSink::Create(
        !config.kafka_sink.properties.empty() ? config.kafka_sink.properties
                                              : ProducerProperties(config.kafka.properties),
        config.kafka_sink.license_topic, config.kafka_sink.penalty_topic);
    if (!sink) return Fail(sink.error());
    sinks.push_back(MakeKafkaFeedSink(std::move(*sink), out_dir));
  }
  if (kind == RunKind::kKafkaService && config.kafka.dead_letter_to != "file") {
    // The producer shares the connection settings (servers, TLS, SASL) but not the consumer's.
    auto producer = KafkaProducer::Create(ProducerProperties(config.kafka.properties));
    if (!producer) return Fail(producer.error());
    sinks.push_back(MakeDeadLetterTopicSink(
        std::move(*producer), config.kafka.dead_letter_topic, config.kafka.topics,
        pipeline->dead_letter_,
        OriginalSealer(*original, parts.hash->DeriveKey(kDeadLetterSealKeyLabel),
                       parts.hash->DeriveKey(kDeadLetterNonceKeyLabel))));
  }
  if (config.http.enabled) sinks.push_back(MakeOutboxSink());
  if (auto ready = pipeline->feeds_.Prepare(); !ready) return Fail(ready.error());
  if (auto ready = pipeline->dead_letter_.Prepare(); !ready) return Fail(ready.error());
  // Files of a batch whose commit a crash prevented are not published: the records are read
  // again from the committed position and re-made (the file pass makes the same batch, with the
  // same name; a Kafka partition may be re-cut differently, so the old copy must go).
  auto next = parts.store->GetBatchSequence();
  if (!next) return Fail(next.error());
  for (const char* sub : {"feeds/license", "feeds/penalty", "dlq", "withheld"}) {
    RemoveUncommittedBatches(out_dir + "/" + sub, *next);
  }
  return pipeline;
}

size_t Pipeline::ForEachPart(
    RecordBatch& batch, const std::function<void(std::span<Record>, Arena&, size_t, size_t)>& fn) {
  const size_t n = batch.records.size();
  const size_t parts = pool_.ChunksFor(n);
  if (parts <= 1) {
    fn(std::span<Record>(batch.records), batch.arena, 0, 0);
    return 1;
  }
  while (batch.part_arenas.size() < parts) batch.part_arenas.emplace_back(256 << 10);
  pool_.ParallelFor(parts, [&](size_t part, size_t slot) {
    const size_t begin = n * part / parts, end = n * (part + 1) / parts;
    fn(std::span<Record>(batch.records).subspan(begin, end - begin), batch.part_arenas[part], part,
       slot);
  });
  return parts;
}

void Pipeline::AssignDeadlines(std::span<Record> records) const {
  const int days = config_.deadline.publication_working_days;
  for (Record& record : records) {
    if (!record.pending()) continue;
    const int field = decision_field_[static_cast<size_t>(record.kind)];
    const Deadline deadline = parts_.calendar->AddWorkingDays(
        static_cast<int32_t>(record.values[field]), days, region_index_);
    record.deadline_day = deadline.day;
    record.deadline_provisional = deadline.provisional;
  }
}

void Pipeline::ApplyPublicationPeriods(RecordBatch& batch, int32_t today) const {
  for (Record& record : batch.records) {
    if (record.kind != RecordKind::kPenalty) continue;
    const int32_t decided =
        static_cast<int32_t>(record.values[decision_field_[static_cast<size_t>(record.kind)]]);
    const uint64_t categories =
        penalty_categories_field_ >= 0 && record.present.test(penalty_categories_field_)
            ? static_cast<uint64_t>(record.values[penalty_categories_field_])
            : 0;
    if (record.outcome == Outcome::kWithdrawn && record.repair_requested) {
      // Repair ends publication early, but not before the minimum period (令58, 令36).
      if (record.values[repair_field_] < parts_.periods->Derive(decided, categories).min_end_day) {
        record.Reject(RejectReason::kDateRangeOrder, repair_field_,
                      "a credit repair before the minimum publication period of the rules in "
                      "force at the decision date");
      }
      continue;
    }
    if (record.outcome != Outcome::kPublished && record.outcome != Outcome::kUpdated) continue;
    if (publish_until_field_ >= 0 && record.present.test(publish_until_field_)) {
      record.publication_end_day = static_cast<int32_t>(record.values[publish_until_field_]);
      record.publication_end_derived = false;
    } else {
      record.publication_end_day = parts_.periods->Derive(decided, categories).end_day;
      record.publication_end_derived = true;
    }
    // The end day is the last day shown (inclusive); after it the record must not be public.
    if (record.publication_end_day >= today) continue;
    const bool was_public = record.prior == PublicationState::kPublished;
    record.Withhold(WithholdReason::kPeriodEnded);
    // Published before (an older version): take it down, with the natural key the redactor
    // already prepared for the upsert.
    if (was_public) record.outcome = Outcome::kWithdrawn;
  }
}

Result<SweepStats> Pipeline::Sweep(int64_t now_ms) {
  BatchInfo when;
  when.published_ms = now_ms;
  const int32_t today = TodayFor(when);
  SweepStats stats;
  for (;;) {
    if (auto got = parts_.store->CollectExpired(today, config_.batch.max_records, expired_); !got) {
      return Fail(got.error());
    }
    if (expired_.empty()) break;
    expired_ids_.clear();
    for (const ExpiryEntry& entry : expired_) expired_ids_.push_back(entry.identity);
    if (auto looked_up = parts_.store->Lookup(expired_ids_, expired_states_); !looked_up) {
      return Fail(looked_up.error());
    }
    RecordBatch& batch = sweep_batch_;
    batch.Clear();
    Decided decided;  // the sweep's batch, committed by Commit like any other
    StateStore::Transaction& transaction = decided.transaction;
    std::vector<size_t> withdrawn;  // index into expired_, per record of the batch
    for (size_t i = 0; i < expired_.size(); ++i) {
      const ExpiryEntry& entry = expired_[i];
      const RecordState& state = expired_states_[i];
      transaction.DeleteExpiry(entry.end_day, entry.identity);
      // Changed since the entry was made (a correction with another end, a revocation): the
      // entry is a leftover, the record's own state decides.
      if (state.state != PublicationState::kPublished ||
          state.publication_end_day != entry.end_day || entry.kind == RecordKind::kUnknown) {
        ++stats.stale;
        continue;
      }
      const RecordSchema& schema = parts_.schemas->For(entry.kind);
      Record& record = batch.records.emplace_back();
      record.kind = entry.kind;
      record.identity = entry.identity;
      record.prior = PublicationState::kPublished;
      record.outcome = Outcome::kWithdrawn;
      record.withhold_reason = WithholdReason::kPeriodEnded;
      record.publication_end_day = entry.end_day;
      for (const auto& [name, value] :
           {std::pair<const char*, const std::string*>{"authority_uscc", &entry.authority_uscc},
            {"authority_name", &entry.authority_name},
            {"decision_doc_no", &entry.decision_doc_no},
            {"license_no", &entry.license_no}}) {
        const int f = schema.FieldIndex(name);
        if (f < 0 || value->empty()) continue;
        record.fields[f] = batch.arena.Copy(*value);
        record.present.set(f);
      }
      const int decision = decision_field_[static_cast<size_t>(entry.kind)];
      record.values[decision] = entry.decision_day;
      record.present.set(decision);
      withdrawn.push_back(i);
    }
    if (batch.records.empty()) {  // only stale entries: their removal is the whole write
      if (auto committed = parts_.store->Commit(transaction); !committed) {
        return Fail(committed.error());
      }
      continue;
    }
    auto sequence = parts_.store->GetBatchSequence();
    if (!sequence) return Fail(sequence.error());
    BatchInfo& info = decided.info;
    info.source_name = "sweep";
    info.first_offset = expired_[withdrawn.front()].end_day;
    info.end_offset = today;
    info.sequence = *sequence;
    info.policy_version = config_.redaction.policy_version;
    info.schema_version = parts_.schemas->version();
    info.published_ms = now_ms;
    // The first withdrawal's identity makes the id unique: its entry is gone once committed.
    info.batch_id =
        MakeBatchId("sweep:" + HexEncode(batch.records.front().identity), 0, -1, info.first_offset,
                    info.end_offset, info.policy_version, info.schema_version);
    for (size_t k = 0; k < batch.records.size(); ++k) {
      const ExpiryEntry& entry = expired_[withdrawn[k]];
      RecordState state = expired_states_[withdrawn[k]];
      state.state = PublicationState::kWithdrawn;
      state.publication_end_day = 0;
      state.batch_sequence = info.sequence;
      transaction.PutRecord(entry.identity, state);
      AuditEvent event;
      event.kind = entry.kind;
      event.outcome = Outcome::kWithdrawn;
      event.reason = static_cast<uint8_t>(WithholdReason::kPeriodEnded);
      event.authority_uscc = entry.authority_uscc;
      event.authority_name = entry.authority_name;
      event.decision_day = entry.decision_day;
      event.arrival_day = today;
      event.published_day = today;
      event.deadline_day = entry.end_day + 1;  // the first day it must no longer be shown
      event.latency_working_days =
          parts_.calendar->WorkingDaysBetween(event.deadline_day - 1, today, region_index_);
      transaction.PutAudit(event, entry.identity, info.sequence, static_cast<uint32_t>(k));
      // With a fixed `today` (tests, simulations) the day counts; otherwise the clock.
      const int64_t ended_ms = ShanghaiDayStartMs(event.deadline_day);
      const int64_t at_ms =
          config_.today.empty()
              ? (now_ms != 0 ? now_ms : UnixMillisNow())
              : ended_ms + static_cast<int64_t>(today - event.deadline_day) * 86400 * 1000;
      stats.latency_seconds.push_back(static_cast<double>(at_ms - ended_ms) / 1000.0);
    }
    transaction.PutBatchSequence(info.sequence + 1);
    decided.batch = &batch;
    if (auto committed = Commit(decided); !committed) return Fail(committed.error());
    stats.withdrawn += batch.records.size();
    ++stats.batches;
  }
  return stats;
}

Status Pipeline::Deliver(SinkBatch& out) {
  if (sink_fault_) {
    if (auto up = sink_fault_(); !up) return up;
  }
  for (const auto& sink : sinks_) {
    if (sink->phase() != BatchSink::Phase::kStagedFiles) continue;
    if (auto written = sink->Write(out); !written) return written;
  }
  if (auto durable = out.files.Commit(); !durable) return durable;
  for (const auto& sink : sinks_) {
    if (sink->phase() != BatchSink::Phase::kAcknowledged) continue;
    if (auto sent = sink->Write(out); !sent) return sent;
  }
  ++batches_in_this_process_;
  if (batches_in_this_process_ == kill_after_files_batch_) std::raise(SIGKILL);
  return Ok();
}

void Pipeline::AddToCommit(const SinkBatch& out, StateStore::Transaction& transaction) const {
  for (const auto& sink : sinks_) {
    if (sink->phase() == BatchSink::Phase::kInCommit) sink->AddToCommit(out, transaction);
  }
}

int32_t Pipeline::TodayFor(const BatchInfo& info) const {
  if (!config_.today.empty() || info.published_ms == 0) return Today(config_);
  return ShanghaiDay(info.published_ms);
}

void Pipeline::ProbeDeadlines(RecordBatch& batch, std::vector<int32_t>& deadline_days) {
  Prepare(batch);
  for (const Record& record : batch.records) {
    if (record.pending()) deadline_days.push_back(record.deadline_day);
  }
  batch.ResetOutcomes();
}

AuditEvent Pipeline::AuditOf(const Record& record, int32_t today) const {
  AuditEvent event;
  event.kind = record.kind;
  event.outcome = record.outcome;
  event.reason = record.outcome == Outcome::kRejected
                     ? static_cast<uint8_t>(record.reject_reason)
                     : static_cast<uint8_t>(record.withhold_reason);
  // Arrival: the broker's timestamp of the message; a file is "arriving" when it is read. A fixed
  // `today` (simulations, tests) fixes arrival too.
  event.arrival_day = today;
  if (record.position.timestamp_ms > 0 && config_.today.empty()) {
    event.arrival_day = ShanghaiDay(record.position.timestamp_ms);
  }
  if (record.kind == RecordKind::kUnknown) return event;
  const size_t k = static_cast<size_t>(record.kind);
  const int uscc = authority_uscc_field_[k], name = authority_name_field_[k];
  // A reject may hold anything in these fields: only a code of the USCC's shape is kept (an
  // organisation's code, never a person's data), and a name only beside a valid one.
  if (record.present.test(uscc) && record.fields[uscc].size() == 18) {
    bool code = true;
    for (char c : record.fields[uscc])
      code = code && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
    if (code) event.authority_uscc = std::string(record.fields[uscc]);
  }
  if (!event.authority_uscc.empty() && record.outcome != Outcome::kRejected &&
      record.present.test(name)) {
    event.authority_name = std::string(record.fields[name]);
  }
  if (record.outcome == Outcome::kRejected) return event;
  event.decision_day = static_cast<int32_t>(record.values[decision_field_[k]]);
  event.deadline_day = record.deadline_day;
  event.deadline_provisional = record.deadline_provisional;
  const bool published = record.outcome == Outcome::kPublished ||
                         record.outcome == Outcome::kUpdated ||
                         record.outcome == Outcome::kWithdrawn;
  if (!published) return event;
  event.published_day = today;
  // A replay's re-publication under a new policy is not timed: the first publication was.
  if (record.replayed) return event;
  event.latency_working_days =
      parts_.calendar->WorkingDaysBetween(event.decision_day, today, region_index_);
  if (today <= record.deadline_day) {
    event.lateness = Lateness::kOnTime;
  } else if (event.arrival_day > record.deadline_day ||
             parts_.calendar->WorkingDaysBetween(event.arrival_day, record.deadline_day,
                                                 region_index_) <
                 config_.deadline.pipeline_slack_working_days) {
    // Arrived after its deadline, or with less slack than the pipeline is given: the source's.
    event.lateness = Lateness::kSourceLate;
  } else {
    event.lateness = Lateness::kPipelineLate;
  }
  return event;
}

Status Pipeline::ProcessBatch(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                              SourceProgress& progress, BatchCounts* counts) {
  Prepare(batch);
  return ProcessPrepared(batch, info, source_id, progress, counts);
}

void Pipeline::Prepare(RecordBatch& batch) {
  ForEachPart(batch, [this](std::span<Record> records, Arena& arena, size_t, size_t slot) {
    parsers_[slot]->Process(records, arena);
    validator_.Process(records, arena);
    AssignDeadlines(records);
  });
}

Status Pipeline::ProcessPrepared(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                                 SourceProgress& progress, BatchCounts* counts) {
  if (auto decided = Decide(batch, info, source_id, progress, counts, nullptr, decided_);
      !decided) {
    return decided;
  }
  return Commit(decided_);
}

Status Pipeline::Decide(RecordBatch& batch, BatchInfo& info, std::string_view source_id,
                        SourceProgress& progress, BatchCounts* counts, const Decided* uncommitted,
                        Decided& out) {
  deduper_.set_replay(info.replay);
  if (auto deduped = deduper_.Process(batch, uncommitted != nullptr); !deduped) return deduped;
  RedactionCounts redaction;
  part_redactions_.assign(pool_.threads() * 4, RedactionCounts{});
  const size_t parts =
      ForEachPart(batch, [this](std::span<Record> records, Arena& arena, size_t part, size_t slot) {
        redactors_[slot]->Process(records, arena, part_redactions_[part]);
      });
  for (size_t part = 0; part < parts; ++part) redaction.Add(part_redactions_[part]);
  ApplyPublicationPeriods(batch, TodayFor(info));

  if (uncommitted != nullptr) {
    info.sequence = uncommitted->info.sequence + 1;
  } else {
    auto sequence = parts_.store->GetBatchSequence();
    if (!sequence) return Fail(sequence.error());
    info.sequence = *sequence;
  }
  info.policy_version = config_.redaction.policy_version;
  info.schema_version = parts_.schemas->version();
  info.batch_id = MakeBatchId(source_id, info.generation, info.partition, info.first_offset,
                              info.end_offset, info.policy_version, info.schema_version);

  // The feed lines are rendered on the pool's cores, part by part; the feed sink joins them in
  // order and chains the manifests in Commit.
  out.rendered_parts = 0;
  if (pool_.ChunksFor(batch.records.size()) > 1) {
    out.rendered.resize(pool_.threads() * 4);
    out.rendered_parts =
        ForEachPart(batch, [this, &out](std::span<Record> records, Arena&, size_t part, size_t) {
          feeds_.Render(records, out.rendered[part]);
        });
  }

  if (counts != nullptr) {
    for (const Record& record : batch.records) {
      counts->CountRecord(record);
      counts->bytes_read += record.raw.size();
    }
    counts->records_read += batch.records.size();
    counts->AddRedactions(PiiKind::kIdNumber, redaction.free_text.id_number);
    counts->AddRedactions(PiiKind::kMobile, redaction.free_text.mobile);
    counts->AddRedactions(PiiKind::kBankCard, redaction.free_text.bank_card);
    counts->AddRedactions(PiiKind::kEmail, redaction.free_text.email);
    counts->AddRedactions(PiiKind::kName, redaction.names);
    // Credit repairs: from the start of the repair day (Asia/Shanghai) to the durable withdrawal.
    const int64_t now_ms = info.published_ms != 0 ? info.published_ms : UnixMillisNow();
    // Revocations (撤销/无效): from the message's arrival (its Kafka timestamp).
    for (const Record& record : batch.records) {
      if (record.outcome != Outcome::kWithdrawn) continue;
      if (record.repair_requested) {
        const int64_t repaired_ms =
            ShanghaiDayStartMs(static_cast<int32_t>(record.values[repair_field_]));
        counts->repair_latency_seconds.Observe(static_cast<double>(now_ms - repaired_ms) / 1000.0);
      } else if (record.withdraw_requested && record.position.timestamp_ms > 0) {
        counts->revocation_latency_seconds.Observe(
            static_cast<double>(now_ms - record.position.timestamp_ms) / 1000.0);
      }
    }
  }

  for (const Record& record : batch.records) {
    ++progress.outcomes[static_cast<size_t>(record.outcome)];
    if (record.outcome == Outcome::kRejected) {
      ++progress.reject_reasons[static_cast<size_t>(record.reject_reason)];
    } else if (record.outcome == Outcome::kWithheld) {
      ++progress.withhold_reasons[static_cast<size_t>(record.withhold_reason)];
    }
  }
  progress.redactions[0] += redaction.free_text.id_number;
  progress.redactions[1] += redaction.free_text.mobile;
  progress.redactions[2] += redaction.free_text.bank_card;
  progress.redactions[3] += redaction.free_text.email;
  progress.names_redacted += redaction.names;
  progress.batches += 1;

  StateStore::Transaction& transaction = out.transaction;
  transaction.Clear();
  deduper_.Remember(batch, info.sequence, transaction);
  const int32_t today = TodayFor(info);
  static_assert(kLatenessCount == static_cast<size_t>(Lateness::kPipelineLate) + 1);
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const Record& record = batch.records[i];
    if (record.outcome == Outcome::kDuplicate) continue;  // nothing new to account for
    const AuditEvent event = AuditOf(record, today);
    // The 7-working-day deadline times publications; withdrawals have their own (Art. 48).
    if (counts != nullptr && !record.replayed &&
        (record.outcome == Outcome::kPublished || record.outcome == Outcome::kUpdated)) {
      ++counts->lateness[static_cast<size_t>(event.lateness)];
      counts->publication_latency_working_days.Observe(event.latency_working_days);
    }
    transaction.PutAudit(event, record.identity, info.sequence, static_cast<uint32_t>(i));
  }
  transaction.PutProgress(source_id, progress);
  transaction.PutBatchSequence(info.sequence + 1);
  out.batch = &batch;
  out.info = info;
  out.counts = counts;
  return Ok();
}

Status Pipeline::Commit(Decided& decided) {
  // The chain heads are read here, not in Decide: the batch before this one has committed.
  std::array<ChainHead, 3> chains{};
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    auto head = parts_.store->GetChain(kind);
    if (!head) return Fail(head.error());
    chains[static_cast<size_t>(kind)] = *head;
  }
  // This order is the delivery guarantee: every sink first (files durable, the rest
  // acknowledged), then the state that says they were written. The reverse would lose a batch
  // in a crash between the two.
  DurableFileSet files;
  SinkBatch out{
      .batch = *decided.batch,
      .info = decided.info,
      .chains = chains,
      .files = files,
      .rendered = std::span<const RenderedPart>(decided.rendered).first(decided.rendered_parts)};
  if (auto delivered = Deliver(out); !delivered) return delivered;
  if (decided.counts != nullptr) decided.counts->feed_bytes_written += out.feed_stats.bytes;
  StateStore::Transaction& transaction = decided.transaction;
  AddToCommit(out, transaction);
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    transaction.PutChain(kind, chains[static_cast<size_t>(kind)]);
  }
  return parts_.store->Commit(transaction);
}

}  // namespace gongshi
