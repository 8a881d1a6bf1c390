// The dead-letter topic end to end: `gongshi run --config` against librdkafka's mock cluster over
// TCP, fed rejects whose key is an ID number and whose headers hold personal data, a tombstone
// and an empty message. A plain consumer reads the dead-letter topic: in sealed mode no key,
// header value or original byte is there in clear, the same key lands on the same partition,
// and `gongshi dlq show --topic` (and on the file) prints every part back exactly, a tombstone's
// value as null and an empty message's as "". Clear and omit modes, a wrong key, a missing
// topic and an unreachable broker too.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>

#include "pipeline/sink/dead_letter.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/process.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers

const std::string kKeyEnv = "GONGSHI_HMAC_KEY=dead-letter-topic-test-key-0123456789";
const std::string kIdNumber = "11010519491231002X";
const std::string kPhone = "13912345678";
const std::string kTrace = "trace-7f3a";
// A reject (not well-formed JSON) that carries the ID number in its bytes too.
const std::string kBadValue = "{\"当事人\":\"张三\",\"证件号码\":\"11010519491231002X\"";

using Header = MockKafka::Header;
using Message = MockKafka::Consumed;

// Every byte of a message, for "nothing in clear".
std::string AllBytes(const Message& m) {
  std::string out = m.key + "\n" + m.value;
  for (const Header& h : m.headers) out += "\n" + h.name + "=" + h.value;
  return out;
}

// What the test sends to t.penalty, in this order (offsets 0..3).
const std::vector<Header> kRejectHeaders = {{"trace-id", false, kTrace},
                                            {"owner-id", false, kIdNumber},
                                            {"contact", false, kPhone},
                                            {"empty", false, ""},
                                            {"nothing", true, ""}};

