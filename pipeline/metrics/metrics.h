// ServiceMetrics: every Prometheus family gongshi exports, defined once and resolved at start-up,
// so the record path only fills a plain BatchCounts and adds it once per batch. HttpServer
// (http_server.h) serves Serialize() on /metrics.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/record/error.h"
#include "pipeline/record/flush_cause.h"
#include "pipeline/record/lateness.h"
#include "pipeline/record/pii_kind.h"
#include "pipeline/record/record.h"
#include "pipeline/record/reject_reason.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace gongshi {

// Which output a failed write was for: the label values of gongshi_sink_write_errors_total{sink}.
enum class WriteTarget : uint8_t { kFeed, kDeadLetter, kWithheld };
inline constexpr size_t kWriteTargetCount = static_cast<size_t>(WriteTarget::kWithheld) + 1;
std::string_view WriteTargetName(WriteTarget target);  // "feed", "dead_letter", "withheld"

inline constexpr size_t kOutcomeCount = static_cast<size_t>(Outcome::kRejected) + 1;
#define GONGSHI_COUNT_REJECT_REASON(name, code, text) +1
inline constexpr size_t kRejectReasonCount = 0 GONGSHI_REJECT_REASONS(GONGSHI_COUNT_REJECT_REASON);
#undef GONGSHI_COUNT_REJECT_REASON

// Bucket upper bounds. End-to-end latency runs from the broker's append timestamp to the durable
// feed file, so it includes batching by age (minutes) and catching up after an outage (hours).
inline constexpr std::array<double, 18> kEndToEndLatencyBucketsSeconds = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600};
// Records per flushed feed batch; batch.max_records defaults to 16384.
inline constexpr std::array<double, 12> kBatchSizeBucketsRecords = {
    1, 10, 50, 100, 500, 1000, 2000, 5000, 10000, 16384, 50000, 100000};
// Working days from the decision date to publication. Latencies are whole days, so each bound is
// one day up to the statutory 7 (and 8, the first late day); past that only the tail's shape
// matters: a backlog published weeks late, or a source re-sending old decisions.
inline constexpr std::array<double, 14> kPublicationLatencyBucketsWorkingDays = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 30, 60};
// From the end of a publication period to its withdrawal: an hour to a month.
inline constexpr std::array<double, 8> kWithdrawalLatencyBucketsSeconds = {
    3600, 6 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 30 * 86400, 365 * 86400};

// A histogram kept by one thread without a lock, added to the shared one once per batch.
template <const auto& kBounds>
struct LocalHistogram {
  static constexpr size_t kBucketCount = std::size(kBounds) + 1;  // the last one is +Inf

  std::array<uint64_t, kBucketCount> buckets{};  // per bucket, not cumulative
  uint64_t count = 0;
  double sum = 0;

  void Observe(double value) {
    if (!(value >= 0)) {
      // Skewed clocks make a broker timestamp look like the future; count that as no delay. NaN
      // would poison the sum for good, so it is dropped.
      if (std::isnan(value)) return;
      value = 0;
    }
    // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
    const auto bucket = std::lower_bound(std::begin(kBounds), std::end(kBounds), value);
    ++buckets[static_cast<size_t>(bucket - std::begin(kBounds))];
    ++count;
    sum += value;
  }
};

