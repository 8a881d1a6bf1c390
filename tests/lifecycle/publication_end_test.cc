// Publication periods in the record path (`gongshi run`, today fixed at 2026-11-30): a penalty
// carries its publication end in the feed, from 公示截止期 or derived from the rules in force at
// its decision date; one whose period has already ended is withheld, and a new version of a
// published one whose period has ended takes it down (a withdrawal, reason period_ended).
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using testing::Fixture;
using testing::Quoted;
using testing::With;

std::string Penalty(const std::string& doc, const std::string& decided,
                    const std::string& publish_until, const std::string& categories = "罚款") {
  std::string json = Fixture("penalty_valid.json");
  json = With(json, "decision_doc_no", Quoted("榕市监处罚〔2024〕" + doc + "号"));
  json = With(json, "decision_date", Quoted(decided));
  json = With(json, "penalty_valid_to", Quoted("2099/12/31"));
  json = With(json, "publish_until", publish_until.empty() ? "" : Quoted(publish_until));
  json = With(json, "penalty_categories", Quoted(categories));
  if (categories.find("没收") == std::string::npos) json = With(json, "confiscated_wan_yuan", "");
  if (categories.find("吊销") != std::string::npos) {
    json = With(json, "suspended_license", Quoted("食品经营许可证 JY13501000012345"));
  }
  return json;
}

// A credit-repair event (信用修复): only what finds the published record, and the repair date.
std::string Repair(const std::string& doc, const std::string& decided,
                   const std::string& repaired) {
  return "{\"kind\":\"penalty\",\"subject_name\":\"福州示例贸易有限公司\","
         "\"subject_category\":\"法人及非法人组织\",\"uscc\":\"91350100M000100Y43\","
         "\"decision_doc_no\":\"榕市监处罚〔2024〕" +
         doc + "号\",\"decision_date\":\"" + decided +
         "\",\"authority_uscc\":\"11420000MB15291767\",\"信用修复日期\":\"" + repaired + "\"}";
}

class PublicationEndTest : public ::testing::Test {
 protected:
  void SetUp() override { Today("2026-11-30"); }
  void Today(const std::string& day) {
    testing::WriteFile(dir_ / "config.yaml", "today: " + day + "\n");
  }

  // One pass over `lines` (a new input file each time), then the sweep.
  std::map<std::string, uint64_t> Run(const std::vector<std::string>& lines,
                                      const std::vector<std::string>& env = {},
                                      int expect_exit = 0) {
    std::string input;
    for (const std::string& line : lines) input += line + "\n";
    const std::string path = dir_ / ("in" + std::to_string(++runs_) + ".ndjson");
    testing::WriteFile(path, input);
    const testing::ProcessResult result = testing::Run(
        {"run", "--input", path, "--out", dir_ / "out", "--config", dir_ / "config.yaml"},
        dir_.path(), env);
    EXPECT_EQ(result.exit_code, expect_exit) << result.err;
    return testing::ParseSummary(result.out);
  }

  // The penalty feed's lines naming `doc`, in batch order.
  std::vector<std::string> FeedLines(const std::string& doc) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir_ / "out/feeds/penalty")) {
      if (entry.path().extension() == ".ndjson") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> lines;
    const std::string needle = "〔2024〕" + doc + "号";
    for (const fs::path& file : files) {
      std::istringstream in(testing::ReadFile(file.string()));
      for (std::string line; std::getline(in, line);) {
        if (line.find(needle) != std::string::npos) lines.push_back(line);
      }
    }
    return lines;
  }

  testing::TempDir dir_;
  int runs_ = 0;
};

TEST_F(PublicationEndTest, FromTheSourceOrDerivedByTheRulesAtTheDecisionDate) {
  auto counts = Run({
      Penalty("1", "2026-11-20", "2028-06-30"),        // from the source
      Penalty("2", "2026-11-20", ""),                  // 令36, general: 12 months
      Penalty("3", "2026-11-20", "", "吊销许可证件"),  // 令36, severe: 36 months
      Penalty("4", "2024-05-10", ""),                  // 令58: 36 months for every penalty
      Penalty("5", "2019-08-01", ""),                  // 2019/527, general: 12 months, long over
      Penalty("6", "2024-05-10", "2025-01-01"),        // the source's end is behind us
  });
  EXPECT_EQ(counts["read"], 6u);
  EXPECT_EQ(counts["published"], 4u);
  EXPECT_EQ(counts["withheld"], 2u);
  EXPECT_EQ(counts["withheld_reasons.period_ended"], 2u);
  auto only = [&](const std::string& doc) {
    const auto lines = FeedLines(doc);
    EXPECT_EQ(lines.size(), 1u) << doc;
    return lines.empty() ? std::string() : lines.front();
  };
  EXPECT_NE(only("1").find(R"("publication_end":"2028-06-30")"), std::string::npos);
  EXPECT_EQ(only("1").find("publication_end_derived"), std::string::npos);
  EXPECT_NE(only("2").find(R"("publication_end":"2027-11-20","publication_end_derived":true)"),
            std::string::npos)
      << only("2");
  EXPECT_NE(only("3").find(R"("publication_end":"2029-11-20")"), std::string::npos);
  EXPECT_NE(only("4").find(R"("publication_end":"2027-05-10")"), std::string::npos);
  EXPECT_TRUE(FeedLines("5").empty());
  EXPECT_TRUE(FeedLines("6").empty());
}

