// Replay: `gongshi replay` re-publishes a range of the input (a file's lines, or a topic's
// offsets or broker times) under the redaction policy in force now, as corrections of what the
// site shows. Dedupe runs in replay mode: a record's current version published under another
// policy goes out again (change "update", the manifest says "replay": true); anything published
// under this policy already, an older version, a withdrawal, is a duplicate. So a replay that is
// run twice, or resumed after a crash, publishes each correction once.
//
// A replay is rate-limited (records/s) so live records keep their deadlines: the running service
// takes replay jobs from <out>/replay/pending/ and interleaves their batches with live ones at the
// job's rate; without a running service, `gongshi replay` runs the job itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config/config.h"
#include "pipeline/runtime/pipeline.h"
#include "pipeline/runtime/run_summary.h"
#include "pipeline/source/kafka_range_reader.h"
#include "pipeline/source/ndjson_source.h"

namespace gongshi {

// What to replay. Either `input` (an NDJSON file) or `topic`.
struct ReplayRange {
  std::string input;
  int64_t from_line = 1;  // inclusive
  int64_t to_line = 0;    // inclusive; 0 = to the end
  std::string topic;
  std::vector<int32_t> partitions;  // empty: all
  int64_t from_offset = -1;         // [from, to); -1 = the beginning / the end when it starts
  int64_t to_offset = -1;
  int64_t from_ms = 0;  // broker timestamps [from, to), ms since the epoch; 0 = open
  int64_t to_ms = 0;
  double rate = 0;  // records per second; 0 = unlimited
  // The redaction policy the job replays under: the one of the process that runs it (a service
  // with another policy refuses the job).
  std::string policy_version;

  Status Check() const;
  // The job's identity: the range and the policy (not the rate). Same range, same policy: the
  // same job, resumed or already done.
  std::string JobId() const;
  std::string ToJson() const;
  static Result<ReplayRange> FromJson(std::string_view json);
};

// A token bucket: `rate` records per second, up to `burst` at once. Own code: a few lines, and
// the limiter must take the caller's clock (the service's loop, the tests').
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate, double burst, Clock::time_point now);
  // How many of `want` may go now (taken from the bucket); 0 = wait. Unlimited: `want`.
  size_t Take(size_t want, Clock::time_point now);
  // How long until one more may go.
  std::chrono::nanoseconds Wait(Clock::time_point now) const;

 private:
  void Refill(Clock::time_point now);
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

// One replay job over a pipeline: reads its range batch by batch, each batch processed and
// committed like a live one with its progress (under "replay:<job id>...") in the same commit.
class ReplayRunner {
 public:
  static Result<std::unique_ptr<ReplayRunner>> Create(const ReplayRange& range,
                                                      const Config& config, Pipeline& pipeline,
                                                      StateStore& store);
  ~ReplayRunner();

  // Processes at most one batch of at most `max_records` records, as many as the rate allows
  // now. Returns true while there is more to do.
  // `counts`, when given, receives the batch's figures for the metrics. Waits at most
  // `max_wait` for a topic's messages (the service passes a few ms: live records come first).
  Result<bool> Step(size_t max_records, RateLimiter::Clock::time_point now,
                    BatchCounts* counts = nullptr,
                    std::chrono::milliseconds max_wait = std::chrono::milliseconds(1000));
  // How long the caller may sleep before Step can do anything.
  std::chrono::nanoseconds Wait(RateLimiter::Clock::time_point now) const;
  bool done() const { return done_; }
  // Totals of the job so far, across resumes; `already_done`: complete before this process.
  const RunCounts& counts() const { return counts_; }
  bool already_done() const { return already_done_; }
  const std::string& job_id() const { return job_id_; }
  uint64_t batches_in_this_process() const { return batches_; }

 private:
  ReplayRunner(const ReplayRange& range, const Config& config, Pipeline& pipeline,
               StateStore& store);
  Status OpenNext();  // the next partition (or the file)
  // Runs batch_ through the pipeline and commits it; `last`: the part ends with it.
  Result<bool> Process(BatchInfo& info, bool last, BatchCounts* counts);
  Status Complete();  // marks the current part complete
  std::string PartId() const;

  ReplayRange range_;
  const Config& config_;
  Pipeline& pipeline_;
  StateStore& store_;
  std::string job_id_;
  RateLimiter limiter_;
  std::unique_ptr<NdjsonSource> file_;
  std::unique_ptr<KafkaRangeReader> kafka_;
  size_t part_ = 0;  // index into the Kafka ranges
  SourceProgress progress_;
  RunCounts counts_;
  RunCounts earlier_parts_;
  RecordBatch batch_;
  bool done_ = false;
  bool already_done_ = false;
  bool part_open_ = false;
  bool retry_ = false;  // batch_ failed: Step runs it again before reading on
  BatchInfo retry_info_;
  bool retry_last_ = false;
  uint64_t batches_ = 0;
};

struct ReplayOptions {
  ReplayRange range;
  std::string out_dir;
  std::string state_dir;  // default: config.state.dir, else OUT/state
  Config config;
  // Do not run it here: put it in <out>/replay/pending/ for the running service.
  bool queue = false;
};

struct ReplaySummary {
  std::string job_id;
  bool queued = false;        // left for the running service
  std::string queued_path;    // its job file
  bool already_done = false;  // done before: nothing run
  RunSummary run;
  std::string ToJson() const;
};

// `gongshi replay`: runs the job (the state store is free) or queues it (a service holds the
// store, or `queue`).
Result<ReplaySummary> RunReplay(const ReplayOptions& options);

// The service's side: the oldest job in <out>/replay/pending/, if any.
struct QueuedReplay {
  std::string path;
  ReplayRange range;
  std::string error;  // the job file is unreadable or not a valid job: finish it with this
};
Result<std::optional<QueuedReplay>> NextQueuedReplay(const std::string& out_dir);
// Moves a job to <out>/replay/done/<id>.json with its summary (or its error).
Status FinishQueuedReplay(const std::string& out_dir, const QueuedReplay& job,
                          const std::string& summary_json);

}  // namespace gongshi