// What one batch did, counted by the thread that processed it. A plain value: fill it without
// locks on the record path, then hand it to ServiceMetrics::Add() once. Reset with `= {}`.
struct BatchCounts {
  uint64_t records_read = 0;
  uint64_t bytes_read = 0;
  std::array<uint64_t, kOutcomeCount> outcomes{};          // indexed by Outcome; kPending unused
  std::array<uint64_t, kRejectReasonCount> rejects{};      // indexed by RejectReason
  std::array<uint64_t, kWithholdReasonCount> withheld{};   // indexed by WithholdReason
  std::array<uint64_t, kPiiKindCount> redactions{};        // indexed by PiiKind
  uint64_t provisional_deadlines = 0;  // deadlines computed over a year with no holiday notice
  std::array<uint64_t, kFlushCauseCount> flushes{};        // indexed by FlushCause (kNone unused)
  LocalHistogram<kBatchSizeBucketsRecords> batch_records;  // one sample per flushed feed batch
  uint64_t feed_bytes_written = 0;
  LocalHistogram<kEndToEndLatencyBucketsSeconds> end_to_end_latency_seconds;  // one per record
  // Per published record: how late, and who is to blame. Index 0 (not published) is not a label
  // of gongshi_deadline_records_total and is ignored by Add().
  LocalHistogram<kPublicationLatencyBucketsWorkingDays> publication_latency_working_days;
  std::array<uint64_t, kLatenessCount> lateness{};  // indexed by static_cast<size_t>(Lateness)
  // Credit-repair withdrawals: from the repair day to the durable withdrawal.
  LocalHistogram<kWithdrawalLatencyBucketsSeconds> repair_latency_seconds;
  // Revocations: from the message's broker timestamp to the durable withdrawal.
  LocalHistogram<kWithdrawalLatencyBucketsSeconds> revocation_latency_seconds;

  // Counts a record that has reached its final outcome.
  void CountRecord(const Record& record) {
    // The bounds checks cost a compare each; an enumerator added without updating the counts
    // above must not write past the arrays.
    const auto outcome = static_cast<size_t>(record.outcome);
    if (outcome < outcomes.size()) ++outcomes[outcome];
    if (record.outcome == Outcome::kRejected) {
      const auto reason = static_cast<size_t>(record.reject_reason);
      if (reason < rejects.size()) ++rejects[reason];
    } else if (record.outcome == Outcome::kWithheld) {
      const auto reason = static_cast<size_t>(record.withhold_reason);
      if (reason < withheld.size()) ++withheld[reason];
    }
    if (record.deadline_provisional) ++provisional_deadlines;
  }
  void CountFlush(FlushCause cause, uint64_t records, uint64_t bytes_written) {
    ++flushes[static_cast<size_t>(cause)];
    batch_records.Observe(static_cast<double>(records));
    feed_bytes_written += bytes_written;
  }
  void AddRedactions(PiiKind kind, uint64_t n) { redactions[static_cast<size_t>(kind)] += n; }
};

// Constant labels of gongshi_build_info. Fixed at build time, so bounded.
struct BuildInfo {
  // Default member initialisers let a caller name only what it has (`{.version = "0.1.0"}`)
  // without -Wmissing-field-initializers.
  std::string version{};   // e.g. "0.1.0"
  std::string revision{};  // git commit, or empty
};

// Owns the registry and every family. Thread-safe: Add() and the counters are atomic adds to
// children resolved at start-up; only the partition methods take a lock (never per record).
class ServiceMetrics {
 public:
  // prometheus-cpp reports a bad name or label by throwing; this is the one place that can
  // happen, so it is caught here and returned as kInternal.
  static Result<std::unique_ptr<ServiceMetrics>> Create(const BuildInfo& build);
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // Adds one batch's counts. Lock-free apart from the histograms (one short lock each).
  void Add(const BatchCounts& counts);

  void CountCommitFailure();
  void CountWriteError(WriteTarget target);

  // Consumer-group assignment (from the rebalance callback): creates or removes the lag children,
  // so the lag family holds exactly the assigned partitions.
  void AssignPartitions(std::string_view topic, std::span<const int32_t> partitions);
  void RevokePartitions(std::string_view topic, std::span<const int32_t> partitions);
  void RevokeAllPartitions();
  // Lag of an assigned partition (high watermark - committed). Ignored for a partition that is
  // not assigned, so a late stats callback cannot bring a revoked child back.
  void SetConsumerLag(std::string_view topic, int32_t partition, int64_t lag_messages);

  // State-store figures, set by whoever polls RocksDB's properties (not per scrape: property
  // reads are not free).
  void SetStateFigures(uint64_t estimated_keys, uint64_t sst_bytes);

