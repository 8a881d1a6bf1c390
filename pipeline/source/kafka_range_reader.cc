#include "pipeline/source/kafka_range_reader.h"

#include <algorithm>
#include <map>

#include <librdkafka/rdkafka.h>

namespace gongshi {
namespace {

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

Error KafkaError(const KafkaRangeOptions& options, rd_kafka_resp_err_t err, std::string_view what) {
  return Error(ErrorCode::kUnavailable,
               fmt::format("{}: {}: {}", options.what, what, rd_kafka_err2str(err)));
}

std::string Bootstrap(const KafkaRangeOptions& options) {
  for (const auto& [name, value] : options.properties) {
    if (name == "bootstrap.servers" || name == "metadata.broker.list") return value;
  }
  return "no bootstrap.servers";
}

}  // namespace

PartitionRange ResolveRange(int32_t partition, int64_t low, int64_t high,
                            const KafkaRangeOptions& options, int64_t from_time_offset,
                            int64_t to_time_offset) {
  PartitionRange range{partition, low, high};
  if (options.from_offset >= 0) range.begin = std::max(low, options.from_offset);
  if (options.to_offset >= 0) range.end = std::min(high, options.to_offset);
  // The broker's answer for a time is the first offset at or after it; -1 says no message is,
  // so the range is empty from there: the time's offset is the partition's end.
  if (from_time_offset != kNoTimeAnswer) {
    range.begin = std::max(range.begin, from_time_offset < 0 ? high : from_time_offset);
  }
  if (to_time_offset != kNoTimeAnswer) {
    range.end = std::min(range.end, to_time_offset < 0 ? high : to_time_offset);
  }
  // Offsets the partition no longer or not yet holds are clamped to it.
  range.begin = std::clamp(range.begin, low, high);
  range.end = std::clamp(range.end, range.begin, high);
  return range;
}

struct KafkaRangeReader::Impl {
  rd_kafka_t* rk = nullptr;
  ~Impl() {
    if (rk != nullptr) {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }
};

KafkaRangeReader::~KafkaRangeReader() = default;

Result<std::unique_ptr<KafkaRangeReader>> KafkaRangeReader::Open(const KafkaRangeOptions& options) {
  std::unique_ptr<KafkaRangeReader> reader(new KafkaRangeReader());
  reader->options_ = options;
  reader->impl_ = std::make_unique<Impl>();
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& name, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("{}: kafka property {}: {}", options.what, name, errstr));
    }
    return Ok();
  };
  for (const auto& [name, value] : options.properties) {
    if (name == "group.id" || name == "partition.assignment.strategy" ||
        name == "group.instance.id") {
      continue;
    }
    if (auto ok = set(name, value); !ok) {
      rd_kafka_conf_destroy(conf);
      return Fail(ok.error());
    }
  }
  // No group: assign() only, nothing committed or stored; the end of a partition is reported so
  // a range that ends at a compacted-away offset still finishes.
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"group.id", "gongshi-replay"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"}}) {
    if (auto ok = set(name, value); !ok) {
      rd_kafka_conf_destroy(conf);
      return Fail(ok.error());
    }
  }
  reader->impl_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (reader->impl_->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("{}: kafka consumer: {}", options.what, errstr));
  }
  rd_kafka_t* rk = reader->impl_->rk;
  rd_kafka_poll_set_consumer(rk);  // errors and logs come with the messages

  // The topic's partitions, from the cluster's list of topics, also when they are given: a topic
  // that does not exist or a partition it lacks is said here, and a broker that does not answer
  // after timeout_ms, rather than as a fetch that waits for ever. The whole list, because asking
  // for one topic by name lets a broker that speaks an older protocol create it.
  std::vector<int32_t> known;
  {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &metadata, options.timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("{}: no answer from the brokers ({}) in {} ms: {}", options.what,
                              Bootstrap(options), options.timeout_ms, rd_kafka_err2str(err)));
    }
    bool found = false;
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      if (options.topic != metadata->topics[t].topic) continue;
      found = true;
      topic_err = metadata->topics[t].err;
      for (int p = 0; p < metadata->topics[t].partition_cnt; ++p) {
        known.push_back(metadata->topics[t].partitions[p].id);
      }
    }
    rd_kafka_metadata_destroy(metadata);
    if (!found || topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("{}: topic {} does not exist (or this client may not see it)",
                              options.what, options.topic));
    }
    if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(KafkaError(options, topic_err, "topic " + options.topic));
    }
    if (known.empty()) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("{}: topic {} has no partitions", options.what, options.topic));
    }
  }
  std::vector<int32_t> partitions = options.partitions;
  if (partitions.empty()) partitions = known;
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  for (int32_t p : partitions) {
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("{}: topic {} has no partition {} (it has {})", options.what,
                              options.topic, p, known.size()));
    }
  }

  // Offsets for the broker timestamps (the first message at or after each time).
  std::map<int32_t, int64_t> from_time, to_time;
  auto for_times = [&](int64_t ms, std::map<int32_t, int64_t>& out) -> Status {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (int32_t p : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p)->offset = ms;
    }
    if (auto err = rd_kafka_offsets_for_times(rk, list.get(), options.timeout_ms);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(KafkaError(options, err, "offsets for times"));
    }
    for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
    return Ok();
  };
  if (options.from_ms > 0) {
    if (auto ok = for_times(options.from_ms, from_time); !ok) return Fail(ok.error());
  }
  if (options.to_ms > 0) {
    if (auto ok = for_times(options.to_ms, to_time); !ok) return Fail(ok.error());
  }
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(rk, options.topic.c_str(), p, &low, &high,
                                                    options.timeout_ms);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(KafkaError(options, err, fmt::format("watermarks of {}[{}]", options.topic, p)));
    }
    const auto from = from_time.find(p);
    const auto to = to_time.find(p);
    const PartitionRange range =
        ResolveRange(p, low, high, options, from == from_time.end() ? kNoTimeAnswer : from->second,
                     to == to_time.end() ? kNoTimeAnswer : to->second);
    reader->ranges_.push_back(range);
  }
  return reader;
}

