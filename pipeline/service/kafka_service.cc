#include "pipeline/service/kafka_service.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

#include "pipeline/calendar/civil_date.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/record/json_out.h"
#include "pipeline/service/pipeline.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/source/kafka_source.h"

namespace gongshi {
namespace {

using Clock = std::chrono::steady_clock;

std::string PartitionSourceId(const TopicPartition& tp) {
  return fmt::format("kafka:{}:{}", tp.topic, tp.partition);
}

bool IsConsumerOnlyProperty(std::string_view key) {
  static constexpr std::string_view kPrefixes[] = {"group.",
                                                   "fetch.",
                                                   "queued.",
                                                   "auto.",
                                                   "enable.auto.",
                                                   "enable.partition.eof",
                                                   "session.timeout.ms",
                                                   "heartbeat.interval.ms",
                                                   "partition.assignment.strategy",
                                                   "max.poll.interval.ms",
                                                   "isolation.level"};
  for (std::string_view prefix : kPrefixes) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

void Log(const Config& config, std::string_view level, const std::string& message) {
  // Messages name partitions, offsets, counts and errors; never a record's content.
  if (config.service.log_format == "json") {
    std::string line = "{";
    AppendJsonKey(line, "level", true);
    AppendJsonString(line, level);
    AppendJsonKey(line, "msg");
    AppendJsonString(line, message);
    line.append("}\n");
    std::fputs(line.c_str(), stderr);
  } else {
    std::fprintf(stderr, "gongshi %.*s: %s\n", static_cast<int>(level.size()), level.data(),
                 message.c_str());
  }
}

// The service's side of the rebalance protocol. Runs on the consumer's thread, inside Poll().
class Partitions : public PartitionListener {
 public:
  Partitions(const Config& config, StateStore& store, ServiceMetrics& metrics,
             ServiceHealth& health)
      : config_(config), store_(store), metrics_(metrics), health_(health) {}

  void set_source(KafkaSource* source) { source_ = source; }

  Result<std::vector<int64_t>> Assigned(const std::vector<TopicPartition>& partitions) override {
    std::vector<int64_t> offsets;
    for (const TopicPartition& tp : partitions) {
      const std::string id = PartitionSourceId(tp);
      auto stored = store_.GetProgress(id);
      if (!stored) return Fail(stored.error());
      SourceProgress progress;
      progress.generation = 1;
      if (stored->has_value()) progress = **stored;
      progress.reject_reasons.resize(AllRejectReasons().size() + 1);
      progress.withhold_reasons.resize(4);
      // The RocksDB offset is the truth: it was written with the state it produced. -1 lets the
      // group's committed offset (or auto.offset.reset) decide for a partition never seen here.
      offsets.push_back(stored->has_value() ? progress.next_offset : kCommittedOffset);
      progress_[id] = std::move(progress);
      metrics_.AssignPartitions(tp.topic, std::span<const int32_t>(&tp.partition, 1));
      Log(config_, "info",
          fmt::format(
              "assigned {} from offset {}", id,
              offsets.back() < 0 ? std::string("committed") : std::to_string(offsets.back())));
    }
    health_.SetReadiness(Readiness::kReady);
    assigned_at_ = Clock::now();
    return offsets;
  }

  void set_closing() { closing_ = true; }

  void Revoked(const std::vector<TopicPartition>& partitions) override {
    // Every batch handed out was already processed and committed (the loop is synchronous), so
    // releasing means committing the RocksDB offsets once more, in case the last commit failed.
    std::vector<std::pair<TopicPartition, int64_t>> commits;
    for (const TopicPartition& tp : partitions) {
      auto it = progress_.find(PartitionSourceId(tp));
      if (it != progress_.end() && it->second.next_offset > 0) {
        commits.emplace_back(tp, it->second.next_offset);
      }
      Forget(tp);
    }
    // On close every batch was committed already, and the consumer no longer takes commits.
    if (source_ != nullptr && !commits.empty() && !closing_) {
      if (auto committed = source_->Commit(commits); !committed) {
        metrics_.CountCommitFailure();
        Log(config_, "warn", "commit on revoke: " + committed.error().message());
      }
    }
  }

  void Lost(const std::vector<TopicPartition>& partitions) override {
    // Another member may own them already: commit nothing, drop what we know.
    for (const TopicPartition& tp : partitions) Forget(tp);
  }

  SourceProgress* Find(const TopicPartition& tp) {
    auto it = progress_.find(PartitionSourceId(tp));
    return it == progress_.end() ? nullptr : &it->second;
  }
  bool empty() const { return progress_.empty(); }
  Clock::time_point assigned_at() const { return assigned_at_; }

 private:
  void Forget(const TopicPartition& tp) {
    progress_.erase(PartitionSourceId(tp));
    metrics_.RevokePartitions(tp.topic, std::span<const int32_t>(&tp.partition, 1));
    Log(config_, "info", fmt::format("released {}", PartitionSourceId(tp)));
    if (progress_.empty()) health_.SetReadiness(Readiness::kNotAssigned);
  }

  const Config& config_;
  StateStore& store_;
  ServiceMetrics& metrics_;
  ServiceHealth& health_;
  KafkaSource* source_ = nullptr;
  bool closing_ = false;
  Clock::time_point assigned_at_{};
  std::map<std::string, SourceProgress> progress_;
};

}  // namespace

Result<RunSummary> RunKafkaService(const KafkaServiceOptions& options) {
  const Config& config = options.config;
  const auto started = Clock::now();
  RunSummary summary;
  summary.out_dir = config.service.out_dir;
  summary.state_dir = !options.state_dir.empty()  ? options.state_dir
                      : !config.state.dir.empty() ? config.state.dir
                                                  : config.service.out_dir + "/state";
  auto metrics = ServiceMetrics::Create({.version = "0.1.0"});
  if (!metrics) return Fail(metrics.error());
  ServiceHealth health;
  health.SetReadiness(Readiness::kStateNotOpen);
  auto server = HttpServer::Start({.address = config.service.metrics_address}, **metrics, health);
  if (!server) return Fail(server.error());
  const std::string host =
      config.service.metrics_address.substr(0, config.service.metrics_address.rfind(':'));
  const std::string listening = fmt::format("http://{}:{}/metrics", host, (*server)->port());
  if (options.on_listening) options.on_listening(listening);

  auto parts = OpenPipelineParts(config, summary.state_dir);
  if (!parts) return Fail(parts.error());
  {
    const int year = CivilFromDays(TodayInShanghai()).year;
    (**metrics).SetCalendarCoverage(parts->calendar->LastKnownYear(),
                                    parts->calendar->YearKnown(year + 1));
    // Batches are published as they are polled: nothing waits unpublished between polls, so
    // nothing is at risk (a schedule-driven feed, issue #4, will hold records and set this).
    (**metrics).SetDeadlineRisk(0, std::numeric_limits<double>::quiet_NaN());
  }
  Config pipeline_config = config;
  auto pipeline = Pipeline::Create(pipeline_config, *parts, config.service.out_dir);
  if (!pipeline) return Fail(pipeline.error());
  health.SetReadiness(Readiness::kNotAssigned);

  std::unique_ptr<KafkaProducer> dead_letter_producer;
  if (config.kafka.dead_letter_to != "file") {
    // The producer shares the connection settings (servers, TLS, SASL) but not the consumer's.
    std::vector<std::pair<std::string, std::string>> producer_properties;
    for (const auto& [key, value] : config.kafka.properties) {
      if (IsConsumerOnlyProperty(key)) continue;
      producer_properties.emplace_back(key, value);
    }
    auto producer = KafkaProducer::Create(producer_properties);
    if (!producer) return Fail(producer.error());
    dead_letter_producer = std::move(*producer);
  }

  Partitions partitions(config, *parts->store, **metrics, health);
  KafkaSourceOptions source_options;
  source_options.properties = config.kafka.properties;
  source_options.topics = config.kafka.topics;
  source_options.max_record_bytes = config.input.max_record_bytes;
  auto source = KafkaSource::Create(source_options, partitions);
  if (!source) return Fail(source.error());
  partitions.set_source(source->get());
  Log(config, "info",
      fmt::format("consuming {} topic(s); metrics on {}", config.kafka.topics.size(), listening));

  // Rejects to the dead-letter topic, with the reason and the source position as headers,
  // delivered before the batch's offsets move.
  auto to_dead_letter_topic = [&](const RecordBatch& batch) -> Status {
    if (!dead_letter_producer) return Ok();
    bool any = false;
    for (const Record& record : batch.records) {
      if (record.outcome != Outcome::kRejected) continue;
      any = true;
      const std::string& topic = config.kafka.topics[record.position.source_index];
      std::vector<ProducedHeader> headers = {
          {"gongshi.reason", std::string(RejectReasonCode(record.reject_reason))},
          {"gongshi.message", (*pipeline)->DeadLetterMessage(record)},
          {"gongshi.source.topic", topic},
          {"gongshi.source.partition", std::to_string(record.position.partition)},
          {"gongshi.source.offset", std::to_string(record.position.offset)}};
      if (auto queued = dead_letter_producer->Produce(config.kafka.dead_letter_topic, -1, {},
                                                      record.raw, headers);
          !queued) {
        return queued;
      }
    }
    return any ? dead_letter_producer->Flush() : Ok();
  };

  std::vector<PartitionBatch> batches;
  auto last_message = Clock::now();
  auto last_lag = Clock::now() - std::chrono::hours(1);
  const auto poll_wait =
      std::chrono::milliseconds(std::min<uint64_t>(config.kafka.max_wait_ms, 500));
  while (options.stop == nullptr || options.stop->load() == 0) {
    health.Beat();
    // Poll refills `batches` in place: the batches' buffers keep their capacity between polls.
    if (auto polled =
            (*source)->Poll(poll_wait, config.batch.max_records, config.batch.max_bytes, batches);
        !polled) {
      Log(config, "error", "consumer: " + polled.error().message());
      return Fail(polled.error());
    }
    for (PartitionBatch& pb : batches) {
      SourceProgress* progress = partitions.Find(pb.tp);
      if (progress == nullptr) continue;  // revoked while we polled: the new owner reads it
      last_message = Clock::now();
      const std::string source_id = PartitionSourceId(pb.tp);
      BatchInfo info;
      info.source_name = pb.tp.topic;
      info.partition = pb.tp.partition;
      info.generation = progress->generation;
      info.first_offset = pb.first_offset;
      info.end_offset = pb.end_offset;
      const SourceProgress before = *progress;
      progress->next_offset = pb.end_offset;
      BatchCounts counts;
      // A failing sink (disk full, broker down for the dead-letter topic) keeps this batch and
      // retries it with backoff; the partitions pause meanwhile, so memory does not grow.
      auto delay = std::chrono::milliseconds(100);
      bool processed = false;
      for (;;) {
        auto done = (*pipeline)->ProcessBatch(pb.batch, info, source_id, *progress,
                                              to_dead_letter_topic, &counts);
        if (done) {
          processed = true;
          break;
        }
        *progress = before;
        counts = BatchCounts{};
        progress->next_offset = pb.end_offset;
        if (done.error().code() != ErrorCode::kUnavailable) {
          Log(config, "error", fmt::format("{}: {}", source_id, done.error().message()));
          return Fail(done.error());
        }
        (**metrics).CountWriteError(WriteTarget::kFeed);
        Log(config, "warn",
            fmt::format("{}: {}; retrying in {} ms", source_id, done.error().message(),
                        delay.count()));
        (void)(*source)->Pause((*source)->Assignment());
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(30000));
        if (options.stop != nullptr && options.stop->load() != 0) break;
        // The batch is re-run from parsing: the messages are unchanged, the outcomes redone.
        pb.batch.ResetOutcomes();
      }
      (void)(*source)->Resume((*source)->Assignment());
      // Stopped while the sink was failing: the batch was never committed, so neither RocksDB
      // nor Kafka moves past it; the next start reads it again.
      if (!processed) break;
      // A poll ends at the record limit or at max_wait; the bytes were counted by ProcessBatch.
      counts.CountFlush(pb.batch.records.size() >= config.batch.max_records
                            ? BatchFlushCause::kCount
                            : BatchFlushCause::kAge,
                        pb.batch.records.size(), 0);
      // The batch became durable just now: one clock reading serves all its records.
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      for (const Record& record : pb.batch.records) {
        if (record.position.timestamp_ms > 0) {
          counts.end_to_end_latency_seconds.Observe(
              static_cast<double>(now_ms - record.position.timestamp_ms) / 1000.0);
        }
      }
      summary.counts.Add(counts);
      (**metrics).Add(counts);
      // Kafka learns of the progress only now: the feed files and the RocksDB state are durable.
      if (auto committed = (*source)->Commit({{pb.tp, pb.end_offset}}); !committed) {
        (**metrics).CountCommitFailure();
        Log(config, "warn",
            fmt::format("{}: commit: {} (RocksDB holds the offset; the next "
                        "assignment seeks there)",
                        source_id, committed.error().message()));
      }
    }
    const auto now = Clock::now();
    if (now - last_lag > std::chrono::seconds(1)) {
      last_lag = now;
      int64_t total_lag = 0;
      bool lag_known = true;
      for (const auto& [tp, lag] : (*source)->Lag()) {
        (**metrics).SetConsumerLag(tp.topic, tp.partition, lag);
        if (lag < 0) lag_known = false;  // no fetch answered yet for this partition
        total_lag += lag > 0 ? lag : 0;
      }
      (**metrics).SetStateFigures(parts->store->ApproximateRecordCount(), 0);
      // Caught up means every assigned partition's lag is known and zero, and nothing arrived
      // (nor was assigned) for the idle time: a fresh assignment has not fetched yet.
      const auto quiet_since = std::max(last_message, partitions.assigned_at());
      if (options.exit_when_idle_ms > 0 && !partitions.empty() && lag_known && total_lag == 0 &&
          now - quiet_since > std::chrono::milliseconds(options.exit_when_idle_ms)) {
        break;
      }
    }
  }
  health.SetReadiness(Readiness::kStopping);
  // A broker that does not answer must not keep the process from stopping: after
  // service.shutdown_timeout_ms it exits anyway (what was not committed is read again next time).
  // The watchdog is stopped (and joined) when this function returns.
  std::jthread watchdog([timeout = config.service.shutdown_timeout_ms](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    if (!wake.wait_for(lock, stop, std::chrono::milliseconds(timeout), [] { return false; }) &&
        !stop.stop_requested()) {
      std::fputs("gongshi error: shutdown took longer than service.shutdown_timeout_ms\n", stderr);
      std::_Exit(1);
    }
  });
  Log(config, "info", "stopping: closing the consumer");
  partitions.set_closing();
  (*source)->Close();
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace gongshi
