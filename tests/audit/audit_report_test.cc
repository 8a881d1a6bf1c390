// Tests of the auditors' report: counts and rates per authority and month on hand-built events,
// exact median / nearest-rank p95, the date filter, and the CSV, JSON and HTML renderings. Expected
// figures are worked out by hand in the comments, not taken from the code's output.
#include "pipeline/audit/audit_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/record/reject_reason.h"

namespace gongshi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr std::string_view kUsccA = "12110000000000001A";  // sorts after B
constexpr std::string_view kUsccB = "11110000000000002B";

struct EventBuilder {
  AuditEvent event;
  EventBuilder(std::string_view uscc, std::string_view name, int32_t decision_day) {
    event.authority_uscc = std::string(uscc);
    event.authority_name = std::string(name);
    event.kind = RecordKind::kPenalty;
    event.decision_day = decision_day;
    event.arrival_day = decision_day == 0 ? 0 : decision_day + 1;
  }
  EventBuilder& Published(Lateness lateness, int32_t latency,
                          Outcome outcome = Outcome::kPublished) {
    event.outcome = outcome;
    event.lateness = lateness;
    event.latency_working_days = latency;
    event.published_day = event.arrival_day + 1;
    return *this;
  }
  EventBuilder& Ends(Outcome outcome, uint8_t reason = 0) {
    event.outcome = outcome;
    event.reason = reason;
    return *this;
  }
  EventBuilder& Provisional() {
    event.deadline_provisional = true;
    return *this;
  }
  EventBuilder& Arrival(int32_t day) {
    event.arrival_day = day;
    return *this;
  }
  operator AuditEvent() const { return event; }  // NOLINT: builder
};

uint8_t Code(RejectReason reason) { return static_cast<uint8_t>(reason); }
uint8_t Code(WithholdReason reason) { return static_cast<uint8_t>(reason); }

const int32_t kJan15 = DaysFromCivil(2024, 1, 15);
const int32_t kJan31 = DaysFromCivil(2024, 1, 31);
const int32_t kFeb01 = DaysFromCivil(2024, 2, 1);

// Authority A in 2024-01: 3 on time (latency 2, 3, 5), 1 correction source-late (9), 1
// pipeline-late (8), a duplicate, 2 withheld, 3 rejected, 1 withdrawal; two provisional deadlines.
// Authority B: one on-time record in 2024-01 and a rejected one in 2024-02.
AuditReport SampleReport(AuditFilter filter = {}) {
  AuditReport report(filter);
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15).Published(Lateness::kOnTime, 2));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15).Published(Lateness::kOnTime, 3));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan31)
                 .Published(Lateness::kOnTime, 5)
                 .Provisional());
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Published(Lateness::kSourceLate, 9, Outcome::kUpdated));
  report.Add(
      EventBuilder(kUsccA, "甲市市场监督管理局", kJan15).Published(Lateness::kPipelineLate, 8));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Published(Lateness::kOnTime, 1, Outcome::kDuplicate)
                 .Provisional());
  report.Add(
      EventBuilder(kUsccA, "", kJan15).Ends(Outcome::kWithheld, Code(WithholdReason::kMinor)));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Ends(Outcome::kWithheld, Code(WithholdReason::kConfidential)));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Ends(Outcome::kRejected, Code(RejectReason::kUsccChecksum))
                 .Provisional());
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Ends(Outcome::kRejected, Code(RejectReason::kUsccChecksum)));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15)
                 .Ends(Outcome::kRejected, Code(RejectReason::kDateFormat)));
  report.Add(EventBuilder(kUsccA, "甲市市场监督管理局", kJan15).Ends(Outcome::kWithdrawn));
  report.Add(EventBuilder(kUsccB, "乙县交通运输局", kJan15).Published(Lateness::kOnTime, 4));
  report.Add(EventBuilder(kUsccB, "乙县交通运输局", kFeb01)
                 .Ends(Outcome::kRejected, Code(RejectReason::kFieldMissing)));
  return report;
}

