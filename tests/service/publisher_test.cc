// The deadline promise on a simulated clock. A schedule-driven feed (Tuesday and Friday 10:00)
// receives penalties with various slack over two weeks while the sink is down twice, for 36 and
// for 52 hours. The Publisher, Pipeline, RocksDB state and feed files are the service's own; the
// clock, the Kafka partition (messages delivered only while the partitions are not paused) and
// the sink's outage are simulated. Checks:
//  - each record is published when the schedule or its deadline says, once;
//  - every record whose deadline outlived the outage is on time; the one whose deadline fell in
//    the second outage is pipeline-late, the ones that arrived too late are source-late;
//  - the RecordsAtRisk alert of deploy/prometheus/alerts.yml, evaluated by promtool over the
//    gongshi_records_at_risk gauge sampled every simulated minute, fired before each deadline
//    the outage put at risk, with hours to spare.
// Weekdays and holidays checked by hand: 2025-11-03 is a Monday; no holiday in 2025-10-23 ..
// 2025-11-16.
#include "pipeline/service/publisher.h"

#include <cstdlib>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/common/civil_date.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::TempDir;
using testing::With;

constexpr int64_t kMinuteMs = 60 * 1000;

int64_t At(const char* date, int hour, int minute = 0) {
  const int32_t day = *ParseDate(date);
  return (static_cast<int64_t>(day) * 86400 + hour * 3600 + minute * 60 - 8 * 3600) * 1000;
}
int32_t Day(const char* date) { return *ParseDate(date); }
// The end of a deadline day: 24:00 Asia/Shanghai.
int64_t EndOf(int32_t day) { return (static_cast<int64_t>(day + 1) * 86400 - 8 * 3600) * 1000; }

struct Arrival {
  const char* name;  // also the record's 文号 suffix
  int64_t at_ms;     // appended to the partition (the Kafka timestamp)
  const char* decided;
};

struct Outage {
  int64_t from_ms, to_ms;
};

struct Publication {
  int64_t at_ms;
  FlushCause cause;
  int times = 0;
};

class PublisherSimulation : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.service.out_dir = dir_ / "out";
    config_.deadline.pipeline_slack_working_days = 1;  // the pipeline asks for 1 working day
    config_.batch.schedule = {"tue,fri 10:00"};
    auto parts = OpenPipelineParts(config_, dir_ / "state");
    ASSERT_TRUE(parts) << parts.error().ToString();
    parts_ = std::move(*parts);
    auto pipeline = Pipeline::Create(config_, parts_, config_.service.out_dir);
    ASSERT_TRUE(pipeline) << pipeline.error().ToString();
    pipeline_ = std::move(*pipeline);
    progress_.generation = 1;
    progress_.reject_reasons.resize(AllRejectReasons().size() + 1);
    progress_.withhold_reasons.resize(kWithholdReasonCount);
    doc_field_ = Schemas().For(RecordKind::kPenalty).FieldIndex("decision_doc_no");
  }

  static std::string Message(const Arrival& a) {
    std::string json = Fixture("penalty_valid.json");
    json = With(json, "decision_doc_no", Quoted(std::string("榕市监处罚〔2025〕") + a.name + "号"));
    json = With(json, "decision_date", Quoted(a.decided));
    json = With(json, "penalty_valid_to", Quoted("2026/11/01"));
    json = With(json, "publish_until", Quoted("2027-11-01"));
    return json;
  }
  static const SchemaSet& Schemas() { return testing::Schemas(); }

  // Runs the simulation minute by minute from `start` to `end`; returns the at-risk samples.
  std::vector<uint64_t> Run(Publisher& publisher, int64_t start, int64_t end,
                            const std::vector<Arrival>& arrivals,
                            const std::vector<Outage>& outages) {
    std::vector<uint64_t> samples;
    size_t next = 0;  // arrivals are in time order; those not delivered wait "in Kafka"
    int64_t offset = 0;
    bool down = false;
    pipeline_->set_sink_fault([&down]() -> Status {
      if (down) return Fail(ErrorCode::kUnavailable, "feed site down (simulated)");
      return Ok();
    });
    auto published = [&](const TopicPartition&, int64_t end_offset, const RecordBatch& batch,
                         BatchCounts& counts) {
      EXPECT_EQ(end_offset, offset);  // everything delivered so far, nothing skipped
      FlushCause cause = FlushCause::kNone;
      for (FlushCause c : {FlushCause::kCount, FlushCause::kBytes, FlushCause::kAge,
                           FlushCause::kSchedule, FlushCause::kDeadline}) {
        if (counts.flushes[static_cast<size_t>(MetricsCause(c))] > 0) cause = c;
      }
      for (const Record& record : batch.records) {
        ++outcomes_[record.outcome];
        std::string doc(record.fields[doc_field_]);
        Publication& p = publications_[doc];
        p.at_ms = now_;
        p.cause = cause;
        ++p.times;
      }
    };
    for (now_ = start; now_ <= end; now_ += kMinuteMs) {
      down = false;
      for (const Outage& o : outages) down = down || (now_ >= o.from_ms && now_ < o.to_ms);
      // The broker delivers only to partitions that are not paused (the service pauses them
      // while the sink fails).
      if (!publisher.failing() && next < arrivals.size() && arrivals[next].at_ms <= now_) {
        PartitionBatch polled;
        polled.tp = tp_;
        std::vector<std::string> messages;
        for (size_t i = next; i < arrivals.size() && arrivals[i].at_ms <= now_; ++i) {
          messages.push_back(Message(arrivals[i]));
        }
        testing::FillBatch(polled.batch, messages);
        polled.first_offset = offset;
        for (Record& record : polled.batch.records) {
          record.position.partition = 0;
          record.position.offset = offset++;
          record.position.timestamp_ms = arrivals[next++].at_ms;
        }
        polled.end_offset = offset;
        EXPECT_TRUE(publisher.Offer(polled, now_, published));
      }
      EXPECT_TRUE(publisher.PublishDue(now_, published));
      samples.push_back(publisher.Risk(now_).at_risk);
    }
    return samples;
  }

  TempDir dir_;
  Config config_;
  PipelineParts parts_;
  std::unique_ptr<Pipeline> pipeline_;
  SourceProgress progress_;
  const TopicPartition tp_{"penalties", 0};
  int doc_field_ = -1;
  int64_t now_ = 0;
  std::map<std::string, Publication> publications_;
  std::map<Outcome, int> outcomes_;
  std::string held_key_, held_headers_;
};

