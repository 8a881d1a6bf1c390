// KafkaSource: the continuous service's input. One member of a consumer group that hands the
// service the messages of its partitions as padded RecordBatches, one per partition, and tells it
// on the same thread when partitions arrive, leave or are lost, so it can flush, commit or drop.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"

namespace gongshi {

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;

  bool operator==(const TopicPartition&) const = default;
  auto operator<=>(const TopicPartition&) const = default;
  std::string ToString() const;  // "topic[3]", for messages
};

// Returned by PartitionListener::Assigned for a partition the service has no offset for: start
// at the group's committed offset, or where auto.offset.reset says when there is none.
inline constexpr int64_t kCommittedOffset = -1;
// Returned by a Poll limit function for a partition that has no cut-off.
inline constexpr int64_t kNoLimit = -1;

// The service's side of a rebalance. Every call comes on the thread that calls
// KafkaSource::Poll (or Close, or the destructor), from inside that call, and must not call Poll
// or Close itself. Commit, Pause and Resume may be called from inside.
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;
  // Newly assigned partitions. Returns, for each, the next offset to read (from the service's
  // own state, which is written with the feed batches) or kCommittedOffset. A failure (say the
  // state store cannot be read) leaves the partitions assigned but paused, and every later Poll
  // returns the error: the service must stop rather than guess where to start.
  virtual Result<std::vector<int64_t>> Assigned(const std::vector<TopicPartition>& partitions) = 0;
  // About to be taken away in an orderly rebalance (or at Close): flush what is held for them and
  // commit. Called before the consumer lets go of them, so the commit still counts. Messages of
  // these partitions that the running Poll had read but not returned are dropped: they are after
  // anything the service saw, so the next owner reads them from the committed offset.
  virtual void Revoked(const std::vector<TopicPartition>& partitions) = 0;
  // Already taken away (session timeout, poll interval exceeded, fenced): another member may be
  // publishing them now, so drop what is held for them and commit nothing.
  virtual void Lost(const std::vector<TopicPartition>& partitions) = 0;
};

struct KafkaSourceOptions {
  // librdkafka properties, applied after gongshi's defaults (so each may be overridden), exactly
  // as librdkafka's CONFIGURATION.md documents them: TLS, SASL and the rest work unchanged.
  // bootstrap.servers and group.id are required. Defaults: cooperative-sticky assignment, no
  // auto commit or auto offset store, auto.offset.reset=earliest, fetch.wait.max.ms=100,
  // fetch.min.bytes=64 KiB, a 256 MiB prefetch queue (see kafka_source.cc for why).
  std::vector<std::pair<std::string, std::string>> properties;
  // Subscribed topics (a name starting with '^' is a regex, as in librdkafka). A record's
  // position.source_index is its topic's index here; for a topic matched by a regex, the index
  // of the first regex.
  std::vector<std::string> topics;
  // A longer message keeps this many bytes and is marked record_too_large, as in NdjsonSource.
  size_t max_record_bytes = 256 << 10;
  // Where consumer errors that librdkafka recovers from by itself are reported (rate-limited).
  // Empty: one line each on stderr.
  std::function<void(std::string_view)> log;
};

// Messages of one partition, in offset order, laid out for the parser (views into `batch.bytes`,
// each message's value followed by simdjson's padding, then its key and headers: Record::key,
// Record::headers). A tombstone (null value) comes rejected as kafka_tombstone.
struct PartitionBatch {
  TopicPartition tp;
  RecordBatch batch;
  int64_t first_offset = -1;
  int64_t end_offset = -1;  // last offset + 1: what Commit takes once the batch is durable
};

// Counters for the service's metrics. Totals since Create.
struct KafkaSourceStats {
  uint64_t messages = 0;         // handed out by Poll
  uint64_t bytes = 0;            // values, keys and headers handed out (a cut value counts as kept)
  uint64_t too_large = 0;        // messages cut to max_record_bytes
  uint64_t consumer_errors = 0;  // errors librdkafka recovers from by itself
  uint64_t rebalance_events = 0;  // assignments, revocations and losses
};

// Not thread-safe: one thread calls every method (librdkafka 2.0.x is not safe with consuming
// on one thread and seeking, pausing or rebalancing on another). Poll at least every
// max.poll.interval.ms (default 5 min) or the group takes the partitions away.
class KafkaSource {
 public:
  // A limit for a partition: an offset its batch must not reach (the service re-making exactly a
  // batch it wrote before a crash), or kNoLimit. Asked at most once per partition per Poll.
  using LimitFn = std::function<int64_t(const TopicPartition&)>;

  // Subscribes to the topics; partitions arrive through `listener`, which must outlive the
  // source (Close and the destructor call Revoked for the partitions still held).
  static Result<std::unique_ptr<KafkaSource>> Create(const KafkaSourceOptions& options,
                                                     PartitionListener& listener);
  // Closes the consumer: leaves the group cleanly (the listener's Revoked runs first).
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Waits up to `max_wait` for messages and returns, grouped by partition, at most `max_records`
  // messages in total and about `max_bytes` bytes (it stops at the first message that reaches
  // it). Returns early when full; otherwise when `max_wait` has passed, possibly empty. `out` is
  // reused: its batches keep their capacity. Rebalance callbacks run inside. Messages at or past
  // a partition's limit are kept, in order, for a later Poll; a paused partition gives nothing.
  // Consumer errors librdkafka recovers from are counted and logged, not returned. An error
  // (a fatal consumer error, a failed Assigned, a failed assignment) means the source is
  // unusable: every later Poll returns it too. Stop and restart; nothing was committed for it.
  Status Poll(std::chrono::milliseconds max_wait, size_t max_records, size_t max_bytes,
              std::vector<PartitionBatch>& out, const LimitFn& limit = nullptr);

  // Synchronously commits, for each partition, the next offset to read (a batch's end_offset).
  // kUnavailable (coordinator moving, rebalance in progress) is worth a retry; kInternal
  // (fatal, not authorised) is not.
  Status Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets);

  // Stops and restarts delivery from partitions (back-pressure). Partitions not assigned here
  // are ignored; a revoked partition's pause is forgotten (it comes back unpaused).
  Status Pause(const std::vector<TopicPartition>& partitions);
  Status Resume(const std::vector<TopicPartition>& partitions);

  // Assigned partitions, sorted.
  std::vector<TopicPartition> Assignment() const;
  // Messages behind, per assigned partition: the high watermark from the last fetch response
  // minus the next offset the service will receive. -1 while not known yet.
  std::vector<std::pair<TopicPartition, int64_t>> Lag() const;
  const KafkaSourceStats& stats() const;

  // Leaves the group (Revoked runs for what is held). Later calls do nothing; Poll returns
  // kCancelled.
  void Close();

 private:
  class Impl;
  explicit KafkaSource(std::unique_ptr<Impl> impl);
  // librdkafka's callbacks get a pointer to Impl, so the handle and every librdkafka type stay
  // out of this header.
  std::unique_ptr<Impl> impl_;
};

}  // namespace gongshi
