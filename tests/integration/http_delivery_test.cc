// The HTTP sink end to end: `gongshi run` delivers every committed feed batch to a site on
// loopback (the fault-injecting receiver of tests/support/http_receiver.h), in batch order, with
// the batch id as idempotency key. Checked from the receiver's books, against the feed manifests
// (not the sink's own account): every batch accepted exactly once, with the bytes its manifest's
// SHA-256s name; a batch sent again only when no 2xx had reached the sink, and no more re-sends
// than the receiver injected faults (or kills); `gongshi reconcile` saying what the receiver
// says. Through 5xx, resets, 429 with Retry-After, slow answers and a lost reply after
// acceptance; a site down (then `reconcile --send`); a 4xx refusal (dead-letter with the site's
// answer); SIGKILLs landed inside a request by the receiver's hook. And the site's token, from a
// file or a variable, in no log line, output file, dead-letter entry or metric.
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tests/support/feed_batches.h"
#include "tests/support/http_receiver.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::Fault;
using ::testing::HasSubstr;
using testing::HttpReceiver;
using testing::HttpReceiverOptions;
using ::testing::IsEmpty;
using testing::ProcessResult;
using testing::ReceivedRequest;
using testing::RequestStage;
using testing::Sha256Hex;

// A generous deadline for events: a pass under ASan on a loaded 2-core machine, not a timing.
constexpr std::chrono::seconds kDeadline(300);

// One feed batch as its manifests describe it (one manifest per kind with records in it): what
// the site must hold, from the pipeline's tamper-evident record rather than the sink's account.
struct ManifestBatch {
  uint64_t sequence = 0;
  uint64_t records = 0;
  struct Part {
    std::string kind;
    uint64_t bytes = 0;
    std::string sha256;
  };
  std::vector<Part> parts;  // license, then penalty: the order of the body
};

std::map<std::string, ManifestBatch> ReadManifests(const std::string& out) {
  std::map<std::string, ManifestBatch> batches;
  // FeedManifests lists license, then penalty: the parts come in the body's order.
  for (const testing::FeedManifest& m : testing::FeedManifests(out)) {
    ManifestBatch& batch = batches[m.batch_id];
    batch.sequence = m.sequence;
    batch.records += m.records;
    batch.parts.push_back({m.kind, m.bytes, m.sha256});
  }
  return batches;
}

