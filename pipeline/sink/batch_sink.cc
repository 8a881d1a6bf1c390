#include "pipeline/sink/batch_sink.h"

#include <utility>

namespace gongshi {
namespace {

class FeedFileSink final : public BatchSink {
 public:
  explicit FeedFileSink(FeedWriter& feeds) : feeds_(feeds) {}
  std::string_view name() const override { return "feed files"; }
  Phase phase() const override { return Phase::kStagedFiles; }
  Status Write(SinkBatch& out) override {
    return feeds_.Write(out.batch, out.info, out.chains, out.files, out.feed_stats, out.rendered);
  }

 private:
  FeedWriter& feeds_;
};

class DeadLetterFileSink final : public BatchSink {
 public:
  explicit DeadLetterFileSink(DeadLetterWriter& dead_letter) : dead_letter_(dead_letter) {}
  std::string_view name() const override { return "dead-letter files"; }
  Phase phase() const override { return Phase::kStagedFiles; }
  Status Write(SinkBatch& out) override {
    return dead_letter_.Write(out.batch, out.info, out.files, out.dead_letter_stats);
  }

 private:
  DeadLetterWriter& dead_letter_;
};

class KafkaFeedBatchSink final : public BatchSink {
 public:
  KafkaFeedBatchSink(std::unique_ptr<KafkaFeedSink> sink, std::string out_dir)
      : sink_(std::move(sink)), out_dir_(std::move(out_dir)) {}
  std::string_view name() const override { return "kafka feed"; }
  Phase phase() const override { return Phase::kAcknowledged; }
  Status Write(SinkBatch& out) override {
    if (out.feed_stats.feed_files.empty()) return Ok();
    return sink_->Send(out_dir_, out.info, out.feed_stats.feed_files);
  }

 private:
  std::unique_ptr<KafkaFeedSink> sink_;
  std::string out_dir_;
};

class DeadLetterTopicSink final : public BatchSink {
 public:
  DeadLetterTopicSink(std::unique_ptr<KafkaProducer> producer, std::string topic,
                      std::vector<std::string> source_topics, const DeadLetterWriter& dead_letter,
                      OriginalSealer sealer)
      : producer_(std::move(producer)),
        topic_(std::move(topic)),
        source_topics_(std::move(source_topics)),
        dead_letter_(dead_letter),
        sealer_(std::move(sealer)) {}
  std::string_view name() const override { return "dead-letter topic"; }
  Phase phase() const override { return Phase::kAcknowledged; }
  Status Write(SinkBatch& out) override {
    if (out.info.replay) return Ok();
    bool any = false;
    for (const Record& record : out.batch.records) {
      if (record.outcome != Outcome::kRejected) continue;
      any = true;
      const uint32_t index = record.position.source_index;
      const std::string& source = index < source_topics_.size() ? source_topics_[index] : topic_;
      MakeDeadLetterTopicMessage(record, source, dead_letter_.Message(record), sealer_, message_);
      // A null key stays null (a view without data); an empty one is sent empty.
      if (auto queued = producer_->Produce(
              topic_, -1, message_.key_null ? std::string_view() : std::string_view(message_.key),
              message_.value, message_.headers);
          !queued) {
        return queued;
      }
    }
    return any ? producer_->Flush() : Ok();
  }

 private:
  std::unique_ptr<KafkaProducer> producer_;
  std::string topic_;
  std::vector<std::string> source_topics_;
  const DeadLetterWriter& dead_letter_;
  OriginalSealer sealer_;
  DeadLetterTopicMessage message_;  // reused
};

class OutboxSink final : public BatchSink {
 public:
  std::string_view name() const override { return "http outbox"; }
  Phase phase() const override { return Phase::kInCommit; }
  Status Write(SinkBatch&) override { return Ok(); }
  void AddToCommit(const SinkBatch& out, StateStore::Transaction& transaction) const override {
    if (out.feed_stats.feed_files.empty()) return;
    OutboxEntry entry;
    entry.sequence = out.info.sequence;
    entry.batch_id = out.info.batch_id;
    entry.files = out.feed_stats.feed_files;
    entry.records = out.feed_stats.lines();
    transaction.PutOutbox(entry);
  }
};

}  // namespace

std::unique_ptr<BatchSink> MakeFeedFileSink(FeedWriter& feeds) {
  return std::make_unique<FeedFileSink>(feeds);
}
std::unique_ptr<BatchSink> MakeDeadLetterFileSink(DeadLetterWriter& dead_letter) {
  return std::make_unique<DeadLetterFileSink>(dead_letter);
}
std::unique_ptr<BatchSink> MakeKafkaFeedSink(std::unique_ptr<KafkaFeedSink> sink,
                                             std::string out_dir) {
  return std::make_unique<KafkaFeedBatchSink>(std::move(sink), std::move(out_dir));
}
std::unique_ptr<BatchSink> MakeDeadLetterTopicSink(std::unique_ptr<KafkaProducer> producer,
                                                   std::string topic,
                                                   std::vector<std::string> source_topics,
                                                   const DeadLetterWriter& dead_letter,
                                                   OriginalSealer sealer) {
  return std::make_unique<DeadLetterTopicSink>(std::move(producer), std::move(topic),
                                               std::move(source_topics), dead_letter,
                                               std::move(sealer));
}
std::unique_ptr<BatchSink> MakeOutboxSink() { return std::make_unique<OutboxSink>(); }

}  // namespace gongshi