  // Deadline figures over the records held and not yet published, set by whoever scans them.
  // `oldest_slack_working_days` is the slack of the oldest such record (negative once its deadline
  // has passed); pass NaN when nothing is held, which is also the value before the first call, so
  // an empty backlog does not read as "0 days left".
  void SetDeadlineRisk(uint64_t at_risk, double oldest_slack_working_days);
  // The HTTP sink (thread-safe: the delivery thread calls them). `result`: 0 acknowledged,
  // 1 retry, 2 refused (the order of Delivery in pipeline/sink/http_sink.h).
  void CountHttpRequest(int result);
  void SetHttpOutbox(uint64_t batches);
  // One sweep's withdrawals at the end of publication periods: their latency in seconds.
  void AddExpiryWithdrawals(std::span<const double> latency_seconds);
  // The holiday calendar loaded: the last year with a State Council notice, and whether next
  // year's is among them (the notice comes out in November or December; without it, deadlines
  // that cross New Year are provisional).
  void SetCalendarCoverage(int last_known_year, bool next_year_known);

  // Text exposition format 0.0.4 of every family, the process figures included.
  std::string Serialize() const;

  // For a stage that wants to register a family of its own next to its code.
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // The name of every family Serialize() can show (histograms without _bucket/_sum/_count).
  static std::span<const std::string_view> FamilyNames();
  static std::span<const std::string_view> HistogramFamilyNames();

 private:
  class ProcessCollector;
  ServiceMetrics() = default;
  void SetAssignedLocked();

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessCollector> process_;

  prometheus::Counter* records_read_ = nullptr;
  prometheus::Counter* bytes_read_ = nullptr;
  std::array<prometheus::Counter*, kOutcomeCount> outcomes_{};         // kPending stays null
  std::array<prometheus::Counter*, kRejectReasonCount> rejects_{};     // kNone stays null
  std::array<prometheus::Counter*, kWithholdReasonCount> withheld_{};  // kNone stays null
  std::array<prometheus::Counter*, kPiiKindCount> redactions_{};
  prometheus::Counter* provisional_deadlines_ = nullptr;
  std::array<prometheus::Counter*, kFlushCauseCount> flushes_{};  // kNone stays null
  prometheus::Histogram* batch_records_ = nullptr;
  prometheus::Counter* feed_bytes_written_ = nullptr;
  prometheus::Histogram* end_to_end_latency_ = nullptr;
  prometheus::Histogram* publication_latency_ = nullptr;
  prometheus::Counter* expiry_withdrawals_ = nullptr;
  std::vector<prometheus::Counter*> http_requests_;
  prometheus::Gauge* http_outbox_ = nullptr;
  prometheus::Histogram* withdrawal_latency_ = nullptr;          // cause="period_ended"
  prometheus::Histogram* repair_withdrawal_latency_ = nullptr;   // cause="credit_repair"
  prometheus::Histogram* revocation_latency_ = nullptr;          // cause="revoked"
  std::array<prometheus::Counter*, kLatenessCount> lateness_{};  // kNotPublished stays null
  prometheus::Counter* commit_failures_ = nullptr;
  std::array<prometheus::Counter*, kWriteTargetCount> write_errors_{};
  prometheus::Gauge* state_keys_ = nullptr;
  prometheus::Gauge* state_sst_bytes_ = nullptr;
  prometheus::Gauge* assigned_partitions_ = nullptr;
  prometheus::Gauge* records_at_risk_ = nullptr;
  prometheus::Gauge* oldest_slack_ = nullptr;
  prometheus::Gauge* calendar_last_year_ = nullptr;
  prometheus::Gauge* calendar_next_year_known_ = nullptr;
  prometheus::Family<prometheus::Gauge>* consumer_lag_ = nullptr;

  std::mutex partitions_mutex_;
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> lag_;  // guarded by the mutex
};

}  // namespace gongshi
