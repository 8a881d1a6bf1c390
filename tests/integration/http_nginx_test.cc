// The happy path against a real HTTP server: Debian's nginx on loopback (tests/support/nginx.h)
// receives every feed batch of a `gongshi run` once, with its idempotency key, sequence, record
// count, full body (Content-Length, all of it read) and SHA-256 as the feed manifests give them,
// and answers with a receipt; `gongshi reconcile` counts what nginx answered.
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/support/feed_batches.h"
#include "tests/support/http_receiver.h"
#include "tests/support/nginx.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;

// What nginx must have seen of a batch, from its manifests and the feed files they vouch for.
struct Expected {
  std::string sequence;
  long records = 0;
  std::string body;  // the feed files' bytes, license then penalty: the body the sink posts
};

std::map<std::string, Expected> FromManifests(const std::string& out) {
  std::map<std::string, Expected> batches;
  // FeedManifests lists license, then penalty: the order of the body the sink posts.
  for (const testing::FeedManifest& m : testing::FeedManifests(out)) {
    const std::string feed =
        testing::ReadFile((fs::path(out) / "feeds" / m.kind / m.feed_file).string());
    EXPECT_EQ(testing::Sha256Hex(feed), m.sha256) << m.file;
    Expected& batch = batches[m.batch_id];
    batch.sequence = std::to_string(m.sequence);
    batch.records += static_cast<long>(m.records);
    batch.body += feed;
  }
  return batches;
}

// A GET on loopback whose answer is not looked at: it leaves a line in nginx's access log.
void Get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[4096];
    while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
    }
  }
  ::close(fd);
}

TEST(HttpNginxTest, EveryBatchArrivesOnceWithItsKeyAndBody) {
  testing::TempDir dir;
  auto nginx = testing::Nginx::Start({.authorization = "Bearer s3cret"});
  ASSERT_NE(nginx, nullptr);
  ASSERT_EQ(
      testing::Run({"generate", "--count", "2500", "--seed", "91", "--out", dir / "in.ndjson"},
                   dir.path())
          .exit_code,
      0);
  testing::WriteFile(dir / "token", "s3cret");
  testing::WriteFile(dir / "config.yaml",
                     fmt::format("batch: {{max_records: 300}}\nhttp:\n  url: {}\n  auth: "
                                 "{{token_file: {}}}\n",
                                 nginx->Url(), dir / "token"));
  const testing::ProcessResult result = testing::Run(
      {"run", "--input", dir / "in.ndjson", "--out", dir / "out", "--config", dir / "config.yaml"},
      dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ParseSummary(result.out).at("http_pending"), 0u) << result.out;

  const std::map<std::string, Expected> expected = FromManifests(dir / "out");
  ASSERT_GT(expected.size(), 5u);
  // gongshi has exited, so every request it made was answered; nginx writes a request's line
  // after its answer. Its one worker takes requests in turn: once the line of a request made now
  // is there, every line of gongshi's is (a late duplicate would be seen, not missed).
  Get(nginx->port(), "/gongshi-test-end");
  std::vector<testing::AccessLogLine> lines;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    lines = nginx->AccessLog();
    if (!lines.empty() && lines.back().uri == "/gongshi-test-end") break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the end marker never logged";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a poll interval
  }
  lines.pop_back();

  std::map<std::string, int> seen;
  for (const testing::AccessLogLine& line : lines) {
    EXPECT_EQ(line.method, "POST") << line.raw;
    EXPECT_EQ(line.status, 200) << line.raw;
    ++seen[line.idempotency_key];
    ASSERT_EQ(expected.count(line.idempotency_key), 1u) << line.raw;
    const Expected& batch = expected.at(line.idempotency_key);
    EXPECT_EQ(line.content_length, static_cast<long>(batch.body.size())) << line.raw;
    EXPECT_GT(line.request_length, line.content_length) << "the whole body was read: " << line.raw;
    EXPECT_EQ(line.content_sha256, testing::Sha256Hex(batch.body)) << line.raw;
    EXPECT_EQ(line.batch_sequence, batch.sequence) << line.raw;
    EXPECT_EQ(line.records, std::to_string(batch.records)) << line.raw;
  }
  EXPECT_EQ(seen.size(), expected.size());
  for (const auto& [key, times] : seen) EXPECT_EQ(times, 1) << key;

  const testing::ProcessResult books = testing::Run(
      {"reconcile", "--config", dir / "config.yaml", "--out", dir / "out"}, dir.path());
  ASSERT_EQ(books.exit_code, 0) << books.err;
  std::smatch totals;
  ASSERT_TRUE(std::regex_search(books.out, totals,
                                std::regex(R"(acknowledged=(\d+) refused=(\d+) waiting=(\d+))")))
      << books.out;
  EXPECT_EQ(std::stoull(totals[1]), seen.size()) << "acknowledged = the batches nginx answered";
  EXPECT_EQ(totals[2], "0");
  EXPECT_EQ(totals[3], "0");
}

}  // namespace
}  // namespace gongshi
