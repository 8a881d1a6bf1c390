// HttpReceiver, driven with libcurl as the HTTP sink drives a disclosure site: normal service and
// its books (acceptances per key, deduplicating or not; repeats; re-sends; the faults that explain
// them; the request log), every fault kind as curl sees it, the request hook, and the checks of
// normal service.
#include "tests/support/http_receiver.h"

#include <future>
#include <thread>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support_test/curl_client.h"

namespace gongshi::testing {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

const CURLcode kCurlGlobalInit = curl_global_init(CURL_GLOBAL_DEFAULT);

class HttpReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
    receiver_ = HttpReceiver::Start();
    ASSERT_NE(receiver_, nullptr);
  }

  std::unique_ptr<HttpReceiver> receiver_;
  CurlClient client_;
};

TEST_F(HttpReceiverTest, AcceptsABatchAndAnswersWithAReceipt) {
  const Batch batch{Key(1), NdjsonBody(3), 7, 3};
  const CurlResult result = client_.Post(receiver_->Url(), batch);
  ASSERT_EQ(result.code, CURLE_OK) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, R"({"receipt":"r-1"})");
  EXPECT_EQ(result.headers.at("content-type"), "application/json");
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), IsEmpty());
  EXPECT_THAT(receiver_->accepted_bodies(), ElementsAre(Pair(Key(1), batch.body)));

  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/feeds");
  EXPECT_EQ(requests[0].body, batch.body);
  EXPECT_EQ(requests[0].status_sent, 200);
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), Key(1));  // names lower-cased
  EXPECT_EQ(requests[0].headers.at("x-gongshi-batch-sequence"), "7");
  EXPECT_EQ(requests[0].headers.at("x-gongshi-records"), "3");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-ndjson");
  // The log's own columns.
  EXPECT_EQ(requests[0].idempotency_key, Key(1));
  EXPECT_EQ(requests[0].sequence, "7");
  EXPECT_EQ(requests[0].body_sha256, Sha256Hex(batch.body));
  EXPECT_TRUE(requests[0].stored);
  EXPECT_FALSE(requests[0].repeat);
  EXPECT_FALSE(requests[0].fault.has_value());
  EXPECT_FALSE(requests[0].client_gone);
  EXPECT_FALSE(requests[0].dropped);
  EXPECT_THAT(receiver_->resends(), IsEmpty());
  EXPECT_EQ(receiver_->faults_injected(), 0u);
}

TEST_F(HttpReceiverTest, RepeatOfAnAcceptedKeyGetsTheSameAnswerAndCountsAsARepeat) {
  const Batch first{Key(1), NdjsonBody(2)};
  const Batch second{Key(2), NdjsonBody(5)};
  const CurlResult a = client_.Post(receiver_->Url(), first);
  const CurlResult b = client_.Post(receiver_->Url(), second);
  const CurlResult again = client_.Post(receiver_->Url(), first);
  const CurlResult and_again = client_.Post(receiver_->Url(), first);
  EXPECT_EQ(a.body, R"({"receipt":"r-1"})");
  EXPECT_EQ(b.body, R"({"receipt":"r-2"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, a.body);
  EXPECT_EQ(and_again.body, a.body);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1), Pair(Key(2), 1)));
  EXPECT_THAT(receiver_->repeats(), ElementsAre(Pair(Key(1), 2)));
  EXPECT_THAT(receiver_->conflicts(), IsEmpty());
  EXPECT_THAT(receiver_->resends(), ElementsAre(Pair(Key(1), 2)));
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_TRUE(requests[0].stored);
  EXPECT_TRUE(requests[2].repeat);
  EXPECT_FALSE(requests[2].stored);
  EXPECT_EQ(requests[2].status_sent, 200);
  EXPECT_EQ(requests[3].body_sha256, requests[0].body_sha256);
}

