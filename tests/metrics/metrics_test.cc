// Tests of the metrics stage: what Add() and the partition calls show in the exposition, that
// promtool accepts it, and the HTTP endpoints over a real TCP connection on 127.0.0.1.
#include "pipeline/metrics/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline/metrics/http_server.h"

namespace gongshi {
namespace {

std::unique_ptr<ServiceMetrics> NewMetrics() {
  auto metrics = ServiceMetrics::Create({.version = "0.1.0-test", .revision = "abc123"});
  if (!metrics) ADD_FAILURE() << metrics.error().ToString();
  return metrics ? std::move(*metrics) : nullptr;
}

// The value of the sample whose name and labels are exactly `series`, e.g.
// gongshi_records_total{outcome="published"}.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

bool HasFamily(const std::string& text, std::string_view name) {
  return text.find("# TYPE " + std::string(name) + " ") != std::string::npos;
}

std::optional<std::string> FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

TEST(ServiceMetricsTest, AddedCountsShowInSerialize) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  BatchCounts counts;
  counts.records_read = 7;
  counts.bytes_read = 7000;
  Record record;
  record.outcome = Outcome::kPublished;
  counts.CountRecord(record);
  counts.CountRecord(record);
  record.Reject(RejectReason::kUsccChecksum);
  counts.CountRecord(record);
  record = Record();
  record.Withhold(WithholdReason::kMinor);
  record.deadline_provisional = true;
  counts.CountRecord(record);
  counts.outcomes[static_cast<size_t>(Outcome::kDuplicate)] += 3;
  counts.AddRedactions(PiiKind::kMobile, 4);
  counts.CountFlush(FlushCause::kAge, 6, 5120);
  counts.end_to_end_latency_seconds.Observe(0.3);
  counts.end_to_end_latency_seconds.Observe(42);
  metrics->Add(counts);
  metrics->Add(counts);  // adds, not sets
  metrics->CountCommitFailure();
  metrics->CountWriteError(WriteTarget::kDeadLetter);
  metrics->SetStateFigures(1234, 56789);

