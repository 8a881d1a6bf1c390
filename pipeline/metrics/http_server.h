// HttpServer: the service's operator endpoints on civetweb: GET /metrics (Prometheus text),
// /healthz (the process loop is alive) and /readyz (assigned and state open). ServiceHealth is
// what the service updates with atomics so that civetweb's threads can read it without a lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/metrics/metrics.h"
#include "pipeline/record/error.h"

struct mg_connection;
struct mg_context;

namespace gongshi {

// Why the service is not ready yet, or that it is. Fixed text, so /readyz can never echo a value
// from a record or the config.
enum class Readiness : uint8_t {
  kStarting,      // nothing opened yet
  kStateNotOpen,  // the state store is not open (yet, or any more)
  kNotAssigned,   // the consumer has no partitions assigned
  kReady,
  kStopping,  // shutting down: take this instance out of rotation while it drains
};
std::string_view ReadinessText(Readiness readiness);  // "ready", "state store not open", ...

// Written by the service's loop, read by the HTTP threads. Lock-free: two atomics.
class ServiceHealth {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts as one heartbeat, so a slow start-up is not reported dead before its first loop.
  ServiceHealth() { Beat(); }

  // Called by the process loop on every iteration, retry waits included: a loop that is only
  // waiting for a broker or a site is alive, and restarting it would not help.
  void Beat() { BeatAt(Clock::now()); }
  void BeatAt(Clock::time_point when) {
    last_beat_ns_.store(when.time_since_epoch().count(), std::memory_order_relaxed);
  }
  Clock::duration SinceLastBeat() const {
    const Clock::time_point last{Clock::duration(last_beat_ns_.load(std::memory_order_relaxed))};
    return Clock::now() - last;
  }

  void SetReadiness(Readiness readiness) { readiness_.store(readiness, std::memory_order_relaxed); }
  Readiness readiness() const { return readiness_.load(std::memory_order_relaxed); }

 private:
  static_assert(std::atomic<Clock::rep>::is_always_lock_free);
  std::atomic<Clock::rep> last_beat_ns_{0};
  std::atomic<Readiness> readiness_{Readiness::kStarting};
};

struct HttpServerOptions {
  // service.metrics_address: "IPv4:port" or "[IPv6]:port"; a numeric address (civetweb does not
  // resolve names). Port 0 picks a free port; HttpServer::port() tells which.
  std::string address = "127.0.0.1:9464";
  // /healthz answers 503 once the last heartbeat is older than this. The loop beats at least once
  // per poll (kafka.max_wait_ms, default 1 s), so 30 s leaves room for a long fsync.
  std::chrono::milliseconds heartbeat_staleness{30000};
  // civetweb worker threads. Scrapes and probes are few and short.
  int threads = 2;
};

// Serves until Stop() or destruction. Borrows `metrics` and `health`: both must outlive it.
class HttpServer {
 public:
  // Fails with kInvalidConfig for a malformed address and kUnavailable when the port cannot be
  // bound (taken, or not ours to bind).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   const ServiceMetrics& metrics,
                                                   const ServiceHealth& health);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening and waits for requests in flight. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }  // the bound port, also when 0 was asked for

 private:
  HttpServer(const HttpServerOptions& options, const ServiceMetrics& metrics,
             const ServiceHealth& health)
      : options_(options), metrics_(metrics), health_(health) {}

  static int HandleMetrics(mg_connection* connection, void* self);
  static int HandleHealth(mg_connection* connection, void* self);
  static int HandleReady(mg_connection* connection, void* self);
  static int HandleOther(mg_connection* connection, void* self);

  const HttpServerOptions options_;
  const ServiceMetrics& metrics_;
  const ServiceHealth& health_;
  mg_context* context_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace gongshi