// Everything wrong with the site's books against the manifests, as sentences (a test of the
// oracle itself expects some): each batch accepted exactly once, its body the manifests' bytes
// part by part, its headers the manifest's sequence and record count; no key the manifests do not
// name; no conflicting body; first arrivals in batch order.
std::vector<std::string> ExactlyOnceProblems(const HttpReceiver& receiver,
                                             const std::map<std::string, ManifestBatch>& batches) {
  std::vector<std::string> problems;
  const auto accepted = receiver.accepted();
  const auto bodies = receiver.accepted_bodies();
  for (const auto& [id, batch] : batches) {
    const auto it = accepted.find(id);
    if (it == accepted.end()) {
      problems.push_back(fmt::format("batch {} ({}) never accepted", batch.sequence, id));
      continue;
    }
    if (it->second != 1) {
      problems.push_back(
          fmt::format("batch {} ({}) accepted {} times", batch.sequence, id, it->second));
    }
    const std::string& body = bodies.at(id);
    uint64_t offset = 0;
    for (const ManifestBatch::Part& part : batch.parts) {
      const std::string bytes = body.substr(std::min<uint64_t>(offset, body.size()), part.bytes);
      if (bytes.size() != part.bytes || Sha256Hex(bytes) != part.sha256) {
        problems.push_back(
            fmt::format("batch {} ({}): the {} part accepted is not the manifest's "
                        "{} bytes with SHA-256 {}",
                        batch.sequence, id, part.kind, part.bytes, part.sha256));
      }
      offset += part.bytes;
    }
    if (body.size() != offset) {
      problems.push_back(fmt::format("batch {} ({}): {} bytes accepted, the manifests have {}",
                                     batch.sequence, id, body.size(), offset));
    }
  }
  for (const auto& [key, times] : accepted) {
    if (batches.count(key) == 0) problems.push_back("accepted a key no manifest names: " + key);
  }
  for (const auto& [key, times] : receiver.conflicts()) {
    problems.push_back(fmt::format("key {} came {} times with another body", key, times));
  }
  std::set<std::string> seen;
  uint64_t last = 0;
  for (const ReceivedRequest& request : receiver.requests()) {
    const auto batch = batches.find(request.idempotency_key);
    if (batch == batches.end()) {
      problems.push_back("a request with a key no manifest names: '" + request.idempotency_key +
                         "'");
      continue;
    }
    if (request.sequence != std::to_string(batch->second.sequence) ||
        request.headers.count("x-gongshi-records") == 0 ||
        request.headers.at("x-gongshi-records") != std::to_string(batch->second.records)) {
      problems.push_back(fmt::format("batch {}: sent with sequence '{}' and records '{}'",
                                     batch->second.sequence, request.sequence,
                                     request.headers.count("x-gongshi-records") != 0
                                         ? request.headers.at("x-gongshi-records")
                                         : ""));
    }
    if (!seen.insert(request.idempotency_key).second) continue;
    if (batch->second.sequence < last) {
      problems.push_back(
          fmt::format("batch {} first sent after batch {}", batch->second.sequence, last));
    }
    last = batch->second.sequence;
  }
  return problems;
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

size_t Dropped(const std::vector<ReceivedRequest>& log) {
  return static_cast<size_t>(
      std::count_if(log.begin(), log.end(), [](const auto& r) { return r.dropped; }));
}

// The re-send bound. Per key: a request answered with a 2xx is that key's last (only a batch not
// acknowledged may go again). In all: no more re-sends than the receiver kept 2xx answers from
// requests, by its faults or by the kills `kills` its hook landed (each explains one re-send).
std::vector<std::string> ResendProblems(const HttpReceiver& receiver, size_t kills) {
  std::vector<std::string> problems;
  const std::vector<ReceivedRequest> requests = receiver.requests();
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < requests.size(); ++i) last[requests[i].idempotency_key] = i;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (Is2xx(requests[i].status_sent) && last[requests[i].idempotency_key] != i) {
      problems.push_back(fmt::format("key {} sent again after request {} was answered {}",
                                     requests[i].idempotency_key, i, requests[i].status_sent));
    }
  }
  size_t resends = 0;
  for (const auto& [key, times] : receiver.resends()) resends += times;
  const size_t explained = receiver.faults_injected() + kills;
  if (resends > explained) {
    problems.push_back(fmt::format("{} re-sends, but only {} faults and kills to explain them",
                                   resends, explained));
  }
  return problems;
}

// `gongshi reconcile`'s books, as it prints them.
struct Books {
  uint64_t acknowledged = 0, refused = 0, waiting = 0;
  struct Entry {
    std::string state;  // sent-not-acknowledged | not-sent
    uint64_t attempts = 0;
  };
  std::map<std::string, Entry> entries;  // batch id -> what reconcile says of it
  std::string text;
};

Books ParseBooks(const std::string& out) {
  Books books;
  books.text = out;
  std::smatch m;
  static const std::regex kTotals(R"(acknowledged=(\d+) refused=(\d+) waiting=(\d+))");
  EXPECT_TRUE(std::regex_search(out, m, kTotals)) << out;
  if (!m.empty()) {
    books.acknowledged = std::stoull(m[1]);
    books.refused = std::stoull(m[2]);
    books.waiting = std::stoull(m[3]);
  }
  static const std::regex kEntry(
      R"((?:^|\n)\d{10} ([0-9a-f]{32}) records=\d+ (sent-not-acknowledged|not-sent) attempts=(\d+))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), kEntry); it != std::sregex_iterator();
       ++it) {
    books.entries[(*it)[1]] = {(*it)[2], std::stoull((*it)[3])};
  }
  return books;
}