// A site that ignores Idempotency-Key stores a batch sent twice twice: the books say so, which is
// what lets a test see a sink's second acceptance.
TEST(HttpReceiverNoDedupeTest, AKeySentTwiceIsAcceptedTwice) {
  ASSERT_EQ(kCurlGlobalInit, CURLE_OK);
  HttpReceiverOptions options;
  options.deduplicate = false;
  const std::unique_ptr<HttpReceiver> receiver = HttpReceiver::Start(options);
  ASSERT_NE(receiver, nullptr);
  CurlClient client;
  const Batch batch{Key(1), NdjsonBody(2)};
  const CurlResult a = client.Post(receiver->Url(), batch);
  const CurlResult b = client.Post(receiver->Url(), batch);
  const CurlResult other = client.Post(receiver->Url(), {Key(2), NdjsonBody(1)});
  EXPECT_EQ(a.body, R"({"receipt":"r-1"})");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, R"({"receipt":"r-2"})") << "a second receipt for a second acceptance";
  EXPECT_EQ(other.body, R"({"receipt":"r-3"})");
  EXPECT_THAT(receiver->accepted(), ElementsAre(Pair(Key(1), 2), Pair(Key(2), 1)));
  EXPECT_THAT(receiver->repeats(), IsEmpty());
  EXPECT_THAT(receiver->resends(), ElementsAre(Pair(Key(1), 1)));
  const std::vector<ReceivedRequest> requests = receiver->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[0].stored);
  EXPECT_TRUE(requests[1].stored);
  EXPECT_FALSE(requests[1].repeat);
  // Another body under the same key is no conflict either: the key is not looked at.
  EXPECT_EQ(client.Post(receiver->Url(), {Key(1), NdjsonBody(7)}).status, 200);
  EXPECT_EQ(receiver->accepted().at(Key(1)), 3);
  EXPECT_THAT(receiver->conflicts(), IsEmpty());
  EXPECT_EQ(receiver->accepted_bodies().at(Key(1)), batch.body) << "the first acceptance's";
}

TEST_F(HttpReceiverTest, AcceptedKeyWithAnotherBodyIs422AndNotARepeat) {
  ASSERT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(2)}).status, 200);
  const CurlResult result = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(3)});
  EXPECT_EQ(result.status, 422);
  EXPECT_THAT(result.body, HasSubstr("accepted with another body"));
  EXPECT_THAT(receiver_->repeats(), IsEmpty());
  EXPECT_THAT(receiver_->conflicts(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_EQ(receiver_->accepted_bodies().at(Key(1)), NdjsonBody(2));
}

TEST_F(HttpReceiverTest, KeepAliveReusesTheConnection) {
  const CurlResult a = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)});
  const CurlResult b = client_.Post(receiver_->Url(), {Key(2), NdjsonBody(1)});
  ASSERT_EQ(b.code, CURLE_OK) << b.error;
  EXPECT_EQ(a.connects, 1);
  EXPECT_EQ(b.connects, 0);  // curl found the connection in its cache
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].connection, requests[1].connection);
}

// curl 7.88 sends Expect: 100-continue for bodies over 1 MiB.
TEST_F(HttpReceiverTest, LargeBodyGets100ContinueBeforeItIsRead) {
  const Batch batch{Key(1), NdjsonBody(1, 1536 * 1024)};
  const CurlResult result = client_.Post(receiver_->Url(), batch);
  ASSERT_EQ(result.code, CURLE_OK) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(result.status_lines, ElementsAre(HasSubstr("100 Continue"), HasSubstr("200 OK")));
  ASSERT_EQ(receiver_->requests().size(), 1u);
  EXPECT_EQ(receiver_->requests()[0].headers.at("expect"), "100-continue");
  EXPECT_EQ(receiver_->accepted_bodies().at(Key(1)), batch.body);
}

TEST_F(HttpReceiverTest, StatusFaultIsAnsweredAndNotAccepted) {
  receiver_->Script({Fault::Status(503), Fault::Status(500, R"({"error":"db down"})")});
  const Batch batch{Key(1), NdjsonBody(2)};
  const CurlResult a = client_.Post(receiver_->Url(), batch);
  const CurlResult b = client_.Post(receiver_->Url(), batch);
  const CurlResult c = client_.Post(receiver_->Url(), batch);  // the script is used up
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(b.status, 500);
  EXPECT_EQ(b.body, R"({"error":"db down"})");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.body, R"({"receipt":"r-1"})");
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), IsEmpty());  // failed attempts are not repeats
  EXPECT_EQ(c.connects, 0);                      // an error status keeps the connection
  EXPECT_THAT(receiver_->resends(), ElementsAre(Pair(Key(1), 2)));
  EXPECT_EQ(receiver_->faults_injected(), 2u);
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].fault, Fault::Kind::kStatus);
  EXPECT_EQ(requests[0].status_sent, 503);
  EXPECT_FALSE(requests[0].stored);
  EXPECT_FALSE(requests[2].fault.has_value());
  EXPECT_TRUE(requests[2].stored);
}

