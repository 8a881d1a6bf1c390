#include "pipeline/common/atomic_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gongshi {
namespace {

tl::unexpected<Error> IoError(std::string_view what, const std::string& path) {
  // ENOSPC and EIO are worth a retry after an operator frees space or the disk recovers.
  const ErrorCode code =
      errno == ENOSPC || errno == EIO || errno == EDQUOT ? ErrorCode::kUnavailable : ErrorCode::kIo;
  return Fail(code, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("fsync directory", dir);
  return Ok();
}

}  // namespace

Status EnsureDirectory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Fail(ErrorCode::kIo, fmt::format("create directory {}: {}", dir, error.message()));
  }
  return Ok();
}

namespace {

std::string TemporaryFor(const std::filesystem::path& target) {
  return (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
}

Status WriteAndSync(const std::string& temporary, std::string_view contents) {
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create", temporary);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto error = IoError("write", temporary);
      ::close(fd);
      ::unlink(temporary.c_str());
      return error;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto error = IoError("fsync", temporary);
    ::close(fd);
    ::unlink(temporary.c_str());
    return error;
  }
  ::close(fd);
  return Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  DurableFileSet files;
  if (auto staged = files.Stage(path, contents); !staged) return staged;
  return files.Commit();
}

Status DurableFileSet::Stage(const std::string& path, std::string_view contents) {
  std::string temporary = TemporaryFor(path);
  if (auto written = WriteAndSync(temporary, contents); !written) return written;
  staged_.push_back({std::move(temporary), path});
  return Ok();
}

Status DurableFileSet::Commit() {
  std::vector<std::string> dirs;
  for (const Staged& file : staged_) {
    if (::rename(file.temporary.c_str(), file.target.c_str()) != 0) {
      return IoError("rename to", file.target);
    }
    std::string dir = std::filesystem::path(file.target).parent_path().string();
    if (dir.empty()) dir = ".";
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(std::move(dir));
  }
  staged_.clear();
  for (const std::string& dir : dirs) {
    if (auto synced = SyncDirectory(dir); !synced) return synced;
  }
  return Ok();
}

DurableFileSet::~DurableFileSet() {
  for (const Staged& file : staged_) ::unlink(file.temporary.c_str());
}

void RemoveStaleTemporaries(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.front() == '.' && name.substr(name.size() - 4) == ".tmp") {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

size_t RemoveUncommittedBatches(const std::string& dir, uint64_t first_uncommitted) {
  size_t removed = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 11 || name[10] != '-') continue;
    uint64_t sequence = 0;
    bool digits = true;
    for (size_t i = 0; i < 10; ++i) {
      if (name[i] < '0' || name[i] > '9') digits = false;
      sequence = sequence * 10 + static_cast<uint64_t>(name[i] - '0');
    }
    if (digits && sequence >= first_uncommitted && std::filesystem::remove(entry.path(), error)) {
      ++removed;
    }
  }
  return removed;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path);
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      auto error = IoError("read", path);
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return Fail(ErrorCode::kIo, fmt::format("{} is larger than {} bytes", path, max_bytes));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace gongshi