// Whether reconcile's totals are the receiver's: acknowledged = the keys the receiver answered a
// 2xx for (each of which it holds), refused = the keys whose last answer was a final 4xx, and
// `waiting` as the caller expects.
std::vector<std::string> ReconcileProblems(const Books& books, const HttpReceiver& receiver,
                                           uint64_t waiting) {
  std::vector<std::string> problems;
  std::set<std::string> answered_2xx;
  std::map<std::string, int> last_status;
  for (const ReceivedRequest& request : receiver.requests()) {
    if (Is2xx(request.status_sent)) answered_2xx.insert(request.idempotency_key);
    last_status[request.idempotency_key] = request.status_sent;
  }
  uint64_t refused = 0;
  for (const auto& [key, status] : last_status) {
    refused += status >= 400 && status < 500 && status != 408 && status != 429 ? 1 : 0;
  }
  const auto accepted = receiver.accepted();
  for (const std::string& key : answered_2xx) {
    if (accepted.count(key) == 0) problems.push_back("a 2xx for a key not held: " + key);
  }
  if (books.acknowledged != answered_2xx.size()) {
    problems.push_back(
        fmt::format("reconcile: acknowledged={}, the receiver answered {} batches "
                    "with a 2xx and holds {}",
                    books.acknowledged, answered_2xx.size(), accepted.size()));
  }
  if (books.refused != refused) {
    problems.push_back(fmt::format("reconcile: refused={}, the receiver refused {} batches",
                                   books.refused, refused));
  }
  if (books.waiting != waiting) {
    problems.push_back(fmt::format("reconcile: waiting={}, expected {}", books.waiting, waiting));
  }
  return problems;
}

class HttpDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ProcessResult generated = testing::Run(
        {"generate", "--count", "3000", "--seed", "77", "--out", dir_ / "in.ndjson"}, dir_.path());
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }

  std::string Config(const std::string& url, int drain_ms = 60000, int timeout_ms = 5000,
                     const std::string& auth = "") {
    const std::string path = dir_ / "config.yaml";
    testing::WriteFile(dir_ / "token", "s3cret\n");
    testing::WriteFile(
        path, fmt::format(R"(batch: {{max_records: 400}}
http:
  url: {}
  auth: {}
  timeout_ms: {}
  backoff_initial_ms: 20
  backoff_max_ms: 2000
  drain_timeout_ms: {}
)",
                          url, auth.empty() ? "{token_file: " + dir_ / "token" + "}" : auth,
                          timeout_ms, drain_ms));
    return path;
  }

  ProcessResult Pass(const std::string& config, const std::vector<std::string>& env = {}) {
    return testing::Run(
        {"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config", config},
        dir_.path(), env);
  }

  std::map<std::string, ManifestBatch> Manifests() { return ReadManifests(dir_ / "out"); }

  Books Reconcile(bool send = false, const std::vector<std::string>& env = {}) {
    std::vector<std::string> args = {"reconcile", "--config", dir_ / "config.yaml", "--out",
                                     dir_ / "out"};
    if (send) args.push_back("--send");
    const ProcessResult result = testing::Run(args, dir_.path(), env);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    return ParseBooks(result.out);
  }

  testing::TempDir dir_;
};

TEST_F(HttpDeliveryTest, ThroughFaultsEveryBatchIsAcceptedOnce) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::Status(503), Fault::Reset(), Fault::RetryAfterSeconds(1),
                    Fault::Slow(200), Fault::Status(500), Fault::ResetAfterAccept(),
                    Fault::Status(502), Fault::RetryAfterSeconds(0, 503)});
  const ProcessResult result = Pass(Config(receiver->Url()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ParseSummary(result.out).at("http_pending"), 0u) << result.out;
  const auto batches = Manifests();
  ASSERT_GT(batches.size(), 5u);
  EXPECT_THAT(ExactlyOnceProblems(*receiver, batches), IsEmpty());
  EXPECT_THAT(ResendProblems(*receiver, /*kills=*/0), IsEmpty());
  // Every fault but the slow answer kept a 2xx from its request, and each is one re-send (a
  // reset on a reused connection is re-sent by curl itself; the others by the sink).
  EXPECT_EQ(receiver->faults_injected(), 7u);
  size_t resends = 0;
  for (const auto& [key, times] : receiver->resends()) resends += times;
  EXPECT_EQ(resends, 7u);
  // The reply lost after acceptance came back as a repeat of the same key and bytes.
  const std::vector<ReceivedRequest> requests = receiver->requests();
  const auto lost = std::find_if(requests.begin(), requests.end(), [](const auto& r) {
    return r.fault == Fault::Kind::kReset && r.stored;
  });
  ASSERT_NE(lost, requests.end());
  EXPECT_EQ(receiver->repeats(), (std::map<std::string, int>{{lost->idempotency_key, 1}}));
  EXPECT_THAT(ReconcileProblems(Reconcile(), *receiver, /*waiting=*/0), IsEmpty());
}