TEST(AuditReportTest, CountsAndRatesPerAuthorityAndMonth) {
  const AuditReport report = SampleReport();
  const std::vector<AuditRow> rows = report.Rows();
  ASSERT_EQ(rows.size(), 3u);
  // Sorted by month, then USCC: B sorts before A within 2024-01.
  EXPECT_EQ(rows[0].month, "2024-01");
  EXPECT_EQ(rows[0].authority_uscc, kUsccB);
  EXPECT_EQ(rows[1].month, "2024-01");
  EXPECT_EQ(rows[1].authority_uscc, kUsccA);
  EXPECT_EQ(rows[2].month, "2024-02");
  EXPECT_EQ(rows[2].authority_uscc, kUsccB);

  const AuditRow& a = rows[1];
  EXPECT_EQ(a.authority_name, "甲市市场监督管理局");
  EXPECT_EQ(a.received, 11u);  // 12 events less the duplicate
  EXPECT_EQ(a.published, 5u);
  EXPECT_EQ(a.on_time, 3u);
  EXPECT_EQ(a.source_late, 1u);
  EXPECT_EQ(a.pipeline_late, 1u);
  EXPECT_EQ(a.withdrawals, 1u);
  EXPECT_EQ(a.provisional_deadlines, 2u);  // the duplicate's does not count
  EXPECT_THAT(a.withheld_by_reason, ElementsAre(Pair("confidential", 1u), Pair("minor", 1u)));
  EXPECT_THAT(a.rejected_by_reason,
              ElementsAre(Pair("date_format", 1u), Pair("uscc_checksum", 2u)));
  EXPECT_EQ(a.withheld(), 2u);
  EXPECT_EQ(a.rejected(), 3u);
  EXPECT_EQ(a.latency_samples, 5u);
  EXPECT_DOUBLE_EQ(a.median_latency_working_days, 5);  // {2, 3, 5, 8, 9}
  EXPECT_DOUBLE_EQ(a.p95_latency_working_days, 9);     // rank ceil(4.75) = 5
  EXPECT_DOUBLE_EQ(ComplianceRate(a).value(), 8.0 / 11);
  EXPECT_DOUBLE_EQ(TimelinessRate(a).value(), 3.0 / 5);
  EXPECT_DOUBLE_EQ(LateRate(a).value(), 2.0 / 5);

  // B in 2024-02 has nothing published: no timeliness, no late rate, no latency.
  const AuditRow& b_feb = rows[2];
  EXPECT_EQ(b_feb.received, 1u);
  EXPECT_EQ(b_feb.published, 0u);
  EXPECT_DOUBLE_EQ(ComplianceRate(b_feb).value(), 0);
  EXPECT_FALSE(TimelinessRate(b_feb).has_value());
  EXPECT_FALSE(LateRate(b_feb).has_value());
  EXPECT_TRUE(std::isnan(b_feb.median_latency_working_days));
  EXPECT_TRUE(std::isnan(b_feb.p95_latency_working_days));

  const AuditRow totals = report.Totals();
  EXPECT_EQ(totals.month, "");
  EXPECT_EQ(totals.received, 13u);
  EXPECT_EQ(totals.published, 6u);
  EXPECT_EQ(totals.on_time, 4u);
  EXPECT_EQ(totals.source_late + totals.pipeline_late, 2u);
  EXPECT_EQ(totals.rejected(), 4u);
  EXPECT_THAT(
      totals.rejected_by_reason,
      ElementsAre(Pair("date_format", 1u), Pair("field_missing", 1u), Pair("uscc_checksum", 2u)));
  EXPECT_DOUBLE_EQ(totals.median_latency_working_days, 4.5);  // {2, 3, 4, 5, 8, 9}
  EXPECT_DOUBLE_EQ(totals.p95_latency_working_days, 9);       // rank ceil(5.7) = 6
  EXPECT_DOUBLE_EQ(ComplianceRate(totals).value(), 9.0 / 13);
  EXPECT_DOUBLE_EQ(TimelinessRate(totals).value(), 4.0 / 6);
}

TEST(AuditReportTest, EmptyReportHasNoRates) {
  const AuditReport report;
  EXPECT_TRUE(report.Rows().empty());
  const AuditRow totals = report.Totals();
  EXPECT_EQ(totals.received, 0u);
  EXPECT_FALSE(ComplianceRate(totals).has_value());
  EXPECT_FALSE(TimelinessRate(totals).has_value());
  EXPECT_FALSE(LateRate(totals).has_value());
  EXPECT_TRUE(std::isnan(totals.median_latency_working_days));
  EXPECT_THAT(report.Json(), HasSubstr("\"compliance_rate\":null"));
  EXPECT_THAT(report.Html(), HasSubstr("<svg id=\"chart-monthly\""));
}

