// Running the gongshi binary from tests: exit status, stdout, peak memory, and killing it.
#pragma once

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/test_support.h"

namespace gongshi::testing {

// A loopback port nothing listens on as it returns (the kernel's choice for a socket bound to port
// 0, then closed): for a server the test starts next, or for a broker that is not there.
inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

inline std::string GongshiBinary() {
  const char* bin = std::getenv("GONGSHI_BIN");
  return bin != nullptr ? bin : GONGSHI_BIN_PATH;
}

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;  // stdout
  std::string err;  // stderr
  long max_rss_kb = 0;
};

// Starts gongshi with `args`; stdout and stderr go to files under `dir`. Returns the pid.
inline pid_t Start(const std::vector<std::string>& args, const std::string& dir,
                   const std::vector<std::string>& env = {}, const std::string& stdin_path = "") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open((dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!stdin_path.empty()) {
      const int in = ::open(stdin_path.c_str(), O_RDONLY);
      ::dup2(in, 0);
    }
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    const std::string bin = GongshiBinary();
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

inline ProcessResult Wait(pid_t pid, const std::string& dir) {
  ProcessResult result;
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.max_rss_kb = usage.ru_maxrss;
  result.out = ReadFile(dir + "/stdout");
  result.err = ReadFile(dir + "/stderr");
  return result;
}

inline ProcessResult Run(const std::vector<std::string>& args, const std::string& dir,
                         const std::vector<std::string>& env = {},
                         const std::string& stdin_path = "") {
  return Wait(Start(args, dir, env, stdin_path), dir);
}

// The summary line's top-level numbers and the members of its nested count objects
// ("reject_reasons.uscc_checksum").
inline std::map<std::string, uint64_t> ParseSummary(const std::string& out) {
  std::map<std::string, uint64_t> counts;
  const size_t start = out.rfind("{\"read\"");
  if (start == std::string::npos) return counts;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(out.substr(start, out.find('\n', start) - start)).get(object)) return counts;
  for (auto [key, value] : object) {
    uint64_t n = 0;
    bool flag = false;
    simdjson::dom::object nested;
    if (!value.get(flag)) {
      counts[std::string(key)] = flag ? 1 : 0;
    } else if (!value.get(n)) {
      counts[std::string(key)] = n;
    } else if (!value.get(nested)) {
      for (auto [k, v] : nested) {
        if (!v.get(n)) counts[std::string(key) + "." + std::string(k)] = n;
      }
    }
  }
  return counts;
}

}  // namespace gongshi::testing
