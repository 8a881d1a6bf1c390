// KafkaProducer: a librdkafka producer that reports delivery, for the dead-letter topic (and the
// demo's load). Flush() returns only when every message is acknowledged by the broker, so the
// service can treat the topic like a durable file before it commits the source offsets.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/record/error.h"

struct rd_kafka_s;

namespace gongshi {

struct ProducedHeader {
  std::string name;
  std::string value;
};

// The connection settings (servers, TLS, SASL, client id...) of a consumer's properties, without
// the consumer-only ones librdkafka would warn about in a producer.
std::vector<std::pair<std::string, std::string>> ProducerProperties(
    const std::vector<std::pair<std::string, std::string>>& consumer_properties);

class KafkaProducer {
 public:
  // `properties` go to librdkafka after our defaults (acks=all, idempotence on).
  static Result<std::unique_ptr<KafkaProducer>> Create(
      const std::vector<std::pair<std::string, std::string>>& properties);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message (partition -1 = by key). Waits while the local queue is full.
  Status Produce(const std::string& topic, int32_t partition, std::string_view key,
                 std::string_view value, const std::vector<ProducedHeader>& headers = {});
  // Waits until everything queued is delivered; fails if any message was not.
  Status Flush(int timeout_ms = 60000);

 private:
  KafkaProducer() = default;
  static void OnDelivery(rd_kafka_s* rk, const void* message, void* opaque);
  rd_kafka_s* handle_ = nullptr;
  std::atomic<uint64_t> failed_{0};
  std::string last_error_;
};

}  // namespace gongshi