TEST(AuditReportTest, NameIsTheLatestNonEmptyOne) {
  AuditReport report;
  report.Add(EventBuilder(kUsccA, "旧名称", kJan15).Published(Lateness::kOnTime, 1));
  report.Add(EventBuilder(kUsccA, "新名称", kFeb01).Published(Lateness::kOnTime, 1));
  report.Add(EventBuilder(kUsccA, "", kFeb01).Published(Lateness::kOnTime, 1));
  for (const AuditRow& row : report.Rows()) EXPECT_EQ(row.authority_name, "新名称");
}

double BruteMedian(std::vector<int32_t> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

double BruteP95(std::vector<int32_t> values) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(values.size())));
  return values[std::max<size_t>(rank, 1) - 1];
}

AuditRow RowOfLatencies(const std::vector<int32_t>& latencies) {
  AuditReport report;
  for (int32_t latency : latencies) {
    report.Add(EventBuilder(kUsccA, "甲", kJan15).Published(Lateness::kOnTime, latency));
  }
  EXPECT_EQ(report.Rows().size(), 1u);
  return report.Rows().at(0);
}

TEST(AuditReportTest, MedianAndP95AreExact) {
  std::vector<int32_t> one_to_hundred;
  for (int32_t i = 1; i <= 100; ++i) one_to_hundred.push_back(i);
  AuditRow row = RowOfLatencies(one_to_hundred);
  EXPECT_DOUBLE_EQ(row.median_latency_working_days, 50.5);
  EXPECT_DOUBLE_EQ(row.p95_latency_working_days, 95);

  row = RowOfLatencies({7});
  EXPECT_DOUBLE_EQ(row.median_latency_working_days, 7);
  EXPECT_DOUBLE_EQ(row.p95_latency_working_days, 7);

  // Long latencies (a backfill of old decisions) are kept as exactly as short ones.
  row = RowOfLatencies({10, 40});
  EXPECT_DOUBLE_EQ(row.median_latency_working_days, 25);
  EXPECT_DOUBLE_EQ(row.p95_latency_working_days, 40);
  row = RowOfLatencies({0, 1, 500});
  EXPECT_DOUBLE_EQ(row.median_latency_working_days, 1);
  EXPECT_DOUBLE_EQ(row.p95_latency_working_days, 500);

  // 20 samples: nearest-rank p95 is the 19th, not the maximum.
  std::vector<int32_t> twenty;
  for (int32_t i = 0; i < 20; ++i) twenty.push_back(i * 3);
  row = RowOfLatencies(twenty);
  EXPECT_DOUBLE_EQ(row.p95_latency_working_days, 54);

  std::mt19937 random(20240115);
  for (int round = 0; round < 50; ++round) {
    std::vector<int32_t> values(1 + random() % 300);
    for (int32_t& value : values) {
      value = random() % 8 == 0 ? static_cast<int32_t>(random() % 2000)
                                : static_cast<int32_t>(random() % 15);
    }
    row = RowOfLatencies(values);
    EXPECT_DOUBLE_EQ(row.median_latency_working_days, BruteMedian(values)) << round;
    EXPECT_DOUBLE_EQ(row.p95_latency_working_days, BruteP95(values)) << round;
    EXPECT_EQ(row.latency_samples, values.size());
  }
}

TEST(AuditReportTest, UnknownLatencyIsNotASample) {
  AuditReport report;
  report.Add(EventBuilder(kUsccA, "甲", kJan15).Published(Lateness::kOnTime, -1));
  report.Add(EventBuilder(kUsccA, "甲", kJan15).Published(Lateness::kOnTime, 3));
  const AuditRow row = report.Rows().at(0);
  EXPECT_EQ(row.published, 2u);
  EXPECT_EQ(row.latency_samples, 1u);
  EXPECT_DOUBLE_EQ(row.median_latency_working_days, 3);
}

