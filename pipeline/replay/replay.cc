#include "pipeline/replay/replay.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <simdjson.h>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"
#include "pipeline/sink/http_delivery.h"

namespace gongshi {
namespace {

// The range without the rate: what makes the job the same job.
std::string IdentityJson(ReplayRange range) {
  range.rate = 0;
  if (!range.input.empty()) {
    std::error_code error;
    const auto absolute = std::filesystem::weakly_canonical(range.input, error);
    if (!error) range.input = absolute.string();
  }
  return range.ToJson();
}

std::string PendingDir(const std::string& out_dir) { return out_dir + "/replay/pending"; }
std::string DoneDir(const std::string& out_dir) { return out_dir + "/replay/done"; }

bool IsLockError(const Error& error) {
  // RocksDB: "IO error: lock hold by current process" / "While lock file: ... Resource
  // temporarily unavailable": another process (the service) has the state store open.
  // (Not any "lock": "block cache" has one.)
  const std::string& message = error.message();
  return message.find("/LOCK") != std::string::npos ||
         message.find("lock hold by current process") != std::string::npos;
}

}  // namespace

Status ReplayRange::Check() const {
  if (input.empty() == topic.empty()) {
    return Fail(ErrorCode::kInvalidConfig, "replay: give --input FILE or --topic TOPIC");
  }
  if (from_line < 1 || (to_line != 0 && to_line < from_line)) {
    return Fail(ErrorCode::kInvalidConfig,
                "replay: --from-line must be at least 1 and --to-line at least --from-line");
  }
  if (!input.empty() &&
      (from_offset >= 0 || to_offset >= 0 || from_ms > 0 || to_ms > 0 || !partitions.empty())) {
    return Fail(ErrorCode::kInvalidConfig,
                "replay: offsets, times and partitions are for --topic; a file takes lines");
  }
  if ((from_offset >= 0 || to_offset >= 0) && (from_ms > 0 || to_ms > 0)) {
    return Fail(ErrorCode::kInvalidConfig, "replay: give offsets or times, not both");
  }
  if ((to_offset >= 0 && from_offset > to_offset) || (to_ms > 0 && from_ms > to_ms)) {
    return Fail(ErrorCode::kInvalidConfig, "replay: the range ends before it starts");
  }
  if (rate < 0) return Fail(ErrorCode::kInvalidConfig, "replay: --rate must not be negative");
  return Ok();
}

std::string ReplayRange::JobId() const {
  const auto digest = Sha256(IdentityJson(*this));
  return HexEncode(digest.data(), 8);
}

std::string ReplayRange::ToJson() const {
  std::string out = "{";
  if (!input.empty()) {
    AppendJsonKey(out, "input", true);
    AppendJsonString(out, input);
    AppendJsonKey(out, "from_line");
    AppendJsonInt(out, from_line);
    AppendJsonKey(out, "to_line");
    AppendJsonInt(out, to_line);
  } else {
    AppendJsonKey(out, "topic", true);
    AppendJsonString(out, topic);
    AppendJsonKey(out, "partitions");
    out.push_back('[');
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonInt(out, partitions[i]);
    }
    out.push_back(']');
    AppendJsonKey(out, "from_offset");
    AppendJsonInt(out, from_offset);
    AppendJsonKey(out, "to_offset");
    AppendJsonInt(out, to_offset);
    AppendJsonKey(out, "from_ms");
    AppendJsonInt(out, from_ms);
    AppendJsonKey(out, "to_ms");
    AppendJsonInt(out, to_ms);
  }
  AppendJsonKey(out, "rate");
  out.append(fmt::format("{}", rate));
  AppendJsonKey(out, "policy_version");
  AppendJsonString(out, policy_version);
  out.push_back('}');
  return out;
}

