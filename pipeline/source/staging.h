// Copying broker messages into a batch's padded buffer, shared by the group consumer
// (KafkaSource) and the replay's range reader (KafkaRangeReader): the value, the key and the
// headers of each message, one after the other, so a reused buffer serves them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "pipeline/record/record.h"

struct rd_kafka_message_s;

namespace gongshi {

// Where a message's parts went in its batch's buffer: the value, simdjson's padding, the key,
// the headers (a HeaderReader block). The record views are made from these once the buffer no
// longer grows (a view taken earlier would dangle when the buffer reallocates).
struct StagedMessage {
  size_t at = 0;         // the value's first byte in the batch's buffer
  size_t size = 0;       // value bytes kept (at most max_record_bytes)
  size_t full_size = 0;  // the value's own length
  size_t key_at = 0;
  size_t key_size = 0;
  size_t headers_at = 0;
  size_t headers_size = 0;
  bool key_null = true;
  bool value_null = false;  // a tombstone
  int64_t offset = 0;
  int64_t timestamp_ms = 0;  // broker append or create time; 0 = none
};

// A message's parts as the broker gave them. A null pointer is a null value (a tombstone) or a
// null key, which Kafka tells from an empty one.
struct MessageParts {
  const char* value = nullptr;
  size_t value_size = 0;
  const char* key = nullptr;
  size_t key_size = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
};

// Appends the value (cut to `max_value_bytes`), simdjson's padding and the key to `bytes`; the
// headers follow with StageHeader. Says where they went.
StagedMessage StageMessage(std::vector<char>& bytes, const MessageParts& parts,
                           size_t max_value_bytes);
// Appends one header of the message staged last into `bytes`.
void StageHeader(std::vector<char>& bytes, StagedMessage& staged, std::string_view name,
                 const char* value, size_t size);
// A librdkafka message (value, key, headers, timestamp) through the two above.
StagedMessage StageKafkaMessage(std::vector<char>& bytes, const rd_kafka_message_s& message,
                                size_t max_value_bytes);
// Appends a message staged into another buffer (`from`: KafkaSource keeps a message there while
// its partition cannot take it) and says where it went now.
StagedMessage RestageMessage(std::vector<char>& bytes, std::span<const char> from,
                             const StagedMessage& staged);

// Resizes batch.records to one record per staged message, each a view into batch.bytes; a
// message cut to max_record_bytes is rejected as record_too_large with both sizes, a tombstone as
// kafka_tombstone. Returns how many were cut.
size_t MakeRecordViews(RecordBatch& batch, std::span<const StagedMessage> staged,
                       uint32_t source_index, int32_t partition);

}  // namespace gongshi
