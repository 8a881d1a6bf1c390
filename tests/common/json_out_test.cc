// JSON string output: the word-at-a-time scan escapes exactly what the byte-by-byte rule does, at
// every position of a word and across word boundaries, and simdjson reads back the text.
#include "pipeline/common/json_out.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace gongshi {
namespace {

// The rule, one byte at a time (RFC 8259: quote, backslash and control characters).
std::string Reference(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST(JsonOutTest, EveryByteThatNeedsEscapingAtEveryPositionOfAWord) {
  for (int c = 0; c < 256; ++c) {
    for (size_t length = 1; length <= 24; ++length) {
      for (size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = static_cast<char>(c);
        ASSERT_EQ(Escaped(text), Reference(text)) << "byte " << c << " at " << at << "/" << length;
      }
    }
  }
}

TEST(JsonOutTest, RandomTextOfChineseAndSpecialCharactersReadsBack) {
  std::mt19937 random(11);
  const std::string pieces[] = {"当事人", "罚款", "\"",   "\\",     "\n", "\t",   "\x01",
                                "\x1f",   "a",    "2024", "（京）", " ",  "\x7f", "é"};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int n = static_cast<int>(random() % 40);
    for (int i = 0; i < n; ++i) text += pieces[random() % std::size(pieces)];
    const std::string out = Escaped(text);
    ASSERT_EQ(out, Reference(text));
    simdjson::dom::parser parser;
    std::string_view back;
    ASSERT_EQ(parser.parse(out).get_string().get(back), simdjson::SUCCESS) << out;
    EXPECT_EQ(back, text);
  }
}

}  // namespace
}  // namespace gongshi
