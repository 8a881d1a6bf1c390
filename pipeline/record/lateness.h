// Lateness: who is to blame for a late publication (spec "Deadlines"). Here and not with the audit
// ledger because the ledger (state/), the audit report and the metrics' deadline counters all
// index by it, and metrics/ may not include a stage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gongshi {

enum class Lateness : uint8_t {
  kNotPublished = 0,  // duplicate, withheld, rejected: no publication to time
  kOnTime = 1,        // published by 24:00 Asia/Shanghai on the deadline day
  kSourceLate = 2,    // arrived after its deadline, or with less slack than the pipeline needs
  kPipelineLate = 3,  // arrived in time and the pipeline missed: should be zero
};
inline constexpr size_t kLatenessCount = 4;

// "not_published", "on_time", "source_late", "pipeline_late": the ledger's, the audit report's
// and the label values of gongshi_deadline_records_total{lateness}.
constexpr std::string_view LatenessCode(Lateness lateness) {
  switch (lateness) {
    case Lateness::kNotPublished: return "not_published";
    case Lateness::kOnTime: return "on_time";
    case Lateness::kSourceLate: return "source_late";
    case Lateness::kPipelineLate: return "pipeline_late";
  }
  return "not_published";
}

}  // namespace gongshi
