// MockKafka: librdkafka's in-process mock cluster on loopback, a real producer that writes to it
// over TCP, plain clients that read a topic or a group's offsets the way an operator's tools would
// (not through gongshi's code), and the fault injection the Kafka tests need. Every use of the
// experimental mock API (rdkafka_mock.h, no stability promise) is in this file, so an upgrade
// changes one place.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
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
  // Brokers are numbered 1..brokers. `producer_properties` add to (or override) the producer's.
  explicit MockKafka(
      int brokers = 1,
      const std::vector<std::pair<std::string, std::string>>& producer_properties = {}) {
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
    for (const auto& [name, value] : producer_properties) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
          RD_KAFKA_CONF_OK) {
        Die(name.c_str(), errstr);
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

  // One message to produce: to `partition`, or by key (librdkafka's default partitioner, as a
  // producer of the source topics would) with -1.
  struct Outgoing {
    std::string key;  // empty: no key
    std::string value;
    int32_t partition = -1;
  };

  // Produces `messages` and waits until each is acknowledged. Returns where each landed, in the
  // order given.
  std::vector<Delivered> Produce(const std::string& topic, const std::vector<Outgoing>& messages) {
    auto delivered = Queue(topic, messages);
    EXPECT_TRUE(FlushQueued(30000)) << "not every message to " << topic << " was acknowledged";
    for (const Delivered& d : *delivered) {
      EXPECT_EQ(d.err, RD_KAFKA_RESP_ERR_NO_ERROR) << "delivery: " << rd_kafka_err2str(d.err);
    }
    return std::move(*delivered);
  }

  // Queues `messages` without waiting (a broker may be down: they wait in the producer). Each
  // slot of the result is filled in when its message is acknowledged; FlushQueued waits for all.
  std::unique_ptr<std::vector<Delivered>> Queue(const std::string& topic,
                                                const std::vector<Outgoing>& messages) {
    auto delivered = std::make_unique<std::vector<Delivered>>(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      const Outgoing& m = messages[i];
      for (;;) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_PARTITION(m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
            RD_KAFKA_V_OPAQUE(&(*delivered)[i]), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_poll(producer_.get(), 100);
          continue;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          ADD_FAILURE() << "produce to " << topic << ": " << rd_kafka_err2str(err);
          (*delivered)[i].err = err;
        }
        break;
      }
    }
    rd_kafka_poll(producer_.get(), 0);
    return delivered;
  }

  // Waits until every queued message is acknowledged (or failed); false after `timeout_ms`.
  bool FlushQueued(int timeout_ms) {
    return rd_kafka_flush(producer_.get(), timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // Gives up every message queued and not yet acknowledged, and waits for their delivery reports
  // (failed with _PURGE_QUEUE/_PURGE_INFLIGHT): after this, no report refers to a slot of Queue's.
  void PurgeQueued() {
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_.get(), 10000);
  }

  // The partition's end (high watermark: the offset the next message will get), asked of the
  // broker now. A leader moved by the test is asked again once the client has learnt it.
  int64_t EndOffset(const std::string& topic, int32_t partition) {
    int64_t low = -1, high = -1;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < 50; ++attempt) {
      err = rd_kafka_query_watermark_offsets(producer_.get(), topic.c_str(), partition, &low, &high,
                                             10000);
      if (err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
          err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
        break;
      }
      // The answer makes librdkafka refresh the partition's leader; give it a moment.
      rd_kafka_poll(producer_.get(), 200);
    }
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << topic << "[" << partition << "]";
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? high : -1;
  }

  // The group's committed next offset for each of `partitions` of each topic (-1: none), by
  // (topic, partition), asked of the coordinator with one request. The client is kept per group
  // and never subscribes, so asking often is cheap and does not join the group.
  std::map<std::pair<std::string, int32_t>, int64_t> CommittedOffsets(
      const std::string& group, const std::vector<std::string>& topics, int32_t partitions) {
    std::map<std::pair<std::string, int32_t>, int64_t> out;
    rd_kafka_t* client = GroupClient(group);
    if (client == nullptr) return out;
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()) * partitions);
    for (const std::string& topic : topics) {
      for (int32_t p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
      }
    }
    const rd_kafka_resp_err_t err = rd_kafka_committed(client, list, 10000);
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      out[{tp.topic, tp.partition}] = err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                                              tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0
                                          ? tp.offset
                                          : -1;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return out;
  }

  // Commits offsets for `group` as a plain client would (an operator's reset tool: no member of
  // the group, so only while the group has no members). Returns librdkafka's verdict.
  rd_kafka_resp_err_t CommitOffsets(
      const std::string& group,
      const std::vector<std::pair<std::pair<std::string, int32_t>, int64_t>>& offsets) {
    rd_kafka_t* client = GroupClient(group);
    if (client == nullptr) return RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& [tp, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset = offset;
    }
    rd_kafka_resp_err_t err = rd_kafka_commit(client, list, /*async=*/0);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      err = list->elems[i].err;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return err;
  }

  struct Header {
    std::string name;
    bool null = false;
    std::string value;
  };
  struct Consumed {
    std::string topic;
    int32_t partition = -1;
    int64_t offset = -1;
    bool key_null = true;
    std::string key;
    bool value_null = false;
    std::string value;
    std::vector<Header> headers;

    // The last header of that name; "(absent)" when there is none, "(null)" for a null value.
    std::string header(const std::string& name) const {
      std::string found = "(absent)";
      for (const Header& h : headers) {
        if (h.name == name) found = h.null ? "(null)" : h.value;
      }
      return found;
    }
  };

  // Every message of `partitions` partitions of each topic, from the first offset to the end
  // each partition has as this is called: read with a plain consumer (assigned, no group), until
  // every partition reported its end, so nothing that is there (a late duplicate included) is
  // missed, and nothing is waited for that is not. In (topic, partition, offset) order.
  std::vector<Consumed> ReadToEnd(const std::vector<std::string>& topics, int32_t partitions,
                                  std::chrono::seconds deadline = std::chrono::seconds(120)) {
    std::vector<Consumed> out;
    std::map<std::pair<std::string, int32_t>, int64_t> ends;
    for (const std::string& topic : topics) {
      for (int32_t p = 0; p < partitions; ++p) ends[{topic, p}] = EndOffset(topic, p);
    }
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::pair<const char*, const char*> properties[] = {
        {"bootstrap.servers", bootstrap_servers_.c_str()},
        {"group.id", "mock-kafka-reader"},  // required by the consumer; nothing is committed
        {"enable.auto.commit", "false"},
        {"enable.partition.eof", "true"},
        {"log_level", "3"},
    };
    for (const auto& [name, value] : properties) {
      if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        Die(name, errstr);
      }
    }
    HandlePtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)));
    if (!consumer) Die("reader", errstr);
    rd_kafka_poll_set_consumer(consumer.get());
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(ends.size()));
    size_t open = 0;
    for (const auto& [tp, end] : ends) {
      if (end <= 0) continue;  // empty: nothing to read, and no EOF would be needed
      rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
      ++open;
    }
    EXPECT_EQ(rd_kafka_assign(consumer.get(), list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    std::set<std::pair<std::string, int32_t>> done;  // read to their end
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (open > 0 && std::chrono::steady_clock::now() < until) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
      if (m == nullptr) continue;
      const std::pair<std::string, int32_t> tp{rd_kafka_topic_name(m->rkt), m->partition};
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // An EOF short of the end asked for would mean the broker lost messages: keep reading,
        // and the deadline says so.
        if (m->offset >= ends[tp] && done.insert(tp).second) --open;
      } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Consumed c;
        c.topic = tp.first;
        c.partition = m->partition;
        c.offset = m->offset;
        c.key_null = m->key == nullptr;
        if (m->key != nullptr) c.key.assign(static_cast<const char*>(m->key), m->key_len);
        c.value_null = m->payload == nullptr;
        if (m->payload != nullptr) c.value.assign(static_cast<const char*>(m->payload), m->len);
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name = nullptr;
          const void* value = nullptr;
          size_t size = 0;
          for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                             RD_KAFKA_RESP_ERR_NO_ERROR;
               ++i) {
            c.headers.push_back(
                {name, value == nullptr,
                 value == nullptr ? "" : std::string(static_cast<const char*>(value), size)});
          }
        }
        out.push_back(std::move(c));
      }
      rd_kafka_message_destroy(m);
    }
    EXPECT_EQ(open, 0u) << "partitions not read to their end within the deadline";
    rd_kafka_consumer_close(consumer.get());
    std::sort(out.begin(), out.end(), [](const Consumed& a, const Consumed& b) {
      return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
    });
    return out;
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
  // The next `n` requests of type `api` to one broker are answered, without an error, only after
  // `rtt_ms` (the other requests keep their pace).
  void DelayBrokerRequests(int32_t broker, ApiKey api, size_t n, int rtt_ms) {
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(cluster_.get(), broker,
                                                             static_cast<int16_t>(api), 1,
                                                             RD_KAFKA_RESP_ERR_NO_ERROR, rtt_ms),
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

  // A consumer with group.id `group` that never subscribes (so it never joins the group), kept
  // for the cluster's life: asking for or committing offsets with it takes one request.
  rd_kafka_t* GroupClient(const std::string& group) {
    HandlePtr& client = group_clients_[group];
    if (!client) {
      char errstr[512];
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers_.c_str(), errstr,
                        sizeof(errstr));
      rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof(errstr));
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
      client.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)));
      if (!client) ADD_FAILURE() << "group client: " << errstr;
    }
    return client.get();
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
  std::map<std::string, HandlePtr> group_clients_;  // destroyed first: they talk to the cluster
  std::string bootstrap_servers_;
};

}  // namespace gongshi::testing