  const std::string text = metrics->Serialize();
  EXPECT_EQ(Sample(text, "gongshi_read_records_total"), 14);
  EXPECT_EQ(Sample(text, "gongshi_read_bytes_total"), 14000);
  EXPECT_EQ(Sample(text, R"(gongshi_records_total{outcome="published"})"), 4);
  EXPECT_EQ(Sample(text, R"(gongshi_records_total{outcome="rejected"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_records_total{outcome="withheld"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_records_total{outcome="duplicate"})"), 6);
  EXPECT_EQ(Sample(text, R"(gongshi_records_total{outcome="updated"})"), 0);
  EXPECT_EQ(Sample(text, R"(gongshi_rejected_records_total{reason="uscc_checksum"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_withheld_records_total{reason="minor"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_withheld_records_total{reason="confidential"})"), 0);
  EXPECT_EQ(Sample(text, R"(gongshi_redactions_total{kind="mobile"})"), 8);
  EXPECT_EQ(Sample(text, R"(gongshi_redactions_total{kind="email"})"), 0);
  EXPECT_EQ(Sample(text, "gongshi_provisional_deadline_records_total"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_batches_total{cause="age"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_batches_total{cause="deadline"})"), 0);
  EXPECT_EQ(Sample(text, "gongshi_batch_size_records_count"), 2);
  EXPECT_EQ(Sample(text, "gongshi_batch_size_records_sum"), 12);
  EXPECT_EQ(Sample(text, R"(gongshi_batch_size_records_bucket{le="1"})"), 0);
  EXPECT_EQ(Sample(text, R"(gongshi_batch_size_records_bucket{le="10"})"), 2);
  EXPECT_EQ(Sample(text, "gongshi_feed_written_bytes_total"), 10240);
  EXPECT_EQ(Sample(text, "gongshi_end_to_end_latency_seconds_count"), 4);
  EXPECT_EQ(Sample(text, "gongshi_end_to_end_latency_seconds_sum"), 84.6);
  EXPECT_EQ(Sample(text, R"(gongshi_end_to_end_latency_seconds_bucket{le="0.25"})"), 0);
  EXPECT_EQ(Sample(text, R"(gongshi_end_to_end_latency_seconds_bucket{le="0.5"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_end_to_end_latency_seconds_bucket{le="30"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_end_to_end_latency_seconds_bucket{le="60"})"), 4);
  EXPECT_EQ(Sample(text, R"(gongshi_end_to_end_latency_seconds_bucket{le="+Inf"})"), 4);
  EXPECT_EQ(Sample(text, "gongshi_commit_failures_total"), 1);
  EXPECT_EQ(Sample(text, R"(gongshi_sink_write_errors_total{sink="dead_letter"})"), 1);
  EXPECT_EQ(Sample(text, R"(gongshi_sink_write_errors_total{sink="feed"})"), 0);
  EXPECT_EQ(Sample(text, "gongshi_state_estimated_keys"), 1234);
  EXPECT_EQ(Sample(text, "gongshi_state_sst_bytes"), 56789);
  EXPECT_EQ(Sample(text, R"(gongshi_build_info{revision="abc123",version="0.1.0-test"})"), 1);
}

TEST(ServiceMetricsTest, DeadlineFiguresShowInSerialize) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  std::string text = metrics->Serialize();
  // Before anything is known: every attribution reads 0, so an increase() alert works from the
  // start; the slack is NaN (nothing held), not 0 (due today).
  for (const char* lateness : {"on_time", "source_late", "pipeline_late"}) {
    EXPECT_EQ(
        Sample(text, "gongshi_deadline_records_total{lateness=\"" + std::string(lateness) + "\"}"),
        0)
        << lateness;
  }
  EXPECT_EQ(text.find(R"(lateness="not_published")"), std::string::npos);
  EXPECT_TRUE(std::isnan(Sample(text, "gongshi_oldest_unpublished_slack_workdays").value_or(0)));
  EXPECT_EQ(Sample(text, "gongshi_records_at_risk"), 0);
  EXPECT_EQ(Sample(text, "gongshi_calendar_next_year_known"), 0);

  BatchCounts counts;
  for (const double days : {0.0, 3.0, 7.0, 7.0, 8.0, 61.0}) {
    counts.publication_latency_working_days.Observe(days);
  }
  counts.lateness = {5, 3, 2, 1};  // not_published, on_time, source_late, pipeline_late
  metrics->Add(counts);
  metrics->Add(counts);
  metrics->SetDeadlineRisk(4, -1.5);
  metrics->SetCalendarCoverage(2025, true);
  text = metrics->Serialize();
  EXPECT_EQ(Sample(text, "gongshi_publication_latency_workdays_count"), 12);
  EXPECT_EQ(Sample(text, "gongshi_publication_latency_workdays_sum"), 172);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="0"})"), 2);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="6"})"), 4);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="7"})"), 8);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="8"})"), 10);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="60"})"), 10);
  EXPECT_EQ(Sample(text, R"(gongshi_publication_latency_workdays_bucket{le="+Inf"})"), 12);
  EXPECT_EQ(Sample(text, R"(gongshi_deadline_records_total{lateness="on_time"})"), 6);
  EXPECT_EQ(Sample(text, R"(gongshi_deadline_records_total{lateness="source_late"})"), 4);
  EXPECT_EQ(Sample(text, R"(gongshi_deadline_records_total{lateness="pipeline_late"})"), 2);
  EXPECT_EQ(text.find(R"(lateness="not_published")"), std::string::npos);
  EXPECT_EQ(Sample(text, "gongshi_records_at_risk"), 4);  // a gauge: set, not added
  EXPECT_EQ(Sample(text, "gongshi_oldest_unpublished_slack_workdays"), -1.5);
  EXPECT_EQ(Sample(text, "gongshi_calendar_last_known_year"), 2025);
  EXPECT_EQ(Sample(text, "gongshi_calendar_next_year_known"), 1);

  metrics->SetDeadlineRisk(0, std::numeric_limits<double>::quiet_NaN());  // backlog drained
  metrics->SetCalendarCoverage(2025, false);
  text = metrics->Serialize();
  EXPECT_EQ(Sample(text, "gongshi_records_at_risk"), 0);
  EXPECT_TRUE(std::isnan(Sample(text, "gongshi_oldest_unpublished_slack_workdays").value_or(0)));
  EXPECT_EQ(Sample(text, "gongshi_calendar_next_year_known"), 0);
}

