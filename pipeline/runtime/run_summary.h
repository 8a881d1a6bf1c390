// RunSummary: what a run did (a file pass, a replay, the service at its end), printed as the
// one-line JSON summary whose counts add up to `read`.
#pragma once

#include <cstdint>
#include <string>

#include "pipeline/runtime/pipeline.h"

namespace gongshi {

struct RunSummary {
  RunCounts counts;
  bool resumed = false;
  int64_t resumed_from_line = 0;
  uint64_t generation = 0;
  double seconds = 0;
  std::string out_dir;
  std::string state_dir;
  bool key_generated = false;
  uint64_t expiry_withdrawals = 0;  // the sweep's withdrawals (not input records)
  bool http = false;                // an HTTP sink is configured
  uint64_t http_pending = 0;        // batches the site has not acknowledged yet
  std::string ToJson() const;
};

}  // namespace gongshi
