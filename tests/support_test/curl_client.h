// A libcurl client that posts feed batches the way the HTTP sink does (one easy handle reused,
// so keep-alive; NDJSON body; the gongshi headers), for the tests of the test receivers.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "tests/support/http_receiver.h"

namespace gongshi::testing {

struct CurlResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // of the final response; lower-case names
  std::vector<std::string> status_lines;       // every status line, 100 Continue included
  long connects = 0;                           // new connections made for this transfer
  std::chrono::microseconds elapsed{0};
  std::string error;  // curl's message when code != CURLE_OK
};

// A batch as the sink sends it: the key, sequence, record count and the body's SHA-256.
struct Batch {
  std::string key;  // 32 hex
  std::string body;
  int sequence = 1;
  int records = 1;
};

inline std::string Key(int n) {
  char text[33];
  std::snprintf(text, sizeof(text), "%032x", n);
  return text;
}

inline std::string NdjsonBody(int records, size_t min_bytes = 0) {
  std::string body;
  for (int i = 0; i < records || body.size() < min_bytes; ++i) {
    body += "{\"record_id\":\"r" + std::to_string(i) + "\",\"kind\":\"penalty\"}\n";
  }
  return body;
}

class CurlClient {
 public:
  CurlClient() : handle_(curl_easy_init(), &curl_easy_cleanup) {}

  // extra: more headers, or replacements of the ones above ("Name:" with no value: none sent).
  CurlResult Post(const std::string& url, const Batch& batch,
                  const std::vector<std::string>& extra = {}, long timeout_ms = 10000) {
    std::vector<std::string> headers = {
        "Content-Type: application/x-ndjson",
        "Idempotency-Key: " + batch.key,
        "X-Gongshi-Batch-Sequence: " + std::to_string(batch.sequence),
        "X-Gongshi-Records: " + std::to_string(batch.records),
        "X-Gongshi-Content-SHA256: " + Sha256Hex(batch.body),
    };
    const auto name = [](const std::string& header) {
      std::string n = header.substr(0, header.find(':'));
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return n;
    };
    for (const std::string& override_header : extra) {
      std::erase_if(headers,
                    [&](const std::string& h) { return name(h) == name(override_header); });
    }
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Send(url, "POST", &batch.body, headers, timeout_ms);
  }

  CurlResult Get(const std::string& url, long timeout_ms = 10000) {
    return Send(url, "GET", nullptr, {}, timeout_ms);
  }

  // A POST with a chunked body (no Content-Length), which the receiver refuses.
  CurlResult PostChunked(const std::string& url, const std::string& body) {
    return Send(url, "POST", &body, {"Transfer-Encoding: chunked"}, 10000, /*chunked=*/true);
  }

 private:
  struct Upload {
    const std::string* body;
    size_t offset = 0;
  };

  CurlResult Send(const std::string& url, const std::string& method, const std::string* body,
                  const std::vector<std::string>& headers, long timeout_ms, bool chunked = false) {
    CURL* h = handle_.get();
    curl_easy_reset(h);  // keeps the connection cache: the next transfer reuses the connection
    CurlResult result;
    curl_slist* list = nullptr;
    for (const std::string& header : headers) list = curl_slist_append(list, header.c_str());
    char error[CURL_ERROR_SIZE] = {0};
    Upload upload{body};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CurlClient::OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &result);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CurlClient::OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &result);
    if (method == "POST" && chunked) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &CurlClient::OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    } else if (method == "POST") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    const auto start = std::chrono::steady_clock::now();
    result.code = curl_easy_perform(h);
    result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &result.connects);
    result.error = error;
    curl_slist_free_all(list);
    return result;
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<CurlResult*>(user)->body.append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* result = static_cast<CurlResult*>(user);
    std::string line(data, size * n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
      result->status_lines.push_back(line);
      result->headers.clear();  // a new response (after 100 Continue): its own headers
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t value = line.find_first_not_of(' ', colon + 1);
      result->headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    return size * n;
  }
  static size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const size_t length = std::min(size * n, upload->body->size() - upload->offset);
    upload->body->copy(buffer, length, upload->offset);
    upload->offset += length;
    return length;
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle_;
};

}  // namespace gongshi::testing
