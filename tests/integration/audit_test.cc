// `gongshi audit` over a generated year and more of decisions: the report's figures (and every feed
// line's deadline) agree with what this file recomputes from the feed files and its own reading of
// the holiday notices (simdjson and <chrono>, never pipeline/calendar: a fault there must not hide
// on both sides of the comparison); and over a small ledger of hand-made records, with figures
// worked out by hand per authority and month.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include "tests/integration/pass_checks.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers
namespace chrono = std::chrono;

// "YYYY-MM-DD" (nullopt otherwise).
std::optional<chrono::sys_days> DateOf(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::from_chars(text.data(), text.data() + 4, y).ec != std::errc{} ||
      std::from_chars(text.data() + 5, text.data() + 7, m).ec != std::errc{} ||
      std::from_chars(text.data() + 8, text.data() + 10, d).ec != std::errc{}) {
    return std::nullopt;
  }
  const chrono::year_month_day date{chrono::year{y}, chrono::month{m}, chrono::day{d}};
  if (!date.ok()) return std::nullopt;
  return chrono::sys_days(date);
}

std::string Text(chrono::sys_days day) {
  const chrono::year_month_day date(day);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

// The State Council notices as their files (holidays/<year>.json, holiday-cn format) say them,
// and the README's rules applied to that reading: a listed day is off or working as listed, any
// other day works Monday to Friday; the start day is not counted; a deadline is provisional when
// a counted day lies in a year whose file lists no day, or on 25-31 December before such a year
// (the next notice may move those days).
class NoticeReading {
 public:
  static NoticeReading Read(const std::string& dir) {
    NoticeReading reading;
    simdjson::dom::parser parser;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string stem = entry.path().stem().string();
      if (entry.path().extension() != ".json" || stem.size() != 4 ||
          !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      const std::string text = ReadFile(entry.path().string());
      simdjson::dom::array days;
      EXPECT_FALSE(parser.parse(text)["days"].get(days)) << entry.path();
      for (simdjson::dom::element day : days) {
        const auto date = DateOf(std::string_view(day["date"]));
        EXPECT_TRUE(date) << entry.path();
        if (date) reading.off_[*date] = bool(day["isOffDay"]);
      }
      if (days.size() > 0) reading.known_years_.insert(std::stoi(stem));
    }
    return reading;
  }

  bool Working(chrono::sys_days day) const {
    if (const auto it = off_.find(day); it != off_.end()) return !it->second;
    return chrono::weekday(day).iso_encoding() <= 5;
  }
  bool Known(chrono::sys_days day) const {
    const chrono::year_month_day date(day);
    const int year = static_cast<int>(date.year());
    if (date.month() == chrono::December && date.day() >= chrono::day{25} &&
        !known_years_.count(year + 1)) {
      return false;
    }
    return known_years_.count(year) != 0;
  }

  struct Due {
    chrono::sys_days day;
    bool provisional = false;
  };
  Due Deadline(chrono::sys_days decided, int working_days) const {
    Due due{decided};
    for (int left = working_days; left > 0;) {
      due.day += chrono::days{1};
      due.provisional = due.provisional || !Known(due.day);
      left -= Working(due.day) ? 1 : 0;
    }
    return due;
  }
  // Working days in (from, to].
  int Between(chrono::sys_days from, chrono::sys_days to) const {
    int n = 0;
    for (chrono::sys_days day = from + chrono::days{1}; day <= to; day += chrono::days{1}) {
      n += Working(day) ? 1 : 0;
    }
    return n;
  }

 private:
  std::map<chrono::sys_days, bool> off_;  // isOffDay of every listed day
  std::set<int> known_years_;
};

// The report's definitions (audit_report.h): the median of an even count is the mean of the two
// middle values; p95 is the nearest rank, the smallest value with 95% of the samples at or below.
double Median(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
double P95(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v[(95 * v.size() + 99) / 100 - 1];
}

struct Figures {
  uint64_t published = 0, on_time = 0, source_late = 0;
  std::vector<int> latencies;
};

TEST(AuditTest, ReportAgreesWithCountsRecomputedFromTheFeeds) {
  TempDir dir;
  const Expected expected = Generate(dir / "in.ndjson", 30000, 77);
  const std::string config = WriteConfig(dir);
  // Every publication of the pass is made on the config's `today` (and a file arrives then).
  const chrono::sys_days today = *DateOf("2026-11-30");
  ASSERT_NE(ReadFile(config).find("today: 2026-11-30\n"), std::string::npos)
      << "the oracle's publication day is the config's";
  const ProcessResult run = RunPass(dir, dir / "in.ndjson", dir / "out", config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = ParseSummary(run.out);

  const NoticeReading notices = NoticeReading::Read(HolidaysDir());
  // Recompute: on time when published by decision date + 7 working days; after it, the record
  // arrived (was read) after its deadline too: source-late.
  std::map<std::pair<std::string, std::string>, Figures> by_row;  // (month, authority)
  Figures total;
  uint64_t deadlines_checked = 0, deadlines_wrong = 0;
  std::string first_wrong;
  simdjson::dom::parser parser;
  for (const std::string& line : PublishedSet(dir / "out")) {
    simdjson::dom::element e = parser.parse(line).value();
    if (std::string_view(e["op"]) != "upsert") continue;
    const std::string decision{std::string_view(e["decision_date"])};
    const auto decided = DateOf(decision);
    ASSERT_TRUE(decided) << line.substr(0, 200);
    const NoticeReading::Due due = notices.Deadline(*decided, 7);
    // The feed line's own deadline is the one the notices give.
    std::string_view deadline;
    bool provisional = false;
    const bool has_deadline = !e["deadline"].get(deadline);
    const bool marked = !e["deadline_provisional"].get(provisional) && provisional;
    ++deadlines_checked;
    if (!has_deadline || deadline != Text(due.day) || marked != due.provisional) {
      if (deadlines_wrong++ == 0) {
        first_wrong = fmt::format("decided {}: feed {}{}, notices {}{}", decision, deadline,
                                  marked ? " (provisional)" : "", Text(due.day),
                                  due.provisional ? " (provisional)" : "");
      }
    }
    const bool on_time = today <= due.day;
    Figures& row =
        by_row[{decision.substr(0, 7), std::string(std::string_view(e["authority_uscc"]))}];
    for (Figures* f : {&row, &total}) {
      ++f->published;
      (on_time ? f->on_time : f->source_late) += 1;
      f->latencies.push_back(notices.Between(*decided, today));
    }
  }
  EXPECT_EQ(deadlines_wrong, 0u) << "of " << deadlines_checked << "; first: " << first_wrong;
  ASSERT_GT(total.on_time, 0u) << "the generator makes some recent decisions";
  ASSERT_GT(total.source_late, 0u) << "and some old ones";

  const ProcessResult report =
      testing::Run({"audit", "--state", dir / "out/state", "--format", "json"}, dir.path());
  ASSERT_EQ(report.exit_code, 0) << report.err;
  simdjson::dom::element json = parser.parse(report.out).value();
  simdjson::dom::element totals = json["totals"];
  EXPECT_EQ(uint64_t(totals["received"]), summary.at("read") - summary.at("duplicate"));
  EXPECT_EQ(uint64_t(totals["published"]), total.published);
  EXPECT_EQ(uint64_t(totals["on_time"]), total.on_time);
  EXPECT_EQ(uint64_t(totals["source_late"]), total.source_late);
  EXPECT_EQ(uint64_t(totals["pipeline_late"]), 0u) << "nothing waited inside the pipeline";
  EXPECT_EQ(double(totals["median_latency_working_days"]), Median(total.latencies));
  EXPECT_EQ(double(totals["p95_latency_working_days"]), P95(total.latencies));
  EXPECT_EQ(uint64_t(totals["rejected"]), summary.at("rejected"));
  EXPECT_EQ(uint64_t(totals["withheld"]), summary.at("withheld"));
  EXPECT_EQ(uint64_t(totals["withdrawals"]), summary.at("withdrawn"));
  size_t rows_checked = 0;
  for (simdjson::dom::element row : json["rows"].get_array()) {
    const std::string month{std::string_view(row["month"])};
    const std::string authority{std::string_view(row["authority_uscc"])};
    auto it = by_row.find({month, authority});
    if (it == by_row.end()) {
      // Rows holding only rejects, withheld or withdrawals.
      EXPECT_EQ(uint64_t(row["published"]), 0u) << month << " " << authority;
      continue;
    }
    EXPECT_EQ(uint64_t(row["published"]), it->second.published) << month << " " << authority;
    EXPECT_EQ(uint64_t(row["on_time"]), it->second.on_time) << month << " " << authority;
    EXPECT_EQ(uint64_t(row["source_late"]), it->second.source_late) << month << " " << authority;
    EXPECT_EQ(double(row["median_latency_working_days"]), Median(it->second.latencies))
        << month << " " << authority;
    ++rows_checked;
  }
  EXPECT_EQ(rows_checked, by_row.size());

  // The CSV and HTML forms come from the same figures.
  const ProcessResult csv = testing::Run({"audit", "--state", dir / "out/state"}, dir.path());
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 with BOM";
  const ProcessResult html = testing::Run(
      {"audit", "--state", dir / "out/state", "--format", "html", "--out", dir / "r.html"},
      dir.path());
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(ReadFile(dir / "r.html").find("<svg"), std::string::npos);
}

// A small ledger, every figure worked out by hand. Published (and read) on Mon 2025-02-10; 7
// working days; the State Council's 2025 notice: 春节 off 01-28..02-04, Sun 01-26 and Sat 02-08
// working; 2025-01-01 off.
std::string Penalty(const std::string& decided, const std::string& doc_no,
                    const std::string& authority) {
  std::string json = Fixture("penalty_valid.json");
  json = With(json, "decision_date", Quoted(decided));
  json = With(json, "decision_doc_no", Quoted(doc_no));
  json = With(json, "penalty_valid_to", Quoted("2030-12-31"));
  json = With(json, "publish_until", Quoted("2030-12-31"));
  return With(json, "authority_uscc", Quoted(authority));
}

TEST(AuditTest, HandWorkedFiguresPerAuthorityAndMonth) {
  const std::string a = "11420000MB15291767", b = "91350100M000100Y43";
  const std::vector<std::string> records = {
      // A, 2025-01:
      //   01-23: deadline Sat 02-08 (01-24 (1) Sun 01-26 (2) 01-27 (3) 02-05..02-07 (4-6) 02-08
      //   (7)): late. Latency (01-23, 02-10]: 01-24 01-26 01-27 02-05 02-06 02-07 02-08 02-10 = 8.
      Penalty("2025-01-23", "A1", a),
      //   01-24: deadline Mon 02-10 (… 02-08 (6) 02-10 (7)): on time, on the day. Latency 7.
      Penalty("2025-01-24", "A2", a),
      //   01-27: deadline 02-12: on time. Latency 02-05 02-06 02-07 02-08 02-10 = 5.
      Penalty("2025-01-27", "A3", a),
      //   The same record again: a duplicate, not received twice.
      Penalty("2025-01-27", "A3", a),
      // A, 2024-12: 12-31 Tue: [01-01] 01-02 (1) 01-03 (2) 01-06..01-10 (3-7): deadline 01-10,
      //   late. Latency (12-31, 02-10]: January 01-02 01-03, three weeks 01-06..01-24 (15), Sun
      //   01-26, 01-27 = 19; February 02-05 02-06 02-07 02-08 02-10 = 5: 24.
      Penalty("2024-12-31", "A4", a),
      // B, 2025-01: one on time (01-24, latency 7), one withheld (confidential). B, 2025-02: one
      // rejected (the subject's USCC checksum). A reject's fields are not trusted, so the ledger
      // keeps no decision date for it and the report places it by its arrival, Mon 2025-02-10
      // (audit_report.h AuditFilter, Pipeline::AuditOf); its authority's code is kept, being an
      // organisation's code of the USCC's shape.
      Penalty("2025-01-24", "B1", b),
      With(Penalty("2025-01-24", "B2", b), "confidential", "true"),
      With(Penalty("2025-01-24", "B3", b), "uscc", Quoted("91350100M000100Y44")),
  };
  TempDir dir;
  std::string input;
  for (const std::string& r : records) input += r + "\n";
  WriteFile(dir / "in.ndjson", input);
  WriteFile(dir / "c.yaml", "today: 2025-02-10\n");
  const ProcessResult run = RunPass(dir, dir / "in.ndjson", dir / "out", dir / "c.yaml");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = ParseSummary(run.out);
  ASSERT_EQ(summary.at("published"), 5u) << run.out;
  ASSERT_EQ(summary.at("duplicate"), 1u);
  ASSERT_EQ(summary.at("withheld"), 1u);
  ASSERT_EQ(summary.at("rejected"), 1u);

  const ProcessResult report =
      testing::Run({"audit", "--state", dir / "out/state", "--format", "json"}, dir.path());
  ASSERT_EQ(report.exit_code, 0) << report.err;
  simdjson::dom::parser parser;
  simdjson::dom::element json = parser.parse(report.out).value();
  std::map<std::string, simdjson::dom::element> rows;
  for (simdjson::dom::element row : json["rows"].get_array()) {
    rows[std::string(std::string_view(row["month"])) + " " +
         std::string(std::string_view(row["authority_uscc"]))] = row;
  }
  ASSERT_EQ(rows.size(), 4u) << report.out;
  ASSERT_TRUE(rows.count("2024-12 " + a) && rows.count("2025-01 " + a) &&
              rows.count("2025-01 " + b) && rows.count("2025-02 " + b))
      << report.out;

  simdjson::dom::element a12 = rows["2024-12 " + a];
  EXPECT_EQ(uint64_t(a12["received"]), 1u);
  EXPECT_EQ(uint64_t(a12["published"]), 1u);
  EXPECT_EQ(uint64_t(a12["on_time"]), 0u);
  EXPECT_EQ(uint64_t(a12["source_late"]), 1u);
  EXPECT_EQ(double(a12["median_latency_working_days"]), 24);

  simdjson::dom::element a01 = rows["2025-01 " + a];
  EXPECT_EQ(uint64_t(a01["received"]), 3u) << "the duplicate is not received again";
  EXPECT_EQ(uint64_t(a01["published"]), 3u);
  EXPECT_EQ(uint64_t(a01["on_time"]), 2u);
  EXPECT_EQ(uint64_t(a01["source_late"]), 1u);
  EXPECT_EQ(uint64_t(a01["pipeline_late"]), 0u);
  EXPECT_EQ(double(a01["median_latency_working_days"]), 7) << "of 8, 7, 5";
  EXPECT_EQ(double(a01["p95_latency_working_days"]), 8);
  EXPECT_DOUBLE_EQ(double(a01["timeliness_rate"]), 2.0 / 3);
  EXPECT_DOUBLE_EQ(double(a01["late_rate"]), 1.0 / 3);
  EXPECT_DOUBLE_EQ(double(a01["compliance_rate"]), 1.0);

  simdjson::dom::element b01 = rows["2025-01 " + b];
  EXPECT_EQ(uint64_t(b01["received"]), 2u);
  EXPECT_EQ(uint64_t(b01["published"]), 1u);
  EXPECT_EQ(uint64_t(b01["on_time"]), 1u);
  EXPECT_EQ(uint64_t(b01["withheld"]), 1u);
  EXPECT_EQ(uint64_t(b01["withheld_by_reason"]["confidential"]), 1u);
  EXPECT_EQ(uint64_t(b01["rejected"]), 0u);
  EXPECT_DOUBLE_EQ(double(b01["compliance_rate"]), 1.0) << "a withheld record is compliant";
  EXPECT_DOUBLE_EQ(double(b01["timeliness_rate"]), 1.0);

  simdjson::dom::element b02 = rows["2025-02 " + b];
  EXPECT_EQ(uint64_t(b02["received"]), 1u);
  EXPECT_EQ(uint64_t(b02["published"]), 0u);
  EXPECT_EQ(uint64_t(b02["rejected"]), 1u);
  EXPECT_EQ(uint64_t(b02["rejected_by_reason"]["uscc_checksum"]), 1u);
  EXPECT_DOUBLE_EQ(double(b02["compliance_rate"]), 0.0);
  EXPECT_TRUE(b02["timeliness_rate"].is_null()) << "nothing published to time";

  simdjson::dom::element totals = json["totals"];
  EXPECT_EQ(uint64_t(totals["received"]), 7u);
  EXPECT_EQ(uint64_t(totals["published"]), 5u);
  EXPECT_EQ(uint64_t(totals["on_time"]), 3u);
  EXPECT_EQ(uint64_t(totals["source_late"]), 2u);
  EXPECT_EQ(double(totals["median_latency_working_days"]), 7) << "of 24, 8, 7, 7, 5";
  EXPECT_EQ(double(totals["p95_latency_working_days"]), 24);
  EXPECT_EQ(uint64_t(totals["withheld"]), 1u);
  EXPECT_EQ(uint64_t(totals["rejected"]), 1u);
  EXPECT_DOUBLE_EQ(double(totals["compliance_rate"]), 6.0 / 7);
  EXPECT_DOUBLE_EQ(double(totals["late_rate"]), 2.0 / 5);

  // By decision date: January leaves out A's December decision and B's reject (placed, and
  // filtered, by its arrival in February).
  const ProcessResult january = testing::Run({"audit", "--state", dir / "out/state", "--format",
                                              "json", "--from", "2025-01-01", "--to", "2025-01-31"},
                                             dir.path());
  ASSERT_EQ(january.exit_code, 0) << january.err;
  simdjson::dom::element jan = parser.parse(january.out).value()["totals"];
  EXPECT_EQ(uint64_t(jan["received"]), 5u);
  EXPECT_EQ(uint64_t(jan["rejected"]), 0u);
  EXPECT_EQ(uint64_t(jan["published"]), 4u);
  EXPECT_EQ(uint64_t(jan["on_time"]), 3u);
  EXPECT_EQ(uint64_t(jan["source_late"]), 1u);
  EXPECT_EQ(double(jan["median_latency_working_days"]), 7) << "of 8, 7, 7, 5: (7 + 7) / 2";
}

}  // namespace
}  // namespace gongshi
