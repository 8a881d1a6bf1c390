#include "pipeline/sink/http_sink.h"

#include <algorithm>
#include <charconv>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

namespace gongshi {
namespace {

constexpr size_t kKeptAnswerBytes = 4096;

size_t KeepBody(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t n = size * count;
  if (out->size() < kKeptAnswerBytes)
    out->append(data, std::min(n, kKeptAnswerBytes - out->size()));
  return n;
}

size_t KeepRetryAfter(char* data, size_t size, size_t count, void* user) {
  const size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == kName[i];
    }
    if (match) {
      line.remove_prefix(kName.size());
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
        line.remove_suffix(1);
      }
      static_cast<std::string*>(user)->assign(line);
    }
  }
  return n;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(user);
  return abort != nullptr && abort->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

std::string_view DeliveryName(Delivery delivery) {
  switch (delivery) {
    case Delivery::kAcknowledged: return "acknowledged";
    case Delivery::kRetry: return "retry";
    case Delivery::kRefused: return "refused";
  }
  return "retry";
}

Delivery ClassifyStatus(int status) {
  if (status >= 200 && status < 300) return Delivery::kAcknowledged;
  if (status == 0 || status == 408 || status == 429 || status >= 500) return Delivery::kRetry;
  return Delivery::kRefused;  // other 4xx, and 1xx/3xx the sink does not follow
}

int64_t ParseRetryAfter(std::string_view value, int64_t now_ms) {
  if (value.empty()) return -1;
  int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    return seconds >= 0 ? seconds * 1000 : -1;
  }
  // An HTTP-date (RFC 9110 §10.2.3); curl_getdate reads the three historical forms.
  const std::string text(value);
  const time_t at = curl_getdate(text.c_str(), nullptr);
  if (at < 0) return -1;
  return std::max<int64_t>(0, static_cast<int64_t>(at) * 1000 - now_ms);
}

int64_t BackoffMs(uint32_t attempt, int64_t retry_after_ms, uint64_t initial_ms, uint64_t max_ms,
                  uint64_t random) {
  if (retry_after_ms >= 0) return std::min<int64_t>(retry_after_ms, static_cast<int64_t>(max_ms));
  const uint32_t doublings = std::min<uint32_t>(attempt > 0 ? attempt - 1 : 0, 30);
  const uint64_t ceiling = std::min<uint64_t>(max_ms, initial_ms << doublings);
  // Jitter keeps many instances from retrying in step after a site comes back.
  const uint64_t half = ceiling / 2;
  return static_cast<int64_t>(half + (half > 0 ? random % (ceiling - half + 1) : 0));
}

Result<std::unique_ptr<HttpSink>> HttpSink::Create(const HttpSinkOptions& options) {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
    return Fail(ErrorCode::kInvalidConfig,
                fmt::format("http.url '{}' must start with http:// or https://", options.url));
  }
  std::unique_ptr<HttpSink> sink(new HttpSink(options));
  if (sink->curl_ == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
  return sink;
}

HttpSink::HttpSink(const HttpSinkOptions& options) : options_(options), curl_(curl_easy_init()) {}

HttpSink::~HttpSink() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpAnswer HttpSink::Post(std::string_view body, std::string_view batch_id, uint64_t sequence,
                          uint64_t records, std::string_view content_sha256_hex) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the connection cache: the next POST reuses the connection
  response_.clear();
  retry_after_.clear();
  const std::string key = fmt::format("Idempotency-Key: {}", batch_id);
  const std::string seq = fmt::format("X-Gongshi-Batch-Sequence: {}", sequence);
  const std::string count = fmt::format("X-Gongshi-Records: {}", records);
  const std::string digest = fmt::format("X-Gongshi-Content-SHA256: {}", content_sha256_hex);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-ndjson; charset=utf-8");
  headers = curl_slist_append(headers, key.c_str());
  headers = curl_slist_append(headers, seq.c_str());
  headers = curl_slist_append(headers, count.c_str());
  headers = curl_slist_append(headers, digest.c_str());
  if (!options_.auth_header.empty()) {
    headers = curl_slist_append(headers, options_.auth_header.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, KeepBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, KeepRetryAfter);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_after_);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, options_.abort);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options_.client_cert.c_str());
  }
  if (!options_.client_key.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options_.client_key.c_str());
  }
  if (!options_.verify_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);

  HttpAnswer answer;
  const int64_t now_ms = static_cast<int64_t>(time(nullptr)) * 1000;
  if (code != CURLE_OK) {
    answer.delivery = Delivery::kRetry;
    answer.error = fmt::format("{}: {}", options_.url, curl_easy_strerror(code));
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  answer.status = static_cast<int>(status);
  answer.delivery = ClassifyStatus(answer.status);
  answer.body = response_;
  answer.retry_after_ms = ParseRetryAfter(retry_after_, now_ms);
  if (answer.delivery != Delivery::kAcknowledged) {
    answer.error = fmt::format("{}: HTTP {}", options_.url, answer.status);
  }
  return answer;
}

}  // namespace gongshi
