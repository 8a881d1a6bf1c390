#include "pipeline/source/ndjson_source.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

namespace gongshi {
namespace {

constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;

bool IsBlank(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<NdjsonSource>> NdjsonSource::Open(const NdjsonSourceOptions& options) {
  std::unique_ptr<NdjsonSource> source(new NdjsonSource(options));
  if (options.path == "-") {
    if (options.start_offset != 0) {
      return Fail(ErrorCode::kInvalidConfig, "stdin cannot be resumed from an offset");
    }
    source->fd_ = STDIN_FILENO;
  } else {
    source->fd_ = ::open(options.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source->fd_ < 0) {
      return Fail(ErrorCode::kIo,
                  fmt::format("cannot open input {}: {}", options.path, std::strerror(errno)));
    }
    ::posix_fadvise(source->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (options.start_offset > 0 &&
        ::lseek(source->fd_, options.start_offset, SEEK_SET) != options.start_offset) {
      return Fail(ErrorCode::kIo, fmt::format("cannot seek input {} to {}: {}", options.path,
                                              options.start_offset, std::strerror(errno)));
    }
  }
  source->offset_ = options.start_offset;
  source->line_ = options.start_line;
  source->buffer_.resize(kReadChunk + options.max_record_bytes + 1);
  return source;
}

NdjsonSource::~NdjsonSource() {
  if (fd_ > STDIN_FILENO) ::close(fd_);
}

Result<std::string> NdjsonSource::ReadHead(const std::string& path) {
  if (path == "-") return std::string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot open input {}: {}", path, std::strerror(errno)));
  }
  std::string head(64 << 10, '\0');
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  ::close(fd);
  if (n < 0) return Fail(ErrorCode::kIo, fmt::format("cannot read {}", path));
  head.resize(static_cast<size_t>(n));
  return head;
}

Result<bool> NdjsonSource::Refill() {
  if (eof_) return false;
  // Move the unread tail to the front, then read after it.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) return true;  // full: the caller consumes before asking again
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorCode::kIo, fmt::format("read {}: {}", options_.path, std::strerror(errno)));
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }
}

Result<bool> NdjsonSource::Fill(RecordBatch& batch, size_t max_records, size_t max_bytes) {
  batch.Clear();
  pending_.clear();
  size_t bytes = 0;
  const size_t limit = options_.max_record_bytes;
  // Reserved once, so filling a batch does not reallocate (and the views stay put).
  const size_t capacity = max_bytes + limit + max_records * (kPadding + 1);
  if (batch.bytes.capacity() < capacity) batch.bytes.reserve(capacity);
  while (pending_.size() < max_records && bytes < max_bytes) {
    // Find the end of the next line, reading more as needed. A line longer than the limit is
    // kept to `limit` bytes; the rest is skipped as it streams by.
    size_t scanned = 0;
    size_t full_size = 0;
    bool truncated = false;
    size_t newline = std::string_view::npos;
    for (;;) {
      const char* start = buffer_.data() + begin_ + scanned;
      const void* hit = std::memchr(start, '\n', end_ - begin_ - scanned);
      if (hit != nullptr) {
        newline = static_cast<size_t>(static_cast<const char*>(hit) - buffer_.data());
        break;
      }
      scanned = end_ - begin_;
      if (scanned > limit) {
        // Keep `limit + 1` bytes (enough to know it is too long); drop the rest of the buffer.
        full_size += scanned - (limit + 1);
        end_ = begin_ + limit + 1;
        scanned = limit + 1;
        truncated = true;
      }
      auto more = Refill();
      if (!more) return Fail(more.error());
      if (!*more) break;  // end of input: the last line has no newline
    }
    const size_t line_end = newline == std::string_view::npos ? end_ : newline;
    if (line_end == begin_ && newline == std::string_view::npos) break;  // nothing left
    size_t size = line_end - begin_;
    full_size += size;
    const size_t consumed = full_size + (newline == std::string_view::npos ? 0 : 1);
    size_t kept = size;
    if (kept > 0 && buffer_[begin_ + kept - 1] == '\r') --kept;  // CRLF files
    if (kept > limit) {
      kept = limit;
      truncated = true;
    }
    if (!IsBlank(buffer_.data() + begin_, kept)) {
      const size_t at = batch.bytes.size();
      batch.bytes.insert(batch.bytes.end(), buffer_.data() + begin_,
                         buffer_.data() + begin_ + kept);
      batch.bytes.insert(batch.bytes.end(), kPadding, ' ');
      pending_.push_back({at, kept, truncated ? full_size : kept, offset_, line_});
      bytes += kept;
    }
    offset_ += static_cast<int64_t>(consumed);
    line_ += 1;
    begin_ = line_end + (newline == std::string_view::npos ? 0 : 1);
    if (newline == std::string_view::npos) break;
  }
  if (pending_.empty()) return false;
  // Views are taken only now: batch.bytes no longer grows.
  batch.records.resize(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Pending& p = pending_[i];
    Record& record = batch.records[i];
    record.Clear();
    record.position = {options_.source_index, -1, p.offset, p.line};
    record.raw = std::string_view(batch.bytes.data() + p.at, p.size);
    record.json = record.raw;  // padded: kPadding spaces follow in batch.bytes
    if (p.full_size > limit) {
      record.Reject(RejectReason::kRecordTooLarge, -1,
                    batch.arena.Copy(fmt::format("{} bytes; the dead-letter keeps the first {}",
                                                 p.full_size, limit)));
    }
  }
  return true;
}

}  // namespace gongshi
