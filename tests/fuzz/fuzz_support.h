// Shared by the fuzz targets and their replay driver: how an invariant fails (loudly, with the
// input's file when replaying), a strict UTF-8 check, and a batch laid out as a source lays it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "pipeline/record/record.h"

namespace gongshi::fuzz {

// Set by the replay driver to the file being fed, so a failure names it; null under libFuzzer,
// which writes the failing input to its own crash-<sha1> file.
inline const char* g_replay_input = nullptr;

// Prints the broken invariant and aborts: libFuzzer counts an abort as a crash and keeps the
// input, the replay driver's test fails. Never returns.
[[noreturn]] inline void Fail(const char* file, int line, const char* condition, const char* what) {
  std::fprintf(stderr, "\ninvariant broken at %s:%d: %s\n  %s\n", file, line, what, condition);
  if (g_replay_input != nullptr) std::fprintf(stderr, "  input: %s\n", g_replay_input);
  std::fflush(stderr);
  std::abort();
}

#define GONGSHI_FUZZ_CHECK(condition, what) \
  ((condition) ? (void)0 : ::gongshi::fuzz::Fail(__FILE__, __LINE__, #condition, (what)))

// Prints `text` escaped (non-ASCII and control bytes as \xNN), for the messages above. Fuzz inputs
// are synthetic; this is a developer's diagnostic, never product output.
inline void PrintEscaped(const char* label, std::string_view text) {
  std::fprintf(stderr, "  %s (%zu bytes): \"", label, text.size());
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      std::fputc('\\', stderr);
      std::fputc(c, stderr);
    } else if (c >= 0x20 && c < 0x7F) {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", c);
    }
  }
  std::fprintf(stderr, "\"\n");
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. Stricter than the
// loose length check in the scanner's unit test, so "stays valid" means valid for every reader.
inline bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// The bytes a stage took from a batch's arena, so a view can be told to lie inside them. Arena
// hands out bytes in order from its current block and Allocate(0) returns where the next byte would
// go (pipeline/record/record.cc), so [Allocate(0) before, Allocate(0) after) covers every
// allocation in between, as long as they all fit in the first block. The targets give their arena
// one block of kArenaBlock bytes, far more than any stage writes for a message of at most
// ParserOptions::max_record_bytes (a GB18030 transcoding is at most 2x, unescaped strings and
// joined arrays at most 1x each, normalised codes and category lists at most 1x): a stage that
// needs more has a memory blow-up, and the targets report that as a failure.
inline constexpr size_t kArenaBlock = size_t{16} << 20;
class ArenaWindow {
 public:
  explicit ArenaWindow(Arena& arena) : arena_(arena), begin_(arena.Allocate(0)) {}
  // The bytes handed out since construction; `spilled` when they did not fit in one block.
  std::string_view Used(bool& spilled) const {
    const char* end = arena_.Allocate(0);
    spilled = end < begin_ || end > begin_ + kArenaBlock;
    return spilled ? std::string_view()
                   : std::string_view(begin_, static_cast<size_t>(end - begin_));
  }

 private:
  Arena& arena_;
  const char* begin_;
};

inline bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.size() <= outer.size() &&
         inner.data() + inner.size() <= outer.data() + outer.size();
}

inline bool Overlaps(std::string_view a, std::string_view b) {
  return a.data() < b.data() + b.size() && b.data() < a.data() + a.size();
}

// Fills `batch` with `messages` the way the sources do (each message followed by simdjson's
// padding, every record's `json` = `raw`). `bytes` is sized exactly, so a read past the last
// message's padding leaves the allocation and ASan reports it.
inline void FillBatch(RecordBatch& batch, const std::vector<std::string_view>& messages) {
  batch.records.clear();
  batch.arena.Reset();
  size_t total = 0;
  for (std::string_view m : messages) total += m.size() + simdjson::SIMDJSON_PADDING;
  std::vector<char>().swap(batch.bytes);
  batch.bytes.resize(total, ' ');
  batch.records.resize(messages.size());
  size_t at = 0;
  for (size_t i = 0; i < messages.size(); ++i) {
    std::copy(messages[i].begin(), messages[i].end(), batch.bytes.begin() + at);
    Record& r = batch.records[i];
    r.position.line = static_cast<int64_t>(i + 1);
    r.raw = std::string_view(batch.bytes.data() + at, messages[i].size());
    r.json = r.raw;
    at += messages[i].size() + simdjson::SIMDJSON_PADDING;
  }
}

}  // namespace gongshi::fuzz
