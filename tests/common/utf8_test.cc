// UTF-8 over valid text: widths from the lead byte, counts and prefixes in characters, for ASCII,
// Chinese (3 bytes), a supplementary character (4 bytes) and a 2-byte one.
#include "pipeline/common/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace gongshi {
namespace {

TEST(Utf8Test, TheLeadByteGivesTheWidth) {
  EXPECT_EQ(Utf8Width('a'), 1u);
  EXPECT_EQ(Utf8Width(0xC3), 2u);  // é
  EXPECT_EQ(Utf8Width(0xE4), 3u);  // 中
  EXPECT_EQ(Utf8Width(0xF0), 4u);  // 𠀀
  EXPECT_EQ(Utf8Width(0x80), 1u);  // a stray continuation byte still moves a scan on
}

TEST(Utf8Test, CountsAndPrefixesAreInCharacters) {
  const std::string text = "a中é𠀀b";  // 1 + 3 + 2 + 4 + 1 bytes, 5 characters
  EXPECT_EQ(Utf8CharCount(text), 5u);
  EXPECT_EQ(Utf8CharCount(""), 0u);
  EXPECT_EQ(Utf8PrefixBytes(text, 0), 0u);
  EXPECT_EQ(Utf8PrefixBytes(text, 2), 4u);
  EXPECT_EQ(Utf8PrefixBytes(text, 4), 10u);
  EXPECT_EQ(Utf8PrefixBytes(text, 5), text.size());
  EXPECT_EQ(Utf8PrefixBytes(text, 99), text.size());
}

}  // namespace
}  // namespace gongshi
