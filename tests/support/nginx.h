// Nginx: Debian's nginx on 127.0.0.1 as a stand-in disclosure site for the HTTP sink's tests —
// a real, independent HTTP/1.1 implementation (keep-alive, 100-continue, request bodies buffered
// to disk) where HttpReceiver is ours. Config, pid file, logs and temp files live in a temp dir.
#pragma once

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/process.h"
#include "tests/support/test_support.h"

extern char** environ;

namespace gongshi::testing {

// One line of the access log (log_format gongshi_feeds below). "-" (nginx's empty) becomes "".
struct AccessLogLine {
  std::string method;
  std::string uri;  // $uri: the path, no query
  int status = 0;
  long request_length = 0;   // request line, headers and the body as read
  long content_length = -1;  // the Content-Length header; -1 if none
  std::string idempotency_key;
  std::string batch_sequence;  // X-Gongshi-Batch-Sequence
  std::string records;         // X-Gongshi-Records
  std::string content_sha256;  // X-Gongshi-Content-SHA256
  std::string request_id;      // $request_id, also the receipt in the answer's body
  long connection = 0;         // $connection: equal on a reused (keep-alive) connection
  long connection_requests = 0;
  std::string raw;
};

struct NginxOptions {
  std::string authorization;  // the Authorization header required (else 401); empty: any
  size_t client_max_body_size = 64u << 20;  // larger bodies get 413
};

class Nginx {
 public:
  // The binary: $GONGSHI_NGINX, else Debian's /usr/sbin/nginx.
  static std::string Binary() {
    const char* bin = std::getenv("GONGSHI_NGINX");
    return bin != nullptr ? bin : "/usr/sbin/nginx";
  }

  // Starts nginx and waits until it listens; nullptr (with a test failure that says why) if not.
  static std::unique_ptr<Nginx> Start(NginxOptions options = {}) {
    if (::access(Binary().c_str(), X_OK) != 0) {
      ADD_FAILURE() << "nginx is not installed (" << Binary()
                    << " not found): deploy/setup.sh installs it (Debian package nginx)";
      return nullptr;
    }
    std::unique_ptr<Nginx> nginx(new Nginx(std::move(options)));
    // The port is found by binding port 0 and closing; another process may take it before nginx
    // binds, so a start that fails with EADDRINUSE is tried again on a new port.
    for (int attempt = 0; attempt < 5; ++attempt) {
      std::string error;
      if (nginx->StartOnce(error)) return nginx;
      if (error.find("Address already in use") == std::string::npos) {
        ADD_FAILURE() << "nginx did not start: " << error;
        return nullptr;
      }
    }
    ADD_FAILURE() << "nginx did not start: no free port after 5 attempts";
    return nullptr;
  }

  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  ~Nginx() { Stop(); }

  int port() const { return port_; }
  std::string Url(const std::string& path = "/feeds") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::string& dir() const { return dir_.path(); }
  std::string ErrorLog() const { return ReadFile(dir_ / "error.log"); }

