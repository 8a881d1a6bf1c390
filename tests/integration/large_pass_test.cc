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
  const AcceptedPass pass = RunAcceptedPass(dir, 1'000'000, 2026, 16384);
  ASSERT_EQ(pass.result.exit_code, 0);
  const ProcessResult& result = pass.result;

  const auto input_bytes = std::filesystem::file_size(dir / "in.ndjson");
  EXPECT_LT(static_cast<uint64_t>(result.max_rss_kb) * 1024, input_bytes / 2)
      << "peak RSS " << result.max_rss_kb << " KiB for " << input_bytes << " input bytes";
  std::fprintf(stderr, "1M records: %s\npeak RSS %ld KiB, input %llu bytes\n", result.out.c_str(),
               result.max_rss_kb, static_cast<unsigned long long>(input_bytes));
}

}  // namespace
}  // namespace gongshi