TEST(AuditReportTest, FilterByDecisionDateIsInclusive) {
  const AuditReport report = SampleReport({.from_day = kJan31, .to_day = kFeb01});
  const std::vector<AuditRow> rows = report.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].month, "2024-01");
  EXPECT_EQ(rows[0].authority_uscc, kUsccA);
  EXPECT_EQ(rows[0].received, 1u);  // only the record decided on 01-31
  EXPECT_EQ(rows[1].month, "2024-02");
  EXPECT_EQ(rows[1].received, 1u);

  const AuditReport open_start = SampleReport({.from_day = 0, .to_day = kJan15});
  EXPECT_EQ(open_start.Totals().received, 11u);  // 10 of A's on 01-15, B's one
  const AuditReport open_end = SampleReport({.from_day = kFeb01, .to_day = 0});
  EXPECT_EQ(open_end.Totals().received, 1u);
}

TEST(AuditReportTest, EventsWithoutDecisionDateArePlacedByArrival) {
  AuditReport open;
  AuditReport filtered({.from_day = kFeb01, .to_day = DaysFromCivil(2024, 2, 29)});
  // A reject before the decision date was readable, arriving in February about January's record.
  const AuditEvent no_decision = EventBuilder("", "", 0)
                                     .Ends(Outcome::kRejected, Code(RejectReason::kJsonSyntax))
                                     .Arrival(DaysFromCivil(2024, 2, 3));
  const AuditEvent no_dates =
      EventBuilder("", "", 0).Ends(Outcome::kRejected, Code(RejectReason::kJsonSyntax));
  for (AuditReport* report : {&open, &filtered}) {
    report->Add(no_decision);
    report->Add(no_dates);
    report->Add(EventBuilder(kUsccA, "甲", kJan15)
                    .Arrival(DaysFromCivil(2024, 2, 3))
                    .Published(Lateness::kSourceLate, 12));
  }
  std::vector<AuditRow> rows = open.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].month, "2024-01");  // by decision date, though it arrived in February
  EXPECT_EQ(rows[1].month, "2024-02");
  EXPECT_EQ(rows[1].authority_uscc, "");
  EXPECT_EQ(rows[1].rejected_by_reason.at("json_syntax"), 1u);
  EXPECT_EQ(rows[2].month, "unknown");  // no date at all: last
  EXPECT_EQ(rows[2].received, 1u);

  rows = filtered.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].month, "2024-02");
  EXPECT_EQ(rows[0].received, 1u);
}

TEST(AuditReportTest, UnknownReasonValuesGetACodeInsteadOfOverrunning) {
  AuditReport report;
  report.Add(EventBuilder(kUsccA, "甲", kJan15).Ends(Outcome::kRejected, 200));
  report.Add(EventBuilder(kUsccA, "甲", kJan15).Ends(Outcome::kWithheld, 201));
  const AuditRow row = report.Rows().at(0);
  EXPECT_THAT(row.rejected_by_reason, ElementsAre(Pair("unknown_200", 1u)));
  EXPECT_THAT(row.withheld_by_reason, ElementsAre(Pair("unknown_201", 1u)));
  EXPECT_THAT(report.Csv(), HasSubstr("rejected:unknown_200"));
}

TEST(AuditReportTest, LatenessCodes) {
  EXPECT_EQ(LatenessCode(Lateness::kNotPublished), "not_published");
  EXPECT_EQ(LatenessCode(Lateness::kOnTime), "on_time");
  EXPECT_EQ(LatenessCode(Lateness::kSourceLate), "source_late");
  EXPECT_EQ(LatenessCode(Lateness::kPipelineLate), "pipeline_late");
}

std::vector<std::string> CsvLines(const std::string& csv) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < csv.size()) {
    const size_t end = csv.find("\r\n", start);
    lines.push_back(csv.substr(start, end - start));
    start = end == std::string::npos ? csv.size() : end + 2;
  }
  return lines;
}

