// `gongshi generate --pii-forms ... --planted FILE`: the side file beside the records, the same
// records on stdout, and the bad inputs refused with a message before anything is written.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::ReadFile;
using testing::TempDir;

// (Not `Run`: inside a TEST body that name finds ::testing::Test::Run first.)
testing::ProcessResult RunGongshi(const std::vector<std::string>& args, const std::string& dir) {
  return testing::Run(args, dir);
}

std::vector<std::string> Args(std::vector<std::string> extra) {
  std::vector<std::string> args = {"generate", "--count", "400",       "--seed",
                                   "5",        "--today", "2025-06-01"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0, end; (end = text.find('\n', begin)) != std::string::npos;
       begin = end + 1) {
    lines.push_back(text.substr(begin, end - begin));
  }
  return lines;
}

TEST(GenerateCliTest, PlantedFileHasOneLinePerRecordAndNothingIsPrinted) {
  TempDir dir;
  const auto result = RunGongshi(Args({"--pii-forms", "adversarial", "--out",
                                       dir / "records.ndjson", "--planted", dir / "planted.jsonl"}),
                                 dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.empty());
  const auto records = Lines(ReadFile(dir / "records.ndjson"));
  const auto planted = Lines(ReadFile(dir / "planted.jsonl"));
  ASSERT_EQ(records.size(), 400u);
  ASSERT_EQ(planted.size(), 400u);
  simdjson::dom::parser parser;
  std::set<std::string> values;
  size_t tokens = 0;
  for (size_t i = 0; i < planted.size(); ++i) {
    simdjson::dom::element root;
    ASSERT_FALSE(parser.parse(planted[i]).get(root)) << i;
    EXPECT_EQ(uint64_t(root["line"]), i + 1);
    for (auto token : simdjson::dom::array(root["tokens"])) {
      ++tokens;
      const std::string_view kind = token["kind"];
      if (kind != "negative") {
        values.emplace(std::string_view(token["canonical"]));
        values.emplace(std::string_view(token["bytes"]));
      }
    }
  }
  EXPECT_GT(tokens, 300u);
  // The summary on stderr names counts and files, never a planted value.
  EXPECT_NE(result.err.find("400 records"), std::string::npos) << result.err;
  for (const std::string& value : values) {
    ASSERT_EQ(result.err.find(value), std::string::npos) << "a planted value on stderr";
  }

  // Records to stdout: the same bytes, and the side file is the same.
  const auto to_stdout = RunGongshi(
      Args({"--pii-forms", "adversarial", "--planted", dir / "planted2.jsonl"}), dir.path());
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, ReadFile(dir / "records.ndjson"));
  EXPECT_EQ(ReadFile(dir / "planted2.jsonl"), ReadFile(dir / "planted.jsonl"));
  EXPECT_TRUE(to_stdout.err.empty()) << to_stdout.err;
}

TEST(GenerateCliTest, RealisticIsTheDefault) {
  TempDir dir;
  const auto plain = RunGongshi(Args({}), dir.path());
  const auto realistic = RunGongshi(Args({"--pii-forms", "realistic"}), dir.path());
  const auto adversarial = RunGongshi(Args({"--pii-forms", "adversarial"}), dir.path());
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(realistic.exit_code, 0) << realistic.err;
  EXPECT_EQ(plain.out, realistic.out);
  EXPECT_NE(plain.out, adversarial.out);
  EXPECT_EQ(Lines(adversarial.out).size(), 400u);
}

TEST(GenerateCliTest, BadInputsAreRefusedWithAMessage) {
  TempDir dir;
  const auto forms =
      RunGongshi(Args({"--pii-forms", "tidy", "--out", dir / "a.ndjson"}), dir.path());
  EXPECT_EQ(forms.exit_code, 2);
  EXPECT_NE(forms.err.find("--pii-forms tidy is not realistic or adversarial"), std::string::npos)
      << forms.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.ndjson"));

  const auto to_stdout = RunGongshi(Args({"--planted", "-"}), dir.path());
  EXPECT_EQ(to_stdout.exit_code, 2);
  EXPECT_NE(to_stdout.err.find("--planted needs a file name"), std::string::npos) << to_stdout.err;
  EXPECT_TRUE(to_stdout.out.empty());

  const auto same = RunGongshi(
      Args({"--out", dir / "b.ndjson", "--planted", dir.path() + "/./b.ndjson"}), dir.path());
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("is the --out file"), std::string::npos) << same.err;

  const auto unwritable = RunGongshi(
      Args({"--out", dir / "c.ndjson", "--planted", dir / "no/such/dir/p.jsonl"}), dir.path());
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.err.find("cannot write"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace gongshi
