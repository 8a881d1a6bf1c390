// EmbeddedBroker: librdkafka's mock cluster, a Kafka protocol server on loopback, as the broker of
// `gongshi demo`. Not a throughput reference: it keeps ~5 MiB per partition and serves one batch
// per fetch. The mock API is experimental, so this file is its only user in the product.
#pragma once

#include <memory>
#include <string>

#include "pipeline/record/error.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace gongshi {

class EmbeddedBroker {
 public:
  static Result<std::unique_ptr<EmbeddedBroker>> Start(int brokers = 1);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  Status CreateTopic(const std::string& topic, int partitions);

 private:
  EmbeddedBroker() = default;
  // The cluster lives inside this handle: destroying the handle destroys the cluster.
  rd_kafka_s* handle_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace gongshi
