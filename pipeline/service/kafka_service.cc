#include "pipeline/service/kafka_service.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/replay/replay.h"
#include "pipeline/runtime/pipeline.h"
#include "pipeline/service/publisher.h"
#include "pipeline/sink/http_delivery.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/source/kafka_source.h"

namespace gongshi {
namespace {

using Clock = std::chrono::steady_clock;

std::string PartitionSourceId(const TopicPartition& tp) {
  return fmt::format("kafka:{}:{}", tp.topic, tp.partition);
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
  void set_publisher(Publisher* publisher) { publisher_ = publisher; }

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
      progress.withhold_reasons.resize(kWithholdReasonCount);
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
    // Every published batch is committed in RocksDB; what is held is not, and is dropped (its
    // next owner reads it again). Releasing means committing the RocksDB offsets once more, in
    // case the last commit failed.
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
    // What is held for it was never committed: its next owner reads it again.
    if (publisher_ != nullptr) publisher_->Drop(tp);
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
  Publisher* publisher_ = nullptr;
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
    (**metrics).SetDeadlineRisk(0, std::numeric_limits<double>::quiet_NaN());
  }
  Config pipeline_config = config;
  // The Kafka service's pipeline: its rejects also go to the dead-letter topic when
  // kafka.dead_letter.to says so (a sink of the pipeline, durable before the offsets move).
  auto pipeline =
      Pipeline::Create(pipeline_config, *parts, config.service.out_dir, RunKind::kKafkaService);
  if (!pipeline) return Fail(pipeline.error());
  health.SetReadiness(Readiness::kNotAssigned);

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

  auto policy = MakeBatchPolicy(config.batch);
  if (!policy) return Fail(policy.error());
  Publisher publisher(**pipeline, *parts->calendar,
                      parts->calendar->RegionIndex(config.deadline.region), std::move(*policy),
                      [&](const TopicPartition& tp) { return partitions.Find(tp); });
  partitions.set_publisher(&publisher);
  // After an early return the source's destructor still calls Revoked, once the publisher is
  // gone: unhook it first (destroyed before the publisher, being declared after it).
  struct Unhook {
    Partitions& partitions;
    ~Unhook() { partitions.set_publisher(nullptr); }
  } unhook{partitions};

  // The HTTP sink: its own thread sends the outbox in batch order; consuming pauses while more
  // than http.max_pending_batches wait for the site.
  // Declared before `delivery`, whose destructor joins the thread that may still use them.
  std::mutex delivery_error_mutex;
  std::optional<Error> delivery_error;
  std::unique_ptr<HttpDelivery> delivery;
  if (config.http.enabled) {
    auto created = HttpDelivery::Create(config.http, *parts->store, config.service.out_dir);
    if (!created) return Fail(created.error());
    delivery = std::move(*created);
    ServiceMetrics* m = metrics->get();
    delivery->Start(
        [&config, m, d = delivery.get()](const DeliveryStep& step) {
          m->CountHttpRequest(step.what == DeliveryStep::What::kAcknowledged ? 0
                              : step.what == DeliveryStep::What::kRetry      ? 1
                                                                             : 2);
          m->SetHttpOutbox(d->pending());
          if (step.what == DeliveryStep::What::kRetry) {
            Log(config, "warn",
                fmt::format("http: batch {} ({} records): {}; attempt {} failed, next in {} ms",
                            step.sequence, step.records, step.error, step.attempts, step.wait_ms));
          } else if (step.what == DeliveryStep::What::kRefused) {
            Log(config, "error",
                fmt::format("http: batch {} refused by the site ({}); it is in dlq/http/",
                            step.sequence, step.error));
          }
        },
        [&](const Error& error) {
          std::lock_guard lock(delivery_error_mutex);
          delivery_error = error;
        });
  }

  // A partition's batch is durable and committed in RocksDB: count it, then tell Kafka.
  auto published = [&](const TopicPartition& tp, int64_t end_offset, const RecordBatch& batch,
                       BatchCounts& counts) {
    // One clock reading serves all of the batch's records.
    const int64_t now_ms = UnixMillisNow();
    for (const Record& record : batch.records) {
      if (record.position.timestamp_ms > 0) {
        counts.end_to_end_latency_seconds.Observe(
            static_cast<double>(now_ms - record.position.timestamp_ms) / 1000.0);
      }
    }
    summary.counts.Add(counts);
    (**metrics).Add(counts);
    if (options.on_published) options.on_published(batch, summary.counts);
    if (delivery) delivery->Notify();
    if (auto committed = (*source)->Commit({{tp, end_offset}}); !committed) {
      (**metrics).CountCommitFailure();
      Log(config, "warn",
          fmt::format("{}: commit: {} (RocksDB holds the offset; the next assignment seeks there)",
                      PartitionSourceId(tp), committed.error().message()));
    }
  };

