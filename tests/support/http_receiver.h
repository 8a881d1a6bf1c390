// HttpReceiver: a fault-injecting HTTP/1.1 receiver on 127.0.0.1 that stands in for a
// credit-disclosure site in the HTTP sink's tests, with a real receiver's idempotency semantics
// (one acceptance per Idempotency-Key; or none, to show a second acceptance is seen), books that
// count every acceptance of every key, and a log of every request and what it was answered.
// Header-only: a test that includes it links OpenSSL::Crypto (SHA-256 of the body, EVP).
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gongshi::testing {

// What the receiver does to one request instead of (or on top of) normal service.
struct Fault {
  enum class Kind {
    kStatus,      // answer `status` with `body` (after reading the body); the batch is not accepted
    kRetryAfter,  // answer `status` (429 or 503) with a Retry-After header; not accepted
    kSlow,        // normal service (the batch is accepted), answered after delay_ms
    kReset,       // close with SO_LINGER {1, 0}: the client sees a TCP reset
    kNoAnswer,    // read the request, never answer; hold the socket until the client gives up
  };
  Kind kind = Kind::kStatus;
  int status = 503;              // kStatus, kRetryAfter
  int retry_after_seconds = 0;   // kRetryAfter when retry_after_date is empty
  std::string retry_after_date;  // kRetryAfter: an IMF-fixdate (HttpDate()), sent as given
  int delay_ms = 0;              // kSlow
  std::string body;              // kStatus, kRetryAfter; empty: {"error":"injected fault <status>"}
  // kReset without accept_first: -1 = reset as soon as the headers are read (no 100 Continue);
  // n >= 0 = answer 100 Continue if asked, read n bytes of the body (at most all of it), reset.
  long reset_after_body_bytes = -1;
  // kReset, kNoAnswer: read the whole request and give it normal service first, then fail
  // instead of answering: the batch arrived, the reply was lost; a retry must count as a repeat.
  bool accept_first = false;

  static Fault Status(int status, std::string body = "") {
    Fault f;
    f.kind = Kind::kStatus;
    f.status = status;
    f.body = std::move(body);
    return f;
  }
  static Fault RetryAfterSeconds(int seconds, int status = 429) {
    Fault f;
    f.kind = Kind::kRetryAfter;
    f.status = status;
    f.retry_after_seconds = seconds;
    return f;
  }
  static Fault RetryAfterDate(std::string date, int status = 503) {
    Fault f;
    f.kind = Kind::kRetryAfter;
    f.status = status;
    f.retry_after_date = std::move(date);
    return f;
  }
  static Fault Slow(int delay_ms) {
    Fault f;
    f.kind = Kind::kSlow;
    f.delay_ms = delay_ms;
    return f;
  }
  static Fault Reset(long after_body_bytes = -1) {
    Fault f;
    f.kind = Kind::kReset;
    f.reset_after_body_bytes = after_body_bytes;
    return f;
  }
  static Fault ResetAfterAccept() {
    Fault f = Reset();
    f.accept_first = true;
    return f;
  }
  static Fault NoAnswer(bool accept_first = false) {
    Fault f;
    f.kind = Kind::kNoAnswer;
    f.accept_first = accept_first;
    return f;
  }
};

// One request as the receiver saw it: an entry of its log (requests()).
struct ReceivedRequest {
  std::string method;
  std::string path;                            // the request target as sent (query included)
  std::map<std::string, std::string> headers;  // lower-case names; a repeated header joined by ", "
  std::string body;  // as read: only the part read before a reset mid-body
  // The headers the books are kept by, as sent ("" when absent), and the SHA-256 (lower-case hex)
  // of `body` as read.
  std::string idempotency_key;
  std::string sequence;  // X-Gongshi-Batch-Sequence
  std::string body_sha256;
  // The final status written to a client still connected (1xx not counted); 0 = none: a reset,
  // no answer, a connection dropped by the hook, or a client that had hung up (client_gone).
  int status_sent = 0;
  bool client_gone = false;          // the client had closed its side when the answer was due
  bool dropped = false;              // the request hook dropped the connection (SetRequestHook)
  std::optional<Fault::Kind> fault;  // the script's or the default's (SetDefault); none: served
  bool stored = false;  // normal service stored the body as an acceptance (see accepted())
  bool repeat = false;  // answered as a repeat of the key's acceptance, nothing stored
  int connection = 0;  // 1, 2, … in the order connections were accepted: equal = keep-alive reuse
  std::chrono::steady_clock::time_point received_at;  // when its headers were complete
};

// Where the request hook runs: the body is read whole, before any service or fault; or normal
// service has just stored the body as an acceptance, before the answer is written.
enum class RequestStage { kBodyRead, kStored };

struct HttpReceiverOptions {
  int port = 0;                               // 0: any free port; port() tells
  std::string path = "/feeds";                // requests for another path (query ignored) get 404
  std::string auth_header = "authorization";  // any case
  std::string auth_value;  // e.g. "Bearer t0ken"; anything else gets 401. Empty: not checked
  bool check_content_sha256 = true;   // X-Gongshi-Content-SHA256 must be the body's, else 400
  bool check_idempotency_key = true;  // Idempotency-Key must be 32 hex digits, else 400
  // A key already accepted, sent again with another body, gets 422 (the IETF idempotency-key
  // draft's answer) and is counted in conflicts(), not in repeats(): a batch id must name one body.
  bool reject_key_reuse_with_different_body = true;
  // false: a site that ignores Idempotency-Key (they exist): every request given normal service
  // is stored and accepted again, so accepted() counts 2 for a key sent twice; never a repeat or
  // a conflict. What a test needs to show that a second acceptance is seen.
  bool deduplicate = true;
  int accept_status = 200;            // the 2xx of an acceptance (and of its repeats)
  size_t max_body_bytes = 64u << 20;  // a larger Content-Length gets 413 and the connection closes
  size_t max_header_bytes = 64u << 10;  // larger headers get 431 and the connection closes
};

// "Sun, 06 Nov 1994 08:49:37 GMT", the form of Retry-After's HTTP-date (RFC 9110 §5.6.7).
inline std::string HttpDate(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[40];
  std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

// Lower-case hex SHA-256, the form of X-Gongshi-Content-SHA256.
inline std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

// Plain POSIX sockets and a thread per connection rather than civetweb (which serves /metrics):
// the faults need the socket itself — a reset after the headers or mid-body (SO_LINGER {1, 0}),
// a request read and never answered, an answer held back, 100 Continue sent or not — and a
// server library answers, times out and closes on its own terms.
class HttpReceiver {
 public:
  // Binds 127.0.0.1 and starts serving; nullptr (with a test failure) if it cannot listen.
  static std::unique_ptr<HttpReceiver> Start(HttpReceiverOptions options = {}) {
    std::unique_ptr<HttpReceiver> receiver(new HttpReceiver(std::move(options)));
    if (!receiver->Listen()) return nullptr;
    receiver->accept_thread_ = std::thread([r = receiver.get()] { r->AcceptLoop(); });
    return receiver;
  }

  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // Stops accepting, wakes every connection thread (held and delayed ones too), joins, closes.
  ~HttpReceiver() {
    if (wake_fd_ >= 0) {
      const uint64_t one = 1;
      // The eventfd is never read, so it stays readable: one write wakes every poll, now and later.
      [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof(one));
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    for (Connection& c : connections_) c.thread.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  int port() const { return port_; }
  std::string Url(const std::string& path = "/feeds") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // The next requests get these faults, one each, in order; then default or normal service.
  // Replaces what is left of an earlier script.
  void Script(std::vector<Fault> faults) {
    std::lock_guard lock(mutex_);
    script_.assign(faults.begin(), faults.end());
  }
  // Every request the script does not cover gets `fault` (e.g. 503: the site is down) until
  // SetUp().
  void SetDefault(Fault fault) {
    std::lock_guard lock(mutex_);
    default_fault_ = std::move(fault);
  }
  // Back to normal service: clears the default fault and what is left of the script.
  void SetUp() {
    std::lock_guard lock(mutex_);
    default_fault_.reset();
    script_.clear();
  }

  // Runs on the connection's thread at `stage` of every request that gets there, without the
  // receiver's lock (it may call the receiver); the client is waiting for its answer meanwhile.
  // Returns false to drop the connection there without an answer, as a site that died would:
  // e.g. a test kills the client inside a request and makes sure no answer reaches anyone.
  // Replaces an earlier hook; an empty function removes it.
  using RequestHook = std::function<bool(const ReceivedRequest&, RequestStage)>;
  void SetRequestHook(RequestHook hook) {
    std::lock_guard lock(mutex_);
    hook_ = hook ? std::make_shared<const RequestHook>(std::move(hook)) : nullptr;
  }

  // The site's books. Idempotency-Key -> acceptances: the times normal service stored a body
  // under the key as a publication of its own. Deduplicating (the default), once per key: the
  // first normal service; later ones are repeats. Not deduplicating, every normal service. An
  // acceptance whose 2xx never reached the client (a reply lost by a fault, the hook or a client
  // that hung up) counts all the same: the batch is on the site.
  std::map<std::string, int> accepted() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> out;
    for (const auto& [key, batch] : batches_) out[key] = batch.acceptances;
    return out;
  }
  // Idempotency-Key -> times the key was sent again after its acceptance and answered as then
  // (the acceptance's status and receipt), nothing stored. Always empty when not deduplicating.
  std::map<std::string, int> repeats() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> out;
    for (const auto& [key, batch] : batches_) {
      if (batch.repeats > 0) out[key] = batch.repeats;
    }
    return out;
  }
  // Idempotency-Key -> times an accepted key came back with a different body (answered 422).
  std::map<std::string, int> conflicts() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> out;
    for (const auto& [key, batch] : batches_) {
      if (batch.conflicts > 0) out[key] = batch.conflicts;
    }
    return out;
  }
  // Idempotency-Key -> the body of its first acceptance: what the site holds.
  std::map<std::string, std::string> accepted_bodies() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> out;
    for (const auto& [key, batch] : batches_) out[key] = batch.body;
    return out;
  }
  // Idempotency-Key -> requests that carried it after its first one, whatever they were
  // answered (every re-send: the client's, after a fault or a restart, or curl's own).
  std::map<std::string, int> resends() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> out;
    for (const ReceivedRequest& request : requests_) {
      if (!request.idempotency_key.empty()) ++out[request.idempotency_key];
    }
    for (auto it = out.begin(); it != out.end();) {
      it = --it->second == 0 ? out.erase(it) : std::next(it);
    }
    return out;
  }
  // Requests given a fault of the script or the default that kept a 2xx from them (a status,
  // Retry-After, a reset, no answer); a slow answer is a 2xx and does not count. Each explains at
  // most one re-send: the bound of a sink's re-sends.
  size_t faults_injected() const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(requests_.begin(), requests_.end(), [](const auto& r) {
      return r.fault.has_value() && *r.fault != Fault::Kind::kSlow;
    }));
  }
  // The log: every request in arrival order. A request is listed before its answer is written,
  // so a client that has its answer finds the request here.
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  // Until `done` holds for the log (called under the receiver's lock at every change: keep it
  // short, and do not call the receiver from it).
  bool WaitForLog(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
                  std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(requests_); });
  }
  // Until `n` keys have been accepted.
  bool WaitForAccepted(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return batches_.size() >= n; });
  }

 private:
  struct Batch {
    std::string body;  // of the first acceptance
    std::string content_sha256;
    std::string answer;  // the body of the first acceptance, given again to every repeat
    int acceptances = 0;
    int repeats = 0;
    int conflicts = 0;
  };
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  struct Response {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  // Normal service's answer and what it did to the books.
  struct Served {
    Response response;
    bool stored = false;
    bool repeat = false;
  };
  enum class Wait { kReady, kStopping };

  explicit HttpReceiver(HttpReceiverOptions options) : options_(std::move(options)) {
    options_.auth_header = Lower(options_.auth_header);
  }

  bool Listen() {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (wake_fd_ < 0 || listen_fd_ < 0) return Fail("socket/eventfd");
    const int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(options_.port));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      return Fail("bind 127.0.0.1:" + std::to_string(options_.port));
    }
    if (::listen(listen_fd_, 64) != 0) return Fail("listen");
    socklen_t length = sizeof(address);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    return true;
  }

  static bool Fail(const std::string& what) {
    ADD_FAILURE() << "HttpReceiver: " << what << " failed: " << std::strerror(errno);
    return false;
  }

  // Waits until `fd` has something to read (or has closed) or the receiver stops.
  Wait WaitReadable(int fd) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (;;) {
      const int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[1].revents != 0) return Wait::kStopping;
      return Wait::kReady;
    }
  }
  // An interruptible sleep: false if the receiver stopped first.
  bool SleepUnlessStopping(int ms) const {
    pollfd fds[1] = {{wake_fd_, POLLIN, 0}};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      // Rounded up: a sleep cut short by a truncated last millisecond would answer early.
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count();
      if (left <= 0) return true;
      const int n = ::poll(fds, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n != 0) return false;
    }
  }

  void AcceptLoop() {
    int connection_number = 0;
    for (;;) {
      if (WaitReadable(listen_fd_) != Wait::kReady) return;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      // Finished connections are joined here so a long test does not pile up threads.
      for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->done) {
          it->thread.join();
          it = connections_.erase(it);
        } else {
          ++it;
        }
      }
      Connection& c = connections_.emplace_back();
      c.thread = std::thread([this, fd, &c, number = ++connection_number] {
        ServeConnection(fd, number);
        c.done = true;
      });
    }
  }

  // Appends what the socket has; false on end of stream, error or stop.
  bool ReadMore(int fd, std::string& in) const {
    if (WaitReadable(fd) != Wait::kReady) return false;
    char buffer[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in.append(buffer, static_cast<size_t>(n));
      return true;
    }
  }

  static bool SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      // MSG_NOSIGNAL: a client that hung up must not kill the test with SIGPIPE.
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  static void ResetAndClose(int fd) {
    const linger abort_on_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    ::close(fd);
  }

  // Holds a request without answering until the client closes or the receiver stops.
  void Hold(int fd) const {
    std::string discard;
    while (ReadMore(fd, discard)) discard.clear();
  }

  // A client that closed its side (curl does when it gives up) gets no answer: one written into
  // its closed socket would be logged as answered. A client that only half-closed looks the same;
  // curl never does.
  static bool ClientHungUp(int fd) {
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if ((p.revents & (POLLHUP | POLLERR | POLLRDHUP)) != 0) return true;
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

  // Runs the hook, if any; false: drop the connection.
  bool RunHook(const ReceivedRequest& request, RequestStage stage) {
    std::shared_ptr<const RequestHook> hook;
    {
      std::lock_guard lock(mutex_);
      hook = hook_;
    }
    return hook == nullptr || (*hook)(request, stage);
  }

  // The log's columns from the headers and the body as read so far.
  static void FillColumns(ReceivedRequest& request) {
    const auto header = [&](const char* name) {
      const auto it = request.headers.find(name);
      return it == request.headers.end() ? std::string() : it->second;
    };
    request.idempotency_key = header("idempotency-key");
    request.sequence = header("x-gongshi-batch-sequence");
    request.body_sha256 = Sha256Hex(request.body);
  }

  void Record(ReceivedRequest request) {
    FillColumns(request);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(request));
    }
    changed_.notify_all();
  }

  std::optional<Fault> NextFault() {
    std::lock_guard lock(mutex_);
    if (!script_.empty()) {
      Fault fault = std::move(script_.front());
      script_.pop_front();
      return fault;
    }
    return default_fault_;
  }

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string Trim(const std::string& s) {
    const size_t begin = s.find_first_not_of(" \t");
    if (begin == std::string::npos) return "";
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
  }
  static bool IsHex(const std::string& s, size_t length) {
    return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
             return std::isxdigit(static_cast<unsigned char>(c)) != 0;
           });
  }
  static std::string JsonError(const std::string& message) {
    return "{\"error\":\"" + message + "\"}";
  }
  static const char* Reason(int status) {
    switch (status) {
      case 100: return "Continue";
      case 200: return "OK";
      case 201: return "Created";
      case 202: return "Accepted";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 405: return "Method Not Allowed";
      case 408: return "Request Timeout";
      case 409: return "Conflict";
      case 411: return "Length Required";
      case 413: return "Content Too Large";
      case 422: return "Unprocessable Content";
      case 429: return "Too Many Requests";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return "Status";
    }
  }

  static std::string Serialize(const Response& response, bool close) {
    std::string out =
        "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) + "\r\n";
    out += "Content-Type: application/json\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    out += response.body;
    return out;
  }

  // Parses the request line and headers; false if they are not HTTP/1.x.
  static bool ParseHead(const std::string& head, ReceivedRequest& request, bool& keep_alive) {
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t space1 = request_line.find(' ');
    const size_t space2 = request_line.find(' ', space1 == std::string::npos ? 0 : space1 + 1);
    if (space1 == std::string::npos || space2 == std::string::npos) return false;
    request.method = request_line.substr(0, space1);
    request.path = request_line.substr(space1 + 1, space2 - space1 - 1);
    const std::string version = request_line.substr(space2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line =
          head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      // No colon, an empty name, or obsolete line folding (a leading space): not for us.
      if (colon == std::string::npos || colon == 0 || line[0] == ' ' || line[0] == '\t') {
        return false;
      }
      const std::string name = Lower(line.substr(0, colon));
      const std::string value = Trim(line.substr(colon + 1));
      auto [it, inserted] = request.headers.emplace(name, value);
      if (!inserted) it->second += ", " + value;
    }
    const auto connection = request.headers.find("connection");
    const std::string token = connection == request.headers.end() ? "" : Lower(connection->second);
    keep_alive = version == "HTTP/1.1" ? token.find("close") == std::string::npos
                                       : token.find("keep-alive") != std::string::npos;
    return true;
  }

  // Normal service: checks, then one acceptance per Idempotency-Key (every time when not
  // deduplicating). Called with the whole body.
  Served NormalService(const ReceivedRequest& request) {
    if (std::optional<Response> refused = Check(request)) return {std::move(*refused)};
    const std::string key = request.headers.at("idempotency-key");
    const std::string actual_sha256 = Sha256Hex(request.body);
    std::lock_guard lock(mutex_);
    Batch& batch = batches_[key];
    if (batch.acceptances > 0 && options_.deduplicate) {
      if (options_.reject_key_reuse_with_different_body && batch.content_sha256 != actual_sha256) {
        ++batch.conflicts;
        return {{422, JsonError("Idempotency-Key " + key + " was accepted with another body"), {}}};
      }
      ++batch.repeats;
      return {{options_.accept_status, batch.answer, {}}, false, true};
    }
    // The receipt numbers acceptances across keys: a site without deduplication gives a second
    // receipt to a second acceptance.
    const std::string answer = "{\"receipt\":\"r-" + std::to_string(++acceptances_) + "\"}";
    if (batch.acceptances++ == 0) {
      batch.body = request.body;
      batch.content_sha256 = actual_sha256;
      batch.answer = answer;
    }
    return {{options_.accept_status, answer, {}}, true, false};
  }

  // What normal service refuses, and how it answers; nullopt: the request is for the books.
  std::optional<Response> Check(const ReceivedRequest& request) const {
    const auto header = [&](const std::string& name) -> std::string {
      const auto it = request.headers.find(name);
      return it == request.headers.end() ? "" : it->second;
    };
    if (request.path.substr(0, request.path.find('?')) != options_.path) {
      return Response{404,
                      JsonError("no such path: " + request.path + " (this receiver serves " +
                                options_.path + ")"),
                      {}};
    }
    if (request.method != "POST") {
      return Response{405, JsonError("only POST is served"), {{"Allow", "POST"}}};
    }
    if (!options_.auth_value.empty()) {
      const auto it = request.headers.find(options_.auth_header);
      if (it == request.headers.end() || it->second != options_.auth_value) {
        return Response{
            401,
            JsonError(it == request.headers.end() ? "missing " + options_.auth_header + " header"
                                                  : "wrong " + options_.auth_header + " header"),
            {{"WWW-Authenticate", "Bearer"}}};
      }
    }
    const std::string key = header("idempotency-key");
    if (key.empty()) return Response{400, JsonError("missing Idempotency-Key header"), {}};
    if (options_.check_idempotency_key && !IsHex(key, 32)) {
      return Response{400, JsonError("Idempotency-Key is not 32 hex digits: " + key), {}};
    }
    const std::string actual_sha256 = Sha256Hex(request.body);
    if (options_.check_content_sha256) {
      const std::string claimed = Lower(header("x-gongshi-content-sha256"));
      if (claimed.empty())
        return Response{400, JsonError("missing X-Gongshi-Content-SHA256 header"), {}};
      if (claimed != actual_sha256) {
        return Response{400,
                        JsonError("X-Gongshi-Content-SHA256 " + claimed +
                                  " does not match the body's SHA-256 " + actual_sha256),
                        {}};
      }
    }
    return std::nullopt;
  }

  static Response FaultResponse(const Fault& fault) {
    Response response;
    response.status = fault.status;
    response.body = fault.body.empty() ? JsonError("injected fault " + std::to_string(fault.status))
                                       : fault.body;
    if (fault.kind == Fault::Kind::kRetryAfter) {
      response.headers.emplace_back("Retry-After", fault.retry_after_date.empty()
                                                       ? std::to_string(fault.retry_after_seconds)
                                                       : fault.retry_after_date);
    }
    return response;
  }

  // One connection: requests one after another (keep-alive) until either side closes.
  void ServeConnection(int fd, int connection_number) {
    std::string in;  // read and not yet used
    for (;;) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        if (in.size() > options_.max_header_bytes) {
          SendAll(fd, Serialize({431, JsonError("request headers too large"), {}}, true));
          ::close(fd);
          return;
        }
        if (!ReadMore(fd, in)) {
          ::close(fd);
          return;
        }
      }
      ReceivedRequest request;
      request.connection = connection_number;
      request.received_at = std::chrono::steady_clock::now();
      const size_t skip = in.find_first_not_of("\r\n");  // RFC 9112 §2.2: ignore leading CRLF
      const std::string head = in.substr(skip, head_end - skip);
      in.erase(0, head_end + 4);
      bool keep_alive = true;
      // Requests this receiver cannot frame are answered and the connection closed: the bytes
      // after them cannot be trusted to start a request.
      const auto refuse = [&](int status, const std::string& message) {
        request.status_sent = status;
        Record(request);
        SendAll(fd, Serialize({status, JsonError(message), {}}, true));
        ::close(fd);
      };
      if (!ParseHead(head, request, keep_alive)) {
        return refuse(400, "malformed request line or header");
      }
      if (request.headers.count("transfer-encoding") != 0) {
        return refuse(411,
                      "Transfer-Encoding (chunked) is not supported by this test receiver: "
                      "send Content-Length");
      }
      size_t body_length = 0;
      const auto content_length = request.headers.find("content-length");
      if (content_length == request.headers.end()) {
        if (request.method == "POST" || request.method == "PUT") {
          return refuse(411, "a POST needs Content-Length");
        }
      } else {
        const std::string& text = content_length->second;
        if (text.empty() || text.size() > 18 ||
            !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return refuse(400, "bad Content-Length: " + text);
        }
        body_length = std::stoull(text);
        if (body_length > options_.max_body_bytes) {
          return refuse(413, "body larger than " + std::to_string(options_.max_body_bytes));
        }
      }

      const std::optional<Fault> fault = NextFault();
      if (fault) request.fault = fault->kind;
      const auto is = [&](Fault::Kind kind) { return fault && fault->kind == kind; };
      const bool fail_before_body =
          is(Fault::Kind::kReset) && !fault->accept_first && fault->reset_after_body_bytes < 0;
      if (fail_before_body) {
        request.body = in.substr(0, body_length);
        Record(std::move(request));
        ResetAndClose(fd);
        return;
      }
      const auto expect = request.headers.find("expect");
      if (expect != request.headers.end() && Lower(expect->second) == "100-continue" &&
          in.size() < body_length) {
        // curl 7.88 asks for it on bodies over 1 MiB (EXPECT_100_THRESHOLD; older curls: 1 KiB)
        // and, unanswered, waits CURLOPT_EXPECT_100_TIMEOUT_MS (1 s) before sending anyway.
        if (!SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
          ::close(fd);
          return;
        }
      }
      size_t wanted = body_length;
      if (is(Fault::Kind::kReset) && !fault->accept_first) {
        wanted = std::min(body_length, static_cast<size_t>(fault->reset_after_body_bytes));
      }
      while (in.size() < wanted) {
        if (!ReadMore(fd, in)) {
          request.body = in;  // the client gave up mid-body
          Record(std::move(request));
          ::close(fd);
          return;
        }
      }
      request.body = in.substr(0, wanted);
      in.erase(0, wanted);
      // The request hook: gone without an answer, as a site that died would be.
      FillColumns(request);
      const auto drop_at = [&](RequestStage stage) {
        if (RunHook(request, stage)) return false;
        request.dropped = true;
        Record(std::move(request));
        ::close(fd);
        return true;
      };
      if (wanted == body_length && drop_at(RequestStage::kBodyRead)) return;

      if (is(Fault::Kind::kReset) || is(Fault::Kind::kNoAnswer)) {
        if (fault->accept_first) {  // accepted; the answer is lost
          const Served served = NormalService(request);
          request.stored = served.stored;
          request.repeat = served.repeat;
          if (served.stored && drop_at(RequestStage::kStored)) return;
        }
        Record(std::move(request));
        if (is(Fault::Kind::kReset)) {
          ResetAndClose(fd);
        } else {
          Hold(fd);
          ::close(fd);
        }
        return;
      }
      Response response;
      if (is(Fault::Kind::kStatus) || is(Fault::Kind::kRetryAfter)) {
        response = FaultResponse(*fault);
      } else {
        Served served = NormalService(request);  // kSlow: served, answered late
        request.stored = served.stored;
        request.repeat = served.repeat;
        response = std::move(served.response);
        if (served.stored && drop_at(RequestStage::kStored)) return;
      }
      if (is(Fault::Kind::kSlow) && !SleepUnlessStopping(fault->delay_ms)) {
        Record(std::move(request));  // stopped while holding the answer back: none was sent
        ::close(fd);
        return;
      }
      if (ClientHungUp(fd)) {
        request.client_gone = true;
        Record(std::move(request));
        ::close(fd);
        return;
      }
      request.status_sent = response.status;
      Record(std::move(request));
      if (!SendAll(fd, Serialize(response, !keep_alive)) || !keep_alive) {
        ::close(fd);
        return;
      }
    }
  }

  HttpReceiverOptions options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: readable once the receiver stops
  int port_ = 0;
  std::thread accept_thread_;
  std::list<Connection> connections_;  // only the accept thread and the destructor touch it

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // requests_ or batches_ grew
  std::deque<Fault> script_;
  std::optional<Fault> default_fault_;
  std::map<std::string, Batch> batches_;  // by Idempotency-Key
  uint64_t acceptances_ = 0;              // of every key: the receipts' numbers
  std::vector<ReceivedRequest> requests_;
  std::shared_ptr<const RequestHook> hook_;
};

}  // namespace gongshi::testing
