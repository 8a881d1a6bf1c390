#include "pipeline/service/publisher.h"

#include <algorithm>
#include <cstring>

namespace gongshi {
namespace {

std::string SourceIdOf(const TopicPartition& tp) {
  return fmt::format("kafka:{}:{}", tp.topic, tp.partition);
}

// The deadlines of the records a failed attempt was about to publish: exact, unlike a probe,
// because dedupe and redaction had run.
void PublishableDeadlines(const RecordBatch& batch, std::vector<int32_t>& out) {
  for (const Record& record : batch.records) {
    if ((record.outcome == Outcome::kPublished || record.outcome == Outcome::kUpdated) &&
        record.deadline_day != 0) {
      out.push_back(record.deadline_day);
    }
  }
}

}  // namespace

FlushCause MetricsCause(FlushCause cause) {
  switch (cause) {
    case FlushCause::kNone:
    case FlushCause::kAge: return FlushCause::kAge;
    case FlushCause::kCount: return FlushCause::kCount;
    case FlushCause::kBytes: return FlushCause::kBytes;
    case FlushCause::kSchedule: return FlushCause::kSchedule;
    case FlushCause::kDeadline: return FlushCause::kDeadline;
  }
  return FlushCause::kAge;
}

Result<BatchPolicy> MakeBatchPolicy(const BatchConfig& config) {
  BatchPolicy policy;
  policy.max_records = config.max_records;
  policy.max_bytes = config.max_bytes;
  policy.max_age_ms = static_cast<int64_t>(config.max_age_ms);
  policy.deadline_margin_working_days = config.deadline_margin_working_days;
  for (const std::string& entry : config.schedule) {
    auto slots = ParseScheduleEntry(entry);
    if (!slots) return Fail(slots.error());
    policy.schedule.insert(policy.schedule.end(), slots->begin(), slots->end());
  }
  return policy;
}

Publisher::Publisher(Pipeline& pipeline, const WorkingCalendar& calendar, int region_index,
                     BatchPolicy policy, ProgressFn progress)
    : pipeline_(pipeline),
      batcher_(std::move(policy), calendar, region_index),
      progress_(std::move(progress)) {}

void Publisher::Append(const PartitionBatch& polled, Held& held) {
  const RecordBatch& batch = polled.batch;
  const size_t base = held.bytes.size();
  held.bytes.insert(held.bytes.end(), batch.bytes.begin(), batch.bytes.end());
  for (const Record& record : batch.records) {
    HeldMessage message;
    message.position = record.position;
    // Views into the batch's bytes, kept as offsets: the held buffer grows and moves.
    auto offset_of = [&](std::string_view view) {
      return view.data() == nullptr
                 ? size_t{0}
                 : base + static_cast<size_t>(view.data() - batch.bytes.data());
    };
    message.offset = offset_of(record.raw);
    message.size = record.raw.size();
    message.key_offset = offset_of(record.key);
    message.key_size = record.key.size();
    message.headers_offset = offset_of(record.headers);
    message.headers_size = record.headers.size();
    message.key_null = record.key_null;
    message.value_null = record.value_null;
    message.too_large = record.reject_reason == RejectReason::kRecordTooLarge;
    if (message.too_large) message.too_large_detail = record.reject_detail;
    held.messages.push_back(message);
  }
  if (held.first_offset < 0) held.first_offset = polled.first_offset;
  held.end_offset = polled.end_offset;
}

void Publisher::LayOut(Held& held) {
  batch_.Clear();
  std::swap(batch_.bytes, held.bytes);  // views below point into it; nothing appends later
  batch_.records.resize(held.messages.size());
  for (size_t i = 0; i < held.messages.size(); ++i) {
    const HeldMessage& message = held.messages[i];
    Record& record = batch_.records[i];
    record.Clear();
    record.position = message.position;
    record.raw = std::string_view(batch_.bytes.data() + message.offset, message.size);
    record.json = record.raw;
    record.key = std::string_view(batch_.bytes.data() + message.key_offset, message.key_size);
    record.headers =
        std::string_view(batch_.bytes.data() + message.headers_offset, message.headers_size);
    record.key_null = message.key_null;
    record.value_null = message.value_null;
    if (message.value_null) {
      record.Reject(RejectReason::kKafkaTombstone);
    } else if (message.too_large) {
      record.Reject(RejectReason::kRecordTooLarge, -1, message.too_large_detail);
    }
  }
}

Status Publisher::Offer(PartitionBatch& polled, int64_t now_ms, const PublishedFn& published) {
  if (polled.batch.records.empty()) return Ok();
  uint64_t bytes = 0;
  for (const Record& record : polled.batch.records) bytes += record.raw.size();
  Held& held = held_[polled.tp];
  deadlines_.clear();
  if (!batcher_.holds() && held.messages.empty() && !held.failing) {
    // A continuous feed with nothing waiting: the polled batch goes out as it is, uncopied.
    HeldRecords now_held;
    now_held.Add(polled.batch.records.size(), bytes, now_ms, {});
    const FlushCause cause = batcher_.Due(now_held, now_ms);
    auto done = Flush(polled.tp, polled.batch, polled.first_offset, polled.end_offset, held, cause,
                      now_ms, published);
    if (!done) return Fail(done.error());
    if (*done) {
      held_.erase(polled.tp);
      return Ok();
    }
    // The sink is down: keep the messages, with the deadlines the attempt computed.
    Append(polled, held);
    held.held.Add(polled.batch.records.size(), bytes, now_ms, deadlines_);
    return Ok();
  }
  if (batcher_.holds() || held.failing) pipeline_.ProbeDeadlines(polled.batch, deadlines_);
  Append(polled, held);
  held.held.Add(polled.batch.records.size(), bytes, now_ms, deadlines_);
  return Ok();
}

Status Publisher::PublishDue(int64_t now_ms, const PublishedFn& published) {
  for (auto it = held_.begin(); it != held_.end();) {
    const TopicPartition tp = it->first;
    Held& held = it->second;
    ++it;
    if (held.messages.empty()) continue;
    if (held.failing && now_ms < held.retry_at_ms) continue;
    const FlushCause cause = held.failing ? held.cause : batcher_.Due(held.held, now_ms);
    if (cause == FlushCause::kNone) continue;
    const int64_t first = held.first_offset, end = held.end_offset;
    LayOut(held);
    auto done = Flush(tp, batch_, first, end, held, cause, now_ms, published);
    if (!done) return Fail(done.error());
    if (*done) {
      held_.erase(tp);
    } else {
      std::swap(batch_.bytes, held.bytes);  // the messages stay held for the retry
    }
  }
  return Ok();
}

Result<bool> Publisher::Flush(const TopicPartition& tp, RecordBatch& batch, int64_t first_offset,
                              int64_t end_offset, Held& held, FlushCause cause, int64_t now_ms,
                              const PublishedFn& published) {
  SourceProgress* progress = progress_(tp);
  if (progress == nullptr) return true;  // no longer ours: the new owner reads it again
  BatchInfo info;
  info.source_name = tp.topic;
  info.partition = tp.partition;
  info.generation = progress->generation;
  info.first_offset = first_offset;
  info.end_offset = end_offset;
  info.published_ms = now_ms;
  const SourceProgress before = *progress;
  progress->next_offset = end_offset;
  BatchCounts counts;
  auto done = pipeline_.ProcessBatch(batch, info, SourceIdOf(tp), *progress, &counts);
  if (!done) {
    *progress = before;
    if (done.error().code() != ErrorCode::kUnavailable) return Fail(done.error());
    if (!held.failing && held.messages.empty()) {
      // The first failure of a batch that was never held (a continuous feed): its deadlines come
      // from this attempt, for Offer to hold with it.
      deadlines_.clear();
      PublishableDeadlines(batch, deadlines_);
    }
    batch.ResetOutcomes();
    held.cause = cause;
    MarkFailing(held, now_ms, done.error());
    return false;
  }
  if (held.failing) {
    held.failing = false;
    --failing_partitions_;
    if (failing_partitions_ == 0) last_error_.clear();
  }
  counts.CountFlush(MetricsCause(cause), batch.records.size(), 0);
  if (published) published(tp, end_offset, batch, counts);
  return true;
}

void Publisher::MarkFailing(Held& held, int64_t now_ms, const Error& error) {
  if (!held.failing) {
    held.failing = true;
    ++failing_partitions_;
    held.backoff = std::chrono::milliseconds(100);
  } else {
    held.backoff = std::min(held.backoff * 2, std::chrono::milliseconds(30000));
  }
  held.retry_at_ms = now_ms + held.backoff.count();
  ++failed_attempts_;
  last_error_ = error.message();
}

void Publisher::Drop(const TopicPartition& tp) {
  auto it = held_.find(tp);
  if (it == held_.end()) return;
  if (it->second.failing) --failing_partitions_;
  held_.erase(it);
  if (failing_partitions_ == 0) last_error_.clear();
}

uint64_t Publisher::DropAll() {
  const uint64_t records = held_records();
  held_.clear();
  failing_partitions_ = 0;
  last_error_.clear();
  return records;
}

uint64_t Publisher::held_records() const {
  uint64_t n = 0;
  for (const auto& [tp, held] : held_) n += held.messages.size();
  return n;
}

uint64_t Publisher::max_partition_records() const {
  uint64_t n = 0;
  for (const auto& [tp, held] : held_) n = std::max<uint64_t>(n, held.messages.size());
  return n;
}

DeadlineRisk Publisher::Risk(int64_t now_ms) const {
  DeadlineRisk risk;
  for (const auto& [tp, held] : held_) batcher_.AddRisk(held.held, now_ms, risk);
  return risk;
}

}  // namespace gongshi
