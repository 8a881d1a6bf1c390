// RunFilePass: `gongshi run --input FILE --out DIR`: one pass over an NDJSON file (or stdin),
// resumable after a crash, ending with a one-line JSON summary whose counts add up to `read`.
#pragma once

#include <string>

#include "pipeline/config/config.h"
#include "pipeline/runtime/pipeline.h"
#include "pipeline/runtime/run_summary.h"

namespace gongshi {

struct FilePassOptions {
  std::string input;  // path, or "-" for stdin
  std::string out_dir;
  std::string state_dir;  // default: config.state.dir, else OUT/state
  Config config;
};

Result<RunSummary> RunFilePass(const FilePassOptions& options);

}  // namespace gongshi