// The oracle sees a second acceptance: the same faults against a site that ignores
// Idempotency-Key, where the batch whose reply was lost is stored again when the sink re-sends it.
// (So "the site sees it once" rests on the site deduplicating, as the README says.)
TEST_F(HttpDeliveryTest, ASiteThatDoesNotDeduplicateShowsTheLostReplysBatchAcceptedTwice) {
  HttpReceiverOptions options;
  options.auth_value = "Bearer s3cret";
  options.deduplicate = false;
  auto receiver = HttpReceiver::Start(options);
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::Status(503), Fault::ResetAfterAccept()});
  const ProcessResult result = Pass(Config(receiver->Url()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto batches = Manifests();
  const std::vector<ReceivedRequest> requests = receiver->requests();
  ASSERT_GE(requests.size(), 2u);
  const std::string twice = requests[1].idempotency_key;  // the one whose reply was lost
  EXPECT_THAT(ExactlyOnceProblems(*receiver, batches),
              Contains(HasSubstr(fmt::format("({}) accepted 2 times", twice))));
  EXPECT_EQ(receiver->accepted().at(twice), 2);
  EXPECT_THAT(ResendProblems(*receiver, 0), IsEmpty()) << "the sink itself behaved";
}

TEST_F(HttpDeliveryTest, ARefusedBatchGoesToTheDeadLetterWithTheSitesAnswer) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  receiver->Script({Fault::Status(422, R"({"error":"处罚类别 not in the catalogue"})")});
  const ProcessResult result = Pass(Config(receiver->Url()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto batches = Manifests();
  ASSERT_GT(batches.size(), 2u);
  const std::vector<ReceivedRequest> requests = receiver->requests();
  ASSERT_FALSE(requests.empty());
  const std::string refused_key = requests[0].idempotency_key;
  ASSERT_EQ(batches.count(refused_key), 1u);
  // Refused is final: never sent again, never held; every other batch once.
  EXPECT_EQ(receiver->resends().count(refused_key), 0u);
  EXPECT_EQ(receiver->accepted().count(refused_key), 0u);
  EXPECT_THAT(ExactlyOnceProblems(*receiver, batches),
              ElementsAre(fmt::format("batch {} ({}) never accepted",
                                      batches.at(refused_key).sequence, refused_key)));
  EXPECT_EQ(receiver->accepted().size(), batches.size() - 1);
  EXPECT_THAT(ResendProblems(*receiver, 0), IsEmpty());

  std::vector<fs::path> refused;
  for (const auto& entry : fs::directory_iterator(dir_ / "out/dlq/http")) {
    refused.push_back(entry.path());
  }
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].filename().string(),
            fmt::format("{:010}-{}.json", batches.at(refused_key).sequence, refused_key));
  const std::string note = testing::ReadFile(refused[0].string());
  EXPECT_THAT(note, HasSubstr(R"("status":422)"));
  EXPECT_THAT(note, HasSubstr("not in the catalogue"));
  EXPECT_THAT(note, HasSubstr(R"("batch_id":")" + refused_key + "\""));
  EXPECT_THAT(ReconcileProblems(Reconcile(), *receiver, /*waiting=*/0), IsEmpty());
}

// Whether reconcile's dry run lists every batch of the manifests as waiting, each with as many
// attempts as the receiver saw requests of its key, and sent-not-acknowledged exactly when it saw
// one (only the oldest is ever tried: delivery is in order).
std::vector<std::string> WaitingProblems(const Books& books, const HttpReceiver& receiver,
                                         const std::map<std::string, ManifestBatch>& batches) {
  std::vector<std::string> problems;
  std::map<std::string, uint64_t> sent;
  for (const ReceivedRequest& request : receiver.requests()) ++sent[request.idempotency_key];
  if (books.entries.size() != batches.size()) {
    problems.push_back(fmt::format("{} entries listed, the manifests have {} batches",
                                   books.entries.size(), batches.size()));
  }
  for (const auto& [id, batch] : batches) {
    const auto it = books.entries.find(id);
    if (it == books.entries.end()) {
      problems.push_back(fmt::format("batch {} ({}) not listed", batch.sequence, id));
      continue;
    }
    const std::string state = sent[id] > 0 ? "sent-not-acknowledged" : "not-sent";
    if (it->second.attempts != sent[id] || it->second.state != state) {
      problems.push_back(fmt::format("batch {} ({}): listed {} attempts={}, the receiver saw {}",
                                     batch.sequence, id, it->second.state, it->second.attempts,
                                     sent[id]));
    }
  }
  return problems;
}

