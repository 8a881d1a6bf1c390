// FlushCause: why the batcher closed a feed batch. Here, below the stages, because the batch stage
// decides it and the metrics' gongshi_batches_total{cause} counts by it (metrics/ may not include
// batch/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gongshi {

enum class FlushCause : uint8_t { kNone, kCount, kBytes, kAge, kSchedule, kDeadline };
inline constexpr size_t kFlushCauseCount = static_cast<size_t>(FlushCause::kDeadline) + 1;

// "none", "count", "bytes", "age", "schedule", "deadline": the label values of
// gongshi_batches_total{cause} (none is not one: nothing is flushed).
constexpr std::string_view FlushCauseName(FlushCause cause) {
  switch (cause) {
    case FlushCause::kNone: return "none";
    case FlushCause::kCount: return "count";
    case FlushCause::kBytes: return "bytes";
    case FlushCause::kAge: return "age";
    case FlushCause::kSchedule: return "schedule";
    case FlushCause::kDeadline: return "deadline";
  }
  return "none";
}

}  // namespace gongshi
