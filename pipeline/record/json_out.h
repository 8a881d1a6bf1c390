// Small helpers for writing JSON text into a reused std::string. The sinks and the audit report
// emit flat objects of strings and numbers; a serialiser library would add a DOM copy per record
// for no gain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gongshi {

// Appends `text` as a JSON string literal (with quotes), escaping what RFC 8259 requires.
// The input is valid UTF-8 (the parser or transcoder guaranteed it); it is copied as is.
inline void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
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
