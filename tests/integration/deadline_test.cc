// Deadlines as the pipeline uses them: `gongshi run --input` over hand-made records, with `today`,
// deadline.publication_working_days and deadline.region set in the config. Each feed line's
// `deadline` / `deadline_provisional` and the lateness `gongshi audit` reports are compared with
// dates worked out by hand from the notices (the counted days are written beside each case), never
// with gongshi's own calendar. A file is "arriving" on the day it is read and a fixed `today` fixes
// that day, so a file pass is on time or source-late; pipeline-late (arrival before the deadline,
// publication after it) needs the broker's timestamps: deadline_kafka_test.cc. And the other
// rule that turns on a date at the decision: minors withheld up to the day before their 18th
// birthday, both kinds, a 29 February birth included.
#include <set>

#include <gtest/gtest.h>

#include "tests/integration/deadline_records.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers

const std::string kKeyEnv = "GONGSHI_HMAC_KEY=deadline-test-key-0123456789abcdef";

// Every period far after every `today` here.
std::string PenaltyOn(const std::string& date, const std::string& doc_no) {
  return testing::PenaltyOn(date, doc_no, "2030-12-31");
}

std::string PenaltyDoc(const std::string& date) { return "罚" + date; }
std::string LicenseDoc(const std::string& date) { return "许" + date; }

// Both kinds decided on each date.
std::vector<std::string> BothKindsOn(const std::vector<std::string>& dates) {
  std::vector<std::string> records;
  for (const std::string& date : dates) {
    records.push_back(PenaltyOn(date, PenaltyDoc(date)));
    records.push_back(LicenseOn(date, LicenseDoc(date)));
  }
  return records;
}

struct FeedLine {
  std::string kind;
  std::string decision_date;
  std::string deadline;  // "" when the line has none
  bool provisional_present = false;
  bool provisional = false;
};

// The audit's totals over the records decided on one date (`--from D --to D`).
struct Lateness {
  uint64_t published = 0, on_time = 0, source_late = 0, pipeline_late = 0, provisional = 0;
  uint64_t withheld_minor = 0;
  double median_latency = -1;  // working days, decision -> publication; -1 when absent
};

class DeadlineTest : public ::testing::Test {
 protected:
  // One pass of `records` under a config of `config_text`, into dir_/name. Fails the test (and
  // returns false) unless `published` records (every one by default) were published.
  bool Pass(const std::string& name, const std::vector<std::string>& records,
            const std::string& config_text, size_t published = SIZE_MAX) {
    if (published == SIZE_MAX) published = records.size();
    std::string input;
    for (const std::string& r : records) input += r + "\n";
    WriteFile(dir_ / (name + ".ndjson"), input);
    WriteFile(dir_ / (name + ".yaml"), config_text);
    const ProcessResult run = testing::Run({"run", "--input", dir_ / (name + ".ndjson"), "--out",
                                            dir_ / name, "--config", dir_ / (name + ".yaml")},
                                           dir_.path(), {kKeyEnv});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const auto summary = ParseSummary(run.out);
    EXPECT_EQ(summary.count("published") ? summary.at("published") : 0, published)
        << run.out << run.err;
    return run.exit_code == 0 && summary.count("published") && summary.at("published") == published;
  }

  // Every feed line of dir_/name, by its 文号.
  std::map<std::string, FeedLine> Feed(const std::string& name) {
    std::map<std::string, FeedLine> lines;
    simdjson::dom::parser parser;
    for (const char* kind : {"license", "penalty"}) {
      const std::filesystem::path feeds = std::filesystem::path(dir_ / name) / "feeds" / kind;
      if (!std::filesystem::exists(feeds)) continue;
      for (const auto& entry : std::filesystem::directory_iterator(feeds)) {
        if (entry.path().extension() != ".ndjson") continue;
        const std::string text = ReadFile(entry.path().string());
        for (simdjson::dom::element e : parser.parse_many(text)) {
          FeedLine line;
          line.kind = std::string(std::string_view(e["kind"]));
          line.decision_date = std::string(std::string_view(e["decision_date"]));
          std::string_view deadline;
          if (!e["deadline"].get(deadline)) line.deadline = std::string(deadline);
          bool provisional = false;
          if (!e["deadline_provisional"].get(provisional)) {
            line.provisional_present = true;
            line.provisional = provisional;
          }
          const std::string doc{std::string_view(e["decision_doc_no"])};
          EXPECT_TRUE(lines.emplace(doc, line).second) << doc << " published twice";
        }
      }
    }
    return lines;
  }