TEST(ServiceMetricsTest, EveryRejectReasonIsALabelWithZeroAtStart) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  const std::string text = metrics->Serialize();
  ASSERT_FALSE(AllRejectReasons().empty());
  for (const RejectReason reason : AllRejectReasons()) {
    const std::string series =
        "gongshi_rejected_records_total{reason=\"" + std::string(RejectReasonCode(reason)) + "\"}";
    EXPECT_EQ(Sample(text, series), 0) << series;
  }
  // kNone and kPending are states, not outcomes: no label for them.
  EXPECT_EQ(text.find(R"(reason="none")"), std::string::npos);
  EXPECT_EQ(text.find(R"(outcome="pending")"), std::string::npos);
  for (const char* cause : {"count", "bytes", "age", "schedule", "deadline"}) {
    EXPECT_EQ(Sample(text, "gongshi_batches_total{cause=\"" + std::string(cause) + "\"}"), 0);
  }
  for (const char* kind : {"id_number", "mobile", "bank_card", "email"}) {
    EXPECT_EQ(Sample(text, "gongshi_redactions_total{kind=\"" + std::string(kind) + "\"}"), 0);
  }
}

TEST(ServiceMetricsTest, LagChildrenFollowTheAssignment) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  const std::string lag0 = R"(gongshi_consumer_lag_messages{partition="0",topic="penalties"})";
  const std::string lag3 = R"(gongshi_consumer_lag_messages{partition="3",topic="penalties"})";
  const std::string lic1 = R"(gongshi_consumer_lag_messages{partition="1",topic="licenses"})";
  EXPECT_EQ(Sample(metrics->Serialize(), "gongshi_assigned_partitions"), 0);

  const std::vector<int32_t> penalties = {0, 3};
  const std::vector<int32_t> licenses = {1};
  metrics->AssignPartitions("penalties", penalties);
  metrics->AssignPartitions("licenses", licenses);
  metrics->AssignPartitions("penalties", penalties);  // incremental assign repeats are harmless
  metrics->SetConsumerLag("penalties", 3, 250);
  metrics->SetConsumerLag("licenses", 1, 9);
  std::string text = metrics->Serialize();
  EXPECT_EQ(Sample(text, lag0), 0);
  EXPECT_EQ(Sample(text, lag3), 250);
  EXPECT_EQ(Sample(text, lic1), 9);
  EXPECT_EQ(Sample(text, "gongshi_assigned_partitions"), 3);

  const std::vector<int32_t> revoked = {3};
  metrics->RevokePartitions("penalties", revoked);
  metrics->SetConsumerLag("penalties", 3, 999);  // a late update must not bring it back
  text = metrics->Serialize();
  EXPECT_EQ(Sample(text, lag3), std::nullopt);
  EXPECT_EQ(Sample(text, lag0), 0);
  EXPECT_EQ(Sample(text, "gongshi_assigned_partitions"), 2);

  metrics->RevokeAllPartitions();
  text = metrics->Serialize();
  EXPECT_EQ(Sample(text, lag0), std::nullopt);
  EXPECT_EQ(Sample(text, lic1), std::nullopt);
  EXPECT_EQ(Sample(text, "gongshi_assigned_partitions"), 0);

  metrics->AssignPartitions("penalties", revoked);  // reassigned: starts again at 0
  EXPECT_EQ(Sample(metrics->Serialize(), lag3), 0);
}

