// ServiceMetrics: the family definitions (names, help, buckets, label values) and the process
// collector that prometheus-cpp 1.0.1 lacks.
#include "pipeline/metrics/metrics.h"

#include <cerrno>
#include <charconv>
#include <exception>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

namespace gongshi {
namespace {

// Every family name, once. Label values come only from the bounded enums in metrics.h and from
// the consumer's assignment (topic, partition): never an authority, a record or a person.
constexpr std::string_view kReadRecords = "gongshi_read_records_total";
constexpr std::string_view kReadBytes = "gongshi_read_bytes_total";
constexpr std::string_view kRecords = "gongshi_records_total";
constexpr std::string_view kRejectedRecords = "gongshi_rejected_records_total";
constexpr std::string_view kWithheldRecords = "gongshi_withheld_records_total";
constexpr std::string_view kRedactions = "gongshi_redactions_total";
constexpr std::string_view kProvisionalDeadlines = "gongshi_provisional_deadline_records_total";
constexpr std::string_view kBatches = "gongshi_batches_total";
constexpr std::string_view kBatchSize = "gongshi_batch_size_records";
constexpr std::string_view kFeedWrittenBytes = "gongshi_feed_written_bytes_total";
constexpr std::string_view kEndToEndLatency = "gongshi_end_to_end_latency_seconds";
constexpr std::string_view kPublicationLatency = "gongshi_publication_latency_workdays";
constexpr std::string_view kExpiryWithdrawals = "gongshi_expiry_withdrawals_total";
constexpr std::string_view kHttpRequests = "gongshi_http_requests_total";
constexpr std::string_view kHttpOutbox = "gongshi_http_outbox_batches";
constexpr std::string_view kWithdrawalLatency = "gongshi_withdrawal_latency_seconds";
constexpr std::string_view kDeadlineRecords = "gongshi_deadline_records_total";
constexpr std::string_view kRecordsAtRisk = "gongshi_records_at_risk";
constexpr std::string_view kOldestSlack = "gongshi_oldest_unpublished_slack_workdays";
constexpr std::string_view kCalendarLastYear = "gongshi_calendar_last_known_year";
constexpr std::string_view kCalendarNextYearKnown = "gongshi_calendar_next_year_known";
constexpr std::string_view kCommitFailures = "gongshi_commit_failures_total";
constexpr std::string_view kSinkWriteErrors = "gongshi_sink_write_errors_total";
constexpr std::string_view kStateKeys = "gongshi_state_estimated_keys";
constexpr std::string_view kStateSstBytes = "gongshi_state_sst_bytes";
constexpr std::string_view kConsumerLag = "gongshi_consumer_lag_messages";
constexpr std::string_view kAssignedPartitions = "gongshi_assigned_partitions";
constexpr std::string_view kBuildInfo = "gongshi_build_info";
// The standard process metrics (client_golang's names), so stock dashboards and alerts work.
constexpr std::string_view kProcessCpu = "process_cpu_seconds_total";
constexpr std::string_view kProcessResident = "process_resident_memory_bytes";
constexpr std::string_view kProcessVirtual = "process_virtual_memory_bytes";
constexpr std::string_view kProcessOpenFds = "process_open_fds";
constexpr std::string_view kProcessMaxFds = "process_max_fds";
constexpr std::string_view kProcessStartTime = "process_start_time_seconds";

constexpr std::array kFamilyNames = {
    kReadRecords,
    kReadBytes,
    kRecords,
    kRejectedRecords,
    kWithheldRecords,
    kRedactions,
    kProvisionalDeadlines,
    kBatches,
    kBatchSize,
    kFeedWrittenBytes,
    kEndToEndLatency,
    kPublicationLatency,
    kExpiryWithdrawals,
    kWithdrawalLatency,
    kHttpRequests,
    kHttpOutbox,
    kDeadlineRecords,
    kRecordsAtRisk,
    kOldestSlack,
    kCalendarLastYear,
    kCalendarNextYearKnown,
    kCommitFailures,
    kSinkWriteErrors,
    kStateKeys,
    kStateSstBytes,
    kConsumerLag,
    kAssignedPartitions,
    kBuildInfo,
    kProcessCpu,
    kProcessResident,
    kProcessVirtual,
    kProcessOpenFds,
    kProcessMaxFds,
    kProcessStartTime,
};
constexpr std::array kHistogramFamilyNames = {kBatchSize, kEndToEndLatency, kPublicationLatency,
                                              kWithdrawalLatency};

// Label values of gongshi_deadline_records_total, by Lateness value: LatenessCode()'s. Not
// published has no publication to time (no label, no counter).
constexpr std::array<std::string_view, kLatenessCount> kLatenessLabels = {
    "", LatenessCode(Lateness::kOnTime), LatenessCode(Lateness::kSourceLate),
    LatenessCode(Lateness::kPipelineLate)};

template <typename Builder>
auto& Register(Builder builder, std::string_view name, std::string_view help,
               prometheus::Registry& registry) {
  return builder.Name(std::string(name)).Help(std::string(help)).Register(registry);
}

template <size_t N>
prometheus::Histogram::BucketBoundaries Bounds(const std::array<double, N>& bounds) {
  return prometheus::Histogram::BucketBoundaries(bounds.begin(), bounds.end());
}

// Adds a local histogram in one call: ObserveMultiple takes one lock for the whole batch where
// Observe per record would take one per record.
template <const auto& kBounds>
void AddHistogram(prometheus::Histogram& histogram, const LocalHistogram<kBounds>& local) {
  if (local.count == 0) return;
  // One small allocation per batch; a member scratch vector would need a lock to share.
  const std::vector<double> increments(local.buckets.begin(), local.buckets.end());
  histogram.ObserveMultiple(increments, local.sum);
}

void AddCount(prometheus::Counter* counter, uint64_t n) {
  if (counter != nullptr && n != 0) counter->Increment(static_cast<double>(n));
}

// /proc files are small and change between reads; read each whole with one syscall loop.
std::optional<std::string> ReadProcFile(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// Fields of /proc/self/stat after the command name, which may itself hold spaces and ')': the
// first returned field is field 3 (state) of proc(5).
std::vector<std::string_view> StatFields(std::string_view text) {
  std::vector<std::string_view> fields;
  const size_t name_end = text.rfind(')');
  if (name_end == std::string_view::npos) return fields;
  text.remove_prefix(name_end + 1);
  while (!text.empty()) {
    const size_t start = text.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const size_t end = text.find_first_of(" \n");
    fields.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
  }
  return fields;
}
// Field numbers of proc(5), as indexes into StatFields().
constexpr size_t kStatUtime = 14 - 3;
constexpr size_t kStatStime = 15 - 3;
constexpr size_t kStatStartTime = 22 - 3;
constexpr size_t kStatVsize = 23 - 3;

// "VmRSS:     1234 kB" in /proc/self/status.
std::optional<uint64_t> StatusKilobytes(std::string_view status, std::string_view key) {
  size_t at = status.find(key);
  while (at != std::string_view::npos && at != 0 && status[at - 1] != '\n') {
    at = status.find(key, at + 1);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = status.substr(at + key.size());
  const size_t digits = rest.find_first_of("0123456789");
  if (digits == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(digits);
  return ParseUnsigned(rest.substr(0, rest.find_first_not_of("0123456789")));
}

prometheus::MetricFamily OneValue(std::string_view name, std::string_view help,
                                  prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = std::string(name);
  family.help = std::string(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

// Reads the process figures at scrape time. A figure whose source cannot be read is left out
// rather than reported as 0, which would look like a real value.
class ServiceMetrics::ProcessCollector : public prometheus::Collectable {
 public:
  ProcessCollector() {
    // The start time does not change: work it out once from the boot time and the start tick.
    const long ticks = ::sysconf(_SC_CLK_TCK);
    ticks_per_second_ = ticks > 0 ? static_cast<double>(ticks) : 100.0;
    const auto self_stat = ReadProcFile("/proc/self/stat");
    const auto system_stat = ReadProcFile("/proc/stat");
    if (!self_stat || !system_stat) return;
    const auto fields = StatFields(*self_stat);
    const size_t btime = system_stat->find("\nbtime ");
    if (fields.size() <= kStatStartTime || btime == std::string::npos) return;
    const auto boot = ParseUnsigned(std::string_view(*system_stat).substr(btime + 7));
    const auto start_ticks = ParseUnsigned(fields[kStatStartTime]);
    if (boot && start_ticks) {
      start_time_seconds_ = static_cast<double>(*boot) + *start_ticks / ticks_per_second_;
    }
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    if (const auto self_stat = ReadProcFile("/proc/self/stat")) {
      const auto fields = StatFields(*self_stat);
      if (fields.size() > kStatVsize) {
        const auto utime = ParseUnsigned(fields[kStatUtime]);
        const auto stime = ParseUnsigned(fields[kStatStime]);
        if (utime && stime) {
          families.push_back(OneValue(kProcessCpu, "User and system CPU time spent, in seconds.",
                                      MetricType::Counter, (*utime + *stime) / ticks_per_second_));
        }
        if (const auto vsize = ParseUnsigned(fields[kStatVsize])) {
          families.push_back(OneValue(kProcessVirtual, "Virtual memory size in bytes.",
                                      MetricType::Gauge, static_cast<double>(*vsize)));
        }
      }
    }
    if (const auto status = ReadProcFile("/proc/self/status")) {
      if (const auto rss = StatusKilobytes(*status, "VmRSS:")) {
        families.push_back(OneValue(kProcessResident, "Resident memory size in bytes.",
                                    MetricType::Gauge, static_cast<double>(*rss) * 1024));
      }
    }
    if (const auto open_fds = CountOpenFds()) {
      families.push_back(OneValue(kProcessOpenFds, "Number of open file descriptors.",
                                  MetricType::Gauge, static_cast<double>(*open_fds)));
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      families.push_back(OneValue(kProcessMaxFds, "Maximum number of open file descriptors.",
                                  MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
    }
    if (start_time_seconds_) {
      families.push_back(OneValue(kProcessStartTime,
                                  "Start time of the process since unix epoch in seconds.",
                                  MetricType::Gauge, *start_time_seconds_));
    }
    return families;
  }

 private:
  static std::optional<uint64_t> CountOpenFds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    // The listing includes the descriptor opendir() itself holds.
    return count > 0 ? count - 1 : 0;
  }

  double ticks_per_second_ = 100;
  std::optional<double> start_time_seconds_;
};

std::string_view WriteTargetName(WriteTarget target) {
  switch (target) {
    case WriteTarget::kFeed: return "feed";
    case WriteTarget::kDeadLetter: return "dead_letter";
    case WriteTarget::kWithheld: return "withheld";
  }
  return "feed";
}

Result<std::unique_ptr<ServiceMetrics>> ServiceMetrics::Create(const BuildInfo& build) {
  std::unique_ptr<ServiceMetrics> m(new ServiceMetrics());
  try {
    m->registry_ = std::make_shared<prometheus::Registry>();
    m->process_ = std::make_shared<ProcessCollector>();
    prometheus::Registry& r = *m->registry_;
    using prometheus::BuildCounter;
    using prometheus::BuildGauge;
    using prometheus::BuildHistogram;

    m->records_read_ = &Register(BuildCounter(), kReadRecords,
                                 "Records read from the source (messages or NDJSON lines).", r)
                            .Add({});
    m->bytes_read_ =
        &Register(BuildCounter(), kReadBytes, "Bytes of records read from the source.", r).Add({});

    auto& outcomes =
        Register(BuildCounter(), kRecords,
                 "Records by final outcome; the outcomes of a run add up to the records read.", r);
    for (size_t i = 0; i < kOutcomeCount; ++i) {
      const auto outcome = static_cast<Outcome>(i);
      if (outcome == Outcome::kPending) continue;
      m->outcomes_[i] = &outcomes.Add({{"outcome", std::string(OutcomeName(outcome))}});
    }
    // One child per reason from the start, so a reason that has not happened yet reads 0 and a
    // rate() or an alert on it works before its first record.
    auto& rejects = Register(BuildCounter(), kRejectedRecords,
                             "Records dead-lettered, by reject reason code.", r);
    for (const RejectReason reason : AllRejectReasons()) {
      m->rejects_[static_cast<size_t>(reason)] =
          &rejects.Add({{"reason", std::string(RejectReasonCode(reason))}});
    }
    auto& withheld = Register(BuildCounter(), kWithheldRecords,
                              "Valid records not published, by withhold reason.", r);
    for (size_t i = 1; i < kWithholdReasonCount; ++i) {
      const auto reason = static_cast<WithholdReason>(i);
      m->withheld_[i] = &withheld.Add({{"reason", std::string(WithholdReasonCode(reason))}});
    }
    auto& redactions = Register(BuildCounter(), kRedactions,
                                "Personal data masked in published free text, by kind.", r);
    for (size_t i = 0; i < kPiiKindCount; ++i) {
      m->redactions_[i] =
          &redactions.Add({{"kind", std::string(PiiKindName(static_cast<PiiKind>(i)))}});
    }
    m->provisional_deadlines_ =
        &Register(BuildCounter(), kProvisionalDeadlines,
                  "Records whose deadline crosses a year with no holiday notice loaded.", r)
             .Add({});
    auto& batches =
        Register(BuildCounter(), kBatches, "Feed batches flushed, by what closed them.", r);
    for (size_t i = 1; i < kFlushCauseCount; ++i) {  // kNone flushes nothing: no label
      m->flushes_[i] =
          &batches.Add({{"cause", std::string(FlushCauseName(static_cast<FlushCause>(i)))}});
    }
    m->batch_records_ =
        &Register(BuildHistogram(), kBatchSize, "Records per flushed feed batch.", r)
             .Add({}, Bounds(kBatchSizeBucketsRecords));
    m->feed_bytes_written_ =
        &Register(BuildCounter(), kFeedWrittenBytes, "Bytes written durably to feed files.", r)
             .Add({});
    m->end_to_end_latency_ =
        &Register(BuildHistogram(), kEndToEndLatency,
                  "From the broker's append timestamp to the record's durable feed file.", r)
             .Add({}, Bounds(kEndToEndLatencyBucketsSeconds));
    m->publication_latency_ =
        &Register(BuildHistogram(), kPublicationLatency,
                  "Working days from the decision date to publication, per published record "
                  "(the statutory deadline is 7).",
                  r)
             .Add({}, Bounds(kPublicationLatencyBucketsWorkingDays));
    m->expiry_withdrawals_ =
        &Register(BuildCounter(), kExpiryWithdrawals,
                  "Withdrawals the daily sweep published because a penalty's publication period "
                  "(公示截止期) ended.",
                  r)
             .Add({});
    auto& http = Register(BuildCounter(), kHttpRequests,
                          "POSTs of feed batches to the disclosure site, by what the answer "
                          "meant: acknowledged, retry (5xx, 408, 429, no answer) or refused.",
                          r);
    for (const char* result : {"acknowledged", "retry", "refused"}) {
      m->http_requests_.push_back(&http.Add({{"result", result}}));
    }
    m->http_outbox_ = &Register(BuildGauge(), kHttpOutbox,
                                "Committed feed batches waiting for the disclosure site to "
                                "acknowledge them (counted up to http.max_pending_batches + 1).",
                                r)
                           .Add({});
    auto& withdrawal_latency = Register(
        BuildHistogram(), kWithdrawalLatency,
        "From the event to the durable withdrawal: the end of the publication period (24:00 of "
        "its last day, Asia/Shanghai), the start of the credit-repair day, or a revocation's "
        "arrival.",
        r);
    m->withdrawal_latency_ = &withdrawal_latency.Add({{"cause", "period_ended"}},
                                                     Bounds(kWithdrawalLatencyBucketsSeconds));
    m->repair_withdrawal_latency_ = &withdrawal_latency.Add(
        {{"cause", "credit_repair"}}, Bounds(kWithdrawalLatencyBucketsSeconds));
    m->revocation_latency_ =
        &withdrawal_latency.Add({{"cause", "revoked"}}, Bounds(kWithdrawalLatencyBucketsSeconds));
    auto& lateness = Register(BuildCounter(), kDeadlineRecords,
                              "Published records by deadline attribution: on time, late because "
                              "the source was (source_late), or late in the pipeline.",
                              r);
    for (size_t i = 1; i < kLatenessCount; ++i) {
      m->lateness_[i] = &lateness.Add({{"lateness", std::string(kLatenessLabels[i])}});
    }
    m->records_at_risk_ =
        &Register(BuildGauge(), kRecordsAtRisk,
                  "Records held, not yet published, whose deadline is within 1 working day.", r)
             .Add({});
    m->oldest_slack_ = &Register(BuildGauge(), kOldestSlack,
                                 "Working days left before the deadline of the oldest record held "
                                 "and not yet published; negative when passed, NaN when none.",
                                 r)
                            .Add({});
    m->oldest_slack_->Set(std::numeric_limits<double>::quiet_NaN());
    m->calendar_last_year_ =
        &Register(BuildGauge(), kCalendarLastYear,
                  "The last year whose State Council holiday notice is loaded; 0 before loading.",
                  r)
             .Add({});
    m->calendar_next_year_known_ =
        &Register(BuildGauge(), kCalendarNextYearKnown,
                  "1 when next year's State Council holiday notice is loaded, else 0.", r)
             .Add({});
    m->commit_failures_ =
        &Register(BuildCounter(), kCommitFailures, "Offset commits that failed (retried).", r)
             .Add({});
    auto& write_errors = Register(BuildCounter(), kSinkWriteErrors,
                                  "Writes to an output that failed (the batch is retried).", r);
    for (size_t i = 0; i < kWriteTargetCount; ++i) {
      m->write_errors_[i] =
          &write_errors.Add({{"sink", std::string(WriteTargetName(static_cast<WriteTarget>(i)))}});
    }
    m->state_keys_ =
        &Register(BuildGauge(), kStateKeys, "RocksDB's estimate of the keys in the state store.", r)
             .Add({});
    m->state_sst_bytes_ =
        &Register(BuildGauge(), kStateSstBytes, "Bytes of the state store's SST files.", r).Add({});
    m->consumer_lag_ = &Register(
        BuildGauge(), kConsumerLag,
        "Messages between the committed offset and the high watermark, per assigned partition.", r);
    m->assigned_partitions_ = &Register(BuildGauge(), kAssignedPartitions,
                                        "Partitions currently assigned to this consumer.", r)
                                   .Add({});
    Register(BuildGauge(), kBuildInfo, "Always 1; the labels say which build is running.", r)
        .Add({{"version", build.version}, {"revision", build.revision}})
        .Set(1);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string("defining the metrics: ") + e.what());
  }
  return m;
}

ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::Add(const BatchCounts& counts) {
  AddCount(records_read_, counts.records_read);
  AddCount(bytes_read_, counts.bytes_read);
  for (size_t i = 0; i < kOutcomeCount; ++i) AddCount(outcomes_[i], counts.outcomes[i]);
  for (size_t i = 0; i < kRejectReasonCount; ++i) AddCount(rejects_[i], counts.rejects[i]);
  for (size_t i = 0; i < kWithholdReasonCount; ++i) AddCount(withheld_[i], counts.withheld[i]);
  for (size_t i = 0; i < kPiiKindCount; ++i) AddCount(redactions_[i], counts.redactions[i]);
  AddCount(provisional_deadlines_, counts.provisional_deadlines);
  for (size_t i = 0; i < kFlushCauseCount; ++i) AddCount(flushes_[i], counts.flushes[i]);
  AddHistogram(*batch_records_, counts.batch_records);
  AddCount(feed_bytes_written_, counts.feed_bytes_written);
  AddHistogram(*end_to_end_latency_, counts.end_to_end_latency_seconds);
  AddHistogram(*publication_latency_, counts.publication_latency_working_days);
  AddHistogram(*repair_withdrawal_latency_, counts.repair_latency_seconds);
  AddHistogram(*revocation_latency_, counts.revocation_latency_seconds);
  for (size_t i = 0; i < kLatenessCount; ++i) AddCount(lateness_[i], counts.lateness[i]);
}

void ServiceMetrics::CountCommitFailure() { commit_failures_->Increment(); }

void ServiceMetrics::CountWriteError(WriteTarget target) {
  write_errors_[static_cast<size_t>(target)]->Increment();
}

void ServiceMetrics::AssignPartitions(std::string_view topic, std::span<const int32_t> partitions) {
  std::lock_guard lock(partitions_mutex_);
  for (const int32_t partition : partitions) {
    auto key = std::make_pair(std::string(topic), partition);
    if (lag_.contains(key)) continue;
    prometheus::Gauge& child = consumer_lag_->Add(
        {{"topic", std::string(topic)}, {"partition", std::to_string(partition)}});
    lag_.emplace(std::move(key), &child);
  }
  SetAssignedLocked();
}

void ServiceMetrics::RevokePartitions(std::string_view topic, std::span<const int32_t> partitions) {
  std::lock_guard lock(partitions_mutex_);
  for (const int32_t partition : partitions) {
    const auto found = lag_.find(std::make_pair(std::string(topic), partition));
    if (found == lag_.end()) continue;
    // A revoked partition's last lag would otherwise be exported for ever by this instance
    // while another instance reports the same partition.
    consumer_lag_->Remove(found->second);
    lag_.erase(found);
  }
  SetAssignedLocked();
}

void ServiceMetrics::RevokeAllPartitions() {
  std::lock_guard lock(partitions_mutex_);
  for (const auto& [key, child] : lag_) consumer_lag_->Remove(child);
  lag_.clear();
  SetAssignedLocked();
}

void ServiceMetrics::SetConsumerLag(std::string_view topic, int32_t partition,
                                    int64_t lag_messages) {
  std::lock_guard lock(partitions_mutex_);
  const auto found = lag_.find(std::make_pair(std::string(topic), partition));
  if (found != lag_.end()) found->second->Set(static_cast<double>(lag_messages));
}

void ServiceMetrics::SetAssignedLocked() {
  assigned_partitions_->Set(static_cast<double>(lag_.size()));
}

void ServiceMetrics::SetStateFigures(uint64_t estimated_keys, uint64_t sst_bytes) {
  state_keys_->Set(static_cast<double>(estimated_keys));
  state_sst_bytes_->Set(static_cast<double>(sst_bytes));
}

void ServiceMetrics::AddExpiryWithdrawals(std::span<const double> latency_seconds) {
  expiry_withdrawals_->Increment(static_cast<double>(latency_seconds.size()));
  LocalHistogram<kWithdrawalLatencyBucketsSeconds> local;
  for (double seconds : latency_seconds) local.Observe(seconds);
  AddHistogram(*withdrawal_latency_, local);
}

void ServiceMetrics::CountHttpRequest(int result) {
  if (result >= 0 && static_cast<size_t>(result) < http_requests_.size()) {
    http_requests_[static_cast<size_t>(result)]->Increment();
  }
}

void ServiceMetrics::SetHttpOutbox(uint64_t batches) {
  http_outbox_->Set(static_cast<double>(batches));
}

void ServiceMetrics::SetDeadlineRisk(uint64_t at_risk, double oldest_slack_working_days) {
  records_at_risk_->Set(static_cast<double>(at_risk));
  oldest_slack_->Set(oldest_slack_working_days);
}

void ServiceMetrics::SetCalendarCoverage(int last_known_year, bool next_year_known) {
  calendar_last_year_->Set(last_known_year);
  calendar_next_year_known_->Set(next_year_known ? 1 : 0);
}

std::string ServiceMetrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<prometheus::MetricFamily> process = process_->Collect();
  families.insert(families.end(), std::make_move_iterator(process.begin()),
                  std::make_move_iterator(process.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::span<const std::string_view> ServiceMetrics::FamilyNames() { return kFamilyNames; }
std::span<const std::string_view> ServiceMetrics::HistogramFamilyNames() {
  return kHistogramFamilyNames;
}

}  // namespace gongshi
