// RunFilePass: `gongshi run --input FILE --out DIR`: one pass over an NDJSON file (or stdin),
// resumable after a crash, ending with a one-line JSON summary whose counts add up to `read`.
#pragma once

#include <string>

#include "pipeline/config/config.h"
#include "pipeline/service/pipeline.h"

namespace gongshi {

struct FilePassOptions {
  std::string input;  // path, or "-" for stdin
  std::string out_dir;
  std::string state_dir;  // default: config.state.dir, else OUT/state
  Config config;
};

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

Result<RunSummary> RunFilePass(const FilePassOptions& options);

// With an http section: delivers what is in the outbox for at most http.drain_timeout_ms and
// notes it in `summary` (http, http_pending); what is left waits for the next run or `reconcile`.
Status DrainHttp(const Config& config, StateStore& store, const std::string& out_dir,
                 RunSummary& summary);

}  // namespace gongshi
