// Error and Result<T>: how every stage reports a failure of the stage itself (disk, broker,
// configuration) to its caller. A bad *record* is not an Error: it is a RejectReason on the record.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace gongshi {

enum class ErrorCode {
  // The configuration or a data file loaded at start is wrong. Only returned while starting up.
  kInvalidConfig,
  // A dependency (disk, broker, site) is unusable for now: retry the same batch, commit nothing.
  kUnavailable,
  // Shutdown was requested while the operation was in flight.
  kCancelled,
  // An input could not be read at all (missing file, permission).
  kIo,
  // A bug or corrupted state. Stop without committing; a person must look.
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return fmt::format("{}: {}", ErrorCodeName(code_), message_); }

 private:
  ErrorCode code_;
  std::string message_;
};

// Result<T> is tl::expected<T, Error> marked [[nodiscard]], so a dropped failure warns.
template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  Result(tl::expected<T, Error> other) : tl::expected<T, Error>(std::move(other)) {}
};

using Status = Result<void>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
inline tl::unexpected<Error> Fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline Status Ok() { return {}; }

}  // namespace gongshi
