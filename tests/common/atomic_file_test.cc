// Atomic files: a replacement is whole, leaves no temporary, and an unwritable directory is an
// error, not a crash.
#include "pipeline/common/atomic_file.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace gongshi {
namespace {

std::vector<std::string> Files(const std::string& dir) { return testing::FileNamesIn(dir); }

TEST(AtomicFileTest, ReplacesWholeFileAndLeavesNoTemporary) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir / "a.txt", "one"));
  ASSERT_TRUE(WriteFileAtomically(dir / "a.txt", "two"));
  EXPECT_EQ(testing::ReadFile(dir / "a.txt"), "two");
  testing::WriteFile(dir / ".b.txt.tmp", "left by a crash");
  RemoveStaleTemporaries(dir.path());
  EXPECT_EQ(Files(dir.path()), (std::vector<std::string>{"a.txt"}));
}

TEST(AtomicFileTest, UnwritableDirectoryIsAnError) {
  EXPECT_FALSE(WriteFileAtomically("/proc/gongshi-no/such.txt", "x"));
}

}  // namespace
}  // namespace gongshi
