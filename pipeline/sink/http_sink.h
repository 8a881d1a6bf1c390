// HttpSink: one POST of a feed batch to the credit-disclosure site (libcurl), and what the answer
// means for the batch: acknowledged (2xx), to be retried (408, 429, 5xx, a timeout, a reset, no
// answer; with the site's Retry-After when it gives one) or refused (any other 4xx or a 3xx: the
// batch goes to the dead-letter with the site's answer, a retry would get the same). The batch id
// is the idempotency key, so a batch sent again after a crash is recognisably the same.
//
// One handle, reused (keep-alive); not thread-safe: the delivery thread owns it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/record/error.h"

namespace gongshi {

struct HttpSinkOptions {
  std::string url;                      // POST target, http:// or https://
  std::string auth_header;              // e.g. "Authorization: Bearer <token>"; "" = none
  std::string ca_file;                  // CA bundle for https; "" = the system's
  std::string client_cert, client_key;  // mutual TLS; "" = none
  bool verify_tls = true;               // false only for a test site
  uint64_t connect_timeout_ms = 5000;
  uint64_t timeout_ms = 30000;               // the whole request
  const std::atomic<bool>* abort = nullptr;  // set = give up the request in flight (shutdown)
};

enum class Delivery : uint8_t { kAcknowledged, kRetry, kRefused };
std::string_view DeliveryName(Delivery delivery);  // "acknowledged", "retry", "refused"

struct HttpAnswer {
  Delivery delivery = Delivery::kRetry;
  int status = 0;               // HTTP status; 0 = no answer (connection, timeout, reset)
  std::string body;             // the site's answer, at most 4 KiB kept
  int64_t retry_after_ms = -1;  // the site's Retry-After, -1 = none or unreadable
  std::string error;            // why, for logs and the outbox ("" when acknowledged)
};

// What a status means (no answer is status 0: retry).
Delivery ClassifyStatus(int status);
// Retry-After as milliseconds from `now_ms`: delay-seconds or an HTTP-date; -1 if unreadable.
int64_t ParseRetryAfter(std::string_view value, int64_t now_ms);
// The wait before attempt `attempt` + 1 (attempt >= 1): the site's Retry-After if it gave one
// (capped at `max_ms`), else exponential from `initial_ms` with "full jitter" in [half, all]
// from `random` (any 64-bit value). Never below `initial_ms` / 2.
int64_t BackoffMs(uint32_t attempt, int64_t retry_after_ms, uint64_t initial_ms, uint64_t max_ms,
                  uint64_t random);

class HttpSink {
 public:
  static Result<std::unique_ptr<HttpSink>> Create(const HttpSinkOptions& options);
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  // POSTs `body` (NDJSON) with the batch's idempotency key and figures. Never throws, never
  // returns an error: every failure is an answer to retry or a refusal.
  HttpAnswer Post(std::string_view body, std::string_view batch_id, uint64_t sequence,
                  uint64_t records, std::string_view content_sha256_hex);

  const HttpSinkOptions& options() const { return options_; }

 private:
  explicit HttpSink(const HttpSinkOptions& options);
  HttpSinkOptions options_;
  void* curl_ = nullptr;  // CURL*, kept out of the header
  std::string response_;
  std::string retry_after_;
};

}  // namespace gongshi
