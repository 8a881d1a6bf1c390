// Replays a fuzz target's checked-in inputs through its LLVMFuzzerTestOneInput, so the corpora
// and every input that once crashed run under CTest in the normal builds (g++ release and
// ASan+UBSan), where the fuzzers themselves are not built.
//
// Written here rather than taken from elsewhere: g++ 12 has no -fsanitize=fuzzer, so libFuzzer's
// own main (and its -runs=0 replay) exists only in the clang build; LLVM's standalone driver
// (StandaloneFuzzTargetMain.c) is not in any Debian 12 package; and we want what neither does:
// fail when the corpus directory is missing or empty (a wrong path must not pass as "replayed
// nothing"), and name the input that failed even when a signal, not an invariant, ends the run.
//
// Usage: <target>_replay CORPUS_DIR [--if-present DIR]... ; files are fed in name order.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "tests/fuzz/fuzz_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define GONGSHI_REPLAY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GONGSHI_REPLAY_SANITIZED 1
#endif
#endif

#ifdef GONGSHI_REPLAY_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Written from the signal handler and the sanitizer's death callback: a fixed buffer, no
// allocation.
char g_current[4096];

void SayWhich() {
  static constexpr char kPrefix[] = "\nfuzz replay: failed on input ";
  const size_t n = std::strlen(g_current);
  if (n == 0) return;
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  ignored = ::write(STDERR_FILENO, g_current, n);
  ignored = ::write(STDERR_FILENO, "\n", 1);
}

#ifndef GONGSHI_REPLAY_SANITIZED
// Without a sanitizer nothing reports a crash but the shell: say which input it was, then die of
// the same signal so the test fails the same way. (Under ASan its own handler must stay: it
// prints the stack; the death callback names the input instead.)
void OnFatalSignal(int sig) {
  SayWhich();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
#endif

bool Collect(const std::filesystem::path& dir, bool required, std::vector<std::string>& files) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    if (!required) return true;
    std::fprintf(stderr, "fuzz replay: %s is not a directory\n", dir.c_str());
    return false;
  }
  size_t found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // .gitkeep, editor files
    files.push_back(entry.path().string());
    ++found;
  }
  if (error) {
    std::fprintf(stderr, "fuzz replay: cannot list %s: %s\n", dir.c_str(), error.message().c_str());
    return false;
  }
  if (required && found == 0) {
    std::fprintf(stderr, "fuzz replay: %s holds no inputs\n", dir.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  bool ok = argc > 1;
  for (int i = 1; ok && i < argc; ++i) {
    if (std::string_view(argv[i]) == "--if-present" && i + 1 < argc) {
      ok = Collect(argv[++i], /*required=*/false, files);
    } else {
      ok = Collect(argv[i], /*required=*/true, files);
    }
  }
  if (!ok) {
    if (argc <= 1) std::fprintf(stderr, "usage: %s CORPUS_DIR [--if-present DIR]...\n", argv[0]);
    return 2;
  }
  std::sort(files.begin(), files.end());

#ifdef GONGSHI_REPLAY_SANITIZED
  __sanitizer_set_death_callback(SayWhich);
#else
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, OnFatalSignal);
#endif

  size_t bytes = 0;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", path.c_str());
      return 2;
    }
    // A heap block of exactly the input's size, as libFuzzer passes it: a read past the end is
    // outside the allocation and ASan reports it.
    const std::unique_ptr<uint8_t[]> data(new uint8_t[std::max<size_t>(content.size(), 1)]);
    std::memcpy(data.get(), content.data(), content.size());
    std::snprintf(g_current, sizeof g_current, "%s", path.c_str());
    gongshi::fuzz::g_replay_input = g_current;
    LLVMFuzzerTestOneInput(data.get(), content.size());
    bytes += content.size();
  }
  g_current[0] = '\0';
  std::printf("fuzz replay: %zu inputs, %zu bytes, every invariant held\n", files.size(), bytes);
  return 0;
}
