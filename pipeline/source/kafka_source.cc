// KafkaSource over librdkafka's C consumer. One thread polls, copies each message (value, key,
// headers) into the batch's padded buffer and frees it at once, and runs the rebalance callbacks,
// which is what librdkafka 2.0.x needs (performance-notes.md: batch consume races with seek,
// pause and rebalance).
#include "pipeline/source/kafka_source.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <optional>

#include <fmt/ranges.h>
#include <librdkafka/rdkafka.h>

#include "pipeline/source/staging.h"

namespace gongshi {

std::string TopicPartition::ToString() const { return fmt::format("{}[{}]", topic, partition); }

namespace {

// Set before the user's properties, so each can be overridden.
constexpr std::pair<const char*, const char*> kDefaultProperties[] = {
    // A rebalance moves only the partitions that change owner; the others keep flowing.
    {"partition.assignment.strategy", "cooperative-sticky"},
    // The service commits a partition's offset only once the feed batch holding its records is
    // durable (spec: effectively once). librdkafka must neither commit nor store on its own.
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    // A new group starts at the beginning: records sent before the service first ran are due too.
    {"auto.offset.reset", "earliest"},
    {"enable.partition.eof", "false"},
    // Fewer, larger fetches: the broker waits up to 100 ms to gather 64 KiB.
    {"fetch.wait.max.ms", "100"},
    {"fetch.min.bytes", "65536"},
    // Once the prefetch queue is full, 2.0.2's fetcher leaves the partition alone for about a
    // second. The queue must therefore hold more than a second of what one worker processes, or
    // the worker runs dry in every back-off: ~10 us a record over the stages (performance-notes)
    // is ~100 MB/s of 1 KB records, so 256 MiB. queued.min.messages counts the same queue in
    // messages (100000 by default, a second at most) and must not bind first.
    {"queued.max.messages.kbytes", "262144"},
    {"queued.min.messages", "1000000"},
    {"client.id", "gongshi"},
};

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};

std::vector<TopicPartition> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> partitions;
  if (list == nullptr) return partitions;
  partitions.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    partitions.push_back({list->elems[i].topic, list->elems[i].partition});
  }
  return partitions;
}

// librdkafka reads -1 as RD_KAFKA_OFFSET_END ("only messages produced from now on"). The
// service's kCommittedOffset means "where the group left off", which librdkafka spells
// RD_KAFKA_OFFSET_INVALID.
int64_t ToRdKafkaOffset(int64_t next_offset) {
  return next_offset >= 0 ? next_offset : RD_KAFKA_OFFSET_INVALID;
}

// Errors a retry cannot fix: the handle is dead, or the cluster refuses us. Everything else
// (coordinator moving, rebalance in progress, timeouts, broker down) goes away by itself.
ErrorCode CodeFor(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID: return ErrorCode::kInternal;
    case RD_KAFKA_RESP_ERR__DESTROY: return ErrorCode::kCancelled;
    default: return ErrorCode::kUnavailable;
  }
}

// Property values can be secrets (sasl.password, ssl.key.password) and librdkafka's message
// quotes the value: keep it out of the error for such keys.
bool IsSecretProperty(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("secret") != std::string_view::npos ||
         name.find(".pem") != std::string_view::npos ||
         name.find("oauthbearer.config") != std::string_view::npos;
}

// A message that arrived while its partition could not take it: staged into its own buffer as
// it would have been into the batch's (value cut to max_record_bytes, key, headers).
struct PendingMessage {
  std::vector<char> bytes;
  StagedMessage staged;  // positions in `bytes`
};

struct PartitionState {
  TopicPartition tp;
  uint32_t source_index = 0;
  // Read from librdkafka but not handed out yet, in offset order: past the partition's limit, or
  // arrived while paused. New messages queue behind them so the order holds.
  std::deque<PendingMessage> pending;
  bool paused = false;  // by the service
  // Paused by us at a limit cut, until its pending messages are handed out: resuming then
  // fetches again from after the last message librdkafka gave us, so nothing piles up meanwhile.
  bool held = false;
  int64_t next_offset = -1;  // the next offset the service will receive; -1 unknown
  int64_t limit = kNoLimit;  // the Poll limit, asked once per Poll
  uint64_t limit_poll = 0;   // the Poll `limit` was asked in
  int slot = -1;             // its batch's index in the running Poll's output, or -1
};

