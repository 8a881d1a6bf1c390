#include "pipeline/parse/transcoder.h"

#include <cerrno>
#include <cstring>

namespace gongshi {

Result<SourceEncoding> ParseSourceEncoding(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "utf-8" || lower == "utf8") return SourceEncoding::kUtf8;
  if (lower == "gb18030" || lower == "gbk" || lower == "gb2312") return SourceEncoding::kGb18030;
  return Fail(ErrorCode::kInvalidConfig,
              fmt::format("encoding '{}' is not supported (use utf-8 or gb18030)", name));
}

Transcoder::Transcoder() : cd_(iconv_open("UTF-8", "GB18030")) {}
Transcoder::~Transcoder() {
  if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
}

bool Transcoder::ToUtf8(std::string_view gb18030, Arena& arena, size_t padding,
                        std::string_view& out) {
  if (cd_ == reinterpret_cast<iconv_t>(-1)) return false;
  // A GB18030 character of 1, 2 or 4 bytes becomes at most 4 UTF-8 bytes, so 2x the input (plus
  // a little for 1-byte input becoming 1 byte) always suffices.
  const size_t capacity = gb18030.size() * 2 + 4;
  char* begin = arena.Allocate(capacity + padding);
  iconv(cd_, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  char* in = const_cast<char*>(gb18030.data());
  size_t in_left = gb18030.size();
  char* dst = begin;
  size_t out_left = capacity;
  if (iconv(cd_, &in, &in_left, &dst, &out_left) == static_cast<size_t>(-1)) return false;
  if (iconv(cd_, nullptr, nullptr, &dst, &out_left) == static_cast<size_t>(-1)) return false;
  std::memset(dst, ' ', padding);
  out = std::string_view(begin, static_cast<size_t>(dst - begin));
  return true;
}

}  // namespace gongshi
