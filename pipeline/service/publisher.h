// Publisher: the service's batch stage. It holds what the Kafka source polled, per partition,
// until the Batcher says the partition's batch is due (count, bytes, age, schedule slot or
// deadline urgency), then runs it through the Pipeline as one feed batch. Held messages are not
// committed anywhere, so a crash or a rebalance loses nothing: the partition's owner reads them
// again from the committed offset.
//
// A batch whose sink is down (kUnavailable) stays held and is retried with exponential backoff;
// meanwhile failing() is true and the service pauses its partitions, so memory stays bounded.
// Risk() covers every record not yet published, held or failing, for the deadline metrics.
//
// Not thread-safe: the service's one consumer thread calls everything, `now_ms` given each time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/batch/batcher.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/runtime/pipeline.h"
#include "pipeline/source/kafka_source.h"

namespace gongshi {

// The flush cause as the metrics label it.
FlushCause MetricsCause(FlushCause cause);

// batch.* of the configuration as the Batcher takes it (the schedule entries parsed).
Result<BatchPolicy> MakeBatchPolicy(const BatchConfig& config);

class Publisher {
 public:
  // Where a partition's progress lives (the service's assignment); nullptr = not assigned.
  using ProgressFn = std::function<SourceProgress*(const TopicPartition&)>;
  // Called after a partition's batch was committed: Kafka may be told `end_offset` now.
  using PublishedFn = std::function<void(const TopicPartition&, int64_t end_offset,
                                         const RecordBatch&, BatchCounts&)>;

  // Borrows `pipeline` and `calendar`.
  Publisher(Pipeline& pipeline, const WorkingCalendar& calendar, int region_index,
            BatchPolicy policy, ProgressFn progress);

  // Takes one partition's polled messages, received at `now_ms`: publishes them at once when
  // the feed is continuous and nothing else is held for the partition (no copy), otherwise
  // copies them into the partition's held batch. `polled` may be reused afterwards. Errors as
  // for PublishDue.
  Status Offer(PartitionBatch& polled, int64_t now_ms, const PublishedFn& published);

  // Publishes every partition whose batch is due at `now_ms` (a failing one only once its
  // backoff has passed). kUnavailable is not returned: the batch stays held and failing() says
  // so. Any other error is the pipeline's and stops the service.
  Status PublishDue(int64_t now_ms, const PublishedFn& published);

  // A revoked or lost partition: forget what is held (not committed, so it is read again).
  void Drop(const TopicPartition& tp);
  // Forget everything (shutdown); returns how many records were held.
  uint64_t DropAll();

  bool failing() const { return failing_partitions_ > 0; }
  // Attempts that failed with kUnavailable since the start (gongshi_sink_write_errors_total).
  uint64_t failed_attempts() const { return failed_attempts_; }
  // The last sink error, for logs; empty when not failing.
  const std::string& last_error() const { return last_error_; }
  uint64_t held_records() const;
  // The most records any one partition holds (the poll is limited so that no feed batch
  // exceeds batch.max_records).
  uint64_t max_partition_records() const;
  DeadlineRisk Risk(int64_t now_ms) const;
  const Batcher& batcher() const { return batcher_; }

 private:
  // A message held for a later batch: where its bytes are in Held::bytes, and where it came from.
  // A held message: where its value, key and headers lie in Held::bytes (the source staged all
  // three into the batch's buffer), and what the source decided about it.
  struct HeldMessage {
    SourcePosition position;
    size_t offset = 0;
    size_t size = 0;
    size_t key_offset = 0;
    size_t key_size = 0;
    size_t headers_offset = 0;
    size_t headers_size = 0;
    std::string_view too_large_detail;  // static text; set when the source cut the message
    bool too_large = false;
    bool key_null = true;
    bool value_null = false;  // a tombstone
  };
  struct Held {
    // Messages in offset order, contiguous, each followed by simdjson's padding in `bytes`.
    std::vector<char> bytes;
    std::vector<HeldMessage> messages;
    int64_t first_offset = -1;
    int64_t end_offset = -1;
    HeldRecords held;
    FlushCause cause = FlushCause::kNone;  // of the attempt that failed, kept for the retry
    bool failing = false;
    int64_t retry_at_ms = 0;
    std::chrono::milliseconds backoff{100};
  };

  // Copies `batch`'s messages (outcomes not included) to the end of `held`.
  static void Append(const PartitionBatch& polled, Held& held);
  // Lays `held` out as batch_ (its bytes moved, not copied).
  void LayOut(Held& held);
  // Runs `batch` (the polled one, or batch_ laid out from `held`) as one feed batch. Ok(false)
  // when the sink was unavailable: `held` then holds the messages for the retry.
  Result<bool> Flush(const TopicPartition& tp, RecordBatch& batch, int64_t first_offset,
                     int64_t end_offset, Held& held, FlushCause cause, int64_t now_ms,
                     const PublishedFn& published);
  void MarkFailing(Held& held, int64_t now_ms, const Error& error);

  Pipeline& pipeline_;
  Batcher batcher_;
  ProgressFn progress_;
  std::map<TopicPartition, Held> held_;
  RecordBatch batch_;  // a held partition's batch, laid out for the pipeline; buffers reused
  std::vector<int32_t> deadlines_;  // scratch
  int failing_partitions_ = 0;
  uint64_t failed_attempts_ = 0;
  std::string last_error_;
};

}  // namespace gongshi