struct Slot {
  PartitionState* state = nullptr;  // null once its partition was revoked during the Poll
  std::vector<StagedMessage> staged;
};

}  // namespace

class KafkaSource::Impl {
 public:
  Impl(const KafkaSourceOptions& options, PartitionListener& listener)
      : options_(options), listener_(listener) {}

  ~Impl() {
    Close();
    if (rk_ == nullptr) return;
    if (destroy_would_abort_) {
      // See Close. Leaking the handle is the lesser harm: its threads end with the process.
      Log(RD_KAFKA_RESP_ERR__STATE,
          "closed between joining the group and a first assignment: the consumer handle is not "
          "destroyed, as librdkafka 2.0.2 would abort (librdkafka issue #4312)");
      return;
    }
    rd_kafka_destroy(rk_);
  }

  Status Start();
  Status Poll(std::chrono::milliseconds max_wait, size_t max_records, size_t max_bytes,
              std::vector<PartitionBatch>& out, const LimitFn& limit);
  Status Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets);
  Status Pause(const std::vector<TopicPartition>& partitions);
  Status Resume(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Assignment() const;
  std::vector<std::pair<TopicPartition, int64_t>> Lag() const;
  const KafkaSourceStats& stats() const { return stats_; }
  void Close();

 private:
  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<Impl*>(opaque)->OnRebalance(rk, err, partitions);
  }
  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    static_cast<Impl*>(opaque)->OnError(rk, static_cast<rd_kafka_resp_err_t>(err), reason);
  }

  void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list);
  void OnAssign(rd_kafka_topic_partition_list_t* list, bool cooperative);
  void OnRevoke(rd_kafka_topic_partition_list_t* list, bool cooperative, bool lost);
  void OnError(rd_kafka_t* rk, rd_kafka_resp_err_t err, const char* reason);
  void Fatal(Error error);
  bool Cooperative();
  // A consumer error librdkafka recovers from: counted and logged.
  void Report(rd_kafka_resp_err_t err, std::string_view text);
  // Logs at most one line per error code per 10 s.
  void Log(rd_kafka_resp_err_t err, std::string_view text);

  PartitionState* Find(const rd_kafka_message_t& message);
  int64_t LimitOf(PartitionState& state);
  Slot& SlotFor(PartitionState& state);
  // Appends a message (value, key, headers) to its partition's batch.
  void Stage(PartitionState& state, const rd_kafka_message_t& message);
  void Stage(PartitionState& state, const PendingMessage& message);
  void Staged(PartitionState& state, const StagedMessage& staged);
  void Accept(const rd_kafka_message_t& message);
  void DrainPending(size_t max_records, size_t max_bytes);
  void Finish(std::vector<PartitionBatch>& out);
  Status SetPaused(const std::vector<PartitionState*>& states, bool pause, std::string_view why);
  // Sets the service's pause or our hold; librdkafka's partition is paused while either is set.
  Status Update(PartitionState& state, bool paused, bool held, std::string_view why);
  Error FromKafka(rd_kafka_resp_err_t err, std::string_view what) const;
  uint32_t SourceIndex(const std::string& topic) const;

  KafkaSourceOptions options_;
  PartitionListener& listener_;
  rd_kafka_t* rk_ = nullptr;
  std::string where_;  // "group G at bootstrap", for messages
  std::map<TopicPartition, std::unique_ptr<PartitionState>> states_;
  PartitionState* last_ = nullptr;  // the last message's partition: messages come in runs
  std::optional<Error> failure_;    // sticky: the source is unusable
  bool closed_ = false;
  bool assigned_once_ = false;        // a SyncGroup succeeded: the sticky assignor has its state
  bool destroy_would_abort_ = false;  // see Close
  KafkaSourceStats stats_;

  // The running Poll.
  std::vector<PartitionBatch>* out_ = nullptr;
  const LimitFn* limit_ = nullptr;
  uint64_t poll_number_ = 0;
  std::vector<Slot> slots_;            // kept between Polls for their capacity
  std::vector<PartitionBatch> spare_;  // batches out of use, kept for their capacity
  size_t slot_count_ = 0;
  size_t records_ = 0;
  size_t bytes_ = 0;

  // Rate limit for Report: librdkafka repeats an error on every retry while a broker is down.
  std::map<int, std::chrono::steady_clock::time_point> last_reported_;
};