Result<ReplayRange> ReplayRange::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return Fail(ErrorCode::kInvalidConfig, "replay job: not a JSON object");
  }
  ReplayRange range;
  auto text = [&](const char* key, std::string& out) {
    std::string_view value;
    if (root[key].get_string().get(value) == simdjson::SUCCESS) out = std::string(value);
  };
  auto integer = [&](const char* key, int64_t& out) {
    int64_t value;
    if (root[key].get_int64().get(value) == simdjson::SUCCESS) out = value;
  };
  text("input", range.input);
  text("topic", range.topic);
  text("policy_version", range.policy_version);
  integer("from_line", range.from_line);
  integer("to_line", range.to_line);
  integer("from_offset", range.from_offset);
  integer("to_offset", range.to_offset);
  integer("from_ms", range.from_ms);
  integer("to_ms", range.to_ms);
  double rate;
  if (root["rate"].get_double().get(rate) == simdjson::SUCCESS) range.rate = rate;
  simdjson::dom::array partitions;
  if (root["partitions"].get_array().get(partitions) == simdjson::SUCCESS) {
    for (simdjson::dom::element p : partitions) {
      int64_t value;
      if (p.get_int64().get(value) != simdjson::SUCCESS) {
        return Fail(ErrorCode::kInvalidConfig, "replay job: partitions must be integers");
      }
      range.partitions.push_back(static_cast<int32_t>(value));
    }
  }
  if (auto ok = range.Check(); !ok) return Fail(ok.error());
  return range;
}

RateLimiter::RateLimiter(double rate, double burst, Clock::time_point now)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), last_(now) {}

void RateLimiter::Refill(Clock::time_point now) {
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
  last_ = now;
}

size_t RateLimiter::Take(size_t want, Clock::time_point now) {
  if (rate_ <= 0) return want;
  Refill(now);
  const size_t n = std::min(want, static_cast<size_t>(tokens_));
  tokens_ -= static_cast<double>(n);
  return n;
}

std::chrono::nanoseconds RateLimiter::Wait(Clock::time_point now) const {
  if (rate_ <= 0) return std::chrono::nanoseconds(0);
  const double tokens = std::min(
      burst_,
      tokens_ +
          std::chrono::duration<double>(std::max(Clock::duration::zero(), now - last_)).count() *
              rate_);
  if (tokens >= 1) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>((1 - tokens) / rate_ * 1e9) + 1);
}

ReplayRunner::ReplayRunner(const ReplayRange& range, const Config& config, Pipeline& pipeline,
                           StateStore& store)
    : range_(range),
      config_(config),
      pipeline_(pipeline),
      store_(store),
      job_id_(range.JobId()),
      // Up to half a second's worth at once: batches stay small beside live ones.
      limiter_(range.rate, range.rate / 2, RateLimiter::Clock::now()) {}

ReplayRunner::~ReplayRunner() = default;

Result<std::unique_ptr<ReplayRunner>> ReplayRunner::Create(const ReplayRange& range,
                                                           const Config& config, Pipeline& pipeline,
                                                           StateStore& store) {
  if (auto ok = range.Check(); !ok) return Fail(ok.error());
  if (range.policy_version != config.redaction.policy_version) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("replay: the job is for policy {}, this process redacts under {}",
                            range.policy_version, config.redaction.policy_version));
  }
  std::unique_ptr<ReplayRunner> runner(new ReplayRunner(range, config, pipeline, store));
  if (!range.topic.empty()) {
    auto reader = KafkaRangeReader::Open({.properties = config.kafka.properties,
                                          .topic = range.topic,
                                          .partitions = range.partitions,
                                          .from_offset = range.from_offset,
                                          .to_offset = range.to_offset,
                                          .from_ms = range.from_ms,
                                          .to_ms = range.to_ms,
                                          .max_record_bytes = config.input.max_record_bytes});
    if (!reader) return Fail(reader.error());
    runner->kafka_ = std::move(*reader);
  } else {
    std::error_code error;
    if (!std::filesystem::is_regular_file(range.input, error)) {
      return Fail(ErrorCode::kIo, fmt::format("replay: {} is not a readable file", range.input));
    }
  }
  // What earlier runs of the same job did; complete parts are not read again.
  const size_t parts = runner->kafka_ ? runner->kafka_->ranges().size() : 1;
  bool all_done = true;
  for (size_t i = 0; i < parts; ++i) {
    runner->part_ = i;
    auto stored = store.GetProgress(runner->PartId());
    if (!stored) return Fail(stored.error());
    if (stored->has_value()) runner->counts_.Add(**stored);
    all_done = all_done && stored->has_value() && (*stored)->completed;
  }
  runner->part_ = 0;
  runner->done_ = runner->already_done_ = all_done;
  return runner;
}

