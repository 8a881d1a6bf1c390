// Atomic, durable file replacement for the feed and dead-letter sinks: write a temporary file
// beside the target, fsync it, rename it over the target, fsync the directory. A reader sees the
// old file or the new one, never a torn one, and after Write() returns the new one survives a
// power cut. A batch re-made after a crash therefore replaces its earlier copy in one step.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/record/error.h"

namespace gongshi {

// Creates `dir` and its parents (like mkdir -p).
Status EnsureDirectory(const std::string& dir);
// Writes `contents` to `path` atomically and durably.
Status WriteFileAtomically(const std::string& path, std::string_view contents);
// The files of one batch, made durable together: each is written to a temporary and fsynced as
// it is staged; Commit() renames them all into place and fsyncs each directory once. One directory
// sync per directory instead of one per file matters: syncs, not CPU, bound a file pass.
class DurableFileSet {
 public:
  Status Stage(const std::string& path, std::string_view contents);
  // Renames every staged file over its target, then syncs their directories. Durable on return.
  Status Commit();
  ~DurableFileSet();  // removes temporaries that were never committed

 private:
  struct Staged {
    std::string temporary;
    std::string target;
  };
  std::vector<Staged> staged_;
};

// Removes temporaries a crash left behind in `dir` (files named .*.tmp).
void RemoveStaleTemporaries(const std::string& dir);
// Removes files in `dir` whose name starts with a batch sequence (10 digits and '-') of at least
// `first_uncommitted`: what a crash left between a batch's files and its commit. Returns how many.
size_t RemoveUncommittedBatches(const std::string& dir, uint64_t first_uncommitted);
// Reads a whole small file (manifests, keys); not for input data.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 16 << 20);

}  // namespace gongshi