// Every fault but a slow answer keeps a 2xx from its request; the slow answer is a 2xx.
TEST_F(HttpReceiverTest, FaultsInjectedCountsTheFaultsThatKeptA2xxFromTheirRequest) {
  receiver_->Script({Fault::Slow(1), Fault::RetryAfterSeconds(0), Fault::Reset(),
                     Fault::ResetAfterAccept(), Fault::Status(500)});
  for (int i = 0; i < 5; ++i) client_.Post(receiver_->Url(), {Key(i + 1), NdjsonBody(1)});
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  // curl sends again by itself after the reset on the reused connection: 6 requests, 4 faults.
  ASSERT_GE(requests.size(), 5u);
  EXPECT_EQ(receiver_->faults_injected(), 4u);
  EXPECT_EQ(requests[0].fault, Fault::Kind::kSlow);
  EXPECT_EQ(requests[0].status_sent, 200);
  size_t denied = 0;
  for (const ReceivedRequest& r : requests) {
    if (r.fault && *r.fault != Fault::Kind::kSlow) {
      ++denied;
      EXPECT_TRUE(r.status_sent == 0 || r.status_sent >= 300) << r.idempotency_key;
    }
  }
  EXPECT_EQ(denied, 4u);
}

TEST_F(HttpReceiverTest, RetryAfterInSecondsAndAsAnHttpDate) {
  const std::string date = HttpDate(std::chrono::system_clock::now() + std::chrono::seconds(30));
  receiver_->Script({Fault::RetryAfterSeconds(7), Fault::RetryAfterDate(date)});
  const CurlResult a = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)});
  const CurlResult b = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)});
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.headers.at("retry-after"), "7");
  EXPECT_EQ(b.status, 503);
  EXPECT_EQ(b.headers.at("retry-after"), date);
  EXPECT_THAT(date, ::testing::MatchesRegex(
                        "[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT"));
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
}

TEST_F(HttpReceiverTest, SlowAnswerComesAfterTheDelayAndTheBatchIsAccepted) {
  receiver_->Script({Fault::Slow(300)});
  const CurlResult result = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)});
  ASSERT_EQ(result.code, CURLE_OK) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_GE(result.elapsed.count(), 300 * 1000);  // microseconds
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
}

TEST_F(HttpReceiverTest, SlowAnswerPastTheClientTimeoutStillAcceptsAndTheRetryIsARepeat) {
  receiver_->Script({Fault::Slow(2000)});
  const Batch batch{Key(1), NdjsonBody(1)};
  const CurlResult timed_out = client_.Post(receiver_->Url(), batch, {}, /*timeout_ms=*/200);
  EXPECT_EQ(timed_out.code, CURLE_OPERATION_TIMEDOUT);
  const CurlResult retry = client_.Post(receiver_->Url(), batch);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, R"({"receipt":"r-1"})");
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), ElementsAre(Pair(Key(1), 1)));
}

TEST_F(HttpReceiverTest, ResetAfterTheHeadersIsARecvErrorAndNothingIsAccepted) {
  receiver_->Script({Fault::Reset()});
  const CurlResult result = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1, 4096)});
  EXPECT_THAT(result.code, AnyOf(CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING))
      << curl_easy_strerror(result.code);
  EXPECT_EQ(result.status, 0);
  ASSERT_EQ(receiver_->requests().size(), 1u);
  EXPECT_EQ(receiver_->requests()[0].status_sent, 0);
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
}

TEST_F(HttpReceiverTest, ResetMidBodyKeepsOnlyThePartRead) {
  receiver_->Script({Fault::Reset(/*after_body_bytes=*/1000)});
  const CurlResult result = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1, 100 * 1024)});
  EXPECT_THAT(result.code, AnyOf(CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING))
      << curl_easy_strerror(result.code);
  ASSERT_EQ(receiver_->requests().size(), 1u);
  EXPECT_EQ(receiver_->requests()[0].body.size(), 1000u);
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
}

// What the sink must expect: curl re-sends, by itself and once, a request whose reused
// connection died before any answer byte (it cannot tell a reset from a server that closed an
// idle connection). The receiver sees two requests with one key; the sink sees one success.
TEST_F(HttpReceiverTest, ResetOnAReusedConnectionIsResentByCurlItself) {
  ASSERT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}).status, 200);
  receiver_->Script({Fault::Reset()});
  const CurlResult result = client_.Post(receiver_->Url(), {Key(2), NdjsonBody(1)});
  EXPECT_EQ(result.code, CURLE_OK) << result.error;
  EXPECT_EQ(result.status, 200);
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].headers.at("idempotency-key"), Key(2));
  EXPECT_EQ(requests[1].status_sent, 0);
  EXPECT_EQ(requests[2].headers.at("idempotency-key"), Key(2));
  EXPECT_NE(requests[2].connection, requests[1].connection);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1), Pair(Key(2), 1)));
}

