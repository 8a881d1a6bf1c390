// MockKafka: librdkafka's in-process mock cluster on loopback, a real producer that writes to it
// over TCP, and the fault injection the Kafka tests need. Every use of the experimental mock API
// (rdkafka_mock.h, no stability promise) is in this file, so an upgrade changes one place.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace gongshi::testing {

// Kafka protocol request types, for PushRequestErrors (rdkafka.h does not export them).
enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
};

class MockKafka {
 public:
  // Brokers are numbered 1..brokers.
  explicit MockKafka(int brokers = 1) {
    char errstr[512];
    // The cluster needs a handle for its bookkeeping; this one is never used to produce.
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
    if (!owner_) Die("mock cluster handle", errstr);
    cluster_.reset(rd_kafka_mock_cluster_new(owner_.get(), brokers));
    if (!cluster_) Die("mock cluster", "rd_kafka_mock_cluster_new failed");
    bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());

    conf = rd_kafka_conf_new();
    const std::pair<const char*, const char*> properties[] = {
        {"bootstrap.servers", bootstrap_servers_.c_str()},
        {"acks", "all"},
        {"linger.ms", "5"},
        {"log_level", "3"},
    };
    for (const auto& [name, value] : properties) {
      if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        Die(name, errstr);
      }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, &MockKafka::OnDelivery);
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
    if (!producer_) Die("producer", errstr);
  }

  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  // Consumers of the cluster must be gone first: destroying it under them leaves them retrying.
  ~MockKafka() {
    if (producer_) rd_kafka_flush(producer_.get(), 10000);
  }

  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  void CreateTopic(const std::string& name, int partitions, int replication = 1) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, replication);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }

  struct Delivered {
    int32_t partition = -1;
    int64_t offset = -1;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  };

  // Produces `values` (to `partition`, or by key / at random with -1) and waits until each is
  // acknowledged. Returns where each landed, in the order given.
  std::vector<Delivered> Produce(const std::string& topic, int32_t partition,
                                 const std::string& key, const std::vector<std::string>& values) {
    std::vector<Delivered> delivered(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      for (;;) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(values[i].data()), values[i].size()),
            RD_KAFKA_V_OPAQUE(&delivered[i]), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_poll(producer_.get(), 100);
          continue;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          ADD_FAILURE() << "produce to " << topic << ": " << rd_kafka_err2str(err);
          delivered[i].err = err;
        }
        break;
      }
    }
    rd_kafka_flush(producer_.get(), 30000);
    for (const Delivered& d : delivered) {
      EXPECT_EQ(d.err, RD_KAFKA_RESP_ERR_NO_ERROR) << "delivery: " << rd_kafka_err2str(d.err);
    }
    return delivered;
  }

  // The group's committed next offset for a partition, or -1 when it has none.
  int64_t Committed(const std::string& group, const std::string& topic, int32_t partition) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers_.c_str(), errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    // Never subscribes, so it does not join the group it asks about.
    HandlePtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)));
    if (!consumer) {
      ADD_FAILURE() << errstr;
      return -1;
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
    const rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), list, 10000);
    int64_t offset = list->elems[0].offset;
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    rd_kafka_topic_partition_list_destroy(list);
    return offset >= 0 ? offset : -1;
  }

  // The next `errors.size()` requests of type `api`, to any broker, fail with these errors in
  // turn (RD_KAFKA_RESP_ERR__TRANSPORT makes the broker drop the connection).
  void PushRequestErrors(ApiKey api, const std::vector<rd_kafka_resp_err_t>& errors) {
    rd_kafka_mock_push_request_errors_array(cluster_.get(), static_cast<int16_t>(api),
                                            errors.size(), errors.data());
  }
  // The same for requests to one broker only; these come before the cluster-wide ones.
  void PushBrokerRequestErrors(int32_t broker, ApiKey api,
                               const std::vector<rd_kafka_resp_err_t>& errors) {
    for (const rd_kafka_resp_err_t err : errors) {
      ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(
                    cluster_.get(), broker, static_cast<int16_t>(api), 1, err, /*rtt_ms=*/0),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }
  // How many of the errors pushed for one broker are still to come.
  size_t BrokerRequestErrorsLeft(int32_t broker, ApiKey api) {
    size_t left = 0;
    EXPECT_EQ(rd_kafka_mock_broker_error_stack_cnt(cluster_.get(), broker,
                                                   static_cast<int16_t>(api), &left),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    return left;
  }
  void ClearRequestErrors(ApiKey api) {
    rd_kafka_mock_clear_request_errors(cluster_.get(), static_cast<int16_t>(api));
  }

  // Disconnects the broker (-1: all) and refuses connections until BrokerUp. Leaders do not
  // move: its partitions are unavailable meanwhile.
  void BrokerDown(int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void BrokerUp(int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void SetPartitionLeader(const std::string& topic, int32_t partition, int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster_.get(), topic.c_str(), partition, broker),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void SetBrokerRtt(int32_t broker, int rtt_ms) {
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_.get(), broker, rtt_ms),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void SetGroupCoordinator(const std::string& group, int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_coordinator_set(cluster_.get(), "group", group.c_str(), broker),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  };
  using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
  struct ClusterDeleter {
    void operator()(rd_kafka_mock_cluster_t* cluster) const {
      rd_kafka_mock_cluster_destroy(cluster);
    }
  };

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    auto* delivered = static_cast<Delivered*>(message->_private);
    delivered->err = message->err;
    delivered->partition = message->partition;
    delivered->offset = message->offset;
  }

  [[noreturn]] static void Die(const char* what, const char* why) {
    std::fprintf(stderr, "MockKafka: %s: %s\n", what, why);
    std::abort();
  }

  // Members are destroyed in reverse order, and the order matters: the cluster lives inside the
  // owner handle's bookkeeping (librdkafka asserts that every mock cluster is destroyed before
  // its handle), and the producer talks to the cluster, so producer, then cluster, then owner.
  HandlePtr owner_;  // declared first so it is destroyed last: the cluster lives inside it
  std::unique_ptr<rd_kafka_mock_cluster_t, ClusterDeleter> cluster_;
  HandlePtr producer_;
  std::string bootstrap_servers_;
};

}  // namespace gongshi::testing
