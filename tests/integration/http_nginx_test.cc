// The happy path against a real HTTP server: Debian's nginx on loopback (tests/support/nginx.h)
// receives every feed batch of a `gongshi run` once, with its idempotency key, record count and
// full body, and answers with a receipt that gongshi stores.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "tests/support/nginx.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;

TEST(HttpNginxTest, EveryBatchArrivesOnceWithItsKeyAndBody) {
  testing::TempDir dir;
  auto nginx = testing::Nginx::Start({.authorization = "Bearer s3cret"});
  ASSERT_NE(nginx, nullptr);
  ASSERT_EQ(
      testing::Run({"generate", "--count", "2500", "--seed", "91", "--out", dir / "in.ndjson"},
                   dir.path())
          .exit_code,
      0);
  testing::WriteFile(dir / "token", "s3cret");
  testing::WriteFile(dir / "config.yaml",
                     fmt::format("batch: {{max_records: 300}}\nhttp:\n  url: {}\n  auth: "
                                 "{{token_file: {}}}\n",
                                 nginx->Url(), dir / "token"));
  const testing::ProcessResult result = testing::Run(
      {"run", "--input", dir / "in.ndjson", "--out", dir / "out", "--config", dir / "config.yaml"},
      dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ParseSummary(result.out)["http_pending"], 0u) << result.out;

  // batch id -> bytes of its feed files, from the file names (<sequence>-<id>.ndjson).
  std::map<std::string, long> expected;
  for (const char* kind : {"license", "penalty"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(dir / "out/feeds") / kind)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".ndjson")) continue;
      expected[name.substr(11, 32)] += static_cast<long>(fs::file_size(entry.path()));
    }
  }
  ASSERT_GT(expected.size(), 5u);
  ASSERT_TRUE(nginx->WaitForAccessLog(expected.size(), std::chrono::seconds(10)));
  std::map<std::string, int> seen;
  for (const auto& line : nginx->AccessLog()) {
    EXPECT_EQ(line.method, "POST");
    EXPECT_EQ(line.status, 200) << line.raw;
    ++seen[line.idempotency_key];
    ASSERT_TRUE(expected.count(line.idempotency_key)) << line.raw;
    EXPECT_EQ(line.content_length, expected[line.idempotency_key]) << line.raw;
  }
  EXPECT_EQ(seen.size(), expected.size());
  for (const auto& [key, times] : seen) EXPECT_EQ(times, 1) << key;

  const testing::ProcessResult books = testing::Run(
      {"reconcile", "--config", dir / "config.yaml", "--out", dir / "out"}, dir.path());
  EXPECT_NE(books.out.find(fmt::format("acknowledged={} refused=0 waiting=0", expected.size())),
            std::string::npos)
      << books.out;
}

}  // namespace
}  // namespace gongshi