Error KafkaSource::Impl::FromKafka(rd_kafka_resp_err_t err, std::string_view what) const {
  return Error(CodeFor(err), fmt::format("kafka {} ({}): {} ({})", what, where_,
                                         rd_kafka_err2str(err), rd_kafka_err2name(err)));
}

uint32_t KafkaSource::Impl::SourceIndex(const std::string& topic) const {
  const auto& topics = options_.topics;
  for (size_t i = 0; i < topics.size(); ++i) {
    if (topics[i] == topic) return static_cast<uint32_t>(i);
  }
  for (size_t i = 0; i < topics.size(); ++i) {
    if (!topics[i].empty() && topics[i][0] == '^') return static_cast<uint32_t>(i);
  }
  return 0;
}

Status KafkaSource::Impl::Start() {
  if (options_.topics.empty()) {
    return Fail(ErrorCode::kInvalidConfig, "kafka: no topics to consume");
  }
  std::string group_id;
  std::string bootstrap;
  for (const auto& [name, value] : options_.properties) {
    if (name == "group.id") group_id = value;
    if (name == "bootstrap.servers" || name == "metadata.broker.list") bootstrap = value;
  }
  if (group_id.empty()) {
    return Fail(ErrorCode::kInvalidConfig,
                "kafka: group.id is required (offsets are committed for the consumer group)");
  }
  if (bootstrap.empty()) {
    return Fail(ErrorCode::kInvalidConfig, "kafka: bootstrap.servers is required");
  }
  where_ = fmt::format("group {} at {}", group_id, bootstrap);

  std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
  char errstr[512];
  auto set = [&](const std::string& name, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      return Fail(ErrorCode::kInvalidConfig,
                  fmt::format("kafka property '{}': {}", name,
                              IsSecretProperty(name) ? "invalid value" : errstr));
    }
    return Ok();
  };
  for (const auto& [name, value] : kDefaultProperties) {
    if (auto ok = set(name, value); !ok) return ok;
  }
  for (const auto& [name, value] : options_.properties) {
    if (auto ok = set(name, value); !ok) return ok;
  }
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::RebalanceCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &Impl::ErrorCallback);

  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    return Fail(ErrorCode::kInvalidConfig, fmt::format("kafka consumer ({}): {}", where_, errstr));
  }
  conf.release();  // rd_kafka_new owns it now
  // One queue for messages, rebalances and errors, so that all of them are served on the thread
  // that calls Poll.
  rd_kafka_poll_set_consumer(rk_);

  ListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
  for (const std::string& topic : options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get())) {
    Error error = FromKafka(err, fmt::format("subscribe to {}", fmt::join(options_.topics, ",")));
    return Fail(ErrorCode::kInvalidConfig, error.message());
  }
  return Ok();
}

void KafkaSource::Impl::Fatal(Error error) {
  if (!failure_) failure_ = std::move(error);
}

void KafkaSource::Impl::Report(rd_kafka_resp_err_t err, std::string_view text) {
  ++stats_.consumer_errors;
  Log(err, fmt::format("{}; librdkafka retries", text));
}

void KafkaSource::Impl::Log(rd_kafka_resp_err_t err, std::string_view text) {
  const auto now = std::chrono::steady_clock::now();
  auto [it, first] = last_reported_.try_emplace(static_cast<int>(err), now);
  if (!first && now - it->second < std::chrono::seconds(10)) return;
  it->second = now;
  const std::string line = fmt::format("kafka ({}): {} ({})", where_, text, rd_kafka_err2name(err));
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "gongshi: %s\n", line.c_str());
  }
}

void KafkaSource::Impl::OnError(rd_kafka_t* rk, rd_kafka_resp_err_t err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char text[512];
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, text, sizeof(text));
    Fatal(Error(ErrorCode::kInternal, fmt::format("kafka fatal error ({}): {} ({})", where_, text,
                                                  rd_kafka_err2name(cause))));
    return;
  }
  Report(err, reason);
}