struct Handle {
  rd_kafka_t* rk = nullptr;
  ~Handle() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

rd_kafka_conf_t* Conf(const std::string& servers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", servers.c_str(), errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  return conf;
}

// A real producer: KafkaProducer cannot send a null header value.
void Send(const std::string& servers, const std::string& topic, const char* key, size_t key_size,
          const char* value, size_t value_size, const std::vector<Header>& headers) {
  char errstr[512];
  Handle producer;
  producer.rk = rd_kafka_new(RD_KAFKA_PRODUCER, Conf(servers), errstr, sizeof(errstr));
  ASSERT_NE(producer.rk, nullptr) << errstr;
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
  for (const Header& h : headers) {
    rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()),
                        h.null ? nullptr : h.value.data(),
                        static_cast<ssize_t>(h.null ? 0 : h.value.size()));
  }
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer.rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
      RD_KAFKA_V_KEY(const_cast<char*>(key), key_size),
      RD_KAFKA_V_VALUE(const_cast<char*>(value), value_size),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
  ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  ASSERT_EQ(rd_kafka_flush(producer.rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

// `gongshi dlq show` output: one JSON object per line, by the source offset.
std::map<int64_t, std::string> ShownBySourceOffset(const std::string& out) {
  std::map<int64_t, std::string> shown;
  simdjson::dom::parser parser;
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find('\n', at);
    const std::string line = out.substr(at, end - at);
    at = end == std::string::npos ? out.size() : end + 1;
    simdjson::dom::element e;
    EXPECT_FALSE(parser.parse(line).get(e)) << line;
    int64_t offset = -1;
    EXPECT_FALSE(e["source"]["offset"].get(offset)) << line;
    shown[offset] = line;
  }
  return shown;
}

class DeadLetterTopicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_.CreateTopic("t.penalty", 1);
    for (const char* topic : {"dl.sealed", "dl.clear", "dl.omit"}) kafka_.CreateTopic(topic, 3);
    const std::string& servers = kafka_.bootstrap_servers();
    const std::string valid = Fixture("penalty_valid.json");
    Send(servers, "t.penalty", kIdNumber.data(), kIdNumber.size(), kBadValue.data(),
         kBadValue.size(), kRejectHeaders);  // offset 0: a reject
    Send(servers, "t.penalty", kIdNumber.data(), kIdNumber.size(), nullptr, 0,
         {{"why", false, "erasure-42"}});  // 1: a tombstone under the same key
    static const char kEmpty[] = "";
    Send(servers, "t.penalty", nullptr, 0, kEmpty, 0, {});  // 2: empty, without a key
    Send(servers, "t.penalty", "doc-1", 5, valid.data(), valid.size(),
         {{"trace-id", false, "ok"}});  // 3: published, never dead-lettered
  }

  std::string Config(const std::string& mode, const std::string& servers = "") {
    const std::string path = dir_ / (mode + ".yaml");
    WriteFile(path,
              "today: 2026-11-30\n"
              "dead_letter: {original: " +
                  mode +
                  "}\n"
                  "kafka:\n"
                  "  properties: {bootstrap.servers: \"" +
                  (servers.empty() ? kafka_.bootstrap_servers() : servers) +
                  "\", group.id: group-" + mode +
                  ", session.timeout.ms: 6000, heartbeat.interval.ms: 500}\n"
                  "  topics: [t.penalty]\n"
                  "  topic_kinds: {t.penalty: penalty}\n"
                  "  max_wait_ms: 200\n"
                  "  dead_letter: {to: both, topic: dl." +
                  mode +
                  "}\n"
                  "service: {out_dir: " +
                  dir_ / mode +
                  ", metrics_address: \"127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "\"}\n");
    return path;
  }

  // Runs the service over the topic until it is idle, with the test's HMAC key.
  void RunService(const std::string& config, const std::string& mode) {
    const std::string logs = dir_ / ("logs-" + mode);
    std::filesystem::create_directories(logs);
    const ProcessResult result =
        testing::Run({"run", "--config", config, "--exit-when-idle", "2500"}, logs, {kKeyEnv});
    ASSERT_EQ(result.exit_code, 0) << "signal " << result.signal << ": " << result.err;
    EXPECT_EQ(result.err.find(kIdNumber), std::string::npos) << "no key in the log";
    EXPECT_EQ(result.err.find(kTrace), std::string::npos) << "no header in the log";
  }

  ProcessResult Show(const std::vector<std::string>& args, const std::string& name,
                     const std::string& key_env = kKeyEnv) {
    const std::string logs = dir_ / ("show-" + name);
    std::filesystem::create_directories(logs);
    std::vector<std::string> all = {"dlq", "show"};
    all.insert(all.end(), args.begin(), args.end());
    return testing::Run(all, logs, {key_env});
  }

  // The dead-letter files' lines of a run.
  std::vector<std::string> DeadLetterFiles(const std::string& mode) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / (mode + "/dlq"))) {
      if (entry.path().extension() == ".ndjson") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // What `dlq show` must print back for the three rejects, whatever it read.
  static void ExpectShownExactly(const std::map<int64_t, std::string>& shown) {
    ASSERT_EQ(shown.size(), 3u);
    simdjson::dom::parser parser;
    const simdjson::dom::element reject = parser.parse(shown.at(0));
    EXPECT_EQ(std::string_view(reject["reason"]), "json_syntax");
    EXPECT_EQ(std::string_view(reject["source"]["topic"]), "t.penalty");
    EXPECT_EQ(int64_t(reject["source"]["partition"]), 0);
    EXPECT_EQ(std::string_view(reject["key"]), kIdNumber);
    EXPECT_EQ(std::string_view(reject["value"]), kBadValue);
    simdjson::dom::array headers = reject["headers"];
    ASSERT_EQ(headers.size(), kRejectHeaders.size());
    size_t i = 0;
    for (simdjson::dom::element pair : headers) {
      const Header& sent = kRejectHeaders[i++];
      EXPECT_EQ(std::string_view(pair.at(0)), sent.name);
      if (sent.null) {
        EXPECT_TRUE(pair.at(1).is_null()) << sent.name;
      } else {
        EXPECT_EQ(std::string_view(pair.at(1)), sent.value) << sent.name;
      }
    }

    const simdjson::dom::element tombstone = parser.parse(shown.at(1));
    EXPECT_EQ(std::string_view(tombstone["reason"]), "kafka_tombstone");
    EXPECT_TRUE(tombstone["value"].is_null()) << shown.at(1);
    EXPECT_EQ(std::string_view(tombstone["key"]), kIdNumber);
    EXPECT_EQ(std::string_view(tombstone["headers"].at(0).at(1)), "erasure-42");

    const simdjson::dom::element empty = parser.parse(shown.at(2));
    EXPECT_EQ(std::string_view(empty["reason"]), "json_syntax") << "as an empty message is today";
    EXPECT_EQ(std::string_view(empty["value"]), "") << shown.at(2);
    EXPECT_TRUE(empty["key"].is_null()) << shown.at(2);
    EXPECT_EQ(simdjson::dom::array(empty["headers"]).size(), 0u);
  }

  MockKafka kafka_{1};
  TempDir dir_;
};