std::string ReplayRunner::PartId() const {
  if (!kafka_) return "replay:" + job_id_;
  return fmt::format("replay:{}:{}", job_id_, kafka_->ranges()[part_].partition);
}

Status ReplayRunner::OpenNext() {
  const size_t parts = kafka_ ? kafka_->ranges().size() : 1;
  for (; part_ < parts; ++part_) {
    auto stored = store_.GetProgress(PartId());
    if (!stored) return Fail(stored.error());
    if (stored->has_value() && (*stored)->completed) {
      earlier_parts_.Add(**stored);
      continue;
    }
    progress_ = stored->has_value() ? **stored : SourceProgress{};
    progress_.generation = 1;
    progress_.reject_reasons.resize(AllRejectReasons().size() + 1);
    progress_.withhold_reasons.resize(kWithholdReasonCount);
    const bool fresh = !stored->has_value();
    if (kafka_) {
      const PartitionRange& range = kafka_->ranges()[part_];
      if (auto ok = kafka_->Seek(range.partition, fresh ? range.begin : progress_.next_offset);
          !ok) {
        return ok;
      }
    } else {
      auto source = NdjsonSource::Open({.path = range_.input,
                                        .start_offset = fresh ? 0 : progress_.next_offset,
                                        .start_line = fresh ? 1 : progress_.next_line,
                                        .max_record_bytes = config_.input.max_record_bytes});
      if (!source) return Fail(source.error());
      file_ = std::move(*source);
      // A fresh start skips to the first line of the range; a record that overshoots (blank
      // lines before it) is where the range starts.
      while (fresh && file_->line() < range_.from_line) {
        const size_t skip =
            static_cast<size_t>(std::min<int64_t>(range_.from_line - file_->line(), 4096));
        auto filled = file_->Fill(batch_, skip, config_.batch.max_bytes);
        if (!filled) return Fail(filled.error());
        if (!*filled) break;
        auto first =
            std::find_if(batch_.records.begin(), batch_.records.end(),
                         [&](const Record& r) { return r.position.line >= range_.from_line; });
        if (first != batch_.records.end()) {
          auto reopened = NdjsonSource::Open({.path = range_.input,
                                              .start_offset = first->position.offset,
                                              .start_line = first->position.line,
                                              .max_record_bytes = config_.input.max_record_bytes});
          if (!reopened) return Fail(reopened.error());
          file_ = std::move(*reopened);
          break;
        }
      }
    }
    part_open_ = true;
    return Ok();
  }
  done_ = true;
  return Ok();
}

Status ReplayRunner::Complete() {
  progress_.completed = true;
  StateStore::Transaction transaction;
  transaction.PutProgress(PartId(), progress_);
  if (auto committed = store_.Commit(transaction); !committed) return committed;
  earlier_parts_.Add(progress_);
  counts_ = earlier_parts_;
  part_open_ = false;
  file_.reset();
  ++part_;
  done_ = part_ >= (kafka_ ? kafka_->ranges().size() : 1);
  return Ok();
}