TEST_F(HttpReceiverTest, ResetAfterAcceptLosesTheAnswerNotTheBatch) {
  receiver_->Script({Fault::ResetAfterAccept()});
  const Batch batch{Key(1), NdjsonBody(4)};
  const CurlResult lost = client_.Post(receiver_->Url(), batch);
  EXPECT_THAT(lost.code, AnyOf(CURLE_RECV_ERROR, CURLE_GOT_NOTHING))
      << curl_easy_strerror(lost.code);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  const CurlResult retry = client_.Post(receiver_->Url(), batch);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, R"({"receipt":"r-1"})");
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), ElementsAre(Pair(Key(1), 1)));
}

TEST_F(HttpReceiverTest, NoAnswerTimesTheClientOut) {
  receiver_->Script({Fault::NoAnswer()});
  const CurlResult result =
      client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}, {}, /*timeout_ms=*/300);
  EXPECT_EQ(result.code, CURLE_OPERATION_TIMEDOUT) << curl_easy_strerror(result.code);
  ASSERT_EQ(receiver_->requests().size(), 1u);
  EXPECT_EQ(receiver_->requests()[0].status_sent, 0);
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
  // The connection the client gave up on is gone; the next request is served on a new one.
  const CurlResult next = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)});
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.connects, 1);
}

TEST_F(HttpReceiverTest, NoAnswerAfterAcceptIsCountedOnceAcrossTheRetry) {
  receiver_->Script({Fault::NoAnswer(/*accept_first=*/true)});
  const Batch batch{Key(1), NdjsonBody(1)};
  EXPECT_EQ(client_.Post(receiver_->Url(), batch, {}, 300).code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(client_.Post(receiver_->Url(), batch).status, 200);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), ElementsAre(Pair(Key(1), 1)));
}

TEST_F(HttpReceiverTest, WrongOrMissingContentSha256Is400) {
  const Batch batch{Key(1), NdjsonBody(2)};
  const CurlResult wrong =
      client_.Post(receiver_->Url(), batch, {"X-Gongshi-Content-SHA256: " + Sha256Hex("other")});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.body, HasSubstr("does not match the body's SHA-256 " + Sha256Hex(batch.body)));
  const CurlResult missing =
      client_.Post(receiver_->Url(), batch, {"X-Gongshi-Content-SHA256:"});  // curl drops it
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("missing X-Gongshi-Content-SHA256"));
  const CurlResult upper =
      client_.Post(receiver_->Url(), batch, {"X-Gongshi-Content-SHA256: " + [&] {
                     std::string hex = Sha256Hex(batch.body);
                     for (char& c : hex) c = static_cast<char>(std::toupper(c));
                     return hex;
                   }()});
  EXPECT_EQ(upper.status, 200);  // hex in either case
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
}

TEST_F(HttpReceiverTest, BadOrMissingIdempotencyKeyIs400) {
  EXPECT_EQ(client_.Post(receiver_->Url(), {"not-hex", NdjsonBody(1)}).status, 400);
  const CurlResult missing =
      client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}, {"Idempotency-Key:"});
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("missing Idempotency-Key"));
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
}

TEST_F(HttpReceiverTest, WrongPathMethodOrFramingIsRefusedClearly) {
  EXPECT_EQ(client_.Post(receiver_->Url("/other"), {Key(1), NdjsonBody(1)}).status, 404);
  const CurlResult get = client_.Get(receiver_->Url());
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers.at("allow"), "POST");
  const CurlResult chunked = client_.PostChunked(receiver_->Url(), NdjsonBody(2));
  EXPECT_EQ(chunked.status, 411);
  EXPECT_THAT(chunked.body, HasSubstr("send Content-Length"));
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
}

TEST_F(HttpReceiverTest, DownUntilSetUp) {
  receiver_->SetDefault(Fault::Status(503));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}).status, 503);
  }
  receiver_->SetUp();
  EXPECT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}).status, 200);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_TRUE(receiver_->WaitForRequests(4, std::chrono::seconds(1)));
  EXPECT_FALSE(receiver_->WaitForRequests(5, std::chrono::milliseconds(50)));
}

