#include "pipeline/sink/kafka_producer.h"

#include <thread>

#include <librdkafka/rdkafka.h>

namespace gongshi {

std::vector<std::pair<std::string, std::string>> ProducerProperties(
    const std::vector<std::pair<std::string, std::string>>& consumer_properties) {
  static constexpr std::string_view kConsumerOnly[] = {"group.",
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
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : consumer_properties) {
    bool consumer_only = false;
    for (std::string_view prefix : kConsumerOnly) {
      consumer_only = consumer_only || std::string_view(key).substr(0, prefix.size()) == prefix;
    }
    if (!consumer_only) out.emplace_back(key, value);
  }
  return out;
}

void KafkaProducer::OnDelivery(rd_kafka_t* /*rk*/, const void* message, void* opaque) {
  const auto* m = static_cast<const rd_kafka_message_t*>(message);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    self->failed_.fetch_add(1);
    self->last_error_ = rd_kafka_err2str(m->err);  // only read after Flush(), on our thread
  }
}

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(
    const std::vector<std::pair<std::string, std::string>>& properties) {
  std::unique_ptr<KafkaProducer> producer(new KafkaProducer());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  std::vector<std::pair<std::string, std::string>> all = {
      {"acks", "all"}, {"enable.idempotence", "true"}, {"linger.ms", "20"}};
  all.insert(all.end(), properties.begin(), properties.end());
  for (const auto& [key, value] : all) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Fail(ErrorCode::kInvalidConfig, fmt::format("kafka property {}: {}", key, error));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
    OnDelivery(rk, m, opaque);
  });
  rd_kafka_conf_set_opaque(conf, producer.get());
  producer->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer->handle_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInvalidConfig, fmt::format("kafka producer: {}", error));
  }
  return producer;
}

KafkaProducer::~KafkaProducer() {
  if (handle_ != nullptr) {
    rd_kafka_flush(handle_, 5000);
    rd_kafka_destroy(handle_);
  }
}

Status KafkaProducer::Produce(const std::string& topic, int32_t partition, std::string_view key,
                              std::string_view value, const std::vector<ProducedHeader>& headers) {
  for (;;) {
    rd_kafka_headers_t* hdrs = headers.empty() ? nullptr : rd_kafka_headers_new(headers.size());
    for (const ProducedHeader& h : headers) {
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
    }
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        handle_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Ok();
    if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("produce to {}: {}", topic, rd_kafka_err2str(err)));
    }
    rd_kafka_poll(handle_, 50);  // let deliveries drain the queue
  }
}

Status KafkaProducer::Flush(int timeout_ms) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(handle_, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("kafka producer: not all messages delivered in {} ms", timeout_ms));
  }
  if (const uint64_t failed = failed_.exchange(0); failed != 0) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("kafka producer: {} messages not delivered: {}", failed, last_error_));
  }
  return Ok();
}

}  // namespace gongshi