  // Replay jobs (gongshi replay, queued in <out>/replay/pending/): one at a time, a batch per
  // loop at the job's rate, never while the sinks are failing or the site is backlogged.
  std::optional<QueuedReplay> replay_job;
  std::unique_ptr<ReplayRunner> replay;
  auto last_replay_check = Clock::now() - std::chrono::hours(1);
  auto replay_resume_at = Clock::now();  // after a failed replay batch: a second's pause
  auto finish_replay = [&](const std::string& json) -> Status {
    if (auto finished = FinishQueuedReplay(config.service.out_dir, *replay_job, json); !finished) {
      return finished;
    }
    replay.reset();
    replay_job.reset();
    return Ok();
  };
  auto replay_step = [&]() -> Status {
    if (!replay && Clock::now() - last_replay_check > std::chrono::seconds(2)) {
      last_replay_check = Clock::now();
      auto next = NextQueuedReplay(config.service.out_dir);
      if (!next) return Fail(next.error());
      if (!next->has_value()) return Ok();
      replay_job = std::move(*next);
      std::string error = replay_job->error;
      if (error.empty()) {
        auto created =
            ReplayRunner::Create(replay_job->range, pipeline_config, **pipeline, *parts->store);
        if (created) {
          replay = std::move(*created);
          Log(config, "info",
              fmt::format("replay {}: started ({} records/s)", replay->job_id(),
                          replay_job->range.rate));
        } else {
          error = created.error().message();
        }
      }
      if (!error.empty()) {
        Log(config, "error", fmt::format("replay {}: {}", replay_job->path, error));
        std::string json = "{";
        AppendJsonKey(json, "error", true);
        AppendJsonString(json, error);
        json.push_back('}');
        return finish_replay(json);
      }
    }
    if (!replay || Clock::now() < replay_resume_at) return Ok();
    BatchCounts counts;
    auto more =
        replay->Step(config.batch.max_records, Clock::now(), &counts, std::chrono::milliseconds(5));
    if (!more) {
      if (more.error().code() == ErrorCode::kUnavailable) {
        // The same batch again in a second (the runner keeps it); live batches go on meanwhile.
        replay_resume_at = Clock::now() + std::chrono::seconds(1);
        Log(config, "warn",
            fmt::format("replay {}: {}; retrying in a second", replay->job_id(),
                        more.error().message()));
        return Ok();
      }
      return Fail(more.error());
    }
    if (counts.records_read > 0) {
      (**metrics).Add(counts);
      if (delivery) delivery->Notify();
    }
    if (*more) return Ok();
    RunSummary done;
    done.out_dir = config.service.out_dir;
    done.state_dir = summary.state_dir;
    done.counts = replay->counts();
    ReplaySummary replayed;
    replayed.job_id = replay->job_id();
    replayed.run = std::move(done);
    Log(config, "info",
        fmt::format("replay {}: done, {} read, {} corrected", replay->job_id(),
                    replayed.run.counts.read(),
                    replayed.run.counts.outcomes[static_cast<size_t>(Outcome::kUpdated)]));
    return finish_replay(replayed.ToJson());
  };

