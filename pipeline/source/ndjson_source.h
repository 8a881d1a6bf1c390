// NdjsonSource: reads newline-delimited JSON from a file or stdin into record batches, streaming
// (memory is bounded by the batch limits whatever the file size) and keeping each record's byte
// offset and line so the run can resume exactly where its last committed batch ended.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/record/record.h"

namespace gongshi {

struct NdjsonSourceOptions {
  std::string path;          // "-" = stdin
  int64_t start_offset = 0;  // byte offset to resume from (files only)
  int64_t start_line = 1;
  // A longer line is cut to this many bytes and marked record_too_large, so one absurd line
  // cannot take the memory a batch may use.
  size_t max_record_bytes = 256 << 10;
  uint32_t source_index = 0;
};

class NdjsonSource {
 public:
  static Result<std::unique_ptr<NdjsonSource>> Open(const NdjsonSourceOptions& options);
  ~NdjsonSource();
  NdjsonSource(const NdjsonSource&) = delete;
  NdjsonSource& operator=(const NdjsonSource&) = delete;

  // Clears `batch` and fills it with up to `max_records` records (and about `max_bytes` bytes).
  // Blank lines are skipped (they are not records). Returns false once the input is exhausted and
  // nothing was read.
  Result<bool> Fill(RecordBatch& batch, size_t max_records, size_t max_bytes);

  // Position just after the last record handed out.
  int64_t offset() const { return offset_; }
  int64_t line() const { return line_; }
  // The first up-to-64 KiB of a file (to recognise the same file at resume). Empty for stdin.
  static Result<std::string> ReadHead(const std::string& path);

 private:
  explicit NdjsonSource(const NdjsonSourceOptions& options) : options_(options) {}
  // Makes at least one more byte available in buffer_; false at end of input.
  Result<bool> Refill();

  NdjsonSourceOptions options_;
  int fd_ = -1;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  size_t end_ = 0;
  bool eof_ = false;
  int64_t offset_ = 0;
  int64_t line_ = 1;
  struct Pending {
    size_t at;  // in batch.bytes
    size_t size;
    size_t full_size;  // before truncation
    int64_t offset;
    int64_t line;
  };
  std::vector<Pending> pending_;
};

}  // namespace gongshi