  Lateness Audit(const std::string& name, const std::string& decided) {
    const ProcessResult report =
        testing::Run({"audit", "--state", dir_ / name + "/state", "--format", "json", "--from",
                      decided, "--to", decided},
                     dir_.path());
    EXPECT_EQ(report.exit_code, 0) << report.err;
    Lateness got;
    simdjson::dom::parser parser;
    simdjson::dom::element totals;
    if (parser.parse(report.out).at_key("totals").get(totals)) {
      ADD_FAILURE() << "no totals in the report: " << report.out;
      return got;
    }
    got.published = uint64_t(totals["published"]);
    got.on_time = uint64_t(totals["on_time"]);
    got.source_late = uint64_t(totals["source_late"]);
    got.pipeline_late = uint64_t(totals["pipeline_late"]);
    got.provisional = uint64_t(totals["provisional_deadlines"]);
    uint64_t minors = 0;
    if (!totals["withheld_by_reason"]["minor"].get(minors)) got.withheld_minor = minors;
    double median = 0;
    if (!totals["median_latency_working_days"].get(median)) got.median_latency = median;
    return got;
  }

  // The two lines decided on `date` carry `deadline`, provisional or not.
  void ExpectDeadline(const std::map<std::string, FeedLine>& feed, const std::string& date,
                      const std::string& deadline, bool provisional, const std::string& what) {
    for (const std::string& doc : {PenaltyDoc(date), LicenseDoc(date)}) {
      const auto it = feed.find(doc);
      if (it == feed.end()) {
        ADD_FAILURE() << what << ": no feed line for " << doc;
        continue;
      }
      EXPECT_EQ(it->second.decision_date, date) << doc;
      EXPECT_EQ(it->second.deadline, deadline)
          << what << ": " << it->second.kind << " decided " << date;
      // Provisional is written only when true: a line without the key is a known deadline.
      EXPECT_EQ(it->second.provisional_present, provisional)
          << what << ": " << it->second.kind << " decided " << date;
      if (provisional) {
        EXPECT_TRUE(it->second.provisional) << doc;
      }
    }
  }

  TempDir dir_;
};