Result<bool> ReplayRunner::Step(size_t max_records, RateLimiter::Clock::time_point now,
                                BatchCounts* counts, std::chrono::milliseconds max_wait) {
  if (done_) return false;
  if (retry_) {
    // The last batch failed (a sink, the disk): the same records again, as the same batch.
    batch_.ResetOutcomes();
    return Process(retry_info_, retry_last_, counts);
  }
  if (!part_open_) {
    if (auto ok = OpenNext(); !ok) return Fail(ok.error());
    if (done_) return false;
  }
  const size_t n = limiter_.Take(std::max<size_t>(1, max_records), now);
  if (n == 0) return true;

  BatchInfo info;
  info.replay = true;
  info.generation = progress_.generation;
  bool last = false;
  if (kafka_) {
    info.source_name = range_.topic;
    info.partition = kafka_->ranges()[part_].partition;
    info.first_offset = kafka_->next_offset();
    auto filled = kafka_->Fill(batch_, n, config_.batch.max_bytes, max_wait);
    if (!filled) return Fail(filled.error());
    if (!*filled) {
      if (auto ok = Complete(); !ok) return Fail(ok.error());
      return part_ < kafka_->ranges().size();
    }
    if (batch_.records.empty()) return true;  // nothing came yet
    info.end_offset = kafka_->next_offset();
    progress_.next_offset = info.end_offset;
  } else {
    info.source_name = range_.input;
    info.first_offset = file_->offset();
    auto filled = file_->Fill(batch_, n, config_.batch.max_bytes);
    if (!filled) return Fail(filled.error());
    // The range's last line: what lies after it stays unread.
    if (*filled && range_.to_line > 0) {
      auto after = std::find_if(batch_.records.begin(), batch_.records.end(),
                                [&](const Record& r) { return r.position.line > range_.to_line; });
      if (after != batch_.records.end()) {
        progress_.next_offset = after->position.offset;
        progress_.next_line = after->position.line;
        batch_.records.erase(after, batch_.records.end());
        last = true;
      } else {
        progress_.next_offset = file_->offset();
        progress_.next_line = file_->line();
        last = file_->line() > range_.to_line;
      }
    } else {
      progress_.next_offset = file_->offset();
      progress_.next_line = file_->line();
    }
    if (!*filled || batch_.records.empty()) {
      if (auto ok = Complete(); !ok) return Fail(ok.error());
      return false;
    }
    info.end_offset = progress_.next_offset;
    info.first_line = batch_.records.front().position.line;
    info.last_line = batch_.records.back().position.line;
  }
  return Process(info, last, counts);
}

Result<bool> ReplayRunner::Process(BatchInfo& info, bool last, BatchCounts* counts) {
  // ProcessBatch counts the batch into the progress before its commit: a failed attempt must
  // not count twice, and the source has moved past the batch, so it is kept for a retry.
  const SourceProgress before = progress_;
  if (auto done = pipeline_.ProcessBatch(batch_, info, PartId(), progress_, counts); !done) {
    progress_ = before;
    retry_ = true;
    retry_info_ = info;
    retry_last_ = last;
    return Fail(done.error());
  }
  retry_ = false;
  ++batches_;
  counts_ = earlier_parts_;
  counts_.Add(progress_);
  if (last) {
    if (auto ok = Complete(); !ok) return Fail(ok.error());
    return false;
  }
  return true;
}

std::chrono::nanoseconds ReplayRunner::Wait(RateLimiter::Clock::time_point now) const {
  return limiter_.Wait(now);
}

std::string ReplaySummary::ToJson() const {
  std::string out;
  if (queued) {
    out.push_back('{');
    AppendJsonKey(out, "replay", true);
    AppendJsonString(out, job_id);
    AppendJsonKey(out, "queued");
    AppendJsonString(out, queued_path);
    out.push_back('}');
    return out;
  }
  // The run's summary (read = published + ... + rejected, over the job's range), then the job.
  out = run.ToJson();
  out.pop_back();
  AppendJsonKey(out, "replay");
  AppendJsonString(out, job_id);
  AppendJsonKey(out, "already_done");
  out.append(already_done ? "true" : "false");
  out.push_back('}');
  return out;
}