// promtool's verdict on the RecordsAtRisk rule over `samples` (one a minute from 0m): firing at
// `at_minute` with `value`, or not firing when value is 0. The expected annotations are the
// rule's own, expanded as Prometheus would.
bool AlertFiresAsExpected(const std::vector<uint64_t>& samples,
                          const std::vector<std::pair<int64_t, uint64_t>>& checks,
                          const std::string& dir, std::string& output) {
  const char* root = std::getenv("GONGSHI_DATA_DIR");
  if (root == nullptr) {
    output = "GONGSHI_DATA_DIR is not set (ctest sets it)";
    return false;
  }
  const std::string rules = std::string(root) + "/deploy/prometheus/alerts.yml";
  YAML::Node rule;
  for (const auto& group : YAML::LoadFile(rules)["groups"]) {
    for (const auto& entry : group["rules"]) {
      const YAML::Node& r = entry;
      if (r["alert"] && r["alert"].as<std::string>() == "RecordsAtRisk") rule.reset(r);
    }
  }
  if (!rule) {
    output = "no RecordsAtRisk rule in " + rules;
    return false;
  }
  const std::string instance = "sim:9464";
  // Run-length encoded ("v xN" is N+1 samples of v).
  std::string values;
  for (size_t i = 0; i < samples.size();) {
    size_t j = i;
    while (j + 1 < samples.size() && samples[j + 1] == samples[i]) ++j;
    values += fmt::format("{}{}x{}", values.empty() ? "" : " ", samples[i], j - i);
    i = j + 1;
  }
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "rule_files" << YAML::Value << YAML::BeginSeq << rules
      << YAML::EndSeq << YAML::Key << "evaluation_interval" << YAML::Value << "1m";
  out << YAML::Key << "tests" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "interval" << YAML::Value << "1m";
  out << YAML::Key << "input_series" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "series" << YAML::Value
      << fmt::format("gongshi_records_at_risk{{job=\"gongshi\",instance=\"{}\"}}", instance)
      << YAML::Key << "values" << YAML::Value << values << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "alert_rule_test" << YAML::Value << YAML::BeginSeq;
  for (const auto& [minute, value] : checks) {
    out << YAML::BeginMap << YAML::Key << "eval_time" << YAML::Value << fmt::format("{}m", minute)
        << YAML::Key << "alertname" << YAML::Value << "RecordsAtRisk" << YAML::Key << "exp_alerts"
        << YAML::Value << YAML::BeginSeq;
    if (value > 0) {
      out << YAML::BeginMap << YAML::Key << "exp_labels" << YAML::Value << YAML::BeginMap;
      for (const auto& label : rule["labels"]) {
        out << YAML::Key << label.first.as<std::string>() << YAML::Value
            << label.second.as<std::string>();
      }
      out << YAML::Key << "job" << YAML::Value << "gongshi" << YAML::Key << "instance"
          << YAML::Value << instance << YAML::EndMap;
      out << YAML::Key << "exp_annotations" << YAML::Value << YAML::BeginMap;
      for (const auto& annotation : rule["annotations"]) {
        std::string text = annotation.second.as<std::string>();
        for (auto [from, to] :
             {std::pair<std::string, std::string>{"{{ $value }}", std::to_string(value)},
              {"{{ $labels.instance }}", instance}}) {
          for (size_t at; (at = text.find(from)) != std::string::npos;)
            text.replace(at, from.size(), to);
        }
        out << YAML::Key << annotation.first.as<std::string>() << YAML::Value << text;
      }
      out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  const std::string test_file = dir + "/at_risk_test.yml";
  testing::WriteFile(test_file, out.c_str());
  const std::string command =
      fmt::format("promtool test rules {} > {}/promtool.out 2>&1", test_file, dir);
  const int rc = std::system(command.c_str());
  output = testing::ReadFile(dir + "/promtool.out");
  return rc == 0;
}

TEST_F(PublisherSimulation, ScheduleDeadlinesAndAnOutageOfHours) {
  ASSERT_EQ(std::system("command -v promtool > /dev/null"), 0)
      << "promtool is needed (Debian package prometheus; deploy/setup.sh installs it)";
  auto policy = MakeBatchPolicy(config_.batch);
  ASSERT_TRUE(policy);
  Publisher publisher(*pipeline_, *parts_.calendar, -1, *policy, [this](const TopicPartition& tp) {
    return tp == tp_ ? &progress_ : nullptr;
  });

  // Deadlines (decision + 7 working days) worked out by hand, and what should happen.
  const std::vector<Arrival> arrivals = {
      // Monday 09:00: A2 is due today, so it goes at once. At 11:00 A1 (deadline Tue 11-11)
      // arrives and waits for Tuesday's slot. (Whatever a partition holds goes out together, so
      // the relaxed record comes after the urgent one here.)
      {"A2", At("2025-11-03", 9), "2025-10-23"},
      {"A1", At("2025-11-03", 11), "2025-10-31"},
      // Wednesday noon, the sink down since 08:00 until Thursday 20:00: B1 (deadline Thu 11-06)
      // is urgent and at risk, and is published on Thursday evening, in time; B2 (deadline Wed
      // 11-05, today) arrived with less than the 1 working day the pipeline needs: source-late;
      // B3 (deadline Thu 11-13) goes with them.
      {"B1", At("2025-11-05", 12), "2025-10-28"},
      {"B2", At("2025-11-05", 12), "2025-10-27"},
      {"B3", At("2025-11-05", 12), "2025-11-04"},
      // Thursday 09:00, into the paused partition (delivered after the recovery): its deadline
      // (Wed 11-05) had passed when it arrived: source-late.
      {"C1", At("2025-11-06", 9), "2025-10-27"},
      // Friday after the slot: D1 (deadline Tue 11-11) cannot wait for Tuesday's slot.
      {"D1", At("2025-11-07", 15), "2025-10-31"},
      // Saturday: D2 (deadline Fri 11-14) waits for Tuesday's slot.
      {"D2", At("2025-11-08", 10), "2025-11-05"},
      // Monday 09:00, the sink down from 08:00 until Wednesday noon: E1 (deadline Tue 11-11)
      // arrived with the slack the pipeline needs, and the outage outlasts its deadline:
      // pipeline-late. D2 goes with it on recovery, in time.
      {"E1", At("2025-11-10", 9), "2025-10-31"},
  };
  const Outage first{At("2025-11-05", 8), At("2025-11-06", 20)};
  const Outage second{At("2025-11-10", 8), At("2025-11-12", 12)};
  const int64_t start = At("2025-11-03", 0);
  const std::vector<uint64_t> samples =
      Run(publisher, start, At("2025-11-16", 23, 59), arrivals, {first, second});

  struct Expected {
    const char* name;
    int64_t at_ms;
    FlushCause cause;
    Lateness lateness;
  };
  const std::vector<Expected> expected = {
      {"A2", At("2025-11-03", 9), FlushCause::kDeadline, Lateness::kOnTime},
      {"A1", At("2025-11-04", 10), FlushCause::kSchedule, Lateness::kOnTime},
      {"B1", first.to_ms, FlushCause::kDeadline, Lateness::kOnTime},
      {"B2", first.to_ms, FlushCause::kDeadline, Lateness::kSourceLate},
      {"B3", first.to_ms, FlushCause::kDeadline, Lateness::kOnTime},
      {"C1", first.to_ms + kMinuteMs, FlushCause::kDeadline, Lateness::kSourceLate},
      {"D1", At("2025-11-07", 15), FlushCause::kDeadline, Lateness::kOnTime},
      {"D2", second.to_ms, FlushCause::kDeadline, Lateness::kOnTime},
      {"E1", second.to_ms, FlushCause::kDeadline, Lateness::kPipelineLate},
  };
  ASSERT_EQ(publications_.size(), arrivals.size());
  std::map<std::string, int32_t> deadline_of;
  for (const Arrival& a : arrivals) {
    deadline_of[a.name] = parts_.calendar->AddWorkingDays(Day(a.decided), 7).day;
  }
  for (const Expected& e : expected) {
    const std::string doc = std::string("榕市监处罚〔2025〕") + e.name + "号";
    ASSERT_TRUE(publications_.count(doc)) << e.name;
    const Publication& p = publications_[doc];
    EXPECT_EQ(p.times, 1) << e.name << " published more than once";
    EXPECT_EQ(p.at_ms, e.at_ms) << e.name << " published at " << (p.at_ms - start) / kMinuteMs
                                << " min, expected " << (e.at_ms - start) / kMinuteMs;
    EXPECT_EQ(p.cause, e.cause) << e.name << ": " << FlushCauseName(p.cause);
    // What the deadline promise means: a record whose deadline outlived the outage is on time.
    if (EndOf(deadline_of[e.name]) > p.at_ms) {
      EXPECT_EQ(e.lateness, Lateness::kOnTime) << e.name;
    }
  }
  EXPECT_EQ(outcomes_[Outcome::kPublished], static_cast<int>(arrivals.size()));

  // The auditors' ledger says the same, record by record (keyed here by decision and arrival).
  std::map<std::pair<int32_t, int32_t>, std::multiset<Lateness>> ledger;
  ASSERT_TRUE(parts_.store->ForEachAudit(0, 0, [&](const AuditEvent& event) {
    ledger[{event.decision_day, event.arrival_day}].insert(event.lateness);
  }));
  std::map<std::pair<int32_t, int32_t>, std::multiset<Lateness>> want;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    want[{Day(arrivals[i].decided), ShanghaiDay(arrivals[i].at_ms)}].insert(expected[i].lateness);
  }
  EXPECT_EQ(ledger, want);

  // At risk while the sink was down: B1 and B2 from Wednesday 12:00 (B3's deadline is a week
  // off), E1 from Monday 09:00. Nothing at risk before the first outage or after the second.
  const int64_t b_minute = (At("2025-11-05", 12) - start) / kMinuteMs;
  const int64_t e_minute = (At("2025-11-10", 9) - start) / kMinuteMs;
  EXPECT_EQ(samples[b_minute - 1], 0u);
  EXPECT_EQ(samples[b_minute], 2u);
  EXPECT_EQ(samples[e_minute], 1u);
  EXPECT_EQ(samples[(At("2025-11-04", 12) - start) / kMinuteMs], 0u);
  EXPECT_EQ(samples[(second.to_ms - start) / kMinuteMs], 0u);

  // The alert, as Prometheus would evaluate it: not yet 4 minutes in, firing 6 minutes in, and
  // both times long before the deadlines at stake (B1's Thursday 24:00, E1's Tuesday 24:00).
  const int64_t b_fires = b_minute + 6, e_fires = e_minute + 6;
  EXPECT_LT(start + b_fires * kMinuteMs + 24 * 60 * kMinuteMs, EndOf(deadline_of["B1"]));
  EXPECT_LT(start + e_fires * kMinuteMs + 24 * 60 * kMinuteMs, EndOf(deadline_of["E1"]));
  std::string promtool;
  EXPECT_TRUE(AlertFiresAsExpected(samples,
                                   {{b_minute - 1, 0},
                                    {b_minute + 4, 0},
                                    {b_fires, 2},
                                    {(At("2025-11-07", 12) - start) / kMinuteMs, 0},
                                    {e_minute + 4, 0},
                                    {e_fires, 1}},
                                   dir_.path(), promtool))
      << promtool;
}

// A held message keeps what the source read besides its value: the key, the headers, and that
// it was a tombstone (a null value is no empty message: kafka_tombstone, not json_syntax).
TEST_F(PublisherSimulation, AHeldBatchKeepsKeysHeadersAndTombstones) {
  auto policy = MakeBatchPolicy(config_.batch);  // the Tuesday/Friday schedule: it holds
  ASSERT_TRUE(policy);
  Publisher publisher(*pipeline_, *parts_.calendar, -1, *policy, [this](const TopicPartition& tp) {
    return tp == tp_ ? &progress_ : nullptr;
  });
  PartitionBatch polled;
  polled.tp = tp_;
  testing::FillBatch(polled.batch, {Message({"K1", 0, "2025-11-03"}), "x"});
  Record& valid = polled.batch.records[0];
  Record& tombstone = polled.batch.records[1];
  // Key and headers are views into the batch's bytes, as the source stages them.
  valid.key = valid.raw.substr(0, 6);
  valid.key_null = false;
  valid.headers = valid.raw.substr(6, 4);
  tombstone.raw = tombstone.raw.substr(0, 0);
  tombstone.json = tombstone.raw;
  tombstone.value_null = true;
  tombstone.Reject(RejectReason::kKafkaTombstone);
  const std::string key(valid.key), headers(valid.headers);
  for (size_t i = 0; i < 2; ++i) {
    polled.batch.records[i].position = {0, 0, static_cast<int64_t>(i), 0, At("2025-11-03", 9)};
  }
  polled.first_offset = 0;
  polled.end_offset = 2;
  std::vector<Record> out;
  auto published = [&](const TopicPartition&, int64_t, const RecordBatch& batch, BatchCounts&) {
    for (const Record& r : batch.records) out.push_back(r);
    held_key_ = std::string(batch.records[0].key);
    held_headers_ = std::string(batch.records[0].headers);
  };
  ASSERT_TRUE(publisher.Offer(polled, At("2025-11-03", 9), published));
  ASSERT_TRUE(out.empty()) << "held for Tuesday's slot";
  polled.batch.Clear();  // the source reuses its buffers
  ASSERT_TRUE(publisher.PublishDue(At("2025-11-04", 10) + kMinuteMs, published));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(held_key_, key);
  EXPECT_EQ(held_headers_, headers);
  EXPECT_FALSE(out[0].key_null);
  EXPECT_EQ(out[1].outcome, Outcome::kRejected);
  EXPECT_EQ(out[1].reject_reason, RejectReason::kKafkaTombstone);
  EXPECT_TRUE(out[1].value_null);
}

TEST_F(PublisherSimulation, ContinuousFeedHoldsOnlyWhileTheSinkIsDown) {
  config_.batch.schedule.clear();
  auto policy = MakeBatchPolicy(config_.batch);
  ASSERT_TRUE(policy);
  Publisher publisher(*pipeline_, *parts_.calendar, -1, *policy, [this](const TopicPartition& tp) {
    return tp == tp_ ? &progress_ : nullptr;
  });
  const std::vector<Arrival> arrivals = {
      {"F1", At("2025-11-03", 9), "2025-10-31"},   // published at once
      {"F2", At("2025-11-05", 12), "2025-10-28"},  // deadline Thu 11-06, sink down: at risk
      {"F3", At("2025-11-05", 12), "2025-11-04"},  // deadline 11-13: held, not at risk
  };
  const Outage outage{At("2025-11-05", 8), At("2025-11-05", 18)};
  const int64_t start = At("2025-11-03", 0);
  const std::vector<uint64_t> samples =
      Run(publisher, start, At("2025-11-06", 0), arrivals, {outage});
  ASSERT_EQ(publications_.size(), 3u);
  EXPECT_EQ(publications_["榕市监处罚〔2025〕F1号"].at_ms, At("2025-11-03", 9));
  EXPECT_EQ(publications_["榕市监处罚〔2025〕F1号"].cause, FlushCause::kAge);
  EXPECT_EQ(publications_["榕市监处罚〔2025〕F2号"].at_ms, outage.to_ms);
  EXPECT_EQ(publications_["榕市监处罚〔2025〕F3号"].at_ms, outage.to_ms);
  EXPECT_EQ(samples[(At("2025-11-05", 12) - start) / kMinuteMs], 1u);
  EXPECT_EQ(samples[(outage.to_ms - start) / kMinuteMs], 0u);
  EXPECT_EQ(publisher.held_records(), 0u);
  EXPECT_GT(publisher.failed_attempts(), 0u);
}

}  // namespace
}  // namespace gongshi