void KafkaSource::Impl::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* list) {
  ++stats_.rebalance_events;
  last_ = nullptr;
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  // A listener that throws would unwind through librdkafka's C frames.
  try {
    switch (err) {
      case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS: OnAssign(list, cooperative); break;
      case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        OnRevoke(list, cooperative, rd_kafka_assignment_lost(rk) != 0);
        break;
      default: {
        // librdkafka's contract for a failed rebalance: drop the whole assignment. It may already
        // be someone else's, so it counts as lost.
        Report(err, fmt::format("rebalance failed: {}", rd_kafka_err2str(err)));
        ListPtr all(rd_kafka_topic_partition_list_new(static_cast<int>(states_.size())));
        for (const auto& [tp, state] : states_) {
          rd_kafka_topic_partition_list_add(all.get(), tp.topic.c_str(), tp.partition);
        }
        OnRevoke(all.get(), cooperative, /*lost=*/true);
        break;
      }
    }
  } catch (const std::exception& e) {
    Fatal(Error(ErrorCode::kInternal, fmt::format("partition listener threw: {}", e.what())));
  } catch (...) {
    Fatal(Error(ErrorCode::kInternal, "partition listener threw"));
  }
}

void KafkaSource::Impl::OnAssign(rd_kafka_topic_partition_list_t* list, bool cooperative) {
  assigned_once_ = true;
  const std::vector<TopicPartition> partitions = FromList(list);
  std::vector<PartitionState*> added;
  for (const TopicPartition& tp : partitions) {
    auto& state = states_[tp];
    if (!state) {
      state = std::make_unique<PartitionState>();
      state->tp = tp;
      state->source_index = SourceIndex(tp.topic);
    }
    added.push_back(state.get());
  }
  Result<std::vector<int64_t>> offsets = std::vector<int64_t>();
  if (!partitions.empty()) offsets = listener_.Assigned(partitions);
  if (offsets && offsets->size() != partitions.size()) {
    offsets = Fail(ErrorCode::kInternal,
                   fmt::format("partition listener returned {} offsets for {} partitions",
                               offsets->size(), partitions.size()));
  }
  // Every element is set: librdkafka may have filled in the offset a partition had when this
  // consumer last held it, which is not where the service wants to resume.
  for (int i = 0; i < list->cnt; ++i) {
    const int64_t next = offsets ? (*offsets)[static_cast<size_t>(i)] : kCommittedOffset;
    list->elems[i].offset = ToRdKafkaOffset(next);
    added[static_cast<size_t>(i)]->next_offset = next >= 0 ? next : -1;
  }
  if (cooperative) {
    if (ErrorPtr error{rd_kafka_incremental_assign(rk_, list)}) {
      Fatal(Error(ErrorCode::kInternal, fmt::format("kafka incremental assign ({}): {}", where_,
                                                    rd_kafka_error_string(error.get()))));
    }
  } else if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list)) {
    Fatal(FromKafka(err, "assign"));
  }
  if (!offsets) {
    // Nothing may be read until the service knows where to start; the error stops it.
    Fatal(Error(
        offsets.error().code(),
        fmt::format("partition listener could not place {} partition(s) from {}: {}",
                    partitions.size(), partitions.front().ToString(), offsets.error().message())));
    if (!added.empty()) (void)SetPaused(added, true, "hold after a failed Assigned");
  }
}

void KafkaSource::Impl::OnRevoke(rd_kafka_topic_partition_list_t* list, bool cooperative,
                                 bool lost) {
  const std::vector<TopicPartition> partitions = FromList(list);
  std::vector<PartitionState*> paused;
  for (const TopicPartition& tp : partitions) {
    auto it = states_.find(tp);
    if (it == states_.end()) continue;
    PartitionState& state = *it->second;
    // Read but not handed out: the next owner reads them again from the committed offset.
    if (state.slot >= 0) slots_[static_cast<size_t>(state.slot)].state = nullptr;
    state.slot = -1;
    state.pending.clear();
    if (state.paused || state.held) paused.push_back(&state);
  }
  if (!partitions.empty()) {
    if (lost) {
      listener_.Lost(partitions);
    } else {
      listener_.Revoked(partitions);
    }
  }
  if (cooperative) {
    if (ErrorPtr error{rd_kafka_incremental_unassign(rk_, list)}) {
      Fatal(Error(ErrorCode::kInternal, fmt::format("kafka incremental unassign ({}): {}", where_,
                                                    rd_kafka_error_string(error.get()))));
    }
  } else if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk_, nullptr)) {
    Fatal(FromKafka(err, "unassign"));
  }
  // librdkafka keeps an application pause on the partition object across assignments: without
  // this, a partition paused when it left would come back paused and never be read.
  if (!paused.empty()) (void)SetPaused(paused, false, "forget the pause of revoked partitions");
  for (const TopicPartition& tp : partitions) states_.erase(tp);
}

