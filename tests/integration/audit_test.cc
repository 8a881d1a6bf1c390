// `gongshi audit` over a generated year and more of decisions: the report's figures agree with
// counts recomputed here from the feed files and the holiday calendar, independently of the
// ledger the report is built from.
#include <gtest/gtest.h>

#include "pipeline/calendar/calendar.h"
#include "tests/integration/pass_checks.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers

struct Figures {
  uint64_t published = 0, on_time = 0, source_late = 0;
};

TEST(AuditTest, ReportAgreesWithCountsRecomputedFromTheFeeds) {
  TempDir dir;
  const Expected expected = Generate(dir / "in.ndjson", 30000, 77);
  const ProcessResult run = RunPass(dir, dir / "in.ndjson", dir / "out", WriteConfig(dir));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = ParseSummary(run.out);

  auto calendar = WorkingCalendar::Load(HolidaysDir());
  ASSERT_TRUE(calendar);
  // Recompute: every upsert line is a publication made "today" (the config fixes it); it is on
  // time when today is not after decision date + 7 working days.
  std::map<std::pair<std::string, std::string>, Figures> by_row;  // (month, authority)
  Figures total;
  simdjson::dom::parser parser;
  for (const std::string& line : PublishedSet(dir / "out")) {
    simdjson::dom::element e = parser.parse(line).value();
    if (std::string_view(e["op"]) != "upsert") continue;
    const std::string decision{std::string_view(e["decision_date"])};
    const int32_t day = *ParseDate(decision);
    const bool on_time = kToday <= calendar->AddWorkingDays(day, 7).day;
    Figures& row =
        by_row[{decision.substr(0, 7), std::string(std::string_view(e["authority_uscc"]))}];
    for (Figures* f : {&row, &total}) {
      ++f->published;
      (on_time ? f->on_time : f->source_late) += 1;
    }
  }
  ASSERT_GT(total.on_time, 0u) << "the generator makes some recent decisions";

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
  EXPECT_EQ(uint64_t(totals["rejected"]), summary.at("rejected"));
  EXPECT_EQ(uint64_t(totals["withheld"]), summary.at("withheld"));
  EXPECT_EQ(uint64_t(totals["withdrawals"]), summary.at("withdrawn"));
  size_t rows_checked = 0;
  for (simdjson::dom::element row : json["rows"].get_array()) {
    const std::string month{std::string_view(row["month"])};
    const std::string authority{std::string_view(row["authority_uscc"])};
    auto it = by_row.find({month, authority});
    if (it == by_row.end()) continue;  // rows holding only rejects, withheld or withdrawals
    EXPECT_EQ(uint64_t(row["published"]), it->second.published) << month << " " << authority;
    EXPECT_EQ(uint64_t(row["on_time"]), it->second.on_time) << month << " " << authority;
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

}  // namespace
}  // namespace gongshi
