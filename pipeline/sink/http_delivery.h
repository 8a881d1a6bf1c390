// HttpDelivery: the HTTP sink's side of "effectively once". Every committed feed batch has an
// outbox entry in RocksDB, written in the batch's own commit; this sends the entries to the site
// in batch order, one at a time, and replaces each with a receipt once the site answers for good:
// acknowledged (2xx), or refused (4xx other than 408/429: the batch and the site's answer go to
// OUT/dlq/http/, a retry would get the same). A retryable failure keeps the entry, counts the
// attempt and waits (exponential backoff with jitter, or the site's Retry-After). A crash
// mid-send leaves the entry, so the batch is sent again with the same idempotency key (the batch
// id): the site sees it acknowledged once.
//
// The service runs it on its own thread (Start/Stop) and pauses consuming while more than
// http.max_pending_batches wait; a file pass and `gongshi reconcile --send` call Drain().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/config/config.h"
#include "pipeline/sink/http_sink.h"
#include "pipeline/state/state_store.h"

namespace gongshi {

struct DeliveryStep {
  enum class What : uint8_t { kIdle, kAcknowledged, kRefused, kRetry } what = What::kIdle;
  uint64_t sequence = 0;
  std::string batch_id;
  uint64_t records = 0;
  int status = 0;
  uint32_t attempts = 0;
  int64_t wait_ms = 0;  // kRetry: before the next attempt
  std::string error;    // kRetry, kRefused: what the site or the connection said
};

// The "<header>: <scheme> <token>" line from http.auth (the token from its file or variable);
// "" when no token is configured. Errors name the key, never the token.
Result<std::string> ResolveAuthHeader(const HttpConfig& config);

class HttpDelivery {
 public:
  using StepFn = std::function<void(const DeliveryStep&)>;

  // Borrows `store`. `out_dir` holds the feed files the entries name.
  static Result<std::unique_ptr<HttpDelivery>> Create(const HttpConfig& config, StateStore& store,
                                                      std::string out_dir);
  ~HttpDelivery();  // stops the thread

  // Sends the oldest entry once (kIdle when the outbox is empty). An error is the state
  // store's or the disk's (a feed file missing): the service stops on it.
  Result<DeliveryStep> SendOldest();
  // Sends until the outbox is empty or `budget` has passed, waiting between retries. Returns
  // how many batches are still waiting.
  Result<uint64_t> Drain(std::chrono::milliseconds budget, const StepFn& on_step = {});

  // The service's delivery thread: sends as batches arrive (Notify) and retries with backoff.
  // `on_step` runs on that thread after every attempt (metrics, logs); `on_error` once if the
  // thread stops on an error.
  void Start(StepFn on_step, std::function<void(const Error&)> on_error);
  void Notify();
  void Stop();  // gives up the request in flight, joins

  // Batches waiting (at most http.max_pending_batches + 1 are counted).
  uint64_t pending() const { return pending_.load(); }
  bool backlogged() const { return pending_.load() > config_.max_pending_batches; }

 private:
  HttpDelivery(const HttpConfig& config, StateStore& store, std::string out_dir);
  Status RefreshPending();
  void Run(StepFn on_step, std::function<void(const Error&)> on_error);

  HttpConfig config_;
  StateStore& store_;
  std::string out_dir_;
  std::unique_ptr<HttpSink> sink_;
  std::atomic<bool> abort_{false};
  std::atomic<uint64_t> pending_{0};
  std::vector<OutboxEntry> scratch_;
  uint64_t random_state_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool notified_ = false;
  std::thread thread_;
};

// With an http section: delivers what is in the outbox for at most http.drain_timeout_ms (the end
// of a file pass or a replay); returns how many batches the site has not acknowledged yet (they
// wait for the next run or `reconcile`). Without one: 0.
Result<uint64_t> DrainHttp(const Config& config, StateStore& store, const std::string& out_dir);

}  // namespace gongshi
