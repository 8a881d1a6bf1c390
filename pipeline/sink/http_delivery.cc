#include "pipeline/sink/http_delivery.h"

#include <cstdio>
#include <cstdlib>
#include <random>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"
#include "pipeline/sink/feed_writer.h"

namespace gongshi {
namespace {}  // namespace

Result<std::string> ResolveAuthHeader(const HttpConfig& config) {
  std::string token;
  if (!config.token_file.empty()) {
    auto read = ReadSmallFile(config.token_file, 64 << 10);
    if (!read) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("http.auth.token_file: {}", read.error().message()));
    }
    token = std::move(*read);
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    if (token.empty()) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("http.auth.token_file {} is empty", config.token_file));
    }
  } else if (!config.token_env.empty()) {
    const char* value = std::getenv(config.token_env.c_str());
    if (value == nullptr || *value == '\0') {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("http.auth.token_env: ${} is not set", config.token_env));
    }
    token = value;
  } else {
    return std::string();
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return Fail(ErrorCode::kInvalidConfig, "http.auth: the token holds a line break");
  }
  return config.auth_scheme.empty()
             ? fmt::format("{}: {}", config.auth_header, token)
             : fmt::format("{}: {} {}", config.auth_header, config.auth_scheme, token);
}

Result<std::unique_ptr<HttpDelivery>> HttpDelivery::Create(const HttpConfig& config,
                                                           StateStore& store, std::string out_dir) {
  std::unique_ptr<HttpDelivery> delivery(new HttpDelivery(config, store, std::move(out_dir)));
  auto auth = ResolveAuthHeader(config);
  if (!auth) return Fail(auth.error());
  HttpSinkOptions options;
  options.url = config.url;
  options.auth_header = std::move(*auth);
  options.ca_file = config.ca_file;
  options.client_cert = config.client_cert;
  options.client_key = config.client_key;
  options.verify_tls = config.verify_tls;
  options.connect_timeout_ms = config.connect_timeout_ms;
  options.timeout_ms = config.timeout_ms;
  options.abort = &delivery->abort_;
  auto sink = HttpSink::Create(options);
  if (!sink) return Fail(sink.error());
  delivery->sink_ = std::move(*sink);
  if (auto made = EnsureDirectory(delivery->out_dir_ + "/dlq/http"); !made) {
    return Fail(made.error());
  }
  if (auto counted = delivery->RefreshPending(); !counted) return Fail(counted.error());
  return delivery;
}

HttpDelivery::HttpDelivery(const HttpConfig& config, StateStore& store, std::string out_dir)
    : config_(config),
      store_(store),
      out_dir_(std::move(out_dir)),
      random_state_(std::random_device{}()) {}

HttpDelivery::~HttpDelivery() { Stop(); }

Status HttpDelivery::RefreshPending() {
  if (auto listed = store_.ListOutbox(config_.max_pending_batches + 1, scratch_); !listed) {
    return listed;
  }
  pending_.store(scratch_.size());
  return Ok();
}

Result<DeliveryStep> HttpDelivery::SendOldest() {
  DeliveryStep step;
  if (auto listed = store_.ListOutbox(1, scratch_); !listed) return Fail(listed.error());
  if (scratch_.empty()) {
    pending_.store(0);
    return step;
  }
  OutboxEntry entry = std::move(scratch_.front());
  step.sequence = entry.sequence;
  step.batch_id = entry.batch_id;
  step.records = entry.records;
  std::string body;
  for (const std::string& file : entry.files) {
    auto part = ReadSmallFile(out_dir_ + "/" + file, 1ull << 30);
    if (!part) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("http: batch {} ({}): its feed file {} cannot be read: {}",
                              entry.sequence, entry.batch_id, file, part.error().message()));
    }
    body += *part;
  }
  const std::string digest = HexEncode(Sha256(body));
  const int64_t started_ms = UnixMillisNow();
  const HttpAnswer answer =
      sink_->Post(body, entry.batch_id, entry.sequence, entry.records, digest);
  step.status = answer.status;
  step.attempts = entry.attempts + 1;
  StateStore::Transaction transaction;
  if (answer.delivery == Delivery::kRetry) {
    entry.attempts += 1;
    if (entry.first_attempt_ms == 0) entry.first_attempt_ms = started_ms;
    entry.last_error = answer.error;
    transaction.PutOutbox(entry);
    if (auto committed = store_.Commit(transaction); !committed) return Fail(committed.error());
    // xorshift: jitter only, no cryptographic need.
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    step.what = DeliveryStep::What::kRetry;
    step.error = answer.error;
    step.wait_ms = BackoffMs(entry.attempts, answer.retry_after_ms, config_.backoff_initial_ms,
                             config_.backoff_max_ms, random_state_);
    return step;
  }
  Receipt receipt;
  receipt.sequence = entry.sequence;
  receipt.batch_id = entry.batch_id;
  receipt.status = answer.status;
  receipt.answer = answer.body;
  receipt.attempts = entry.attempts + 1;
  receipt.answered_ms = UnixMillisNow();
  if (answer.delivery == Delivery::kRefused) {
    // The site will not take it as it is: the batch goes to the dead-letter with the answer, for
    // a person (a retry would get the same answer).
    std::string note = "{";
    AppendJsonKey(note, "batch_id", true);
    AppendJsonString(note, entry.batch_id);
    AppendJsonKey(note, "batch_sequence");
    AppendJsonUint(note, entry.sequence);
    AppendJsonKey(note, "records");
    AppendJsonUint(note, entry.records);
    AppendJsonKey(note, "status");
    AppendJsonUint(note, static_cast<uint64_t>(answer.status));
    AppendJsonKey(note, "answer");
    AppendJsonString(note, answer.body);
    AppendJsonKey(note, "feed_files");
    note.push_back('[');
    for (size_t i = 0; i < entry.files.size(); ++i) {
      if (i > 0) note.push_back(',');
      AppendJsonString(note, entry.files[i]);
    }
    note.append("]}\n");
    const std::string path =
        fmt::format("{}/dlq/http/{:010}-{}.json", out_dir_, entry.sequence, entry.batch_id);
    if (auto written = WriteFileAtomically(path, note); !written) return Fail(written.error());
    step.what = DeliveryStep::What::kRefused;
    step.error = answer.error;
  } else {
    step.what = DeliveryStep::What::kAcknowledged;
  }
  transaction.DeleteOutbox(entry.sequence);
  transaction.PutReceipt(receipt);
  if (auto committed = store_.Commit(transaction); !committed) return Fail(committed.error());
  if (pending_.load() > 0) pending_.fetch_sub(1);
  return step;
}