Status KafkaRangeReader::Seek(int32_t partition, int64_t offset) {
  auto it = std::find_if(ranges_.begin(), ranges_.end(),
                         [&](const PartitionRange& r) { return r.partition == partition; });
  if (it == ranges_.end()) {
    return Fail(ErrorCode::kInternal,
                fmt::format("{}: partition {} not in range", options_.what, partition));
  }
  partition_ = partition;
  end_ = it->end;
  next_ = std::clamp(offset, it->begin, it->end);
  if (next_ >= end_) return Ok();
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), partition)->offset = next_;
  if (auto err = rd_kafka_assign(impl_->rk, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(KafkaError(options_, err, "assign"));
  }
  return Ok();
}

Result<bool> KafkaRangeReader::Fill(RecordBatch& batch, size_t max_records, size_t max_bytes,
                                    std::chrono::milliseconds max_wait) {
  batch.Clear();
  staged_.clear();
  size_t bytes = 0;
  const auto now = std::chrono::steady_clock::now();
  const auto until = now + max_wait;
  if (last_progress_ == std::chrono::steady_clock::time_point{}) last_progress_ = now;
  while (next_ < end_ && staged_.size() < max_records && bytes < max_bytes) {
    // Once something is staged, do not wait long for more: hand out what there is.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    const int wait_ms = staged_.empty() ? static_cast<int>(std::max<int64_t>(left.count(), 0)) : 0;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(impl_->rk, wait_ms);
    if (message == nullptr) {
      if (!staged_.empty() || left.count() > 0) break;
      // Nothing for a while where the range says there is more: the broker is unreachable (or
      // the messages were deleted). Said once per timeout; the caller retries.
      if (std::chrono::steady_clock::now() - last_progress_ >
          std::chrono::milliseconds(options_.timeout_ms)) {
        last_progress_ = std::chrono::steady_clock::now();
        return Fail(
            ErrorCode::kUnavailable,
            fmt::format("{}: {}[{}]: nothing received for {} ms at offset {}", options_.what,
                        options_.topic, partition_, options_.timeout_ms, next_));
      }
      break;
    }
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> owned(
        message, &rd_kafka_message_destroy);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The end of the log (the range's end was at most there at Open): nothing more comes,
      // also when the last offsets of the range hold no message (compaction, transaction
      // markers).
      if (message->partition == partition_ && message->offset >= next_) {
        next_ = end_;
        break;
      }
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(
          KafkaError(options_, message->err, fmt::format("{}[{}]", options_.topic, partition_)));
    }
    if (message->partition != partition_ || message->offset < next_) continue;
    if (message->offset >= end_) {
      next_ = end_;
      break;
    }
    staged_.push_back(StageKafkaMessage(batch.bytes, *message, options_.max_record_bytes));
    bytes += staged_.back().size + staged_.back().key_size + staged_.back().headers_size;
    next_ = message->offset + 1;
    last_progress_ = std::chrono::steady_clock::now();
  }
  if (next_ >= end_) {
    (void)rd_kafka_assign(impl_->rk, nullptr);
    if (staged_.empty()) return false;
  }
  // The views only now: batch.bytes no longer grows.
  MakeRecordViews(batch, staged_, options_.source_index, partition_);
  return true;
}

}  // namespace gongshi