TEST_F(HttpDeliveryTest, ASiteDownIsCaughtUpByReconcile) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  // Down, asking to be tried again in 1 s: more than the pass's drain budget, so the pass makes
  // exactly one attempt (drain_ms bounds how long it tries: a budget, not a synchronisation).
  receiver->SetDefault(Fault::RetryAfterSeconds(1, 503));
  const std::string config = Config(receiver->Url(), /*drain_ms=*/300);
  const ProcessResult result = Pass(config);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto batches = Manifests();
  ASSERT_GT(batches.size(), 5u);
  EXPECT_EQ(testing::ParseSummary(result.out).at("http_pending"), batches.size())
      << "nothing acknowledged, nothing lost";
  EXPECT_TRUE(receiver->accepted().empty());
  ASSERT_EQ(receiver->requests().size(), 1u);

  // Dry run: the books, nothing sent; the oldest batch tried once, the others not yet.
  const Books once = Reconcile();
  EXPECT_EQ(receiver->requests().size(), 1u) << "a dry run sends nothing";
  EXPECT_THAT(ReconcileProblems(once, *receiver, /*waiting=*/batches.size()), IsEmpty());
  EXPECT_THAT(WaitingProblems(once, *receiver, batches), IsEmpty()) << once.text;

  // Still down, answering at once: reconcile --send tries the oldest again and again for its
  // budget and says what still waits (exit 1); the dry run then counts every attempt.
  receiver->SetDefault(Fault::Status(503));
  const ProcessResult tried =
      testing::Run({"reconcile", "--config", config, "--out", dir_ / "out", "--send"}, dir_.path());
  EXPECT_EQ(tried.exit_code, 1) << tried.out << tried.err;
  EXPECT_THAT(tried.out, HasSubstr(fmt::format("\nwaiting={}\n", batches.size())));
  const size_t requests = receiver->requests().size();
  ASSERT_GT(requests, 1u);
  const Books again = Reconcile();
  EXPECT_EQ(receiver->requests().size(), requests) << "a dry run sends nothing";
  EXPECT_THAT(ReconcileProblems(again, *receiver, /*waiting=*/batches.size()), IsEmpty());
  EXPECT_THAT(WaitingProblems(again, *receiver, batches), IsEmpty()) << again.text;

  receiver->SetUp();
  Config(receiver->Url(), /*drain_ms=*/60000);
  const Books after = Reconcile(/*send=*/true);
  EXPECT_THAT(after.text, HasSubstr("\nwaiting=0"));
  EXPECT_THAT(ExactlyOnceProblems(*receiver, batches), IsEmpty());
  EXPECT_THAT(ResendProblems(*receiver, 0), IsEmpty());
  EXPECT_THAT(ReconcileProblems(Reconcile(), *receiver, /*waiting=*/0), IsEmpty());
}