TEST(ServiceMetricsTest, LocalHistogramPlacesValuesInLeBuckets) {
  LocalHistogram<kEndToEndLatencyBucketsSeconds> histogram;
  histogram.Observe(0.01);   // equal to the first bound: that bucket (le)
  histogram.Observe(0.011);  // just above: the next
  histogram.Observe(-3);     // a broker clock ahead of ours: counted as no delay
  histogram.Observe(std::numeric_limits<double>::quiet_NaN());  // dropped
  histogram.Observe(1e9);                                       // +Inf
  EXPECT_EQ(histogram.count, 4u);
  EXPECT_EQ(histogram.buckets[0], 2u);
  EXPECT_EQ(histogram.buckets[1], 1u);
  EXPECT_EQ(histogram.buckets.back(), 1u);
  EXPECT_TRUE(std::isfinite(histogram.sum));
}

TEST(ServiceMetricsTest, ProcessFiguresAreReadAtScrape) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  const std::string text = metrics->Serialize();
  EXPECT_GT(Sample(text, "process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GT(Sample(text, "process_virtual_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GE(Sample(text, "process_open_fds").value_or(0), 3);  // stdin, stdout, stderr at least
  EXPECT_GT(Sample(text, "process_max_fds").value_or(0), 0);
  EXPECT_GE(Sample(text, "process_cpu_seconds_total").value_or(-1), 0);
  const double start = Sample(text, "process_start_time_seconds").value_or(0);
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600) << "this test process started within the last hour";
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
}

TEST(ServiceMetricsTest, EveryDeclaredFamilyIsServed) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  const std::vector<int32_t> partitions = {0};
  metrics->AssignPartitions("t", partitions);  // the lag family is empty without an assignment
  const std::string text = metrics->Serialize();
  for (const std::string_view name : ServiceMetrics::FamilyNames()) {
    EXPECT_TRUE(HasFamily(text, name)) << name;
    EXPECT_TRUE(name.starts_with("gongshi_") || name.starts_with("process_")) << name;
  }
  for (const std::string_view name : ServiceMetrics::HistogramFamilyNames()) {
    EXPECT_NE(text.find("# TYPE " + std::string(name) + " histogram"), std::string::npos);
  }
  // And nothing is served that is not declared (the dashboard check relies on the list).
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    const auto names = ServiceMetrics::FamilyNames();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(ServiceMetricsTest, PromtoolAcceptsTheExposition) {
  const auto promtool = FindOnPath("promtool");
  if (!promtool) GTEST_SKIP() << "promtool is not on PATH (Debian package prometheus)";
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  const std::vector<int32_t> partitions = {0, 1};
  metrics->AssignPartitions("penalties", partitions);
  BatchCounts counts;
  counts.CountFlush(FlushCause::kCount, 16384, 1 << 20);
  counts.end_to_end_latency_seconds.Observe(1.5);
  counts.publication_latency_working_days.Observe(9);
  counts.lateness[3] = 1;
  metrics->Add(counts);
  metrics->SetDeadlineRisk(2, -0.5);
  metrics->SetCalendarCoverage(2025, false);
  const std::string text = metrics->Serialize();
  FILE* pipe = ::popen((*promtool + " check metrics").c_str(), "w");
  ASSERT_NE(pipe, nullptr);
  ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), pipe), text.size());
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool check metrics failed (its findings are above); exposition:\n"
      << text;
}

// --- HTTP ---------------------------------------------------------------------------------------

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

// A plain HTTP/1.1 client: one request, read to EOF (the server closes).
HttpResponse Request(uint16_t port, const std::string& method, const std::string& path) {
  HttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return response;
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return response;
  }
  const std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return response;
  }
  std::string raw;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t end_of_headers = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end_of_headers == std::string::npos) return response;
  response.status = std::stoi(raw.substr(9, 3));
  response.headers = raw.substr(0, end_of_headers);
  response.body = raw.substr(end_of_headers + 4);
  return response;
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics_ = NewMetrics();
    ASSERT_NE(metrics_, nullptr);
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.heartbeat_staleness = std::chrono::seconds(5);
    auto server = HttpServer::Start(options, *metrics_, health_);
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = std::move(*server);
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<ServiceMetrics> metrics_;
  ServiceHealth health_;
  std::unique_ptr<HttpServer> server_;  // declared last: stopped before what it borrows
};

