// Issue 2's acceptance run: 1,000,000 generated records through `gongshi run --input`. The counts
// add up and match the generator; every reject reason is in the dead-letter with its count; no
// checksum-valid ID number, mobile number or Luhn-valid card number is in clear in any output file;
// peak memory stays far below the input's size.
#include <gtest/gtest.h>

#include "tests/integration/pass_checks.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers

TEST(LargePassTest, OneMillionRecords) {
  TempDir dir;
  const uint64_t count = 1'000'000;
  const Expected expected = Generate(dir / "in.ndjson", count, 2026);
  ASSERT_EQ(expected.reasons.size(), AllRejectReasons().size());
  const std::string config = WriteConfig(dir, "", 16384);
  const ProcessResult result = RunPass(dir, dir / "in.ndjson", dir / "out", config);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = ParseSummary(result.out);
  ExpectCountsMatch(summary, expected);
  EXPECT_EQ(DeadLetterReasons(dir / "out"), expected.reasons);

  const LeakCount leaks = ScanOutput(dir / "out");
  EXPECT_EQ(leaks.id, 0u);
  EXPECT_EQ(leaks.mobile, 0u);
  EXPECT_EQ(leaks.card, 0u);

  const auto input_bytes = std::filesystem::file_size(dir / "in.ndjson");
  EXPECT_LT(static_cast<uint64_t>(result.max_rss_kb) * 1024, input_bytes / 2)
      << "peak RSS " << result.max_rss_kb << " KiB for " << input_bytes << " input bytes";
  std::fprintf(stderr, "1M records: %s\npeak RSS %ld KiB, input %llu bytes\n", result.out.c_str(),
               result.max_rss_kb, static_cast<unsigned long long>(input_bytes));
}

}  // namespace
}  // namespace gongshi