// Hand-worked from the State Council notices (pipeline/calendar/holidays/<year>.json): the start
// day is excluded; (n) marks the nth working day counted, [..] the days off skipped.
struct Case {
  const char* decided;
  const char* five;   // + 5 working days
  const char* seven;  // + 7 working days
};
constexpr Case kNational[] = {
    // Fri. Sun 01-26 (1) 01-27 (2) [春节 01-28..02-04] 02-05 (3) 02-06 (4) 02-07 (5) Sat 02-08 (6)
    // 02-10 (7): both weekends of 春节 have a working day.
    {"2025-01-24", "2025-02-07", "2025-02-10"},
    // Tue. [国庆+中秋 10-01..10-08] 10-09 (1) 10-10 (2) Sat 10-11 (3) 10-13 (4) 10-14 (5) 10-15 (6)
    // 10-16 (7).
    {"2025-09-30", "2025-10-14", "2025-10-16"},
    // Fri. Sun 09-28 (1, the 调休 before 国庆) 09-29 (2) 09-30 (3) [10-01..10-08] 10-09 (4)
    // 10-10 (5) Sat 10-11 (6) 10-13 (7): both working weekend days of the holiday are counted.
    {"2025-09-26", "2025-10-10", "2025-10-13"},
    // Fri. Sun 09-20 (1, 2026's 调休 for 国庆) 09-21 (2) .. 09-24 (5) [中秋 09-25..09-27]
    // 09-28 (6) 09-29 (7).
    {"2026-09-18", "2026-09-24", "2026-09-29"},
    // Fri. Sun 09-29 (1) 09-30 (2) [国庆 10-01..10-07] 10-08 (3) 10-09 (4) 10-10 (5) 10-11 (6)
    // Sat 10-12 (7): the deadline is a Saturday working day.
    {"2024-09-27", "2024-10-10", "2024-10-12"},
    // Wed. [劳动节 05-01..05-05] 05-06 (1) 05-07 (2) 05-08 (3) 05-09 (4) [05-10, 05-11 weekend]
    // 05-12 (5) 05-13 (6) 05-14 (7). (Sun 04-27, the 调休 day, lies before the decision.)
    {"2025-04-30", "2025-05-12", "2025-05-14"},
    // Fri. Sat 02-14 (1) [春节 02-15..02-23] 02-24 (2) 02-25 (3) 02-26 (4) 02-27 (5) Sat 02-28 (6)
    // [Sun 03-01] 03-02 (7).
    {"2026-02-13", "2026-02-27", "2026-03-02"},
    // Decided on a 调休 Saturday (the day itself is not counted): 10-13 (1) .. 10-17 (5) 10-20 (6)
    // 10-21 (7).
    {"2025-10-11", "2025-10-17", "2025-10-21"},
    // An ordinary week. Wed. 03-06 (1) 03-07 (2) 03-10 (3) 03-11 (4) 03-12 (5) 03-13 (6) 03-14 (7).
    {"2025-03-05", "2025-03-12", "2025-03-14"},
};

TEST_F(DeadlineTest, FeedLinesCarryTheHandWorkedDeadlineForFiveAndSevenWorkingDays) {
  std::vector<std::string> dates;
  for (const Case& c : kNational) dates.push_back(c.decided);
  const std::vector<std::string> records = BothKindsOn(dates);
  ASSERT_TRUE(
      Pass("five", records, "today: 2026-10-30\ndeadline: {publication_working_days: 5}\n"));
  ASSERT_TRUE(Pass("seven", records, "today: 2026-10-30\n"));  // 7: the default
  const auto five = Feed("five"), seven = Feed("seven");
  EXPECT_EQ(five.size(), records.size());
  EXPECT_EQ(seven.size(), records.size());
  for (const Case& c : kNational) {
    ExpectDeadline(five, c.decided, c.five, false, "+5");
    ExpectDeadline(seven, c.decided, c.seven, false, "+7");
  }
}