TEST_F(PublicationEndTest, ANewVersionWhosePeriodEndedTakesThePublishedOneDown) {
  ASSERT_EQ(Run({Penalty("7", "2024-05-10", "2027-05-10")})["published"], 1u);
  // The agency corrects the 公示截止期 to a day already behind us: the record must go.
  auto counts = Run({Penalty("7", "2024-05-10", "2026-06-30")});
  EXPECT_EQ(counts["withdrawn"], 1u);
  const auto lines = FeedLines("7");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(R"("op":"upsert")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"("op":"withdraw","kind":"penalty")"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(R"("reason":"period_ended")"), std::string::npos) << lines[1];
}

TEST_F(PublicationEndTest, TheDailySweepWithdrawsOnceWhenThePeriodEnds) {
  auto counts = Run({Penalty("8", "2024-05-10", "2026-12-05"), Penalty("9", "2024-05-10", "")});
  ASSERT_EQ(counts["published"], 2u);
  EXPECT_EQ(counts["expiry_withdrawals"], 0u);
  Today("2026-12-05");  // the last day shown: nothing yet
  EXPECT_EQ(Run({})["expiry_withdrawals"], 0u);
  Today("2026-12-06");
  counts = Run({});
  EXPECT_EQ(counts["expiry_withdrawals"], 1u);
  EXPECT_EQ(counts["read"], 0u) << "sweep withdrawals are not input records";
  const auto lines = FeedLines("8");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find(R"("op":"withdraw")"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(R"("reason":"period_ended")"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(R"("authority_uscc":"11420000MB15291767")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"("decision_date":"2024-05-10")"), std::string::npos);
  EXPECT_EQ(FeedLines("9").size(), 1u) << "derived end 2027-05-10: still shown";
  Today("2026-12-07");
  EXPECT_EQ(Run({})["expiry_withdrawals"], 0u) << "withdrawn once";
  // The same version sent again is a duplicate of what was withdrawn, not a new publication.
  EXPECT_EQ(Run({Penalty("8", "2024-05-10", "2026-12-05")})["duplicate"], 1u);
  const testing::ProcessResult verify = testing::Run({"verify-feeds", dir_ / "out"}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // The auditors see the withdrawal in the ledger.
  const testing::ProcessResult audit =
      testing::Run({"audit", "--state", dir_ / "out/state", "--format", "json"}, dir_.path());
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_NE(audit.out.find(R"("withdrawals":1)"), std::string::npos) << audit.out;
}

TEST_F(PublicationEndTest, ACorrectionThatMovesTheEndLeavesNothingToSweep) {
  ASSERT_EQ(Run({Penalty("10", "2024-05-10", "2026-12-05")})["published"], 1u);
  ASSERT_EQ(Run({Penalty("10", "2024-05-10", "2027-12-31")})["updated"], 1u);
  Today("2026-12-10");
  EXPECT_EQ(Run({})["expiry_withdrawals"], 0u);
  EXPECT_EQ(FeedLines("10").size(), 2u);  // two upserts, no withdrawal
  Today("2028-01-01");
  EXPECT_EQ(Run({})["expiry_withdrawals"], 1u);
}

TEST_F(PublicationEndTest, ASweepKilledBeforeItsCommitIsMadeAgainOnce) {
  ASSERT_EQ(Run({Penalty("11", "2024-05-10", "2026-12-05")})["published"], 1u);
  Today("2026-12-06");
  // The sweep's batch is the first of the process: killed after its files, before its commit.
  Run({}, {"GONGSHI_FAULT_KILL_AFTER_FILES=1"}, -1);
  EXPECT_EQ(Run({})["expiry_withdrawals"], 1u);
  const auto lines = FeedLines("11");
  ASSERT_EQ(lines.size(), 2u) << "the killed sweep's files were removed, the new ones kept";
  EXPECT_NE(lines[1].find(R"("op":"withdraw")"), std::string::npos);
  const testing::ProcessResult verify = testing::Run({"verify-feeds", dir_ / "out"}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(PublicationEndTest, ACreditRepairEventWithdrawsThePublishedRecord) {
  ASSERT_EQ(Run({Penalty("12", "2024-05-10", "2027-05-10")})["published"], 1u);
  // 令58 (decided 2024-05-10): repair may end publication after 3 months, 2024-08-10.
  auto counts = Run({Repair("12", "2024-05-10", "2026-11-25")});
  EXPECT_EQ(counts["withdrawn"], 1u);
  EXPECT_EQ(counts["rejected"], 0u);
  const auto lines = FeedLines("12");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find(R"("op":"withdraw")"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(R"("reason":"credit_repair")"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].find("信用修复"), std::string::npos) << "a side channel, never published";
  // Sent again: nothing new. And the end of the period has nothing left to withdraw.
  EXPECT_EQ(Run({Repair("12", "2024-05-10", "2026-11-25")})["duplicate"], 1u);
  Today("2027-05-11");
  EXPECT_EQ(Run({})["expiry_withdrawals"], 0u);
  EXPECT_EQ(FeedLines("12").size(), 2u);
}

TEST_F(PublicationEndTest, ACreditRepairBeforeTheMinimumPeriodOrWithoutTheKeyIsRejected) {
  ASSERT_EQ(Run({Penalty("13", "2026-11-20", "2027-11-20")})["published"], 1u);
  // 令36, general (decided 2026-11-20): at least 3 months, so not before 2027-02-20.
  auto counts = Run({Repair("13", "2026-11-20", "2026-11-28")});
  EXPECT_EQ(counts["rejected"], 1u);
  EXPECT_EQ(counts["reject_reasons.date_range_order"], 1u);
  std::string missing = With(Repair("13", "2026-11-20", "2026-11-28"), "decision_doc_no", "");
  counts = Run({missing});
  EXPECT_EQ(counts["reject_reasons.field_missing"], 1u);
  EXPECT_EQ(FeedLines("13").size(), 1u) << "still published";
}

}  // namespace
}  // namespace gongshi