TEST_F(DeadLetterTopicTest, SealedModeKeepsKeyHeadersAndBytesSealedAndDlqShowOpensThem) {
  RunService(Config("sealed"), "sealed");
  const std::vector<Message> messages = kafka_.ReadToEnd({"dl.sealed"}, 3);
  ASSERT_EQ(messages.size(), 3u) << "the three rejects, not the published record";
  std::map<int64_t, Message> by_source;
  for (const Message& m : messages) {
    const std::string all = AllBytes(m);
    for (const std::string& secret :
         {kIdNumber, kPhone, kTrace, std::string("张三"), Base64Encode(kIdNumber),
          Base64Encode(kBadValue), std::string("owner-id"), std::string("erasure-42")}) {
      EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in clear in " << all;
    }
    EXPECT_EQ(m.header("gongshi.original"), "sealed");
    EXPECT_EQ(m.header("gongshi.source.topic"), "t.penalty");
    EXPECT_EQ(m.header("gongshi.source.partition"), "0");
    EXPECT_FALSE(m.value_null) << "the dead-letter topic holds no tombstones";
    by_source[std::stoll(m.header("gongshi.source.offset"))] = m;
  }
  ASSERT_EQ(by_source.size(), 3u);
  const Message& reject = by_source.at(0);
  const Message& tombstone = by_source.at(1);
  const Message& empty = by_source.at(2);
  EXPECT_EQ(reject.header("gongshi.reason"), "json_syntax");
  EXPECT_EQ(reject.header("gongshi.original.null"), "(absent)");
  EXPECT_FALSE(reject.key_null);
  EXPECT_NE(reject.header("gongshi.original.headers"), "(absent)");
  EXPECT_EQ(tombstone.header("gongshi.reason"), "kafka_tombstone");
  EXPECT_EQ(tombstone.header("gongshi.original.null"), "value");
  EXPECT_TRUE(tombstone.value.empty());
  EXPECT_EQ(tombstone.key, reject.key) << "the same key seals alike";
  EXPECT_EQ(tombstone.partition, reject.partition) << "and lands on the same partition";
  EXPECT_EQ(empty.header("gongshi.original.null"), "key");
  EXPECT_TRUE(empty.key_null);
  EXPECT_FALSE(empty.value.empty()) << "the empty value, sealed: told from the tombstone";

  // The topic carries the file's sealed strings.
  const std::vector<std::string> files = DeadLetterFiles("sealed");
  ASSERT_FALSE(files.empty());
  std::string file_text;
  for (const std::string& file : files) file_text += ReadFile(file);
  EXPECT_NE(file_text.find(reject.value), std::string::npos);
  EXPECT_NE(file_text.find(reject.key), std::string::npos);
  EXPECT_NE(file_text.find(reject.header("gongshi.original.headers")), std::string::npos);
  for (const std::string& secret : {kIdNumber, kPhone, kTrace}) {
    EXPECT_EQ(file_text.find(secret), std::string::npos) << secret << " in the file";
  }
  const ProcessResult scan = testing::Run({"scan-leaks", dir_ / "sealed"}, dir_.path());
  EXPECT_EQ(scan.exit_code, 0) << scan.out << scan.err;

  const std::string config = Config("sealed");
  const ProcessResult topic = Show({"--topic", "dl.sealed", "--config", config}, "topic");
  ASSERT_EQ(topic.exit_code, 0) << topic.err;
  ExpectShownExactly(ShownBySourceOffset(topic.out));
  // One partition, from an offset, a count.
  const ProcessResult one = Show(
      {"--topic", "dl.sealed", "--config", config, "--partition", std::to_string(reject.partition),
       "--from-offset", std::to_string(reject.offset), "--count", "1"},
      "one");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto shown_one = ShownBySourceOffset(one.out);
  ASSERT_EQ(shown_one.size(), 1u) << one.out;
  EXPECT_EQ(shown_one.begin()->first, 0);

  std::string file_out;
  for (const std::string& file : files) {
    const ProcessResult shown = Show({file, "--config", config}, "file");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    file_out += shown.out;
  }
  ExpectShownExactly(ShownBySourceOffset(file_out));
}

TEST_F(DeadLetterTopicTest, AWrongKeyAMissingTopicAndADeadBrokerAreClearErrors) {
  RunService(Config("sealed"), "sealed");
  const std::string config = Config("sealed");
  const ProcessResult wrong = Show({"--topic", "dl.sealed", "--config", config}, "wrong",
                                   "GONGSHI_HMAC_KEY=not-the-key-that-sealed-them-000000");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("do not open with this key (wrong key, or altered)"), std::string::npos)
      << wrong.err;
  EXPECT_NE(wrong.err.find("dl.sealed["), std::string::npos) << "names the message";
  EXPECT_EQ(wrong.out.find(kIdNumber), std::string::npos);

  const ProcessResult missing = Show({"--topic", "no-such-topic", "--config", config}, "missing");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("topic no-such-topic does not exist"), std::string::npos)
      << missing.err;

  const std::string dead = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  const ProcessResult unreachable = Show(
      {"--topic", "dl.sealed", "--config", Config("sealed", dead), "--timeout-ms", "1500"}, "dead");
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("no answer from the brokers (" + dead + ") in 1500 ms"),
            std::string::npos)
      << unreachable.err;

  // Neither FILE nor --topic, or both.
  EXPECT_EQ(Show({"--config", config}, "neither").exit_code, 2);
}