  std::vector<AccessLogLine> AccessLog() const {
    std::vector<AccessLogLine> lines;
    std::istringstream in(ReadFile(dir_ / "access.log"));
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields;
      size_t start = 0;
      for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
        fields.push_back(line.substr(start, tab - start));
      }
      fields.push_back(line.substr(start));
      if (fields.size() != 12) continue;  // a line still being written
      for (std::string& f : fields) {
        if (f == "-") f.clear();
      }
      const auto number = [](const std::string& s, long none) {
        return s.empty() ? none : std::strtol(s.c_str(), nullptr, 10);
      };
      AccessLogLine l;
      l.method = fields[0];
      l.uri = fields[1];
      l.status = static_cast<int>(number(fields[2], 0));
      l.request_length = number(fields[3], 0);
      l.content_length = number(fields[4], -1);
      l.idempotency_key = fields[5];
      l.batch_sequence = fields[6];
      l.records = fields[7];
      l.content_sha256 = fields[8];
      l.request_id = fields[9];
      l.connection = number(fields[10], 0);
      l.connection_requests = number(fields[11], 0);
      l.raw = line;
      lines.push_back(std::move(l));
    }
    return lines;
  }

  // nginx writes a request's log line after it has sent the answer: a client that has its answer
  // may look a moment too early.
  bool WaitForAccessLog(size_t lines, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (AccessLog().size() < lines) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  explicit Nginx(NginxOptions options) : options_(std::move(options)) {}


  // Why the config is shaped so:
  // - `return 200` alone answers before the body is read and then discards it (measured with
  //   Debian 12's nginx 1.22: curl has the 200 while still uploading, and $request_length holds
  //   only the headers; NginxTest checks it is larger than the body). A receipt must come after
  //   the whole batch arrived, so /feeds proxies: the proxy module reads the entire body first
  //   (proxy_request_buffering is on by default; it answers Expect: 100-continue, and bodies over
  //   client_body_buffer_size go to client_body_temp_path), then asks a second server, on a unix
  //   socket in the temp dir, for the receipt. The body is not passed on
  //   (proxy_pass_request_body off): reading it was the point.
  // - Every *_temp_path is set because nginx creates all five at start-up, by default under
  //   /var/lib/nginx; pid, error log (-e, for messages before the config is read) and access log
  //   are in the temp dir too, so nothing under /var or /etc is written.
  // - As root, the workers would run as nobody and could neither write body temp files in the
  //   0700 temp dir (500) nor connect to the unix socket (502): `user` keeps them as the caller.
  //   Not root, nginx ignores `user` with a warning, so it is left out.
  std::string Config() const {
    const std::string d = dir_.path();
    std::string user;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwuid(::geteuid());
      const group* gr = ::getgrgid(::getegid());
      user = "user " + std::string(pw != nullptr ? pw->pw_name : "root") + " " +
             std::string(gr != nullptr ? gr->gr_name : "root") + ";\n";
    }
    std::string auth;
    if (!options_.authorization.empty()) {
      // `if` with `return` is one of the two uses of `if` in a location that nginx guarantees.
      auth = "      if ($http_authorization != \"" + options_.authorization +
             "\") { return 401 '{\"error\":\"wrong or missing Authorization\"}'; }\n";
    }
    return user +
           "worker_processes 1;\n"
           "pid " +
           d +
           "/nginx.pid;\n"
           "error_log " +
           d +
           "/error.log info;\n"
           "events { worker_connections 256; }\n"
           "http {\n"
           "  client_body_temp_path " +
           d +
           "/client_body;\n"
           "  proxy_temp_path " +
           d +
           "/proxy;\n"
           "  fastcgi_temp_path " +
           d +
           "/fastcgi;\n"
           "  uwsgi_temp_path " +
           d +
           "/uwsgi;\n"
           "  scgi_temp_path " +
           d +
           "/scgi;\n"
           // Tab-separated: nginx's default log escaping writes a tab inside a value as \x09.
           "  log_format gongshi_feeds '$request_method\\t$uri\\t$status\\t$request_length\\t"
           "$content_length\\t$http_idempotency_key\\t$http_x_gongshi_batch_sequence\\t"
           "$http_x_gongshi_records\\t$http_x_gongshi_content_sha256\\t$request_id\\t"
           "$connection\\t$connection_requests';\n"
           "  access_log " +
           d +
           "/access.log gongshi_feeds;\n"
           "  default_type application/json;\n"
           "  server {\n"
           "    listen 127.0.0.1:" +
           std::to_string(port_) +
           ";\n"
           "    client_max_body_size " +
           std::to_string(options_.client_max_body_size) +
           ";\n"
           "    location /feeds {\n"
           "      limit_except POST { deny all; }\n" +
           auth + "      proxy_pass http://unix:" + d +
           "/receipt.sock:/receipt;\n"
           "      proxy_pass_request_body off;\n"
           "      proxy_set_header Content-Length \"\";\n"
           "      proxy_set_header X-Gongshi-Receipt $request_id;\n"
           "    }\n"
           "    location / { return 404 '{\"error\":\"not found\"}'; }\n"
           "  }\n"
           "  server {\n"
           "    listen unix:" +
           d +
           "/receipt.sock;\n"
           "    access_log off;\n"
           "    location / { return 200 '{\"receipt\":\"$http_x_gongshi_receipt\"}'; }\n"
           "  }\n"
           "}\n";
  }

  bool StartOnce(std::string& error) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) {
      error = "no free port on 127.0.0.1";
      return false;
    }
    ::unlink((dir_ / "nginx.pid").c_str());
    ::unlink((dir_ / "receipt.sock").c_str());
    WriteFile(dir_ / "nginx.conf", Config());
    const std::string bin = Binary();
    const std::string prefix = dir_.path() + "/";
    const std::string conf = dir_ / "nginx.conf";
    const std::string error_log = dir_ / "error.log";
    const std::string out = dir_ / "nginx.out";
    std::vector<std::string> args = {bin,  "-p",      prefix, "-c",         conf,
                                     "-e", error_log, "-g",   "daemon off;"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // Its own process group, so that a master that will not stop is killed with its worker.
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    const int spawned =
        ::posix_spawn(&pid_, bin.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) {
      pid_ = -1;
      error = "posix_spawn " + bin + ": " + std::strerror(spawned);
      return false;
    }
    // nginx writes its pid file after it has bound the listening sockets; nginx retries a busy
    // port for about 2.5 s before it gives up.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error = ReadFile(out) + ReadFile(error_log);
        return false;
      }
      if (std::atoi(ReadFile(dir_ / "nginx.pid").c_str()) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error = "no pid file after 20 s: " + ReadFile(out) + ReadFile(error_log);
    Stop();
    return false;
  }

  // SIGTERM is nginx's fast shutdown: the master stops its worker and exits.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

  NginxOptions options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gongshi::testing
