// KafkaFeedSink: the feed to Kafka, for sites that ingest from a topic: one message per feed line
// (upsert or withdrawal), to the kind's topic, key = the record id (its keyed identity, so a
// compacted topic keeps the latest version of each record and all versions of a record go to one
// partition, in order), headers gongshi.batch_id, gongshi.batch_sequence and gongshi.op. Sent
// after the batch's files are durable and before its state commits, and flushed (acks=all,
// idempotent producer) before the commit. A crash between the two sends the batch again with the
// same keys and batch id: at least once on the topic, recognisably the same; a consumer that
// keeps the latest value per key, or skips a batch id it has seen, ends with each record once.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/sink/kafka_producer.h"

namespace gongshi {

class KafkaFeedSink {
 public:
  static Result<std::unique_ptr<KafkaFeedSink>> Create(
      const std::vector<std::pair<std::string, std::string>>& properties, std::string license_topic,
      std::string penalty_topic);

  // Sends the lines of the batch's feed files (paths relative to `out_dir`, as
  // "feeds/<kind>/<name>.ndjson") and waits until the broker has them all. kUnavailable: the
  // broker did not take them; the batch is retried whole.
  Status Send(const std::string& out_dir, const BatchInfo& info,
              const std::vector<std::string>& feed_files);

 private:
  KafkaFeedSink() = default;
  std::unique_ptr<KafkaProducer> producer_;
  std::string license_topic_, penalty_topic_;
};

}  // namespace gongshi
