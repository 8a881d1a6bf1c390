// HttpServer on civetweb: address parsing, the three endpoints, and start/stop. Every response
// body is fixed text or the metrics exposition, so nothing from a record or the config leaks.
#include "pipeline/metrics/http_server.h"

#include <charconv>
#include <cstring>
#include <exception>
#include <mutex>

#include <arpa/inet.h>
#include <civetweb.h>
#include <fmt/format.h>

namespace gongshi {
namespace {

// The Prometheus text format, version 0.0.4, as scrapers ask for it.
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kTextContentType = "text/plain; charset=utf-8";

std::string_view StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

// Returns the status for civetweb's access accounting (a handler's non-zero return means handled).
int Respond(mg_connection* connection, int status, const char* content_type,
            std::string_view body) {
  const mg_request_info* request = mg_get_request_info(connection);
  const bool head = request != nullptr && std::strcmp(request->request_method, "HEAD") == 0;
  const std::string header = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "{}Connection: close\r\n\r\n",
      status, StatusText(status), content_type, body.size(),
      status == 405 ? "Allow: GET, HEAD\r\n" : "");
  mg_write(connection, header.data(), header.size());
  if (!head && !body.empty()) mg_write(connection, body.data(), body.size());
  return status;
}

// Scrapers and probes only read. Anything else is answered without running the handler.
bool IsRead(mg_connection* connection) {
  const mg_request_info* request = mg_get_request_info(connection);
  return request != nullptr && (std::strcmp(request->request_method, "GET") == 0 ||
                                std::strcmp(request->request_method, "HEAD") == 0);
}

// Exceptions must not unwind through civetweb's C frames: turn them into a 500.
template <typename Handler>
int Guarded(mg_connection* connection, Handler handler) {
  try {
    if (!IsRead(connection)) return Respond(connection, 405, kTextContentType, "only GET\n");
    return handler();
  } catch (const std::exception&) {
    return Respond(connection, 500, kTextContentType, "internal error\n");
  }
}

bool ParsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

// service.metrics_address -> civetweb's listening_ports value ("127.0.0.1:9464", "[::1]:9464").
Result<std::string> ListeningPorts(std::string_view address) {
  const auto invalid = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("service.metrics_address \"{}\": {}; expected a numeric address and a "
                            "port such as 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464",
                            address, why));
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return invalid("no port");
  const std::string host(address.substr(0, colon));
  uint16_t port = 0;
  if (!ParsePort(address.substr(colon + 1), port)) return invalid("the port is not 0-65535");
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr ipv6{};
    if (::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &ipv6) != 1) {
      return invalid("not an IPv6 address");
    }
    // Feature bit 8 is IPv6 (civetweb.h, mg_check_feature).
    if (mg_check_feature(8) == 0) return invalid("this civetweb was built without IPv6");
    return std::string(address);
  }
  in_addr ipv4{};
  if (::inet_pton(AF_INET, host.c_str(), &ipv4) != 1) {
    return invalid("not an IPv4 address or a bracketed IPv6 address");
  }
  return std::string(address);
}

}  // namespace

std::string_view ReadinessText(Readiness readiness) {
  switch (readiness) {
    case Readiness::kStarting: return "starting";
    case Readiness::kStateNotOpen: return "state store not open";
    case Readiness::kNotAssigned: return "no partitions assigned to this consumer";
    case Readiness::kReady: return "ready";
    case Readiness::kStopping: return "shutting down";
  }
  return "starting";
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      const ServiceMetrics& metrics,
                                                      const ServiceHealth& health) {
  Result<std::string> ports = ListeningPorts(options.address);
  if (!ports) return Fail(ports.error());
  if (options.threads < 1) {
    return Fail(ErrorCode::kInvalidConfig, "metrics server threads: expected at least 1");
  }
  // civetweb keeps library-wide state; initialise it once and never tear it down, as another
  // server in the process may still use it.
  static std::once_flag library_once;
  std::call_once(library_once, [] { mg_init_library(0); });

  std::unique_ptr<HttpServer> server(new HttpServer(options, metrics, health));
  const std::string threads = std::to_string(options.threads);
  // No document_root: civetweb serves no files, only the handlers below.
  const char* configuration[] = {
      "listening_ports", ports->c_str(),      "num_threads", threads.c_str(), "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = configuration;
  unsigned error_code = 0;
  char error_text[256] = {};
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return Fail(ErrorCode::kUnavailable, fmt::format("metrics server on {}: {}", options.address,
                                                     error_text[0] ? error_text : "cannot start"));
  }
  // Exact paths ('$'); "**" catches the rest so that even a 404 is our fixed text.
  mg_set_request_handler(server->context_, "/metrics$", &HttpServer::HandleMetrics, server.get());
  mg_set_request_handler(server->context_, "/healthz$", &HttpServer::HandleHealth, server.get());
  mg_set_request_handler(server->context_, "/readyz$", &HttpServer::HandleReady, server.get());
  mg_set_request_handler(server->context_, "**", &HttpServer::HandleOther, server.get());

  mg_server_port bound[4] = {};
  const int count = mg_get_server_ports(server->context_, 4, bound);
  if (count < 1 || bound[0].port <= 0 || bound[0].port > 65535) {
    return Fail(
        ErrorCode::kInternal,
        fmt::format("metrics server on {}: civetweb reports no bound port", options.address));
  }
  server->port_ = static_cast<uint16_t>(bound[0].port);
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (context_ == nullptr) return;
  mg_stop(context_);  // joins civetweb's threads, so no handler runs after this
  context_ = nullptr;
}

int HttpServer::HandleMetrics(mg_connection* connection, void* self) {
  const auto& server = *static_cast<const HttpServer*>(self);
  return Guarded(connection, [&] {
    return Respond(connection, 200, kMetricsContentType, server.metrics_.Serialize());
  });
}

int HttpServer::HandleHealth(mg_connection* connection, void* self) {
  const auto& server = *static_cast<const HttpServer*>(self);
  return Guarded(connection, [&] {
    const auto age = server.health_.SinceLastBeat();
    if (age <= server.options_.heartbeat_staleness) {
      return Respond(connection, 200, kTextContentType, "ok\n");
    }
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    return Respond(connection, 503, kTextContentType,
                   fmt::format("stale: last heartbeat {} ms ago, limit {} ms\n",
                               duration_cast<milliseconds>(age).count(),
                               server.options_.heartbeat_staleness.count()));
  });
}

int HttpServer::HandleReady(mg_connection* connection, void* self) {
  const auto& server = *static_cast<const HttpServer*>(self);
  return Guarded(connection, [&] {
    const Readiness readiness = server.health_.readiness();
    if (readiness == Readiness::kReady)
      return Respond(connection, 200, kTextContentType, "ready\n");
    return Respond(connection, 503, kTextContentType,
                   fmt::format("not ready: {}\n", ReadinessText(readiness)));
  });
}

int HttpServer::HandleOther(mg_connection* connection, void*) {
  return Guarded(connection, [&] {
    return Respond(connection, 404, kTextContentType,
                   "not found: try /metrics, /healthz, /readyz\n");
  });
}

}  // namespace gongshi
