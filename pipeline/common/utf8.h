// UTF-8 over text already known to be valid (the parser and the transcoder guarantee it for every
// field): a character's width from its lead byte, counts and prefixes in characters. Not a
// validator: config/ checks untrusted text strictly, and leak_scan reads bytes its own way.
#pragma once

#include <cstddef>
#include <string_view>

namespace gongshi {

// The width in bytes of the character whose lead byte is `lead`; a stray continuation byte is 1,
// so a scan always moves forward.
constexpr size_t Utf8Width(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Characters (code points) in `text`: its bytes that are not continuation bytes.
constexpr size_t Utf8CharCount(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The bytes of the first `max_chars` characters of `text` (all of it if it has no more).
constexpr size_t Utf8PrefixBytes(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == max_chars) return i;
  }
  return text.size();
}

}  // namespace gongshi