TEST_F(DeadlineTest, ARegionsHolidaysMoveTheDeadlineAndTheLateness) {
  // 壮族三月三 (pipeline/calendar/holidays/regions/guangxi.json, the [V2] years):
  //   2024-04-09 Tue. National: 04-10 (1) 04-11 (2) 04-12 (3) 04-15 (4) 04-16 (5) 04-17 (6)
  //   04-18 (7). Guangxi, 04-11 and 04-12 off: 04-10 (1) 04-15 (2) 04-16 (3) 04-17 (4) 04-18 (5)
  //   04-19 (6) 04-22 (7).
  //   2021-04-13 Tue. National: 04-14 (1) 04-15 (2) 04-16 (3) 04-19 (4) 04-20 (5) 04-21 (6)
  //   04-22 (7). Guangxi, 04-14..04-16 off and Sun 04-18 a regional working day: Sun 04-18 (1)
  //   04-19 (2) 04-20 (3) 04-21 (4) 04-22 (5) 04-23 (6) Sun 04-25 (7, the national 调休 for
  //   劳动节). 2018-04-10 Tue: 04-11 (1) 04-12 (2) 04-13 (3) 04-16 (4) 04-17 (5) 04-18 (6) 04-19
  //   (7) either way, but the Guangxi file starts in 2019: with the region the deadline is
  //   provisional.
  const std::vector<std::string> records = BothKindsOn({"2024-04-09", "2021-04-13", "2018-04-10"});
  const std::string today = "today: 2024-04-19\n";
  ASSERT_TRUE(Pass("national5", records, today + "deadline: {publication_working_days: 5}\n"));
  ASSERT_TRUE(Pass("national7", records, today + "deadline: {publication_working_days: 7}\n"));
  ASSERT_TRUE(Pass("guangxi5", records,
                   today + "deadline: {publication_working_days: 5, region: guangxi}\n"));
  ASSERT_TRUE(Pass("guangxi7", records,
                   today + "deadline: {publication_working_days: 7, region: guangxi}\n"));
  const auto national5 = Feed("national5"), national7 = Feed("national7");
  const auto guangxi5 = Feed("guangxi5"), guangxi7 = Feed("guangxi7");
  ExpectDeadline(national5, "2024-04-09", "2024-04-16", false, "national +5");
  ExpectDeadline(national7, "2024-04-09", "2024-04-18", false, "national +7");
  ExpectDeadline(guangxi5, "2024-04-09", "2024-04-18", false, "guangxi +5");
  ExpectDeadline(guangxi7, "2024-04-09", "2024-04-22", false, "guangxi +7");
  ExpectDeadline(national5, "2021-04-13", "2021-04-20", false, "national +5");
  ExpectDeadline(national7, "2021-04-13", "2021-04-22", false, "national +7");
  ExpectDeadline(guangxi5, "2021-04-13", "2021-04-22", false, "guangxi +5");
  ExpectDeadline(guangxi7, "2021-04-13", "2021-04-25", false, "guangxi +7");
  ExpectDeadline(national5, "2018-04-10", "2018-04-17", false, "national +5");
  ExpectDeadline(national7, "2018-04-10", "2018-04-19", false, "national +7");
  ExpectDeadline(guangxi5, "2018-04-10", "2018-04-17", true, "guangxi +5, 2018 not covered");
  ExpectDeadline(guangxi7, "2018-04-10", "2018-04-19", true, "guangxi +7, 2018 not covered");

  // Published on 2024-04-19 (`today`, also the arrival day of a file): after the national +7
  // deadline (04-18), before Guangxi's (04-22). Latency, working days in (04-09, 04-19]:
  // nationally 04-10 04-11 04-12 04-15 04-16 04-17 04-18 04-19 = 8; in Guangxi 04-11 and 04-12
  // are off: 6.
  const Lateness n7 = Audit("national7", "2024-04-09"), g7 = Audit("guangxi7", "2024-04-09");
  EXPECT_EQ(n7.published, 2u);
  EXPECT_EQ(n7.on_time, 0u);
  EXPECT_EQ(n7.source_late, 2u) << "arrived (read) after 04-18";
  EXPECT_EQ(n7.median_latency, 8);
  EXPECT_EQ(g7.published, 2u);
  EXPECT_EQ(g7.on_time, 2u) << "Guangxi's deadline is 04-22";
  EXPECT_EQ(g7.source_late, 0u);
  EXPECT_EQ(g7.median_latency, 6);
  // +5 in Guangxi is 04-18: late there too.
  const Lateness g5 = Audit("guangxi5", "2024-04-09");
  EXPECT_EQ(g5.on_time, 0u);
  EXPECT_EQ(g5.source_late, 2u);
  EXPECT_EQ(Audit("guangxi7", "2018-04-10").provisional, 2u);
  EXPECT_EQ(Audit("national7", "2018-04-10").provisional, 0u);
  for (const Lateness& late : {n7, g7, g5}) EXPECT_EQ(late.pipeline_late, 0u);
}

