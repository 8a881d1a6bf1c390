// Transcoder: GB18030/GBK message bytes to UTF-8, for sources configured with a legacy encoding.
// iconv (glibc) does the work: GB18030 is a large mapping table we should not maintain ourselves.
#pragma once

#include <string_view>

#include <iconv.h>

#include "pipeline/record/arena.h"
#include "pipeline/record/error.h"

namespace gongshi {

enum class SourceEncoding : uint8_t { kUtf8, kGb18030 };
// "utf-8"/"utf8" or "gb18030"/"gbk" (GBK is a subset of GB18030, so one decoder serves both).
Result<SourceEncoding> ParseSourceEncoding(std::string_view name);

// Not thread-safe: one per parser.
class Transcoder {
 public:
  Transcoder();
  ~Transcoder();
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;

  // Writes the UTF-8 form of `gb18030` into `arena`, followed by `padding` spare bytes, and returns
  // a view of it (without the padding). Returns false when the input is not valid GB18030.
  bool ToUtf8(std::string_view gb18030, Arena& arena, size_t padding, std::string_view& out);

 private:
  iconv_t cd_;
};

}  // namespace gongshi