TEST_F(MetricsHttpServerTest, ServesMetricsInTextFormat) {
  BatchCounts counts;
  counts.records_read = 5;
  metrics_->Add(counts);
  const HttpResponse response = Request(server_->port(), "GET", "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
            std::string::npos)
      << response.headers;
  EXPECT_EQ(Sample(response.body, "gongshi_read_records_total"), 5);
  EXPECT_TRUE(HasFamily(response.body, "process_resident_memory_bytes"));
}

TEST_F(MetricsHttpServerTest, HealthzFollowsTheHeartbeat) {
  health_.Beat();
  HttpResponse response = Request(server_->port(), "GET", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  health_.BeatAt(ServiceHealth::Clock::now() - std::chrono::minutes(10));
  response = Request(server_->port(), "GET", "/healthz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body.rfind("stale: last heartbeat ", 0), 0u) << response.body;
  health_.Beat();
  EXPECT_EQ(Request(server_->port(), "GET", "/healthz").status, 200);
}

TEST_F(MetricsHttpServerTest, ReadyzFollowsTheService) {
  HttpResponse response = Request(server_->port(), "GET", "/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "not ready: starting\n");
  health_.SetReadiness(Readiness::kNotAssigned);
  response = Request(server_->port(), "GET", "/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "not ready: no partitions assigned to this consumer\n");
  health_.SetReadiness(Readiness::kReady);
  response = Request(server_->port(), "GET", "/readyz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ready\n");
  health_.SetReadiness(Readiness::kStopping);
  EXPECT_EQ(Request(server_->port(), "GET", "/readyz").status, 503);
  // Liveness is separate from readiness: a draining service is still alive.
  EXPECT_EQ(Request(server_->port(), "GET", "/healthz").status, 200);
}

TEST_F(MetricsHttpServerTest, AnswersOtherRequestsWithFixedText) {
  HttpResponse response = Request(server_->port(), "GET", "/metrics/../secret?id=110101");
  EXPECT_NE(response.status, 200);
  EXPECT_EQ(response.body.find("110101"), std::string::npos);
  response = Request(server_->port(), "GET", "/records/110101199003074578");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body.find("110101199003074578"), std::string::npos) << response.body;
  response = Request(server_->port(), "POST", "/metrics");
  EXPECT_EQ(response.status, 405);
  EXPECT_NE(response.headers.find("Allow: GET, HEAD"), std::string::npos);
  response = Request(server_->port(), "HEAD", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
}

TEST_F(MetricsHttpServerTest, StopsCleanlyAndRefusesAfterwards) {
  const uint16_t port = server_->port();
  EXPECT_EQ(Request(port, "GET", "/healthz").status, 200);
  server_->Stop();
  server_->Stop();  // idempotent
  EXPECT_EQ(Request(port, "GET", "/healthz").status, 0) << "nothing listens any more";
}

TEST_F(MetricsHttpServerTest, ATakenPortIsUnavailable) {
  HttpServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(server_->port());
  auto second = HttpServer::Start(options, *metrics_, health_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable) << second.error().ToString();
}

TEST(MetricsHttpServerAddressTest, RejectsMalformedAddresses) {
  auto metrics = NewMetrics();
  ASSERT_NE(metrics, nullptr);
  ServiceHealth health;
  for (const char* address : {"9464", "localhost:9464", "127.0.0.1:65536", "127.0.0.1:", "[::1",
                              "[zz]:9464", "127.0.0.1:94x"}) {
    HttpServerOptions options;
    options.address = address;
    auto server = HttpServer::Start(options, *metrics, health);
    ASSERT_FALSE(server) << address;
    EXPECT_EQ(server.error().code(), ErrorCode::kInvalidConfig) << address;
    EXPECT_NE(server.error().message().find("service.metrics_address"), std::string::npos);
  }
}

}  // namespace
}  // namespace gongshi