TEST_F(DeadlineTest, AYearWithoutANoticeMakesTheDeadlineProvisional) {
  // 2027.json is an empty placeholder (no notice yet): days of 2027 count Mon-Fri and are not
  // known, nor are 25-31 December 2026 (a new notice often moves the last days of the year before).
  //   2026-12-17 Thu: 12-18 (1) 12-21 (2) 12-22 (3) 12-23 (4) 12-24 (5): known. 12-25 (6)
  //   12-28 (7): provisional.
  //   2026-12-24 Thu: 12-25 (1) 12-28 (2) 12-29 (3) 12-30 (4) 12-31 (5): provisional; Fri
  //   2027-01-01 (6, a holiday every year, but not in any loaded notice) 01-04 (7): provisional.
  //   2027-01-06 Wed: 01-07 (1) 01-08 (2) 01-11 (3) 01-12 (4) 01-13 (5) 01-14 (6) 01-15 (7).
  const std::vector<std::string> records = BothKindsOn({"2026-12-17", "2026-12-24", "2027-01-06"});
  ASSERT_TRUE(
      Pass("five", records, "today: 2027-01-13\ndeadline: {publication_working_days: 5}\n"));
  ASSERT_TRUE(Pass("seven", records, "today: 2027-01-13\n"));
  const auto five = Feed("five"), seven = Feed("seven");
  ExpectDeadline(five, "2026-12-17", "2026-12-24", false, "+5 before 25 December");
  ExpectDeadline(seven, "2026-12-17", "2026-12-28", true, "+7 into 25 December");
  ExpectDeadline(five, "2026-12-24", "2026-12-31", true, "+5");
  ExpectDeadline(seven, "2026-12-24", "2027-01-04", true, "+7");
  ExpectDeadline(five, "2027-01-06", "2027-01-13", true, "+5 in 2027");
  ExpectDeadline(seven, "2027-01-06", "2027-01-15", true, "+7 in 2027");

  // The audit counts them, and times them against the provisional day: published 2027-01-13.
  EXPECT_EQ(Audit("five", "2026-12-17").provisional, 0u);
  EXPECT_EQ(Audit("seven", "2026-12-17").provisional, 2u);
  const Lateness on_the_day = Audit("five", "2027-01-06");
  EXPECT_EQ(on_the_day.provisional, 2u);
  EXPECT_EQ(on_the_day.on_time, 2u) << "published on its (provisional) deadline day";
  EXPECT_EQ(on_the_day.median_latency, 5);
  const Lateness late = Audit("five", "2026-12-24");
  EXPECT_EQ(late.source_late, 2u) << "deadline 2026-12-31";
}

TEST_F(DeadlineTest, LatenessOfRecordsPublishedBeforeOnAndAfterTheirDeadline) {
  // Published (and, being read from a file, arrived) on Mon 2025-02-10.
  //   2025-01-23 Thu: 01-24 (1) Sun 01-26 (2) 01-27 (3) [春节] 02-05 (4) 02-06 (5) 02-07 (6)
  //   Sat 02-08 (7). Latency to 02-10: 8.
  //   2025-01-24 Fri: +5 = 02-07, +7 = 02-10 (kNational). Latency 7.
  //   2025-01-27 Mon: 02-05 (1) 02-06 (2) 02-07 (3) Sat 02-08 (4) 02-10 (5) 02-11 (6) 02-12 (7).
  //   Latency 5.
  // So with 5 days: late, late, on its deadline day; with 7: late, on its deadline day, before it.
  const std::vector<std::string> records = BothKindsOn({"2025-01-23", "2025-01-24", "2025-01-27"});
  // The slack given to the pipeline changes nothing here: a file read on the day it is published
  // is on time by the deadline, and the source's when after it.
  ASSERT_TRUE(Pass("five", records,
                   "today: 2025-02-10\n"
                   "deadline: {publication_working_days: 5, pipeline_slack_working_days: 3}\n"));
  ASSERT_TRUE(
      Pass("seven", records, "today: 2025-02-10\ndeadline: {publication_working_days: 7}\n"));
  const auto five = Feed("five"), seven = Feed("seven");
  ExpectDeadline(five, "2025-01-23", "2025-02-06", false, "+5");
  ExpectDeadline(seven, "2025-01-23", "2025-02-08", false, "+7");
  ExpectDeadline(five, "2025-01-27", "2025-02-10", false, "+5");
  ExpectDeadline(seven, "2025-01-27", "2025-02-12", false, "+7");

  struct Expect {
    const char* run;
    const char* decided;
    uint64_t on_time, source_late;
    double latency;
  };
  for (const Expect& e :
       {Expect{"five", "2025-01-23", 0, 2, 8}, Expect{"five", "2025-01-24", 0, 2, 7},
        Expect{"five", "2025-01-27", 2, 0, 5}, Expect{"seven", "2025-01-23", 0, 2, 8},
        Expect{"seven", "2025-01-24", 2, 0, 7}, Expect{"seven", "2025-01-27", 2, 0, 5}}) {
    const Lateness got = Audit(e.run, e.decided);
    EXPECT_EQ(got.published, 2u) << e.run << " " << e.decided;
    EXPECT_EQ(got.on_time, e.on_time) << e.run << " " << e.decided;
    EXPECT_EQ(got.source_late, e.source_late) << e.run << " " << e.decided;
    EXPECT_EQ(got.pipeline_late, 0u) << e.run << " " << e.decided;
    EXPECT_EQ(got.median_latency, e.latency) << e.run << " " << e.decided;
    EXPECT_EQ(got.provisional, 0u) << e.run << " " << e.decided;
  }
}