// A kill landed inside a request by the receiver's hook: the hook SIGKILLs gongshi while it waits
// for the answer and waits until the process is dead before the receiver goes on (and drops the
// connection: no answer reaches anyone). Run 1 is killed after the site stored its third batch
// (the reply is lost), run 2 while its second request is read and nothing is stored yet; run 3
// finishes. Each batch in flight at a kill is the first sent by the next run, with the same key
// and bytes; nothing acknowledged before a kill is sent again.
TEST_F(HttpDeliveryTest, KilledInsideARequestTheBatchInFlightIsSentAgainWithItsKey) {
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer s3cret"});
  ASSERT_NE(receiver, nullptr);
  const std::string config = Config(receiver->Url(), 60000, /*timeout_ms=*/60000);

  struct Kill {
    RequestStage stage;
    int at;  // the at-th request of the run reaching `stage`
    std::promise<pid_t> pid;
    std::atomic<int> reached{0};
    std::atomic<bool> landed{false};
  };
  // Runs gongshi with the hook armed; returns the index in the log of the first request it sent.
  const auto killed_run = [&](RequestStage stage, int at) {
    auto kill = std::make_shared<Kill>();
    kill->stage = stage;
    kill->at = at;
    std::shared_future<pid_t> pid = kill->pid.get_future().share();
    receiver->SetRequestHook([kill, pid](const ReceivedRequest&, RequestStage reached) {
      if (reached != kill->stage || ++kill->reached != kill->at) return true;
      kill->landed = true;  // only this hook sends SIGKILL: a SIGKILLed run was killed here
      ::kill(pid.get(), SIGKILL);
      siginfo_t info{};
      // Dead (not reaped: the test's Wait does that) before the receiver goes on.
      ::waitid(P_PID, pid.get(), &info, WEXITED | WNOWAIT);
      return false;
    });
    const size_t first = receiver->requests().size();
    const size_t dropped_before = Dropped(receiver->requests());
    kill->pid.set_value(testing::Start(
        {"run", "--input", dir_ / "in.ndjson", "--out", dir_ / "out", "--config", config},
        dir_.path()));
    const ProcessResult killed = testing::Wait(pid.get(), dir_.path());
    EXPECT_EQ(killed.signal, SIGKILL) << "exit " << killed.exit_code << ": " << killed.err;
    EXPECT_TRUE(kill->landed) << "the kill did not land inside a request";
    // The dropped request is logged once the hook has returned.
    EXPECT_TRUE(receiver->WaitForLog([&](const auto& log) { return Dropped(log) > dropped_before; },
                                     kDeadline));
    receiver->SetRequestHook({});
    return first;
  };

  const size_t run1 = killed_run(RequestStage::kStored, 3);
  const size_t run2 = killed_run(RequestStage::kBodyRead, 2);
  const size_t run3 = receiver->requests().size();
  const ProcessResult finished = Pass(config);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_EQ(testing::ParseSummary(finished.out).at("http_pending"), 0u) << finished.out;

  const std::vector<ReceivedRequest> requests = receiver->requests();
  ASSERT_EQ(run2 - run1, 3u) << "run 1: two batches acknowledged, the third killed";
  ASSERT_EQ(run3 - run2, 2u) << "run 2: the re-send, then the next batch killed";
  ASSERT_GT(requests.size(), run3);
  const ReceivedRequest& in_flight1 = requests[run2 - 1];
  const ReceivedRequest& in_flight2 = requests[run3 - 1];
  EXPECT_TRUE(in_flight1.stored && in_flight1.dropped && in_flight1.status_sent == 0);
  EXPECT_TRUE(!in_flight2.stored && in_flight2.dropped && in_flight2.status_sent == 0);
  for (const auto& [next, killed] :
       {std::pair{&requests[run2], &in_flight1}, std::pair{&requests[run3], &in_flight2}}) {
    EXPECT_EQ(next->idempotency_key, killed->idempotency_key);
    EXPECT_EQ(next->body_sha256, killed->body_sha256);
    EXPECT_EQ(next->sequence, killed->sequence);
    EXPECT_EQ(next->status_sent, 200);
  }
  EXPECT_TRUE(requests[run2].repeat) << "the site had it: a repeat";
  EXPECT_TRUE(requests[run3].stored) << "the site had not: its acceptance";
  // What was acknowledged before a kill never comes again (ResendProblems), and only the two
  // batches in flight came twice.
  const auto batches = Manifests();
  EXPECT_THAT(ExactlyOnceProblems(*receiver, batches), IsEmpty());
  EXPECT_THAT(ResendProblems(*receiver, /*kills=*/2), IsEmpty());
  EXPECT_EQ(receiver->resends(), (std::map<std::string, int>{{in_flight1.idempotency_key, 1},
                                                             {in_flight2.idempotency_key, 1}}));
  EXPECT_THAT(ReconcileProblems(Reconcile(), *receiver, /*waiting=*/0), IsEmpty());
}

// ---- The site's token is never logged ----------------------------------------------------------

// A token no one would write by chance. Looked for by its first half: a line that cut it short
// leaks it too.
std::string RandomToken() {
  std::random_device random;
  std::string token = "gst-";
  for (int i = 0; i < 40; ++i) token += "0123456789abcdef"[random() % 16];
  return token;
}

