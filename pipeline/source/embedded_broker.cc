#include "pipeline/source/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace gongshi {

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(int brokers) {
  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker());
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; quiet its own (empty) bootstrap attempts.
  rd_kafka_conf_set(conf, "log_level", "3", nullptr, 0);
  broker->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (broker->handle_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInternal, fmt::format("embedded broker: {}", error));
  }
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->handle_, brokers);
  if (broker->cluster_ == nullptr) {
    return Fail(ErrorCode::kInternal, "embedded broker: the mock cluster did not start");
  }
  broker->bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  return broker;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(ErrorCode::kInternal,
                fmt::format("embedded broker: create topic {}: {}", topic, rd_kafka_err2str(err)));
  }
  return Ok();
}

}  // namespace gongshi