Status KafkaSource::Impl::Update(PartitionState& state, bool paused, bool held,
                                 std::string_view why) {
  const bool was = state.paused || state.held;
  state.paused = paused;
  state.held = held;
  if (was == (paused || held)) return Ok();
  return SetPaused({&state}, paused || held, why);
}

Status KafkaSource::Impl::SetPaused(const std::vector<PartitionState*>& states, bool pause,
                                    std::string_view why) {
  if (states.empty()) return Ok();
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(states.size())));
  for (const PartitionState* state : states) {
    rd_kafka_topic_partition_list_add(list.get(), state->tp.topic.c_str(), state->tp.partition);
  }
  // Pausing bumps the partition's version, so messages already fetched for it are discarded
  // and, on resume, fetched again from after the last one Poll received: nothing is skipped.
  rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(rk_, list.get())
                                  : rd_kafka_resume_partitions(rk_, list.get());
  for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        list->elems[i].err != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
      err = list->elems[i].err;
    }
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Fail(FromKafka(err, why));
  return Ok();
}

PartitionState* KafkaSource::Impl::Find(const rd_kafka_message_t& message) {
  const char* topic = rd_kafka_topic_name(message.rkt);
  if (last_ != nullptr && last_->tp.partition == message.partition && last_->tp.topic == topic) {
    return last_;
  }
  auto it = states_.find(TopicPartition{topic, message.partition});
  last_ = it == states_.end() ? nullptr : it->second.get();
  return last_;
}

int64_t KafkaSource::Impl::LimitOf(PartitionState& state) {
  if (state.limit_poll != poll_number_) {
    state.limit_poll = poll_number_;
    state.limit = (limit_ != nullptr && *limit_) ? (*limit_)(state.tp) : kNoLimit;
  }
  return state.limit;
}

