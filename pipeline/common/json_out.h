// Small helpers for writing JSON text into a reused std::string. The sinks and the audit report
// emit flat objects of strings and numbers; a serialiser library would add a DOM copy per record
// for no gain.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gongshi {

namespace json_out_detail {

// Whether any of the 8 bytes of `word` must be escaped in a JSON string: below 0x20, '"' or
// '\\'. Word-at-a-time (the classic "has a byte less than n" / "has a zero byte" tests, exact
// for n <= 128): the feed's values are long runs of UTF-8 text with nothing to escape, and
// testing them byte by byte was a tenth of a file pass.
inline bool NeedsEscape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  const uint64_t below = (word - kOnes * 0x20) & ~word;
  const uint64_t zero_quote = (quote - kOnes) & ~quote;
  const uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  return ((below | zero_quote | zero_backslash) & kHigh) != 0;
}

}  // namespace json_out_detail

// Appends `text` as a JSON string literal (with quotes), escaping what RFC 8259 requires.
// The input is valid UTF-8 (the parser or transcoder guaranteed it); it is copied as is.
inline void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text.size() - i >= 8) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof(word));
      if (!json_out_detail::NeedsEscape(word)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    ++i;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

// Appends "key": (the caller appends the value).
inline void AppendJsonKey(std::string& out, std::string_view key, bool first = false) {
  if (!first) out.push_back(',');
  AppendJsonString(out, key);
  out.push_back(':');
}

inline void AppendJsonUint(std::string& out, uint64_t value) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out.push_back(digits[--n]);
}

inline void AppendJsonInt(std::string& out, int64_t value) {
  if (value < 0) {
    out.push_back('-');
    AppendJsonUint(out, static_cast<uint64_t>(-(value + 1)) + 1);
  } else {
    AppendJsonUint(out, static_cast<uint64_t>(value));
  }
}

}  // namespace gongshi