// `what`, if `text` holds the token (its first half).
std::vector<std::string> TokenIn(const std::string& what, const std::string& text,
                                 const std::string& token) {
  std::vector<std::string> found;
  if (text.find(token.substr(0, token.size() / 2)) != std::string::npos) found.push_back(what);
  return found;
}
// Every file under `root` (recursively, the state's RocksDB files and dlq/http/ included) that
// holds the token. A random token is not compressible, so RocksDB's Snappy blocks would keep it
// as a literal.
std::vector<std::string> TokenUnder(const std::string& root, const std::string& token) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    for (std::string& f :
         TokenIn(entry.path().string(), testing::ReadFile(entry.path().string()), token)) {
      found.push_back(std::move(f));
    }
  }
  return found;
}

// Faults on every path that writes something: retries (their errors go to the outbox and to
// reconcile), a timeout, lost replies, a refusal for the token itself (401) and one for the batch
// (422), both in dlq/http/ with the site's answer.
std::vector<Fault> TokenFaults() {
  return {Fault::Status(503),
          Fault::Reset(),
          Fault::ResetAfterAccept(),
          Fault::NoAnswer(),
          Fault::RetryAfterSeconds(0),
          Fault::Status(401, R"({"error":"token not valid for this endpoint"})"),
          Fault::Status(422, R"({"error":"处罚类别 not in the catalogue"})")};
}

class HttpTokenTest : public HttpDeliveryTest, public ::testing::WithParamInterface<const char*> {};

// A file pass and reconcile (dry run with entries waiting, then --send) with the token from a file
// or a variable: the token is sent (the site takes nothing without it) and written nowhere.
TEST_P(HttpTokenTest, TheTokenIsInNoLogOutputDeadLetterOrReconcileLine) {
  const std::string token = RandomToken();
  const bool from_env = std::string(GetParam()) == "env";
  testing::WriteFile(dir_ / "site.token", token + "\n");
  const std::vector<std::string> env = {"GONGSHI_TEST_SITE_TOKEN=" + token};
  const std::string auth = from_env ? "{token_env: GONGSHI_TEST_SITE_TOKEN}"
                                    : "{token_file: " + dir_ / "site.token" + "}";
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer " + token});
  ASSERT_NE(receiver, nullptr);
  std::vector<std::string> texts;  // every stdout and stderr

  // The site down: the pass leaves its batches waiting with their errors.
  receiver->SetDefault(Fault::Status(503, R"({"error":"maintenance"})"));
  const std::string config = Config(receiver->Url(), /*drain_ms=*/300, /*timeout_ms=*/2000, auth);
  const ProcessResult pass = Pass(config, env);
  ASSERT_EQ(pass.exit_code, 0) << pass.err;
  texts.insert(texts.end(), {pass.out, pass.err});
  ProcessResult dry =
      testing::Run({"reconcile", "--config", config, "--out", dir_ / "out"}, dir_.path(), env);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("last_error=")) << "the errors reconcile prints are looked at";
  texts.insert(texts.end(), {dry.out, dry.err});

  // Back, with faults; reconcile --send delivers the rest.
  receiver->SetUp();
  receiver->Script(TokenFaults());
  Config(receiver->Url(), /*drain_ms=*/120000, /*timeout_ms=*/2000, auth);
  const ProcessResult send = testing::Run(
      {"reconcile", "--config", config, "--out", dir_ / "out", "--send"}, dir_.path(), env);
  texts.insert(texts.end(), {send.out, send.err});
  EXPECT_EQ(send.exit_code, 0) << send.out << send.err;
  EXPECT_GE(receiver->accepted().size(), 3u) << "the token was sent and taken";
  ASSERT_EQ(fs::exists(dir_ / "out/dlq/http"), true);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "out/dlq/http"), fs::directory_iterator()),
            2)
      << "the 401 and the 422";

  std::vector<std::string> found = TokenUnder(dir_ / "out", token);
  for (size_t i = 0; i < texts.size(); ++i) {
    for (std::string& f : TokenIn(fmt::format("output {}", i), texts[i], token)) {
      found.push_back(std::move(f));
    }
  }
  EXPECT_THAT(found, IsEmpty()) << "the token " << token << " was written there";
}

INSTANTIATE_TEST_SUITE_P(FromFileAndVariable, HttpTokenTest, ::testing::Values("file", "env"));

// A plain HTTP GET on loopback; the body, or "" when nothing answers.
std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  }
  ::close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample `series` (name and labels) in exposition text, or -1.