TEST_F(DeadLetterTopicTest, ClearModeCarriesTheOriginalKeyBytesAndHeadersInClear) {
  RunService(Config("clear"), "clear");
  const std::vector<Message> messages = kafka_.ReadToEnd({"dl.clear"}, 3);
  ASSERT_EQ(messages.size(), 3u);
  std::map<int64_t, Message> by_source;
  for (const Message& m : messages) {
    EXPECT_EQ(m.header("gongshi.original"), "clear");
    by_source[std::stoll(m.header("gongshi.source.offset"))] = m;
  }
  ASSERT_EQ(by_source.size(), 3u);
  EXPECT_EQ(by_source.at(0).key, kIdNumber);
  EXPECT_EQ(by_source.at(0).value, kBadValue);
  EXPECT_EQ(by_source.at(1).key, kIdNumber);
  EXPECT_EQ(by_source.at(1).header("gongshi.original.null"), "value");
  EXPECT_TRUE(by_source.at(1).value.empty());
  EXPECT_FALSE(by_source.at(1).value_null);
  EXPECT_TRUE(by_source.at(2).key_null);
  EXPECT_EQ(by_source.at(2).header("gongshi.original.null"), "key");
  // The original headers, in clear (a base64 block: a null value needs the block's form).
  auto block = Base64Decode(by_source.at(0).header("gongshi.original.headers"));
  ASSERT_TRUE(block);
  EXPECT_NE(block->find(kTrace), std::string::npos);

  const std::string config = Config("clear");
  // Clear entries open without any key.
  const ProcessResult topic =
      Show({"--topic", "dl.clear", "--config", config}, "clear-topic", "GONGSHI_UNUSED=1");
  ASSERT_EQ(topic.exit_code, 0) << topic.err;
  ExpectShownExactly(ShownBySourceOffset(topic.out));
  std::string file_out;
  for (const std::string& file : DeadLetterFiles("clear")) {
    EXPECT_NE(ReadFile(file).find("original_key_base64"), std::string::npos);
    const ProcessResult shown = Show({file, "--config", config}, "clear-file");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    file_out += shown.out;
  }
  ExpectShownExactly(ShownBySourceOffset(file_out));
}

TEST_F(DeadLetterTopicTest, OmitModeKeepsNothingOfTheMessageButStillTellsATombstone) {
  RunService(Config("omit"), "omit");
  const std::vector<Message> messages = kafka_.ReadToEnd({"dl.omit"}, 3);
  ASSERT_EQ(messages.size(), 3u);
  std::map<int64_t, Message> by_source;
  for (const Message& m : messages) {
    EXPECT_EQ(m.header("gongshi.original"), "omit");
    EXPECT_TRUE(m.key_null);
    EXPECT_TRUE(m.value.empty());
    EXPECT_FALSE(m.value_null);
    EXPECT_EQ(m.header("gongshi.original.headers"), "(absent)");
    EXPECT_EQ(AllBytes(m).find(kIdNumber), std::string::npos);
    by_source[std::stoll(m.header("gongshi.source.offset"))] = m;
  }
  EXPECT_EQ(by_source.at(1).header("gongshi.original.null"), "value");
  EXPECT_EQ(by_source.at(1).header("gongshi.reason"), "kafka_tombstone");
  EXPECT_EQ(by_source.at(2).header("gongshi.original.null"), "key");
  EXPECT_EQ(by_source.at(0).header("gongshi.original.null"), "(absent)");

  std::string file_text;
  for (const std::string& file : DeadLetterFiles("omit")) file_text += ReadFile(file);
  EXPECT_EQ(file_text.find("original_sealed"), std::string::npos);
  EXPECT_EQ(file_text.find("original_key"), std::string::npos);
  EXPECT_EQ(file_text.find("original_headers"), std::string::npos);
  EXPECT_EQ(file_text.find(kIdNumber), std::string::npos);

  const ProcessResult topic =
      Show({"--topic", "dl.omit", "--config", Config("omit")}, "omit-topic", "GONGSHI_UNUSED=1");
  ASSERT_EQ(topic.exit_code, 0) << topic.err;
  const auto shown = ShownBySourceOffset(topic.out);
  ASSERT_EQ(shown.size(), 3u);
  simdjson::dom::parser parser;
  const simdjson::dom::element reject = parser.parse(shown.at(0));
  EXPECT_TRUE(reject["value"].error()) << "not kept: " << shown.at(0);
  EXPECT_TRUE(reject["key"].error());
  const simdjson::dom::element tombstone = parser.parse(shown.at(1));
  EXPECT_TRUE(tombstone["value"].is_null()) << shown.at(1);
}

}  // namespace
}  // namespace gongshi