TEST_F(HttpReceiverTest, ScriptRunsBeforeTheDefault) {
  receiver_->SetDefault(Fault::Status(503));
  receiver_->Script({Fault::RetryAfterSeconds(1)});
  EXPECT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}).status, 429);
  EXPECT_EQ(client_.Post(receiver_->Url(), {Key(1), NdjsonBody(1)}).status, 503);
}

TEST_F(HttpReceiverTest, ConcurrentClientsEachGetTheirBatchAcceptedOnce) {
  constexpr int kClients = 8;
  constexpr int kBatchesEach = 5;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      CurlClient client;
      for (int b = 0; b < kBatchesEach; ++b) {
        const Batch batch{Key(c * 100 + b), NdjsonBody(b + 1)};
        EXPECT_EQ(client.Post(receiver_->Url(), batch).status, 200);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(receiver_->accepted().size(), static_cast<size_t>(kClients * kBatchesEach));
  EXPECT_THAT(receiver_->repeats(), IsEmpty());
}

// The hook runs while the client waits for its answer: the moment a test kills a client in.
TEST_F(HttpReceiverTest, TheHookRunsWhileTheClientWaitsAndCanDropTheRequestUnstored) {
  std::atomic<bool> client_returned{false};
  std::vector<std::pair<std::string, RequestStage>> seen;
  std::vector<bool> returned_then;
  receiver_->SetRequestHook([&](const ReceivedRequest& request, RequestStage stage) {
    seen.emplace_back(request.idempotency_key, stage);
    returned_then.push_back(client_returned.load());
    return request.idempotency_key != Key(1) || stage != RequestStage::kBodyRead;
  });
  const CurlResult dropped = client_.Post(receiver_->Url(), {Key(1), NdjsonBody(2)});
  client_returned = true;
  EXPECT_THAT(dropped.code, AnyOf(CURLE_GOT_NOTHING, CURLE_RECV_ERROR))
      << curl_easy_strerror(dropped.code);
  EXPECT_THAT(seen, ElementsAre(Pair(Key(1), RequestStage::kBodyRead)));
  EXPECT_THAT(returned_then, ElementsAre(false));
  EXPECT_THAT(receiver_->accepted(), IsEmpty());
  ASSERT_EQ(receiver_->requests().size(), 1u);
  EXPECT_TRUE(receiver_->requests()[0].dropped);
  EXPECT_FALSE(receiver_->requests()[0].stored);
  EXPECT_EQ(receiver_->requests()[0].status_sent, 0);

  const CurlResult served = client_.Post(receiver_->Url(), {Key(2), NdjsonBody(2)});
  EXPECT_EQ(served.status, 200);
  EXPECT_THAT(seen, ElementsAre(Pair(Key(1), RequestStage::kBodyRead),
                                Pair(Key(2), RequestStage::kBodyRead),
                                Pair(Key(2), RequestStage::kStored)));
}

TEST_F(HttpReceiverTest, AHookDropAfterStoringLosesTheAnswerNotTheBatch) {
  receiver_->SetRequestHook(
      [](const ReceivedRequest&, RequestStage stage) { return stage != RequestStage::kStored; });
  const Batch batch{Key(1), NdjsonBody(3)};
  const CurlResult lost = client_.Post(receiver_->Url(), batch);
  EXPECT_THAT(lost.code, AnyOf(CURLE_GOT_NOTHING, CURLE_RECV_ERROR))
      << curl_easy_strerror(lost.code);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  receiver_->SetRequestHook({});
  const CurlResult retry = client_.Post(receiver_->Url(), batch);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, R"({"receipt":"r-1"})");
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
  EXPECT_THAT(receiver_->repeats(), ElementsAre(Pair(Key(1), 1)));
  const std::vector<ReceivedRequest> requests = receiver_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].stored);
  EXPECT_TRUE(requests[0].dropped);
  EXPECT_EQ(requests[0].status_sent, 0);
  EXPECT_EQ(requests[0].fault, std::nullopt);
}