double Sample(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size() + 2));
}

// The Kafka service (its delivery thread logs every retry and refusal, and serves /metrics) with
// the token from a variable, through the same faults: the token in no log line, no metric, no
// output file. Stopped with SIGTERM once its metrics say everything was read and delivered.
TEST_F(HttpDeliveryTest, TheServiceLogsAndExportsNoToken) {
  testing::MockKafka kafka(1);
  kafka.CreateTopic("t.feed", 2);
  std::vector<std::string> lines;
  {
    std::istringstream in(testing::ReadFile(dir_ / "in.ndjson"));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  kafka.Produce("t.feed", -1, "", lines);

  const std::string token = RandomToken();
  auto receiver = HttpReceiver::Start({.auth_value = "Bearer " + token});
  ASSERT_NE(receiver, nullptr);
  receiver->Script(TokenFaults());
  const int port = testing::FreeLoopbackPort();
  const std::string config = dir_ / "service.yaml";
  testing::WriteFile(config,
                     fmt::format(R"(batch: {{max_records: 400}}
kafka:
  properties: {{bootstrap.servers: "{}", group.id: token-test, session.timeout.ms: 6000, heartbeat.interval.ms: 500}}
  topics: [t.feed]
  max_wait_ms: 200
  dead_letter: {{to: file}}
service: {{out_dir: {}, metrics_address: "127.0.0.1:{}"}}
http:
  url: {}
  auth: {{token_env: GONGSHI_TEST_SITE_TOKEN}}
  timeout_ms: 2000
  backoff_initial_ms: 20
  backoff_max_ms: 500
)",
                                 kafka.bootstrap_servers(), dir_ / "out", port, receiver->Url()));
  const std::string logs = dir_ / "service-logs";
  fs::create_directories(logs);
  const pid_t pid =
      testing::Start({"run", "--config", config}, logs, {"GONGSHI_TEST_SITE_TOKEN=" + token});

  // The events to stop on: every record read, and every batch of the manifests answered for good
  // by the site (a 2xx or a refusal), in its log.
  const auto delivered = [&] {
    std::set<std::string> answered;
    for (const ReceivedRequest& r : receiver->requests()) {
      if (Is2xx(r.status_sent) || r.status_sent == 401 || r.status_sent == 422) {
        answered.insert(r.idempotency_key);
      }
    }
    const auto batches = ReadManifests(dir_ / "out");
    return !batches.empty() && std::all_of(batches.begin(), batches.end(), [&](const auto& b) {
      return answered.count(b.first) != 0;
    });
  };
  std::string metrics;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = HttpGet(port, "/metrics");
    if (Sample(metrics, "gongshi_read_records_total") >= static_cast<double>(lines.size()) &&
        Sample(metrics, "gongshi_http_outbox_batches") == 0 &&
        Sample(metrics, "gongshi_http_requests_total{result=\"refused\"}") == 2 && delivered()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a poll interval, not a wait
  }
  ASSERT_TRUE(delivered()) << "not delivered by the deadline";
  metrics = HttpGet(port, "/metrics");
  EXPECT_EQ(Sample(metrics, "gongshi_read_records_total"), static_cast<double>(lines.size()));
  EXPECT_EQ(Sample(metrics, "gongshi_http_outbox_batches"), 0);
  EXPECT_GT(Sample(metrics, "gongshi_http_requests_total{result=\"retry\"}"), 0);
  const std::string health = HttpGet(port, "/healthz") + HttpGet(port, "/readyz");
  ::kill(pid, SIGTERM);
  const ProcessResult stopped = testing::Wait(pid, logs);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("http: batch")) << "the delivery thread logged its faults";
  EXPECT_GE(receiver->accepted().size(), 3u) << "the token was sent and taken";

  std::vector<std::string> found = TokenUnder(dir_ / "out", token);
  for (const auto& [what, text] : {std::pair<std::string, std::string>{"stderr", stopped.err},
                                   {"stdout", stopped.out},
                                   {"/metrics", metrics},
                                   {"/healthz /readyz", health}}) {
    for (std::string& f : TokenIn(what, text, token)) found.push_back(std::move(f));
  }
  EXPECT_THAT(found, IsEmpty()) << "the token " << token << " was written there";
}

}  // namespace
}  // namespace gongshi