Result<ReplaySummary> RunReplay(const ReplayOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ReplaySummary summary;
  ReplayRange range = options.range;
  range.policy_version = options.config.redaction.policy_version;
  if (auto ok = range.Check(); !ok) return Fail(ok.error());
  summary.job_id = range.JobId();
  summary.run.out_dir = options.out_dir;
  summary.run.state_dir = !options.state_dir.empty()          ? options.state_dir
                          : !options.config.state.dir.empty() ? options.config.state.dir
                                                              : options.out_dir + "/state";
  auto queue = [&]() -> Result<ReplaySummary> {
    if (auto made = EnsureDirectory(PendingDir(options.out_dir)); !made) return Fail(made.error());
    summary.queued = true;
    summary.queued_path = fmt::format("{}/{:013}-{}.json", PendingDir(options.out_dir),
                                      UnixMillisNow(), summary.job_id);
    if (auto written = WriteFileAtomically(summary.queued_path, range.ToJson() + "\n"); !written) {
      return Fail(written.error());
    }
    return summary;
  };
  if (options.queue) return queue();

  auto parts = OpenPipelineParts(options.config, summary.run.state_dir);
  if (!parts) {
    // The running service has the state store: it takes the job from the queue.
    if (IsLockError(parts.error())) return queue();
    return Fail(parts.error());
  }
  auto pipeline = Pipeline::Create(options.config, *parts, options.out_dir);
  if (!pipeline) return Fail(pipeline.error());
  auto runner = ReplayRunner::Create(range, options.config, **pipeline, *parts->store);
  if (!runner) return Fail(runner.error());
  summary.already_done = (*runner)->already_done();
  for (;;) {
    const auto now = RateLimiter::Clock::now();
    auto more = (*runner)->Step(options.config.batch.max_records, now);
    if (!more) return Fail(more.error());
    if (!*more) break;
    if (const auto wait = (*runner)->Wait(RateLimiter::Clock::now()); wait.count() > 0) {
      std::this_thread::sleep_for(wait);
    }
  }
  auto pending = DrainHttp(options.config, *parts->store, options.out_dir);
  if (!pending) return Fail(pending.error());
  summary.run.http = options.config.http.enabled;
  summary.run.http_pending = *pending;
  summary.run.counts = (*runner)->counts();
  summary.run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

Result<std::optional<QueuedReplay>> NextQueuedReplay(const std::string& out_dir) {
  std::error_code error;
  const std::string dir = PendingDir(out_dir);
  if (!std::filesystem::is_directory(dir, error)) return std::optional<QueuedReplay>();
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".json") && name[0] != '.') names.push_back(name);
  }
  if (names.empty()) return std::optional<QueuedReplay>();
  std::sort(names.begin(), names.end());
  QueuedReplay job;
  job.path = dir + "/" + names.front();
  auto text = ReadSmallFile(job.path, 64 << 10);
  if (!text) {
    job.error = text.error().message();
  } else if (auto range = ReplayRange::FromJson(*text); !range) {
    job.error = range.error().message();
  } else {
    job.range = std::move(*range);
  }
  return std::optional<QueuedReplay>(std::move(job));
}

Status FinishQueuedReplay(const std::string& out_dir, const QueuedReplay& job,
                          const std::string& summary_json) {
  if (auto made = EnsureDirectory(DoneDir(out_dir)); !made) return made;
  const std::string name = std::filesystem::path(job.path).filename().string();
  if (auto written = WriteFileAtomically(DoneDir(out_dir) + "/" + name, summary_json + "\n");
      !written) {
    return written;
  }
  std::error_code error;
  std::filesystem::remove(job.path, error);
  if (error) {
    return Fail(ErrorCode::kIo, fmt::format("cannot remove {}: {}", job.path, error.message()));
  }
  return Ok();
}

}  // namespace gongshi