Result<uint64_t> HttpDelivery::Drain(std::chrono::milliseconds budget, const StepFn& on_step) {
  const auto until = std::chrono::steady_clock::now() + budget;
  for (;;) {
    auto step = SendOldest();
    if (!step) return Fail(step.error());
    if (on_step && step->what != DeliveryStep::What::kIdle) on_step(*step);
    if (step->what == DeliveryStep::What::kIdle) return uint64_t{0};
    if (step->what == DeliveryStep::What::kRetry) {
      const auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(step->wait_ms);
      if (next >= until) break;
      std::this_thread::sleep_until(next);
    }
    if (std::chrono::steady_clock::now() >= until) break;
  }
  if (auto counted = RefreshPending(); !counted) return Fail(counted.error());
  // Count all of them for the caller's message, not just up to the pause threshold.
  if (auto listed = store_.ListOutbox(SIZE_MAX, scratch_); !listed) return Fail(listed.error());
  return static_cast<uint64_t>(scratch_.size());
}

void HttpDelivery::Start(StepFn on_step, std::function<void(const Error&)> on_error) {
  thread_ = std::thread([this, on_step = std::move(on_step), on_error = std::move(on_error)] {
    Run(on_step, on_error);
  });
}

void HttpDelivery::Notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void HttpDelivery::Stop() {
  abort_.store(true);
  Notify();
  if (thread_.joinable()) thread_.join();
}

void HttpDelivery::Run(StepFn on_step, std::function<void(const Error&)> on_error) {
  while (!abort_.load()) {
    auto step = SendOldest();
    if (!step) {
      if (abort_.load()) return;
      if (on_error) on_error(step.error());
      return;
    }
    if (auto counted = RefreshPending(); !counted) {
      if (on_error) on_error(counted.error());
      return;
    }
    if (step->what != DeliveryStep::What::kIdle && !(abort_.load() && step->status == 0)) {
      if (on_step) on_step(*step);
    }
    std::chrono::milliseconds wait(0);
    if (step->what == DeliveryStep::What::kIdle) wait = std::chrono::milliseconds(200);
    if (step->what == DeliveryStep::What::kRetry) wait = std::chrono::milliseconds(step->wait_ms);
    if (wait.count() > 0) {
      std::unique_lock lock(mutex_);
      // A new batch wakes an idle sender; a retry waits its backoff out (or the stop).
      wake_.wait_for(lock, wait, [&] {
        return abort_.load() || (notified_ && step->what == DeliveryStep::What::kIdle);
      });
      notified_ = false;
    }
  }
}

Result<uint64_t> DrainHttp(const Config& config, StateStore& store, const std::string& out_dir) {
  if (!config.http.enabled) return uint64_t{0};
  auto delivery = HttpDelivery::Create(config.http, store, out_dir);
  if (!delivery) return Fail(delivery.error());
  auto left = (*delivery)->Drain(
      std::chrono::milliseconds(config.http.drain_timeout_ms), [](const DeliveryStep& step) {
        if (step.what == DeliveryStep::What::kRefused) {
          std::fprintf(stderr,
                       "gongshi: http: batch %llu refused (%s); it "
                       "is in dlq/http/\n",
                       static_cast<unsigned long long>(step.sequence), step.error.c_str());
        }
      });
  if (!left) return Fail(left.error());
  return *left;
}

}  // namespace gongshi