TEST(AuditReportTest, CsvHasBomHeaderRowsAndTotals) {
  const std::string csv = SampleReport().Csv();
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  const std::vector<std::string> lines = CsvLines(csv.substr(3));
  ASSERT_EQ(lines.size(), 5u);  // header, 3 rows, totals
  EXPECT_THAT(lines[0], HasSubstr("\"月份 month\",\"机关统一社会信用代码 authority_uscc\""));
  EXPECT_THAT(lines[0], HasSubstr("\"合规率 compliance_rate\",\"及时率 timeliness_rate\","
                                  "\"迟报率 late_rate\""));
  EXPECT_THAT(lines[0], HasSubstr("\"不合规退回:uscc_checksum rejected:uscc_checksum\""));
  // A's row: received 11, published 5, 3 / 1 / 1, rates 8/11, 3/5, 2/5, latency 5 and 9.
  EXPECT_THAT(lines[2], HasSubstr("\"2024-01\",\"12110000000000001A\",\"甲市市场监督管理局\","
                                  "\"11\",\"5\",\"3\",\"1\",\"1\",\"0.727273\",\"0.600000\","
                                  "\"0.400000\",\"5\",\"9\",\"2\",\"3\",\"1\",\"2\""));
  // B in February: no published records, so no rates or latencies (empty cells, not 0).
  EXPECT_THAT(lines[3],
              HasSubstr("\"1\",\"0\",\"0\",\"0\",\"0\",\"0.000000\",\"\",\"\",\"\",\"\""));
  EXPECT_THAT(lines[4], HasSubstr("\"合计 total\",\"\",\"\",\"13\",\"6\""));
}

TEST(AuditReportTest, CsvQuotesAndDefusesFormulas) {
  AuditReport report;
  const std::vector<std::string> names = {
      "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tTAB", "逗号,和\n换行"};
  for (size_t i = 0; i < names.size(); ++i) {
    report.Add(EventBuilder(std::string(1, static_cast<char>('A' + i)) + "USCC", names[i], kJan15)
                   .Published(Lateness::kOnTime, 1));
  }
  const std::string csv = report.Csv();
  EXPECT_THAT(csv, HasSubstr(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","));
  EXPECT_THAT(csv, HasSubstr(",\"'+1\","));
  EXPECT_THAT(csv, HasSubstr(",\"'-2\","));
  EXPECT_THAT(csv, HasSubstr(",\"'@SUM(A1)\","));
  EXPECT_THAT(csv, HasSubstr(",\"'\tTAB\","));
  EXPECT_THAT(csv, HasSubstr(",\"逗号,和\n换行\","));
  EXPECT_THAT(csv, Not(HasSubstr(",\"=")));
  EXPECT_THAT(csv, Not(HasSubstr(",\"+")));
  EXPECT_THAT(csv, Not(HasSubstr(",\"@")));
}

std::optional<double> JsonRate(simdjson::simdjson_result<simdjson::dom::element> result) {
  const simdjson::dom::element value = result.value();
  if (value.is_null()) return std::nullopt;
  return value.get_double().value();
}

void ExpectJsonRowMatches(simdjson::dom::object json, const AuditRow& row) {
  EXPECT_EQ(json["received"].get_uint64().value(), row.received);
  EXPECT_EQ(json["published"].get_uint64().value(), row.published);
  EXPECT_EQ(json["on_time"].get_uint64().value(), row.on_time);
  EXPECT_EQ(json["source_late"].get_uint64().value(), row.source_late);
  EXPECT_EQ(json["pipeline_late"].get_uint64().value(), row.pipeline_late);
  EXPECT_EQ(json["withdrawals"].get_uint64().value(), row.withdrawals);
  EXPECT_EQ(json["provisional_deadlines"].get_uint64().value(), row.provisional_deadlines);
  EXPECT_EQ(json["withheld"].get_uint64().value(), row.withheld());
  EXPECT_EQ(json["rejected"].get_uint64().value(), row.rejected());
  std::map<std::string, uint64_t> rejected, withheld;
  const simdjson::dom::object rejected_json = json["rejected_by_reason"].get_object().value();
  const simdjson::dom::object withheld_json = json["withheld_by_reason"].get_object().value();
  for (auto [code, count] : rejected_json) {
    rejected[std::string(code)] = count.get_uint64().value();
  }
  for (auto [code, count] : withheld_json) {
    withheld[std::string(code)] = count.get_uint64().value();
  }
  EXPECT_EQ(rejected, row.rejected_by_reason);
  EXPECT_EQ(withheld, row.withheld_by_reason);
  EXPECT_EQ(JsonRate(json["compliance_rate"]), ComplianceRate(row));
  EXPECT_EQ(JsonRate(json["timeliness_rate"]), TimelinessRate(row));
  EXPECT_EQ(JsonRate(json["late_rate"]), LateRate(row));
  const std::optional<double> median = JsonRate(json["median_latency_working_days"]);
  const std::optional<double> p95 = JsonRate(json["p95_latency_working_days"]);
  if (std::isnan(row.median_latency_working_days)) {
    EXPECT_FALSE(median.has_value());
    EXPECT_FALSE(p95.has_value());
  } else {
    EXPECT_EQ(median, row.median_latency_working_days);
    EXPECT_EQ(p95, row.p95_latency_working_days);
  }
}

