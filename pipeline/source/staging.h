// Copying broker messages into a batch's padded buffer, shared by the group consumer
// (KafkaSource) and the replay's range reader (KafkaRangeReader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pipeline/record/record.h"

namespace gongshi {

// Where a message's bytes went in its batch. The record views are made from these once the
// buffer no longer grows (a view taken earlier would dangle when the buffer reallocates).
struct StagedMessage {
  size_t at = 0;         // first byte in the batch's buffer
  size_t size = 0;       // bytes kept (at most max_record_bytes)
  size_t full_size = 0;  // the message's own length
  int64_t offset = 0;
  int64_t timestamp_ms = 0;  // broker append or create time; 0 = none
};

// Appends `size` bytes and simdjson's padding to `bytes`; says where they went.
StagedMessage StageMessage(std::vector<char>& bytes, const char* data, size_t size,
                           size_t full_size, int64_t offset, int64_t timestamp_ms);

// Resizes batch.records to one record per staged message, each a view into batch.bytes; a
// message cut to max_record_bytes is rejected as record_too_large with both sizes. Returns how
// many were cut.
size_t MakeRecordViews(RecordBatch& batch, std::span<const StagedMessage> staged,
                       uint32_t source_index, int32_t partition);

}  // namespace gongshi
