// Tests of the HTTP sink's single attempt: what each answer means for the batch, the site's
// Retry-After in both forms, the backoff, and the headers a POST carries (against the
// fault-injecting receiver of tests/support/http_receiver.h, on loopback).
#include "pipeline/sink/http_sink.h"

#include <gtest/gtest.h>

#include "pipeline/sink/feed_writer.h"
#include "tests/support/http_receiver.h"

namespace gongshi {
namespace {

using testing::Fault;
using testing::HttpReceiver;

HttpSinkOptions Options(std::string url, std::string auth = "",
                        uint64_t connect_timeout_ms = 5000) {
  HttpSinkOptions options;
  options.url = std::move(url);
  options.auth_header = std::move(auth);
  options.connect_timeout_ms = connect_timeout_ms;
  return options;
}

TEST(HttpSinkTest, WhatAnAnswerMeans) {
  EXPECT_EQ(ClassifyStatus(200), Delivery::kAcknowledged);
  EXPECT_EQ(ClassifyStatus(201), Delivery::kAcknowledged);
  EXPECT_EQ(ClassifyStatus(204), Delivery::kAcknowledged);
  for (int status : {0, 408, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyStatus(status), Delivery::kRetry) << status;
  }
  for (int status : {301, 400, 401, 403, 404, 409, 413, 422}) {
    EXPECT_EQ(ClassifyStatus(status), Delivery::kRefused) << status;
  }
}

TEST(HttpSinkTest, RetryAfterInSecondsOrAsADate) {
  EXPECT_EQ(ParseRetryAfter("120", 0), 120000);
  EXPECT_EQ(ParseRetryAfter("0", 0), 0);
  // 2026-12-01 00:00:00 GMT is 1796083200.
  const int64_t now_ms = 1796083200LL * 1000;
  EXPECT_EQ(ParseRetryAfter("Tue, 01 Dec 2026 00:00:30 GMT", now_ms), 30000);
  EXPECT_EQ(ParseRetryAfter("Tue, 01 Dec 2026 00:00:00 GMT", now_ms + 5000), 0) << "past: at once";
  EXPECT_EQ(ParseRetryAfter("", 0), -1);
  EXPECT_EQ(ParseRetryAfter("soon", 0), -1);
  EXPECT_EQ(ParseRetryAfter("-5", 0), -1);
}

TEST(HttpSinkTest, BackoffDoublesWithJitterAndHonoursRetryAfter) {
  for (uint64_t random : {0ull, 1ull, 12345ull, ~0ull}) {
    for (uint32_t attempt = 1; attempt <= 12; ++attempt) {
      const int64_t ceiling = std::min<int64_t>(60000, 500LL << (attempt - 1));
      const int64_t wait = BackoffMs(attempt, -1, 500, 60000, random);
      EXPECT_GE(wait, ceiling / 2) << attempt;
      EXPECT_LE(wait, ceiling) << attempt;
    }
  }
  EXPECT_EQ(BackoffMs(3, 7000, 500, 60000, 99), 7000) << "the site's Retry-After";
  EXPECT_EQ(BackoffMs(3, 600000, 500, 60000, 99), 60000) << "capped";
}

TEST(HttpSinkTest, APostCarriesTheBatchAndIsClassified) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  auto sink = HttpSink::Create(Options(receiver->Url(), "Authorization: Bearer s3cret"));
  ASSERT_TRUE(sink) << sink.error().message();
  const std::string body = "{\"op\":\"upsert\"}\n{\"op\":\"withdraw\"}\n";
  const std::string id(32, 'a');
  const std::string digest = HexEncode(Sha256(body));
  HttpAnswer answer = (*sink)->Post(body, id, 7, 2, digest);
  EXPECT_EQ(answer.delivery, Delivery::kAcknowledged) << answer.error;
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.body.find("receipt"), std::string::npos);
  const auto requests = receiver->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), id);
  EXPECT_EQ(requests[0].headers.at("x-gongshi-batch-sequence"), "7");
  EXPECT_EQ(requests[0].headers.at("x-gongshi-records"), "2");
  EXPECT_EQ(requests[0].body, body);

  receiver->Script({Fault::RetryAfterSeconds(3), Fault::Status(400, "bad field"), Fault::Reset()});
  answer = (*sink)->Post(body, std::string(32, 'b'), 8, 2, digest);
  EXPECT_EQ(answer.delivery, Delivery::kRetry);
  EXPECT_EQ(answer.status, 429);
  EXPECT_EQ(answer.retry_after_ms, 3000);
  answer = (*sink)->Post(body, std::string(32, 'b'), 8, 2, digest);
  EXPECT_EQ(answer.delivery, Delivery::kRefused);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("bad field"), std::string::npos);
  answer = (*sink)->Post(body, std::string(32, 'b'), 8, 2, digest);
  // A reset on a reused connection is re-sent by curl itself once; either way it ends answered
  // or as a retry, never as acknowledged without the receiver's acceptance.
  if (answer.delivery == Delivery::kAcknowledged) {
    EXPECT_EQ(receiver->accepted().count(std::string(32, 'b')), 1u);
  } else {
    EXPECT_EQ(answer.delivery, Delivery::kRetry);
    EXPECT_EQ(answer.status, 0);
  }
  auto bad_url = HttpSink::Create(Options("ftp://site"));
  EXPECT_FALSE(bad_url);
}

TEST(HttpSinkTest, WrongTokenIsRefusedNotRetried) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer right"});
  ASSERT_NE(receiver, nullptr);
  auto sink = HttpSink::Create(Options(receiver->Url(), "Authorization: Bearer wrong"));
  ASSERT_TRUE(sink);
  const std::string body = "{}\n";
  const HttpAnswer answer =
      (*sink)->Post(body, std::string(32, 'c'), 1, 1, HexEncode(Sha256(body)));
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.delivery, Delivery::kRefused);
}

TEST(HttpSinkTest, NoSiteIsARetry) {
  auto sink = HttpSink::Create(Options("http://127.0.0.1:1/feeds", "", 500));
  ASSERT_TRUE(sink);
  const HttpAnswer answer = (*sink)->Post("{}\n", std::string(32, 'd'), 1, 1, "00");
  EXPECT_EQ(answer.delivery, Delivery::kRetry);
  EXPECT_EQ(answer.status, 0);
  EXPECT_FALSE(answer.error.empty());
}

}  // namespace
}  // namespace gongshi