Slot& KafkaSource::Impl::SlotFor(PartitionState& state) {
  if (state.slot < 0) {
    const size_t index = slot_count_++;
    if (slots_.size() <= index) slots_.resize(index + 1);
    if (out_->size() <= index) {
      // A batch put aside by an earlier Poll, with its buffers' capacity (a fresh one would
      // grow them again, page by page, every time the number of partitions polled changes).
      if (spare_.empty()) {
        out_->resize(index + 1);
      } else {
        out_->push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
    }
    PartitionBatch& batch = (*out_)[index];
    batch.tp = state.tp;
    batch.batch.Clear();
    slots_[index].state = &state;
    slots_[index].staged.clear();
    state.slot = static_cast<int>(index);
  }
  return slots_[static_cast<size_t>(state.slot)];
}

void KafkaSource::Impl::Stage(PartitionState& state, const rd_kafka_message_t& message) {
  Slot& slot = SlotFor(state);
  std::vector<char>& bytes = (*out_)[static_cast<size_t>(state.slot)].batch.bytes;
  slot.staged.push_back(StageKafkaMessage(bytes, message, options_.max_record_bytes));
  Staged(state, slot.staged.back());
}

void KafkaSource::Impl::Stage(PartitionState& state, const PendingMessage& message) {
  Slot& slot = SlotFor(state);
  std::vector<char>& bytes = (*out_)[static_cast<size_t>(state.slot)].batch.bytes;
  slot.staged.push_back(RestageMessage(bytes, message.bytes, message.staged));
  Staged(state, slot.staged.back());
}

void KafkaSource::Impl::Staged(PartitionState& state, const StagedMessage& staged) {
  state.next_offset = staged.offset + 1;
  records_ += 1;
  // Keys and headers take memory like values: the batch's byte budget counts them.
  bytes_ += staged.size + staged.key_size + staged.headers_size;
}

void KafkaSource::Impl::Accept(const rd_kafka_message_t& message) {
  PartitionState* state = Find(message);
  // Not ours (any more): librdkafka's version barriers should have discarded it. Whoever holds
  // the partition reads it.
  if (state == nullptr) return;
  const int64_t limit = LimitOf(*state);
  const bool past_limit = limit >= 0 && message.offset >= limit;
  if (past_limit || state->paused || state->held || !state->pending.empty()) {
    PendingMessage& pending = state->pending.emplace_back();
    pending.staged = StageKafkaMessage(pending.bytes, message, options_.max_record_bytes);
    if (past_limit && !state->held) {
      if (auto ok = Update(*state, state->paused, true, "hold at limit"); !ok) Fatal(ok.error());
    }
    return;
  }
  Stage(*state, message);
}

void KafkaSource::Impl::DrainPending(size_t max_records, size_t max_bytes) {
  for (auto& [tp, state] : states_) {
    if (state->pending.empty() || state->paused) continue;
    const int64_t limit = LimitOf(*state);
    while (!state->pending.empty() && records_ < max_records && bytes_ < max_bytes) {
      const PendingMessage& message = state->pending.front();
      if (limit >= 0 && message.staged.offset >= limit) break;
      Stage(*state, message);
      state->pending.pop_front();
    }
    if (state->pending.empty() && state->held) {
      if (auto ok = Update(*state, state->paused, false, "release after limit"); !ok) {
        Fatal(ok.error());
      }
    }
  }
}

void KafkaSource::Impl::Finish(std::vector<PartitionBatch>& out) {
  size_t used = 0;
  for (size_t i = 0; i < slot_count_; ++i) {
    Slot& slot = slots_[i];
    if (slot.state == nullptr) continue;  // revoked while we read it
    slot.state->slot = -1;
    if (used != i) std::swap(out[used], out[i]);
    PartitionBatch& partition = out[used++];
    // The views are taken only now: batch.bytes no longer grows.
    stats_.too_large += MakeRecordViews(partition.batch, slot.staged, slot.state->source_index,
                                        partition.tp.partition);
    partition.first_offset = slot.staged.front().offset;
    partition.end_offset = slot.staged.back().offset + 1;
    stats_.messages += slot.staged.size();
  }
  // The batches not used this time keep their buffers for the next Poll.
  while (out.size() > used) {
    spare_.push_back(std::move(out.back()));
    out.pop_back();
  }
}

Status KafkaSource::Impl::Poll(std::chrono::milliseconds max_wait, size_t max_records,
                               size_t max_bytes, std::vector<PartitionBatch>& out,
                               const LimitFn& limit) {
  if (failure_) {
    out.clear();
    return Fail(*failure_);
  }
  if (closed_) {
    out.clear();
    return Fail(ErrorCode::kCancelled, "kafka source is closed");
  }
  ++poll_number_;
  out_ = &out;
  limit_ = &limit;
  slot_count_ = 0;
  records_ = 0;
  bytes_ = 0;
  DrainPending(max_records, max_bytes);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  while (records_ < max_records && bytes_ < max_bytes && !failure_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    // Rebalance and error callbacks run inside this call.
    MessagePtr message(rd_kafka_consumer_poll(rk_, timeout_ms));
    if (message == nullptr) {
      if (timeout_ms == 0) break;
      continue;  // a callback was served, or the wait ended: the loop checks the time
    }
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Accept(*message);
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err == RD_KAFKA_RESP_ERR__FATAL) {
      OnError(rk_, message->err, rd_kafka_message_errstr(message.get()));
      break;
    }
    const std::string text =
        message->rkt != nullptr
            ? fmt::format("{}[{}]: {}", rd_kafka_topic_name(message->rkt), message->partition,
                          rd_kafka_message_errstr(message.get()))
            : std::string(rd_kafka_message_errstr(message.get()));
    Report(message->err, text);
  }
  out_ = nullptr;
  limit_ = nullptr;
  if (failure_) {
    for (size_t i = 0; i < slot_count_; ++i) {
      if (slots_[i].state != nullptr) slots_[i].state->slot = -1;
    }
    out.clear();
    return Fail(*failure_);
  }
  Finish(out);
  stats_.bytes += bytes_;
  return Ok();
}

Status KafkaSource::Impl::Commit(
    const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) {
  if (next_offsets.empty()) return Ok();
  if (closed_) return Fail(ErrorCode::kCancelled, "kafka source is closed");
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
  for (const auto& [tp, offset] : next_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.get(), /*async=*/0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return Fail(FromKafka(err, "commit"));
  }
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& element = list->elems[i];
    if (element.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Fail(FromKafka(element.err, fmt::format("commit of {}[{}] at {}", element.topic,
                                                     element.partition, element.offset)));
    }
  }
  return Ok();
}

Status KafkaSource::Impl::Pause(const std::vector<TopicPartition>& partitions) {
  std::vector<PartitionState*> changed;
  for (const TopicPartition& tp : partitions) {
    auto it = states_.find(tp);
    if (it == states_.end() || it->second->paused) continue;
    it->second->paused = true;
    if (!it->second->held) changed.push_back(it->second.get());
  }
  return SetPaused(changed, true, "pause");
}

