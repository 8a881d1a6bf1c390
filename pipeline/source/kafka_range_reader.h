// KafkaRangeReader: reads a fixed range of one topic's partitions, outside any consumer group
// (assign, never subscribe, never commit), for `gongshi replay` and `gongshi dlq show --topic`. The
// range is given by offsets or by broker timestamps and resolved once, at Open: the end is where
// the partition ended then, so a replay of a live topic finishes.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"
#include "pipeline/source/staging.h"

namespace gongshi {

struct KafkaRangeOptions {
  // librdkafka properties (the service's kafka.properties: servers, TLS, SASL). group.id is
  // replaced: a replay joins no group and commits nothing.
  std::vector<std::pair<std::string, std::string>> properties;
  std::string topic;
  std::vector<int32_t> partitions;  // empty: every partition of the topic
  // [from_offset, to_offset) per partition; -1: the beginning / the end at Open.
  int64_t from_offset = -1;
  int64_t to_offset = -1;
  // Or by broker timestamp (ms since the epoch), [from_ms, to_ms); 0: open. Used when set.
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  size_t max_record_bytes = 256 << 10;
  uint32_t source_index = 0;
  int timeout_ms = 10000;       // metadata and offset queries
  std::string what = "replay";  // the command, at the start of every error message
};

struct PartitionRange {
  int32_t partition = -1;
  int64_t begin = 0;  // first offset
  int64_t end = 0;    // offset just after the range
};

// No time was asked for this end of the range.
inline constexpr int64_t kNoTimeAnswer = INT64_MIN;

// One partition's range from its watermarks [low, high), the options' offsets, and the broker's
// answers to the options' times (the first offset at or after the time, -1 when no message is;
// kNoTimeAnswer when no time was asked). Apart from Open so that what a time range covers is
// tested without a broker that indexes times (librdkafka 2.0.2's mock cluster answers -1 to every
// time).
PartitionRange ResolveRange(int32_t partition, int64_t low, int64_t high,
                            const KafkaRangeOptions& options, int64_t from_time_offset,
                            int64_t to_time_offset);

class KafkaRangeReader {
 public:
  static Result<std::unique_ptr<KafkaRangeReader>> Open(const KafkaRangeOptions& options);
  ~KafkaRangeReader();
  KafkaRangeReader(const KafkaRangeReader&) = delete;
  KafkaRangeReader& operator=(const KafkaRangeReader&) = delete;

  // The resolved ranges, in partition order.
  const std::vector<PartitionRange>& ranges() const { return ranges_; }

  // Starts reading `partition` at `offset` (within its range).
  Status Seek(int32_t partition, int64_t offset);
  // Clears `batch` and fills it with the partition's next messages, up to `max_records` and
  // about `max_bytes`, never past the range's end, waiting at most `max_wait` for the first.
  // Returns false once the range is read; true with an empty batch when nothing came yet (an
  // error after timeout_ms without progress).
  Result<bool> Fill(RecordBatch& batch, size_t max_records, size_t max_bytes,
                    std::chrono::milliseconds max_wait);
  // The offset after the last message handed out.
  int64_t next_offset() const { return next_; }

 private:
  KafkaRangeReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<PartitionRange> ranges_;
  int32_t partition_ = -1;
  int64_t end_ = 0;
  int64_t next_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
  KafkaRangeOptions options_;
  std::vector<StagedMessage> staged_;
};

}  // namespace gongshi
