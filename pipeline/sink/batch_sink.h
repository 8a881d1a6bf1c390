// BatchSink: where a batch goes once its outcomes are decided. The runner (runtime/pipeline.h)
// keeps one ordered list of sinks and calls them by phase, and only when every sink of the first
// two phases has returned Ok does it commit the batch's state (records, progress, chain heads,
// ledger, sequence) in one synced write. That order is the delivery guarantee, written once: a
// crash before the commit makes the same batch again (same id, same files, the same messages to
// the same keys); a crash after it resumes after the batch.
//
//   kStagedFiles   staged in the batch's DurableFileSet (the feed files and manifests, the
//                  dead-letter and withheld files); durable when the runner commits the set.
//   kAcknowledged  sent once the files are durable, acknowledged before Write returns (the Kafka
//                  feed, the dead-letter topic). kUnavailable: the batch is retried whole.
//   kInCommit      part of the batch's state write itself (the HTTP outbox, which the delivery
//                  thread sends from the state later).
//
// A new sink (object storage, a second site) is a class here and a line where the runner makes
// its list (Pipeline::Create); the service does not change.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/common/atomic_file.h"
#include "pipeline/record/record.h"
#include "pipeline/sink/dead_letter.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/sink/kafka_feed_sink.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/state/state_store.h"

namespace gongshi {

// One batch on its way through the sinks; what earlier sinks learn, later ones read.
struct SinkBatch {
  const RecordBatch& batch;
  const BatchInfo& info;
  std::array<ChainHead, 3>& chains;  // the feed's manifest chains, advanced by the feed sink
  DurableFileSet& files;
  std::span<const RenderedPart> rendered{};  // the feed lines rendered ahead on the pool, or none
  FeedWriteStats feed_stats{};  // with the feed files written, for the Kafka feed and the outbox
  DeadLetterStats dead_letter_stats{};
};

class BatchSink {
 public:
  enum class Phase : uint8_t { kStagedFiles, kAcknowledged, kInCommit };
  virtual ~BatchSink() = default;
  virtual std::string_view name() const = 0;
  virtual Phase phase() const = 0;
  // kStagedFiles and kAcknowledged sinks.
  virtual Status Write(SinkBatch& batch) = 0;
  // kInCommit sinks: what the batch adds to its own state write.
  virtual void AddToCommit(const SinkBatch&, StateStore::Transaction&) const {}
};

// The feed files and manifests (NDJSON, and CSV when feeds.csv).
std::unique_ptr<BatchSink> MakeFeedFileSink(FeedWriter& feeds);
// OUT/dlq/ and OUT/withheld/.
std::unique_ptr<BatchSink> MakeDeadLetterFileSink(DeadLetterWriter& dead_letter);
// kafka_sink: the feed lines to a topic per kind.
std::unique_ptr<BatchSink> MakeKafkaFeedSink(std::unique_ptr<KafkaFeedSink> sink,
                                             std::string out_dir);
// kafka.dead_letter.to topic|both: each reject to the dead-letter topic, its original value, key
// and headers as dead_letter.original says (sealed exactly as in the dead-letter file, under the
// same derived keys, so `gongshi dlq show` opens both), with the reason and the source position
// in gongshi's own headers. `source_topics` by the records' source_index. A replay's rejects are
// not sent again: they went out when the records first arrived (the replay's file has them).
std::unique_ptr<BatchSink> MakeDeadLetterTopicSink(std::unique_ptr<KafkaProducer> producer,
                                                   std::string topic,
                                                   std::vector<std::string> source_topics,
                                                   const DeadLetterWriter& dead_letter,
                                                   OriginalSealer sealer);
// http: the batch's outbox entry, in the batch's own commit; nothing when it published nothing.
std::unique_ptr<BatchSink> MakeOutboxSink();

}  // namespace gongshi
