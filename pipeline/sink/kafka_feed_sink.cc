#include "pipeline/sink/kafka_feed_sink.h"

#include "pipeline/common/atomic_file.h"

namespace gongshi {

Result<std::unique_ptr<KafkaFeedSink>> KafkaFeedSink::Create(
    const std::vector<std::pair<std::string, std::string>>& properties, std::string license_topic,
    std::string penalty_topic) {
  auto producer = KafkaProducer::Create(properties);
  if (!producer) return Fail(producer.error());
  std::unique_ptr<KafkaFeedSink> sink(new KafkaFeedSink());
  sink->producer_ = std::move(*producer);
  sink->license_topic_ = std::move(license_topic);
  sink->penalty_topic_ = std::move(penalty_topic);
  return sink;
}

Status KafkaFeedSink::Send(const std::string& out_dir, const BatchInfo& info,
                           const std::vector<std::string>& feed_files) {
  constexpr std::string_view kRecordId = "\"record_id\":\"";
  constexpr std::string_view kWithdraw = "{\"op\":\"withdraw\"";
  constexpr std::string_view kUpsert = "{\"op\":\"upsert\"";
  // The same for every line of the batch but the op: made once per batch, not per line.
  std::vector<ProducedHeader> upsert = {{"gongshi.batch_id", info.batch_id},
                                        {"gongshi.batch_sequence", std::to_string(info.sequence)},
                                        {"gongshi.op", "upsert"}};
  std::vector<ProducedHeader> withdraw = upsert;
  withdraw.back().value = "withdraw";
  for (const std::string& file : feed_files) {
    const std::string& topic =
        file.rfind("feeds/license/", 0) == 0 ? license_topic_ : penalty_topic_;
    auto body = ReadSmallFile(out_dir + "/" + file, 1ull << 30);
    if (!body) return Fail(body.error());
    std::string_view rest(*body);
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (line.empty()) continue;
      // FeedWriter's lines start {"op":"...","kind":"...","record_id":"<32 hex>".
      const bool is_withdraw = line.substr(0, kWithdraw.size()) == kWithdraw;
      const size_t id_at = line.find(kRecordId);
      if ((!is_withdraw && line.substr(0, kUpsert.size()) != kUpsert) ||
          id_at == std::string_view::npos || line.size() < id_at + kRecordId.size() + 32) {
        return Fail(ErrorCode::kInternal,
                    fmt::format("kafka sink: a line of {} is not a feed line", file));
      }
      const std::string_view key = line.substr(id_at + kRecordId.size(), 32);
      if (auto queued = producer_->Produce(topic, -1, key, line, is_withdraw ? withdraw : upsert);
          !queued) {
        return queued;
      }
    }
  }
  return producer_->Flush();
}

}  // namespace gongshi