  std::vector<PartitionBatch> batches;
  auto last_message = Clock::now();
  auto last_lag = Clock::now() - std::chrono::hours(1);
  const auto poll_wait =
      std::chrono::milliseconds(std::min<uint64_t>(config.kafka.max_wait_ms, 500));
  bool paused = false;
  uint64_t failed_attempts = 0;
  int32_t swept_day = 0;
  auto last_sweep_try = Clock::now() - std::chrono::hours(1);
  while (options.stop == nullptr || options.stop->load() == 0) {
    health.Beat();
    // No partition's batch may outgrow batch.max_records: the poll takes what is still free.
    const uint64_t room =
        config.batch.max_records -
        std::min<uint64_t>(config.batch.max_records - 1, publisher.max_partition_records());
    // Poll refills `batches` in place: the batches' buffers keep their capacity between polls.
    // A replay in progress shortens the wait, so its rate does not depend on live traffic.
    const auto wait = replay ? std::min(poll_wait, std::chrono::milliseconds(20)) : poll_wait;
    if (auto polled = (*source)->Poll(wait, room, config.batch.max_bytes, batches); !polled) {
      Log(config, "error", "consumer: " + polled.error().message());
      return Fail(polled.error());
    }
    if (options.on_polled && !batches.empty()) options.on_polled();
    const int64_t now_ms = UnixMillisNow();
    for (PartitionBatch& pb : batches) {
      if (partitions.Find(pb.tp) == nullptr) continue;  // revoked while we polled
      last_message = Clock::now();
      if (auto offered = publisher.Offer(pb, now_ms, published); !offered) {
        Log(config, "error", fmt::format("{}: {}", pb.tp.ToString(), offered.error().message()));
        return Fail(offered.error());
      }
    }
    if (auto done = publisher.PublishDue(now_ms, published); !done) {
      Log(config, "error", done.error().message());
      return Fail(done.error());
    }
    // A failing sink (disk full, the dead-letter topic's broker down) keeps its batches held and
    // retries them with backoff; the partitions pause meanwhile, so memory does not grow, and
    // the consumer keeps polling so the group still hears from it.
    if (publisher.failed_attempts() != failed_attempts) {
      for (; failed_attempts < publisher.failed_attempts(); ++failed_attempts) {
        (**metrics).CountWriteError(WriteTarget::kFeed);
      }
      Log(config, "warn",
          fmt::format("sink: {}; {} record(s) held, retrying with backoff", publisher.last_error(),
                      publisher.held_records()));
    }
    if (delivery) {
      std::lock_guard lock(delivery_error_mutex);
      if (delivery_error) {
        Log(config, "error", "http: " + delivery_error->message());
        return Fail(*delivery_error);
      }
    }
    const bool backlogged = delivery && delivery->backlogged();
    if ((publisher.failing() || backlogged) != paused) {
      paused = publisher.failing() || backlogged;
      if (backlogged && paused) {
        Log(config, "warn",
            fmt::format("http: {} batches wait for the site; consuming paused until it catches "
                        "up",
                        delivery->pending()));
      }
      if (!paused) {
        (void)(*source)->Resume((*source)->Assignment());
        Log(config, "info", "sink: caught up; consuming again");
      }
    }
    // Every iteration while paused: a partition assigned meanwhile arrives unpaused.
    if (paused) (void)(*source)->Pause((*source)->Assignment());
    if (!paused) {
      if (auto stepped = replay_step(); !stepped) {
        Log(config, "error", "replay: " + stepped.error().message());
        return Fail(stepped.error());
      }
    }
    // The daily sweep: at start and when the Shanghai day turns, withdraw what has expired.
    if (const int32_t day = ShanghaiDay(now_ms);
        day != swept_day && Clock::now() - last_sweep_try > std::chrono::minutes(1)) {
      last_sweep_try = Clock::now();
      auto swept = (*pipeline)->Sweep(now_ms);
      if (swept) {
        swept_day = day;
        summary.expiry_withdrawals += swept->withdrawn;
        if (delivery && swept->batches > 0) delivery->Notify();
        (**metrics).AddExpiryWithdrawals(swept->latency_seconds);
        if (swept->withdrawn + swept->stale > 0) {
          Log(config, "info",
              fmt::format("sweep: {} withdrawal(s) at the end of the publication period in {} "
                          "batch(es)",
                          swept->withdrawn, swept->batches));
        }
      } else if (swept.error().code() == ErrorCode::kUnavailable) {
        (**metrics).CountWriteError(WriteTarget::kFeed);
        Log(config, "warn", "sweep: " + swept.error().message() + "; retrying in a minute");
      } else {
        Log(config, "error", "sweep: " + swept.error().message());
        return Fail(swept.error());
      }
    }
    const DeadlineRisk risk = publisher.Risk(now_ms);
    (**metrics).SetDeadlineRisk(risk.at_risk, risk.oldest_slack_working_days
                                                  ? *risk.oldest_slack_working_days
                                                  : std::numeric_limits<double>::quiet_NaN());
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
          publisher.held_records() == 0 && (!delivery || delivery->pending() == 0) && !replay &&
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
  if (delivery) {
    // What is in flight is given up; it stays in the outbox and is sent again at the next start.
    delivery->Stop();
    if (delivery->pending() > 0) {
      Log(config, "info",
          fmt::format("stopping: {} batch(es) not acknowledged by the site yet; they are sent "
                      "at the next start",
                      delivery->pending()));
    }
  }
  if (const uint64_t held = publisher.DropAll(); held > 0) {
    // Not committed anywhere: the next start (or the partitions' next owner) reads them again.
    Log(config, "info",
        fmt::format("stopping: {} held record(s) not published yet; they are "
                    "read again from the committed offsets",
                    held));
  }
  Log(config, "info", "stopping: closing the consumer");
  partitions.set_closing();
  (*source)->Close();
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace gongshi
