#include "pipeline/source/staging.h"

#include <algorithm>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <simdjson.h>

namespace gongshi {

StagedMessage StageMessage(std::vector<char>& bytes, const MessageParts& parts,
                           size_t max_value_bytes) {
  StagedMessage staged;
  staged.offset = parts.offset;
  staged.timestamp_ms = parts.timestamp_ms;
  staged.value_null = parts.value == nullptr;
  staged.full_size = staged.value_null ? 0 : parts.value_size;
  staged.size = std::min(staged.full_size, max_value_bytes);
  staged.at = bytes.size();
  if (staged.size > 0) bytes.insert(bytes.end(), parts.value, parts.value + staged.size);
  bytes.insert(bytes.end(), simdjson::SIMDJSON_PADDING, ' ');
  staged.key_null = parts.key == nullptr;
  staged.key_at = bytes.size();
  staged.key_size = staged.key_null ? 0 : parts.key_size;
  if (staged.key_size > 0) bytes.insert(bytes.end(), parts.key, parts.key + staged.key_size);
  staged.headers_at = bytes.size();
  return staged;
}

void StageHeader(std::vector<char>& bytes, StagedMessage& staged, std::string_view name,
                 const char* value, size_t size) {
  const size_t before = bytes.size();
  AppendHeader(bytes, name, value, size);
  staged.headers_size += bytes.size() - before;
}

StagedMessage StageKafkaMessage(std::vector<char>& bytes, const rd_kafka_message_t& message,
                                size_t max_value_bytes) {
  MessageParts parts;
  parts.value = static_cast<const char*>(message.payload);
  parts.value_size = message.len;
  parts.key = static_cast<const char*>(message.key);
  parts.key_size = message.key_len;
  parts.offset = message.offset;
  // The broker's append time (or the producer's create time): end-to-end latency and the
  // audit's arrival day are measured from it.
  rd_kafka_timestamp_type_t type;
  const int64_t timestamp = rd_kafka_message_timestamp(&message, &type);
  parts.timestamp_ms = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0 : timestamp;
  StagedMessage staged = StageMessage(bytes, parts, max_value_bytes);
  // librdkafka parses a message's headers on this first call (an allocation, only for a
  // message that has headers); they are copied out and freed with the message.
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      StageHeader(bytes, staged, name, static_cast<const char*>(value), size);
    }
  }
  return staged;
}

StagedMessage RestageMessage(std::vector<char>& bytes, std::span<const char> from,
                             const StagedMessage& staged) {
  const size_t base = bytes.size();
  bytes.insert(bytes.end(), from.begin(), from.end());
  StagedMessage moved = staged;
  moved.at += base;
  moved.key_at += base;
  moved.headers_at += base;
  return moved;
}

size_t MakeRecordViews(RecordBatch& batch, std::span<const StagedMessage> staged,
                       uint32_t source_index, int32_t partition) {
  size_t cut = 0;
  batch.records.resize(staged.size());
  for (size_t i = 0; i < staged.size(); ++i) {
    const StagedMessage& s = staged[i];
    Record& record = batch.records[i];
    record.Clear();
    record.position = {source_index, partition, s.offset, 0, s.timestamp_ms};
    record.raw = std::string_view(batch.bytes.data() + s.at, s.size);
    record.json = record.raw;  // the padding follows in batch.bytes
    record.key = std::string_view(batch.bytes.data() + s.key_at, s.key_size);
    record.key_null = s.key_null;
    record.headers = std::string_view(batch.bytes.data() + s.headers_at, s.headers_size);
    record.value_null = s.value_null;
    if (s.value_null) {
      record.Reject(RejectReason::kKafkaTombstone);
    } else if (s.full_size > s.size) {
      ++cut;
      record.Reject(RejectReason::kRecordTooLarge, -1,
                    batch.arena.Copy(fmt::format("{} bytes; the dead-letter keeps the first {}",
                                                 s.full_size, s.size)));
    }
  }
  return cut;
}

}  // namespace gongshi