// An answer due after the client hung up is not written, and the log says no answer reached it.
// A raw socket client: it hangs up when the hook says the batch is stored, and the hook holds the
// answer until the client has closed (events both ways, no client timeout).
TEST_F(HttpReceiverTest, AClientThatHungUpIsLoggedAsGoneNotAnswered) {
  std::promise<void> stored_promise, hung_up_promise;
  std::future<void> stored = stored_promise.get_future();
  std::shared_future<void> hung_up = hung_up_promise.get_future().share();
  receiver_->SetRequestHook([&stored_promise, hung_up](const ReceivedRequest&, RequestStage stage) {
    if (stage != RequestStage::kStored) return true;
    stored_promise.set_value();
    // Bounded only so that a failed test cannot hang the receiver's destructor.
    hung_up.wait_for(std::chrono::seconds(300));
    return true;
  });
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(receiver_->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string body = NdjsonBody(1);
  const std::string request =
      "POST /feeds HTTP/1.1\r\nHost: 127.0.0.1\r\nIdempotency-Key: " + Key(1) +
      "\r\nX-Gongshi-Content-SHA256: " + Sha256Hex(body) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  ASSERT_EQ(stored.wait_for(std::chrono::seconds(300)), std::future_status::ready);
  ::close(fd);  // the FIN is queued before close returns: the receiver's poll sees it
  hung_up_promise.set_value();
  ASSERT_TRUE(receiver_->WaitForRequests(1, std::chrono::seconds(300)));
  const ReceivedRequest logged = receiver_->requests()[0];
  EXPECT_TRUE(logged.client_gone);
  EXPECT_EQ(logged.status_sent, 0);
  EXPECT_TRUE(logged.stored);
  EXPECT_FALSE(logged.dropped);
  EXPECT_THAT(receiver_->accepted(), ElementsAre(Pair(Key(1), 1)));
}

TEST(HttpReceiverAuthTest, WrongOrMissingAuthHeaderIs401) {
  HttpReceiverOptions options;
  options.auth_value = "Bearer s3cret";
  const std::unique_ptr<HttpReceiver> receiver = HttpReceiver::Start(options);
  ASSERT_NE(receiver, nullptr);
  CurlClient client;
  const Batch batch{Key(1), NdjsonBody(1)};
  const CurlResult missing = client.Post(receiver->Url(), batch);
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.body, HasSubstr("missing authorization"));
  EXPECT_EQ(client.Post(receiver->Url(), batch, {"Authorization: Bearer guess"}).status, 401);
  EXPECT_EQ(client.Post(receiver->Url(), batch, {"authorization: Bearer s3cret"}).status, 200);
  EXPECT_THAT(receiver->accepted(), ElementsAre(Pair(Key(1), 1)));
}

TEST(HttpReceiverAuthTest, AuthHeaderNameIsConfigurable) {
  HttpReceiverOptions options;
  options.auth_header = "X-Api-Key";
  options.auth_value = "k-1";
  const std::unique_ptr<HttpReceiver> receiver = HttpReceiver::Start(options);
  ASSERT_NE(receiver, nullptr);
  CurlClient client;
  EXPECT_EQ(client.Post(receiver->Url(), {Key(1), NdjsonBody(1)}, {"Authorization: k-1"}).status,
            401);
  EXPECT_EQ(client.Post(receiver->Url(), {Key(1), NdjsonBody(1)}, {"x-api-key: k-1"}).status, 200);
}

// The destructor must not wait for a client that waits for an answer that never comes.
TEST(HttpReceiverStopTest, StoppingReleasesAHeldRequest) {
  std::unique_ptr<HttpReceiver> receiver = HttpReceiver::Start();
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::NoAnswer()});
  CurlResult result;
  std::thread client([&, url = receiver->Url()] {
    CurlClient c;
    result = c.Post(url, {Key(1), NdjsonBody(1)}, {}, /*timeout_ms=*/60000);
  });
  ASSERT_TRUE(receiver->WaitForRequests(1, std::chrono::seconds(10)));
  receiver.reset();
  client.join();
  EXPECT_THAT(result.code, AnyOf(CURLE_GOT_NOTHING, CURLE_RECV_ERROR));
}

TEST(HttpReceiverStopTest, ListensOnTheGivenPort) {
  std::unique_ptr<HttpReceiver> any = HttpReceiver::Start();
  ASSERT_NE(any, nullptr);
  const int port = any->port();
  any.reset();
  HttpReceiverOptions options;
  options.port = port;  // free again: SO_REUSEADDR lets the new socket bind despite TIME_WAIT
  const std::unique_ptr<HttpReceiver> fixed = HttpReceiver::Start(options);
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->port(), port);
  EXPECT_EQ(fixed->Url(), "http://127.0.0.1:" + std::to_string(port) + "/feeds");
}

TEST(HttpDateTest, FormatsAnImfFixdate) {
  EXPECT_EQ(HttpDate(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace gongshi::testing
