#include "pipeline/source/staging.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace gongshi {

StagedMessage StageMessage(std::vector<char>& bytes, const char* data, size_t size,
                           size_t full_size, int64_t offset, int64_t timestamp_ms) {
  const size_t at = bytes.size();
  bytes.insert(bytes.end(), data, data + size);
  bytes.insert(bytes.end(), simdjson::SIMDJSON_PADDING, ' ');
  return {at, size, full_size, offset, timestamp_ms};
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
    if (s.full_size > s.size) {
      ++cut;
      record.Reject(RejectReason::kRecordTooLarge, -1,
                    batch.arena.Copy(fmt::format("{} bytes; the dead-letter keeps the first {}",
                                                 s.full_size, s.size)));
    }
  }
  return cut;
}

}  // namespace gongshi