TEST_F(DeadlineTest, AnUnknownRegionIsRefusedBeforeAnythingIsRead) {
  WriteFile(dir_ / "in.ndjson", PenaltyOn("2025-01-24", "罚1") + "\n");
  WriteFile(dir_ / "atlantis.yaml", "deadline: {region: atlantis}\n");
  const ProcessResult run = testing::Run({"run", "--input", dir_ / "in.ndjson", "--out",
                                          dir_ / "out", "--config", dir_ / "atlantis.yaml"},
                                         dir_.path(), {kKeyEnv});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("deadline.region"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("atlantis"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("guangxi"), std::string::npos)
      << "names the regions it knows: " << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/feeds")) << "nothing published";
}

// Minors at the 18th-birthday boundary, both kinds, end to end. The rule the product applies
// (README "withheld": a minor at the decision date; pipeline/redact/redactor.cc): the subject is
// 18 from the 18th birthday itself, so a decision made on it is published and one the day before is
// withheld; a person born on 29 February turns 18 on 1 March of a non-leap year (an 18th birthday
// never falls in a leap year: 18 is not a multiple of 4), so a decision on 28 February is still a
// minor's.

// An 18-digit resident ID number of a person born on `birth` (YYYY-MM-DD): area 110105, order
// `order`, and its GB 11643 check character worked here (ISO 7064 MOD 11-2), not by gongshi.
std::string IdNumberBornOn(const std::string& birth, const std::string& order) {
  std::string id = "110105" + birth.substr(0, 4) + birth.substr(5, 2) + birth.substr(8, 2) + order;
  constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  return id + "10X98765432"[sum % 11];
}

// A natural person's penalty and license decided on `decided`, the person identified by `id`.
std::string PersonsPenaltyOn(const std::string& decided, const std::string& id) {
  std::string json = PenaltyOn(decided, PenaltyDoc(decided));
  for (const char* organisation_only : {"uscc", "org_code", "legal_rep_name"}) {
    json = With(json, organisation_only, "");
  }
  json = With(json, "subject_category", Quoted("自然人"));
  json = With(json, "subject_name", Quoted("欧阳娜娜"));
  json = With(json, "subject_id_type", Quoted("身份证"));
  return With(json, "subject_id_no", Quoted(id));
}
std::string PersonsLicenseOn(const std::string& decided, const std::string& id) {
  std::string json = LicenseOn(decided, LicenseDoc(decided));
  for (const char* organisation_only : {"XK_XDR_SHXYM", "XK_FRDB"}) {
    json = With(json, organisation_only, "");
  }
  json = With(json, "XK_XDR_LB", Quoted("自然人"));
  json = With(json, "XK_XDR_MC", Quoted("欧阳娜娜"));
  json = With(json, "XK_XDR_ZJLX", Quoted("身份证"));
  return With(json, "XK_XDR_ZJHM", Quoted(id));
}

TEST_F(DeadlineTest, MinorsAreWithheldUpToAndOnTheir18thBirthdayBothKinds) {
  struct Person {
    const char* born;
    const char* order;
    const char* day_before;  // decided here: a minor, withheld
    const char* birthday;  // decided here: still a minor (周岁 counts from the next day), withheld
    const char* day_after;  // 18: published
  };
  constexpr Person kPeople[] = {
      // 18 on Sat 2025-03-15.
      {"2007-03-15", "001", "2025-03-14", "2025-03-15", "2025-03-16"},
      // Born on a leap day: the birthday is 2026-03-01 (2026 has no 29 February), not 02-28.
      {"2008-02-29", "002", "2026-02-28", "2026-03-01", "2026-03-02"},
      // 18 on the last day of a year: the boundary crosses New Year.
      {"2006-12-31", "003", "2024-12-30", "2024-12-31", "2025-01-01"},
  };
  std::vector<std::string> records;
  std::vector<std::string> ids;
  for (const Person& p : kPeople) {
    const std::string id = IdNumberBornOn(p.born, p.order);
    ids.push_back(id);
    for (const char* decided : {p.day_before, p.birthday, p.day_after}) {
      records.push_back(PersonsPenaltyOn(decided, id));
      records.push_back(PersonsLicenseOn(decided, id));
    }
  }
  // Every decision well before `today`, every publication period still running.
  const size_t withheld = 4 * std::size(kPeople);
  ASSERT_TRUE(Pass("minors", records, "today: 2026-03-05\n", records.size() - withheld));
  const auto feed = Feed("minors");
  EXPECT_EQ(feed.size(), records.size() - withheld);

  // The withheld ledger: one line per withheld record, reason minor, kind and decision date.
  std::multiset<std::string> ledger;
  std::string ledger_bytes;
  simdjson::dom::parser parser;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "minors/withheld")) {
    const std::string text = ReadFile(entry.path().string());
    ledger_bytes += text;
    for (simdjson::dom::element e : parser.parse_many(text)) {
      ledger.insert(std::string(std::string_view(e["reason"])) + " " +
                    std::string(std::string_view(e["kind"])) + " " +
                    std::string(std::string_view(e["decision_date"])));
    }
  }
  std::multiset<std::string> expected_ledger;
  for (const Person& p : kPeople) {
    SCOPED_TRACE(std::string("born ") + p.born);
    for (const char* decided : {p.day_before, p.birthday}) {
      for (const std::string& doc : {PenaltyDoc(decided), LicenseDoc(decided)}) {
        EXPECT_FALSE(feed.count(doc)) << doc << ": decided when a minor";
      }
      for (const char* kind : {"penalty", "license"}) {
        expected_ledger.insert(std::string("minor ") + kind + " " + decided);
      }
      EXPECT_EQ(Audit("minors", decided).withheld_minor, 2u) << decided;
      EXPECT_EQ(Audit("minors", decided).published, 0u) << decided;
    }
    for (const std::string& doc : {PenaltyDoc(p.day_after), LicenseDoc(p.day_after)}) {
      EXPECT_TRUE(feed.count(doc)) << doc << ": decided when 18";
    }
    EXPECT_EQ(Audit("minors", p.day_after).withheld_minor, 0u) << p.day_after;
    EXPECT_EQ(Audit("minors", p.day_after).published, 2u) << p.day_after;
  }
  EXPECT_EQ(ledger, expected_ledger);
  for (const std::string& id : ids) {
    EXPECT_EQ(ledger_bytes.find(id), std::string::npos) << "the ledger holds no ID number";
  }

  // redaction.withhold.minors: false publishes them all (the boundary is the rule's, not the
  // data's).
  ASSERT_TRUE(
      Pass("minors-off", records, "today: 2026-03-05\nredaction: {withhold: {minors: false}}\n"));
}

}  // namespace
}  // namespace gongshi
