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

class PublicationEndTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::WriteFile(dir_ / "config.yaml", "today: 2026-11-30\n"); }

  std::map<std::string, uint64_t> Run(const std::vector<std::string>& lines) {
    std::string input;
    for (const std::string& line : lines) input += line + "\n";
    testing::WriteFile(dir_ / "in.ndjson", input);
    const testing::ProcessResult result =
        testing::Run({"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config",
                      dir_ / "config.yaml"},
                     dir_.path());
    EXPECT_EQ(result.exit_code, 0) << result.err;
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

}  // namespace
}  // namespace gongshi