Status KafkaSource::Impl::Resume(const std::vector<TopicPartition>& partitions) {
  std::vector<PartitionState*> changed;
  for (const TopicPartition& tp : partitions) {
    auto it = states_.find(tp);
    if (it == states_.end() || !it->second->paused) continue;
    it->second->paused = false;
    // A held partition stays paused in librdkafka until its pending messages are handed out.
    if (!it->second->held) changed.push_back(it->second.get());
  }
  return SetPaused(changed, false, "resume");
}

std::vector<TopicPartition> KafkaSource::Impl::Assignment() const {
  std::vector<TopicPartition> partitions;
  partitions.reserve(states_.size());
  for (const auto& [tp, state] : states_) partitions.push_back(tp);
  return partitions;
}

std::vector<std::pair<TopicPartition, int64_t>> KafkaSource::Impl::Lag() const {
  std::vector<std::pair<TopicPartition, int64_t>> lags;
  lags.reserve(states_.size());
  for (const auto& [tp, state] : states_) {
    int64_t low = -1;
    int64_t high = -1;
    int64_t lag = -1;
    // Cached from fetch responses: no request to the broker, so it is cheap to call per scrape.
    if (rd_kafka_get_watermark_offsets(rk_, tp.topic.c_str(), tp.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      const int64_t next =
          !state->pending.empty() ? state->pending.front().staged.offset : state->next_offset;
      if (next >= 0) {
        lag = std::max<int64_t>(0, high - next);
      } else if (low >= 0 && low == high) {
        lag = 0;  // an empty partition: wherever we start, nothing is behind
      }
    }
    lags.emplace_back(tp, lag);
  }
  return lags;
}

bool KafkaSource::Impl::Cooperative() {
  const char* protocol = rd_kafka_rebalance_protocol(rk_);
  return protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
}

void KafkaSource::Impl::Close() {
  if (closed_ || rk_ == nullptr) return;
  closed_ = true;
  // librdkafka 2.0.2 aborts in rd_kafka_destroy (an assert in the cooperative-sticky assignor,
  // issue #4312, fixed in 2.3.0) when the consumer got a JoinGroup answer but no assignment yet,
  // as when it stops during a rebalance whose SyncGroup failed. Wait a little for the assignment
  // so the handle can be destroyed; messages read meanwhile are not handed out (nothing of them
  // is committed, so the next owner reads them).
  if (!assigned_once_ && Cooperative()) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!assigned_once_ && std::chrono::steady_clock::now() < deadline) {
      MessagePtr ignored(rd_kafka_consumer_poll(rk_, 100));
    }
  }
  // Runs the rebalance callback for what is held (the listener's Revoked), commits nothing by
  // itself (enable.auto.commit=false) and leaves the group, so the partitions move at once
  // instead of after session.timeout.ms.
  if (const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_)) {
    Log(err, fmt::format("closing the consumer: {}", rd_kafka_err2str(err)));
  }
  // A JoinGroup answer may also have come while closing.
  destroy_would_abort_ = !assigned_once_ && Cooperative();
  states_.clear();
  last_ = nullptr;
}

KafkaSource::KafkaSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaSource::~KafkaSource() = default;

Result<std::unique_ptr<KafkaSource>> KafkaSource::Create(const KafkaSourceOptions& options,
                                                         PartitionListener& listener) {
  auto impl = std::make_unique<Impl>(options, listener);
  if (auto started = impl->Start(); !started) return Fail(started.error());
  return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(impl)));
}

Status KafkaSource::Poll(std::chrono::milliseconds max_wait, size_t max_records, size_t max_bytes,
                         std::vector<PartitionBatch>& out, const LimitFn& limit) {
  return impl_->Poll(max_wait, max_records, max_bytes, out, limit);
}
Status KafkaSource::Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) {
  return impl_->Commit(next_offsets);
}
Status KafkaSource::Pause(const std::vector<TopicPartition>& partitions) {
  return impl_->Pause(partitions);
}
Status KafkaSource::Resume(const std::vector<TopicPartition>& partitions) {
  return impl_->Resume(partitions);
}
std::vector<TopicPartition> KafkaSource::Assignment() const { return impl_->Assignment(); }
std::vector<std::pair<TopicPartition, int64_t>> KafkaSource::Lag() const { return impl_->Lag(); }
const KafkaSourceStats& KafkaSource::stats() const { return impl_->stats(); }
void KafkaSource::Close() { impl_->Close(); }

}  // namespace gongshi
