// Source-late against pipeline-late, end to end: the Kafka service (`gongshi run --config`) takes
// a record's arrival from its broker timestamp, so records produced here with timestamps from
// 2025 arrive then and are published today, after every deadline. Which of them the audit blames
// on the pipeline depends on the working days they had left when they arrived and on
// deadline.pipeline_slack_working_days; the days are worked out by hand below, never with
// gongshi's calendar. (A file pass arrives and publishes on one day: deadline_test.cc.)
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "tests/integration/deadline_records.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers
namespace chrono = std::chrono;

const std::string kKeyEnv = "GONGSHI_HMAC_KEY=deadline-test-key-0123456789abcdef";

// Every period far after every `today` here.
std::string PenaltyOn(const std::string& date, const std::string& doc_no) {
  return testing::PenaltyOn(date, doc_no, "2099-12-31");
}

// Noon in Asia/Shanghai (UTC+8, no daylight saving) of `date`, in Unix milliseconds.
int64_t NoonInShanghaiMs(const std::string& date) {
  const int y = std::stoi(date.substr(0, 4));
  const unsigned m = std::stoul(date.substr(5, 2)), d = std::stoul(date.substr(8, 2));
  const chrono::sys_days day{chrono::year{y} / chrono::month{m} / chrono::day{d}};
  return chrono::duration_cast<chrono::milliseconds>((day + chrono::hours(4)).time_since_epoch())
      .count();
}

// Each case is one penalty and one license decided on `decided`, produced with the broker
// timestamp of `arrived`. Deadlines (+7 working days, the start day excluded) and the working
// days left at arrival (in (arrived, deadline]) from the State Council notices:
struct Case {
  const char* decided;
  const char* deadline;
  const char* arrived;
  int left;  // working days left at arrival; -1 = arrived after its deadline
};
constexpr Case kCases[] = {
    // Deadline Mon 2025-02-10: Sun 01-26 (1) 01-27 (2) [春节 01-28..02-04] 02-05 (3) 02-06 (4)
    // 02-07 (5) Sat 02-08 (6) 02-10 (7). Arrived Fri 02-07: Sat 02-08 (a 调休 working day) and
    // 02-10 are left, 2 (a Mon-Fri count would say 1).
    {"2025-01-24", "2025-02-10", "2025-02-07", 2},
    // Deadline Sat 2025-02-08: 01-24 (1) Sun 01-26 (2) 01-27 (3) 02-05 (4) 02-06 (5) 02-07 (6)
    // 02-08 (7). Arrived Fri 02-07: 1 left.
    {"2025-01-23", "2025-02-08", "2025-02-07", 1},
    // Deadline 2025-10-16: [国庆+中秋 10-01..10-08] 10-09 (1) 10-10 (2) Sat 10-11 (3) 10-13 (4)
    // 10-14 (5) 10-15 (6) 10-16 (7). Arrived 10-17: after it.
    {"2025-09-30", "2025-10-16", "2025-10-17", -1},
    // Decided and arrived on Sat 2025-10-11 (a 调休 working day, not counted): 10-13 (1) .. 10-17
    // (5) 10-20 (6) 10-21 (7): 7 left.
    {"2025-10-11", "2025-10-21", "2025-10-11", 7},
    // Deadline Fri 2025-03-14: 03-06 (1) 03-07 (2) 03-10 (3) .. 03-14 (7). Arrived on the deadline
    // day: 0 left.
    {"2025-03-05", "2025-03-14", "2025-03-14", 0},
};
constexpr size_t kRecords = 2 * std::size(kCases);

class DeadlineKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_.CreateTopic("t.license", 1);
    kafka_.CreateTopic("t.penalty", 1);
    // A producer of our own: MockKafka's does not set a message's timestamp.
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", kafka_.bootstrap_servers().c_str(),
                                errstr, sizeof(errstr)),
              RD_KAFKA_CONF_OK)
        << errstr;
    rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    ASSERT_NE(producer, nullptr) << errstr;
    for (const Case& c : kCases) {
      const std::string doc = std::string("文") + c.decided;
      for (const auto& [topic, value] :
           {std::pair<std::string, std::string>{"t.penalty", PenaltyOn(c.decided, doc)},
            std::pair<std::string, std::string>{"t.license", LicenseOn(c.decided, doc)}}) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_TIMESTAMP(NoonInShanghaiMs(c.arrived)), RD_KAFKA_V_END);
        EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
      }
    }
    EXPECT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
  }

  // Runs the service (no `today`: arrival is the broker timestamp, publication the clock's day)
  // with this slack until the audit shows every record published, then stops it with SIGTERM.
  void RunService(const std::string& name, int slack) {
    const std::string path = dir_ / (name + ".yaml");
    WriteFile(path, "deadline: {publication_working_days: 7, pipeline_slack_working_days: " +
                        std::to_string(slack) +
                        "}\n"
                        "kafka:\n"
                        "  properties: {bootstrap.servers: \"" +
                        kafka_.bootstrap_servers() + "\", group.id: group-" + name +
                        ", auto.offset.reset: earliest}\n"
                        "  topics: [t.license, t.penalty]\n"
                        "  topic_kinds: {t.license: license, t.penalty: penalty}\n"
                        "  max_wait_ms: 200\n"
                        "service: {out_dir: " +
                        dir_ / name + ", metrics_address: \"127.0.0.1:" +
                        std::to_string(FreeLoopbackPort()) + "\"}\n");
    const std::string logs = dir_ / ("logs-" + name);
    std::filesystem::create_directories(logs);
    const pid_t pid = Start({"run", "--config", path}, logs, {kKeyEnv});
    // The event waited for: every record in the ledger (the audit reads the state read-only
    // beside the running service). The deadline is generous; the pause only paces the polling.
    const auto give_up = chrono::steady_clock::now() + chrono::seconds(120);
    uint64_t published = 0;
    while (published < kRecords && chrono::steady_clock::now() < give_up) {
      published = Totals(name, "").published;
      if (published < kRecords) std::this_thread::sleep_for(chrono::milliseconds(100));
    }
    ::kill(pid, SIGTERM);
    const ProcessResult stopped = Wait(pid, logs);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    ASSERT_EQ(published, kRecords) << "the service did not publish every record in 120 s:\n"
                                   << stopped.err;
  }

  struct Figures {
    uint64_t published = 0, on_time = 0, source_late = 0, pipeline_late = 0;
  };
  // The audit's totals over the decisions of `decided` ("" = all).
  Figures Totals(const std::string& name, const std::string& decided) {
    std::vector<std::string> args = {"audit", "--state", dir_ / name + "/state", "--format",
                                     "json"};
    if (!decided.empty()) args.insert(args.end(), {"--from", decided, "--to", decided});
    std::filesystem::create_directories(dir_ / "audit");
    const ProcessResult report = testing::Run(args, dir_ / "audit");
    Figures got;
    simdjson::dom::parser parser;
    simdjson::dom::element totals;
    // Before the service's first commit there is no store to read yet.
    if (report.exit_code != 0 || parser.parse(report.out).at_key("totals").get(totals)) return got;
    got.published = uint64_t(totals["published"]);
    got.on_time = uint64_t(totals["on_time"]);
    got.source_late = uint64_t(totals["source_late"]);
    got.pipeline_late = uint64_t(totals["pipeline_late"]);
    return got;
  }

  // With `slack`, a record that arrived with `left` working days is the pipeline's when
  // left >= slack (README "Deadlines"): the expectation, per case, written out in the tests.
  void ExpectBlame(const std::string& name, const Case& c, bool pipeline_late,
                   const std::string& why = "") {
    const Figures got = Totals(name, c.decided);
    EXPECT_EQ(got.published, 2u) << name << " " << c.decided;
    EXPECT_EQ(got.on_time, 0u) << name << " " << c.decided << ": published long after";
    EXPECT_EQ(got.pipeline_late, pipeline_late ? 2u : 0u)
        << name << ": decided " << c.decided << ", arrived " << c.arrived << " with " << c.left
        << " working days left " << why;
    EXPECT_EQ(got.source_late, pipeline_late ? 0u : 2u)
        << name << ": decided " << c.decided << ", arrived " << c.arrived << " with " << c.left
        << " working days left " << why;
  }

  MockKafka kafka_{1};
  TempDir dir_;
};

TEST_F(DeadlineKafkaTest, ArrivalAndSlackDecideWhetherALateRecordIsTheSourcesOrThePipelines) {
  // Publication is on the machine's day (no `today`): every deadline here must be behind it.
  ASSERT_GT(chrono::system_clock::now().time_since_epoch(),
            chrono::milliseconds(NoonInShanghaiMs("2025-10-22")))
      << "the clock is set before the cases' deadlines";
  RunService("slack0", 0);  // the default: late is the pipeline's unless it arrived after
  RunService("slack2", 2);
  RunService("slack3", 3);
  // Every feed line carries its deadline as the notices give it.
  std::map<std::string, std::string> deadlines;
  simdjson::dom::parser parser;
  for (const char* kind : {"license", "penalty"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "slack0/feeds/" + kind)) {
      if (entry.path().extension() != ".ndjson") continue;
      const std::string text = ReadFile(entry.path().string());
      for (simdjson::dom::element line : parser.parse_many(text)) {
        deadlines[std::string(kind) + " " + std::string(std::string_view(line["decision_date"]))] =
            std::string(std::string_view(line["deadline"]));
      }
    }
  }
  EXPECT_EQ(deadlines.size(), kRecords);
  for (const Case& c : kCases) {
    EXPECT_EQ(deadlines[std::string("license ") + c.decided], c.deadline) << c.decided;
    EXPECT_EQ(deadlines[std::string("penalty ") + c.decided], c.deadline) << c.decided;
  }

  const Case &early_friday = kCases[0], &one_left = kCases[1], &after = kCases[2],
             &on_decision = kCases[3], &on_deadline = kCases[4];
  ExpectBlame("slack0", early_friday, true);
  ExpectBlame("slack0", one_left, true);
  ExpectBlame("slack0", after, false);
  ExpectBlame("slack0", on_decision, true);
  ExpectBlame("slack0", on_deadline, true, "arrived on its deadline day, published after");
  ExpectBlame("slack2", early_friday, true, "2 left (the 调休 Saturday counts), slack 2");
  ExpectBlame("slack2", one_left, false);
  ExpectBlame("slack2", after, false);
  ExpectBlame("slack2", on_decision, true);
  ExpectBlame("slack2", on_deadline, false);
  ExpectBlame("slack3", early_friday, false, "2 left, slack 3");
  ExpectBlame("slack3", one_left, false);
  ExpectBlame("slack3", after, false);
  ExpectBlame("slack3", on_decision, true);
  ExpectBlame("slack3", on_deadline, false);
}

}  // namespace
}  // namespace gongshi