TEST(AuditReportTest, JsonParsesAndMatchesRows) {
  AuditReport report = SampleReport({.from_day = DaysFromCivil(2024, 1, 1), .to_day = 0});
  // Source data with quotes, a control character and a broken UTF-8 byte must still give JSON.
  report.Add(EventBuilder("X\"USCC", "名\"称\\\x01\xFF", kJan15).Published(Lateness::kOnTime, 2));
  report.set_generated_for("甲省 \"test\"");
  const std::string text = report.Json();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << text;
  EXPECT_EQ(std::string_view(root["from"].get_string().value()), "2024-01-01");
  EXPECT_TRUE(root["to"].is_null());
  EXPECT_EQ(std::string_view(root["generated_for"].get_string().value()), "甲省 \"test\"");
  const std::vector<AuditRow> rows = report.Rows();
  simdjson::dom::array json_rows = root["rows"].get_array().value();
  ASSERT_EQ(json_rows.size(), rows.size());
  size_t i = 0;
  for (simdjson::dom::element json_row : json_rows) {
    const AuditRow& row = rows[i++];
    EXPECT_EQ(std::string_view(json_row["month"].get_string().value()), row.month);
    EXPECT_EQ(std::string_view(json_row["authority_uscc"].get_string().value()),
              row.authority_uscc);
    if (row.authority_uscc == "X\"USCC") {
      EXPECT_EQ(std::string_view(json_row["authority_name"].get_string().value()),
                "名\"称\\\x01\xEF\xBF\xBD");
    } else {
      EXPECT_EQ(std::string_view(json_row["authority_name"].get_string().value()),
                row.authority_name);
    }
    ExpectJsonRowMatches(json_row.get_object().value(), row);
  }
  ExpectJsonRowMatches(root["totals"].get_object().value(), report.Totals());
}

TEST(AuditReportTest, JsonGeneratedForDescribesTheFilterByDefault) {
  EXPECT_EQ(AuditReport().generated_for(), "all decision dates");
  EXPECT_EQ(AuditReport({.from_day = kJan15, .to_day = kFeb01}).generated_for(),
            "decision dates 2024-01-15 to 2024-02-01");
}

TEST(AuditReportTest, HtmlHasChartsNumbersAndEscapesNames) {
  AuditReport report = SampleReport();
  report.Add(EventBuilder("99SCRIPT", "<script>alert('x')</script>&局", kJan15)
                 .Published(Lateness::kPipelineLate, 11));
  const std::string html = report.Html();
  EXPECT_THAT(html, HasSubstr("<svg id=\"chart-monthly\""));
  EXPECT_THAT(html, HasSubstr("<svg id=\"chart-latency\""));
  EXPECT_THAT(html, HasSubstr("<svg id=\"chart-top-late\""));
  EXPECT_THAT(html, HasSubstr("<rect class=\"bar\""));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;局"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=")));
  // A's rates (8/11, 3/5, 2/5) and the totals: 14 received, 7 published, 4 on time.
  EXPECT_THAT(html, HasSubstr("72.73%"));
  EXPECT_THAT(html, HasSubstr("60.00%"));
  EXPECT_THAT(html, HasSubstr("40.00%"));
  EXPECT_THAT(html,
              HasSubstr("<div class=\"card\" id=\"total-received\"><div class=\"value\">14<"));
  EXPECT_THAT(html, HasSubstr("id=\"total-pipeline-late\"><div class=\"value bad\">2<"));
  EXPECT_THAT(html, HasSubstr("甲市市场监督管理局"));
  EXPECT_THAT(html, HasSubstr("uscc_checksum 2"));
  EXPECT_THAT(html, HasSubstr("合规率"));
  EXPECT_THAT(html, HasSubstr("compliance rate"));
}

}  // namespace
}  // namespace gongshi
