// Nginx, the stand-in disclosure site, driven with libcurl as the HTTP sink drives it: POSTed
// batches are read whole, answered 200 with a receipt, and logged with their keys and lengths.
#include "tests/support/nginx.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support_test/curl_client.h"

namespace gongshi::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const CURLcode kCurlGlobalInit = curl_global_init(CURL_GLOBAL_DEFAULT);

TEST(NginxTest, AcceptsPostedBatchesAndLogsTheirKeysAndLengths) {
  ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
  const std::unique_ptr<Nginx> nginx = Nginx::Start();
  ASSERT_NE(nginx, nullptr);
  // One small; one over 64 KiB (and over nginx's client_body_buffer_size, so it goes through
  // the body temp file); one over 1 MiB, which curl 7.88 sends with Expect: 100-continue.
  const std::vector<Batch> batches = {
      {Key(1), NdjsonBody(1), 1, 1},
      {Key(2), NdjsonBody(3000), 2, 3000},
      {Key(3), NdjsonBody(1, 1536 * 1024), 3, 1},
  };
  ASSERT_GT(batches[1].body.size(), 64u * 1024);
  CurlClient client;
  std::vector<std::string> receipts;
  for (const Batch& batch : batches) {
    const CurlResult result = client.Post(nginx->Url(), batch);
    ASSERT_EQ(result.code, CURLE_OK) << result.error;
    EXPECT_EQ(result.status, 200) << result.body << "\n" << nginx->ErrorLog();
    EXPECT_THAT(result.body, MatchesRegex(R"(\{"receipt":"[0-9a-f]{32}"\})"));
    EXPECT_EQ(result.headers.at("content-type"), "application/json");
    receipts.push_back(result.body.substr(12, 32));
    if (batch.body.size() > 1024 * 1024) {
      EXPECT_THAT(result.status_lines, ElementsAre(HasSubstr("100 Continue"), HasSubstr("200")));
    }
  }

  ASSERT_TRUE(nginx->WaitForAccessLog(batches.size(), std::chrono::seconds(10)));
  const std::vector<AccessLogLine> log = nginx->AccessLog();
  ASSERT_EQ(log.size(), batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    SCOPED_TRACE(log[i].raw);
    EXPECT_EQ(log[i].method, "POST");
    EXPECT_EQ(log[i].uri, "/feeds");
    EXPECT_EQ(log[i].status, 200);
    EXPECT_EQ(log[i].idempotency_key, batches[i].key);
    EXPECT_EQ(log[i].batch_sequence, std::to_string(batches[i].sequence));
    EXPECT_EQ(log[i].records, std::to_string(batches[i].records));
    EXPECT_EQ(log[i].content_sha256, Sha256Hex(batches[i].body));
    EXPECT_EQ(log[i].content_length, static_cast<long>(batches[i].body.size()));
    // The body was read before the answer, not discarded after it: it is in the request length.
    EXPECT_GT(log[i].request_length, static_cast<long>(batches[i].body.size()));
    EXPECT_EQ(log[i].request_id, receipts[i]);
    EXPECT_EQ(log[i].connection, log[0].connection);  // keep-alive: one connection for all three
    EXPECT_EQ(log[i].connection_requests, static_cast<long>(i + 1));
  }
}

TEST(NginxTest, OnlyPostOnFeeds) {
  ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
  const std::unique_ptr<Nginx> nginx = Nginx::Start();
  ASSERT_NE(nginx, nullptr);
  CurlClient client;
  EXPECT_EQ(client.Get(nginx->Url()).status, 403);
  EXPECT_EQ(client.Post(nginx->Url("/elsewhere"), {Key(1), NdjsonBody(1)}).status, 404);
  ASSERT_TRUE(nginx->WaitForAccessLog(2, std::chrono::seconds(10)));
  EXPECT_EQ(nginx->AccessLog()[0].method, "GET");
  EXPECT_EQ(nginx->AccessLog()[0].content_length, -1);
  EXPECT_EQ(nginx->AccessLog()[1].uri, "/elsewhere");
}

TEST(NginxTest, RequiresTheConfiguredAuthorization) {
  ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
  NginxOptions options;
  options.authorization = "Bearer s3cret";
  const std::unique_ptr<Nginx> nginx = Nginx::Start(options);
  ASSERT_NE(nginx, nullptr);
  CurlClient client;
  const Batch batch{Key(1), NdjsonBody(1, 8 * 1024)};
  const CurlResult missing = client.Post(nginx->Url(), batch);
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.body, HasSubstr("Authorization"));
  EXPECT_EQ(client.Post(nginx->Url(), batch, {"Authorization: Bearer guess"}).status, 401);
  EXPECT_EQ(client.Post(nginx->Url(), batch, {"Authorization: Bearer s3cret"}).status, 200);
}

TEST(NginxTest, BodyOverTheLimitIs413) {
  ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
  NginxOptions options;
  options.client_max_body_size = 4096;
  const std::unique_ptr<Nginx> nginx = Nginx::Start(options);
  ASSERT_NE(nginx, nullptr);
  CurlClient client;
  EXPECT_EQ(client.Post(nginx->Url(), {Key(1), NdjsonBody(1, 8192)}).status, 413);
}

TEST(NginxTest, TwoAtOnceGetTheirOwnPortsAndDirectories) {
  const std::unique_ptr<Nginx> a = Nginx::Start();
  const std::unique_ptr<Nginx> b = Nginx::Start();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->dir(), b->dir());
  EXPECT_THAT(a->dir(), ::testing::Not(HasSubstr("/var/")));
}

}  // namespace
}  // namespace gongshi::testing
