// `gongshi replay` over a file: a range re-published under a new redaction policy as
// corrections, each once (a second run, a resumed run or a wider range publishes nothing twice),
// rate-limited into small batches, killed mid-replay without loss; and the rate limiter itself.
#include "pipeline/replay/replay.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "pipeline/dedupe/deduper.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/validate/validator.h"
#include "tests/integration/pass_checks.h"
#include "tests/support/expected_forms.h"

namespace gongshi {
namespace {

using namespace testing;
using std::chrono::milliseconds;

// The redaction fields of both policies but two: p1 publishes the legal representative's name
// and masks a natural person's ID number (11*************02X); p2 masks the name (张*) and drops
// the ID number. A correction shows both changes, one masked and one dropped.
constexpr char kPolicyRules[] =
    "  fields: {legal_rep_id_no: drop, legal_rep_id_type: drop,\n"
    "           subject_id_type: keep, subject_name: mask_name,\n";

std::string PolicyConfig(const TempDir& dir, const std::string& version, uint64_t max_records) {
  const std::string path = dir / (version + ".yaml");
  const bool p1 = version == "p1";
  WriteFile(path, "today: 2026-11-30\ninput: {max_record_bytes: 16384}\nbatch: {max_records: " +
                      std::to_string(max_records) + "}\nredaction:\n  policy_version: " + version +
                      "\n" + kPolicyRules + "           subject_id_no: " + (p1 ? "mask" : "drop") +
                      ", legal_rep_name: " + (p1 ? "keep" : "mask_name") + "}\n");
  return path;
}

struct FeedLine {
  std::string record_id, op, change, legal_rep_name;
  bool has_legal_rep = false;
  // Every member of the line: a string's unescaped text after "s:", anything else as its JSON
  // text after "j:".
  std::map<std::string, std::string> values;
};

struct Batch {
  bool replay = false;
  uint64_t sequence = 0;
  std::string policy;
  std::vector<FeedLine> lines;
};

// Every feed batch of `out`, by batch id and kind.
std::map<std::string, Batch> Batches(const std::string& out) {
  std::map<std::string, Batch> batches;
  simdjson::dom::parser parser;
  for (const char* kind : {"license", "penalty"}) {
    const fs::path dir = fs::path(out) / "feeds" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.path().filename().string().ends_with(".manifest.json")) continue;
      const std::string text = ReadFile(entry.path().string());
      simdjson::dom::element manifest = parser.parse(text);
      Batch& batch = batches[std::string(std::string_view(manifest["batch_id"])) + "/" + kind];
      bool replay = false;
      batch.replay = manifest["replay"].get(replay) == simdjson::SUCCESS && replay;
      batch.sequence = uint64_t(manifest["batch_sequence"]);
      batch.policy = std::string(std::string_view(manifest["policy_version"]));
      std::istringstream in(
          ReadFile((dir / std::string(std::string_view(manifest["feed_file"]))).string()));
      std::string line;
      simdjson::dom::parser line_parser;
      while (std::getline(in, line)) {
        simdjson::dom::element e = line_parser.parse(line);
        FeedLine f;
        f.record_id = std::string(std::string_view(e["record_id"]));
        f.op = std::string(std::string_view(e["op"]));
        std::string_view value;
        if (e["change"].get(value) == simdjson::SUCCESS) f.change = std::string(value);
        if (e["legal_rep_name"].get(value) == simdjson::SUCCESS) {
          f.has_legal_rep = true;
          f.legal_rep_name = std::string(value);
        }
        for (auto [key, member] : e.get_object()) {
          f.values[std::string(key)] = member.get(value) == simdjson::SUCCESS
                                           ? "s:" + std::string(value)
                                           : "j:" + simdjson::minify(member);
        }
        batch.lines.push_back(std::move(f));
      }
    }
  }
  return batches;
}

// How often each record id was published by replay batches.
std::map<std::string, int> ReplayedIds(const std::map<std::string, Batch>& batches) {
  std::map<std::string, int> ids;
  for (const auto& [id, batch] : batches) {
    if (!batch.replay) continue;
    for (const FeedLine& line : batch.lines) ++ids[line.record_id];
  }
  return ids;
}

// The last line each record got from the batches that are not replays (the first pass), in
// batch order: what the site shows of it under the old policy.
std::map<std::string, FeedLine> LastPublished(const std::map<std::string, Batch>& batches) {
  std::vector<const Batch*> ordered;
  for (const auto& [id, batch] : batches) {
    if (!batch.replay) ordered.push_back(&batch);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Batch* a, const Batch* b) { return a->sequence < b->sequence; });
  std::map<std::string, FeedLine> last;
  for (const Batch* batch : ordered) {
    for (const FeedLine& line : batch->lines) last[line.record_id] = line;
  }
  return last;
}

// What one input line is, read apart from the replay: the record id it has (the product's
// parse, validation and keyed identity with the tests' HMAC key, one line at a time, so neither
// the replay's range nor its state has a say) and its clear personal fields.
struct InputLine {
  std::string record_id;  // empty: rejected before it has an identity
  std::string legal_rep_name, subject_id_no;
};

std::vector<InputLine> ReadInputLines(const std::string& path) {
  std::vector<InputLine> lines;
  TempDir scratch;
  auto store = StateStore::Open({.dir = scratch / "db"});
  EXPECT_TRUE(store) << store.error().message();
  auto hash = KeyedHash::Create(kKeyEnv.substr(kKeyEnv.find('=') + 1));
  EXPECT_TRUE(hash) << hash.error().message();
  if (!store || !hash) return lines;
  JsonParser parser(Schemas(), ParserOptions{.max_record_bytes = 16384});
  const Validator validator(Schemas(), ValidatorOptions{.today = kToday});
  Deduper deduper(Schemas(), **store, **hash, "any");
  std::istringstream in(ReadFile(path));
  std::string text;
  RecordBatch batch;
  while (std::getline(in, text)) {
    FillBatch(batch, {text});
    parser.Process(batch);
    validator.Process(batch);
    Record& record = batch.records[0];
    InputLine& line = lines.emplace_back();
    if (!record.pending()) continue;
    deduper.Identify(record);
    line.record_id = HexEncode(record.identity);
    const RecordSchema& schema = Schemas().For(record.kind);
    for (auto [name, out] : {std::pair{"legal_rep_name", &line.legal_rep_name},
                             std::pair{"subject_id_no", &line.subject_id_no}}) {
      const int index = schema.FieldIndex(name);
      if (index >= 0 && record.present.test(index)) *out = std::string(record.fields[index]);
    }
  }
  return lines;
}

// What a correction of `input` must be under p2, given what the first pass published of it
// under p1: the same line, a correction, its ID number dropped, its legal representative's
// name masked there and wherever p1 showed it in clear.
std::map<std::string, std::string> ExpectedCorrection(const FeedLine& published,
                                                      const InputLine& input) {
  std::map<std::string, std::string> expected = published.values;
  expected["change"] = "s:update";
  expected.erase("subject_id_no");
  if (!input.legal_rep_name.empty()) {
    const std::string masked = MaskedName(input.legal_rep_name);
    if (published.legal_rep_name == input.legal_rep_name) {
      for (auto& [key, value] : expected) {
        if (value.starts_with("s:")) value = ReplaceAll(value, input.legal_rep_name, masked);
      }
    }
    expected["legal_rep_name"] = "s:" + masked;
  }
  return expected;
}

// What the checks of the corrections over a range found, for the expectations on their number.
struct CorrectionCheck {
  uint64_t upserts = 0, withdrawals = 0;
  uint64_t names_masked_from_clear = 0;  // a 法定代表人 p1 published, masked now
  uint64_t ids_dropped = 0;              // a natural person's ID number p1 masked, dropped now
  uint64_t wrong_form = 0;               // corrections not exactly as p2 makes them
};

// Every correction in the replay batches of `batches` is of a record some input line in
// [from, to] has, once, and is exactly what p2 makes of what p1 published of it.
CorrectionCheck CheckCorrections(const std::map<std::string, Batch>& batches,
                                 const std::vector<InputLine>& input, int64_t from, int64_t to) {
  std::map<std::string, std::vector<int64_t>> lines_of;  // record id -> input lines
  for (size_t i = 0; i < input.size(); ++i) {
    if (!input[i].record_id.empty()) {
      lines_of[input[i].record_id].push_back(static_cast<int64_t>(i + 1));
    }
  }
  const auto published = LastPublished(batches);
  CorrectionCheck check;
  std::set<std::string> seen;
  for (const auto& [id, batch] : batches) {
    if (!batch.replay) {
      EXPECT_EQ(batch.policy, "p1") << id;
      continue;
    }
    EXPECT_EQ(batch.policy, "p2") << id;
    for (const FeedLine& line : batch.lines) {
      SCOPED_TRACE("record " + line.record_id);
      EXPECT_TRUE(seen.insert(line.record_id).second) << "corrected twice";
      const auto lines = lines_of.find(line.record_id);
      if (lines == lines_of.end()) {
        ADD_FAILURE() << "a correction of a record no input line has";
        continue;
      }
      const auto inside = std::find_if(lines->second.begin(), lines->second.end(),
                                       [&](int64_t n) { return n >= from && n <= to; });
      if (inside == lines->second.end()) {
        ADD_FAILURE() << "republished, but its lines (first " << lines->second.front()
                      << ") are outside " << from << ".." << to;
        continue;
      }
      if (line.op == "withdraw") {
        ++check.withdrawals;
        continue;
      }
      ++check.upserts;
      EXPECT_EQ(line.op, "upsert");
      const auto before = published.find(line.record_id);
      if (before == published.end()) {
        ADD_FAILURE() << "corrected, but the first pass never published it";
        continue;
      }
      const InputLine& source = input[static_cast<size_t>(*inside - 1)];
      const std::string differ =
          DifferingMembers(ExpectedCorrection(before->second, source), line.values);
      if (!differ.empty() && ++check.wrong_form <= 10) {
        ADD_FAILURE() << "line " << *inside << ": the correction's " << differ
                      << " not as the new policy makes it";
      }
      if (!source.legal_rep_name.empty() &&
          before->second.legal_rep_name == source.legal_rep_name) {
        ++check.names_masked_from_clear;
      }
      if (!source.subject_id_no.empty()) {
        // The old form was the mask, and the new one drops it.
        const auto old_form = before->second.values.find("subject_id_no");
        EXPECT_TRUE(old_form != before->second.values.end() &&
                    old_form->second == "s:" + MaskedIdNumber(source.subject_id_no))
            << "line " << *inside << ": the first pass did not publish the ID number masked";
        EXPECT_EQ(line.values.count("subject_id_no"), 0u) << "line " << *inside;
        ++check.ids_dropped;
      }
    }
  }
  EXPECT_EQ(check.wrong_form, 0u) << "corrections not exactly as the new policy makes them";
  return check;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = dir_ / "in.ndjson";
    Generate(input_, 3000, 4242);
    const ProcessResult first = RunPass(dir_, input_, out_, PolicyConfig(dir_, "p1", 500));
    ASSERT_EQ(first.exit_code, 0) << first.err;
    first_ = ParseSummary(first.out);
  }

  ProcessResult Replay(const std::string& config, std::vector<std::string> args,
                       std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"replay", "--config", config, "--input", input_, "--out", out_});
    env.push_back(kKeyEnv);
    return testing::Run(args, dir_.path(), env);
  }

  TempDir dir_;
  std::string input_;
  std::string out_ = dir_ / "out";
  std::map<std::string, uint64_t> first_;
};

uint64_t Outcomes(const std::map<std::string, uint64_t>& s) {
  return s.at("published") + s.at("updated") + s.at("duplicate") + s.at("withdrawn") +
         s.at("withheld") + s.at("rejected");
}

TEST_F(ReplayTest, ARangeIsRepublishedUnderTheNewPolicyOnceAndOnlyThere) {
  const std::vector<InputLine> input = ReadInputLines(input_);
  ASSERT_EQ(input.size(), 3000u);
  std::map<std::string, int> occurrences;
  for (const InputLine& line : input) {
    if (!line.record_id.empty()) ++occurrences[line.record_id];
  }
  const auto first_pass = LastPublished(Batches(out_));
  // A line whose record no other line has, published by the first pass: a replay that reads it
  // must correct it, one that does not must leave it alone.
  auto lone = [&](int64_t n) {
    const InputLine& line = input.at(static_cast<size_t>(n - 1));
    if (line.record_id.empty() || occurrences.at(line.record_id) != 1) return false;
    const auto published = first_pass.find(line.record_id);
    return published != first_pass.end() && published->second.op == "upsert";
  };
  // The range's edges sit between such lines, so a replay reading one line too many or too few
  // at either end corrects a record it must not, or misses one it must. Neither edge falls on a
  // batch boundary (500 records), so the batch that ends the range reads past it.
  int64_t from = 1037, to = 1963;
  while (!(lone(from - 1) && lone(from))) ++from;
  while (!(lone(to) && lone(to + 1))) ++to;
  ASSERT_LT(from, 1100);
  ASSERT_LT(to, 2000);

  const std::string p2 = PolicyConfig(dir_, "p2", 500);
  const std::vector<std::string> range = {"--from-line", std::to_string(from), "--to-line",
                                          std::to_string(to)};
  const ProcessResult replay = Replay(p2, range);
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto summary = ParseSummary(replay.out);
  EXPECT_EQ(summary.at("read"), static_cast<uint64_t>(to - from + 1));
  EXPECT_EQ(Outcomes(summary), summary.at("read")) << replay.out;
  EXPECT_GT(summary.at("updated"), 500u) << replay.out;
  EXPECT_EQ(summary.at("already_done"), 0u);

  const auto batches = Batches(out_);
  const CorrectionCheck check = CheckCorrections(batches, input, from, to);
  EXPECT_EQ(check.upserts, summary.at("updated"));
  EXPECT_EQ(check.withdrawals, summary.at("withdrawn"));
  std::printf("lines %lld..%lld: %llu corrections (%llu names masked, %llu ID numbers dropped)\n",
              static_cast<long long>(from), static_cast<long long>(to),
              static_cast<unsigned long long>(check.upserts),
              static_cast<unsigned long long>(check.names_masked_from_clear),
              static_cast<unsigned long long>(check.ids_dropped));
  EXPECT_GT(check.names_masked_from_clear, 300u) << "the policy change is exercised";
  EXPECT_GT(check.ids_dropped, 100u) << "the policy change is exercised";
  const auto ids = ReplayedIds(batches);
  // Complete: every record all of whose lines are in the range, and that the first pass left
  // published, is corrected (the edges among them).
  std::map<std::string, bool> all_inside;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i].record_id.empty()) continue;
    const int64_t n = static_cast<int64_t>(i + 1);
    auto [it, fresh] = all_inside.emplace(input[i].record_id, true);
    it->second = it->second && n >= from && n <= to;
  }
  uint64_t expected = 0;
  for (const auto& [id, inside] : all_inside) {
    const auto published = first_pass.find(id);
    if (!inside || published == first_pass.end() || published->second.op != "upsert") continue;
    ++expected;
    EXPECT_EQ(ids.count(id), 1u) << "record " << id << " of the range was not corrected";
  }
  EXPECT_GT(expected, 600u);
  std::printf("%llu records wholly inside the range\n", static_cast<unsigned long long>(expected));
  for (int64_t edge : {from, to}) {
    EXPECT_EQ(ids.count(input[static_cast<size_t>(edge - 1)].record_id), 1u) << "line " << edge;
  }
  for (int64_t outside : {from - 1, to + 1}) {
    EXPECT_EQ(ids.count(input[static_cast<size_t>(outside - 1)].record_id), 0u)
        << "line " << outside;
  }

  // The same job again: done already, nothing new.
  const ProcessResult again = Replay(p2, range);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ParseSummary(again.out).at("already_done"), 1u);
  EXPECT_EQ(Batches(out_).size(), batches.size());

  // A wider range: what the first replay corrected is a duplicate now; the rest is corrected.
  const ProcessResult wider = Replay(p2, {});
  ASSERT_EQ(wider.exit_code, 0) << wider.err;
  const auto whole = ParseSummary(wider.out);
  EXPECT_EQ(whole.at("read"), 3000u);
  EXPECT_EQ(Outcomes(whole), 3000u);
  const auto all_batches = Batches(out_);
  const CorrectionCheck everything = CheckCorrections(all_batches, input, 1, 3000);
  EXPECT_EQ(everything.upserts, summary.at("updated") + whole.at("updated"));
  // Together the two replays corrected what the first pass left published, and nothing else.
  std::set<std::string> left_published, corrected;
  for (const auto& [id, line] : first_pass) {
    if (line.op == "upsert") left_published.insert(id);
  }
  for (const auto& [id, n] : ReplayedIds(all_batches)) corrected.insert(id);
  EXPECT_EQ(corrected, left_published);

  const ProcessResult verify = testing::Run({"verify-feeds", out_}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const LeakCount leaks = ScanOutput(out_);
  EXPECT_EQ(leaks.id + leaks.mobile + leaks.card, 0u) << leaks.where;
}

TEST_F(ReplayTest, TheSamePolicyFindsNothingToCorrect) {
  const ProcessResult replay = Replay(PolicyConfig(dir_, "p1", 500), {});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto summary = ParseSummary(replay.out);
  EXPECT_EQ(summary.at("read"), 3000u);
  EXPECT_EQ(summary.at("updated") + summary.at("published") + summary.at("withdrawn"), 0u)
      << replay.out;
  EXPECT_TRUE(ReplayedIds(Batches(out_)).empty());
}

TEST_F(ReplayTest, ARateLimitCutsTheReplayIntoSmallBatches) {
  // 400 records/s: at most 200 (half a second's worth) per batch, so live batches can go
  // between them. The records and outcomes are those of an unlimited replay.
  const ProcessResult limited =
      Replay(PolicyConfig(dir_, "p2", 500), {"--to-line", "1000", "--rate", "400"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  const auto summary = ParseSummary(limited.out);
  EXPECT_EQ(summary.at("read"), 1000u);
  EXPECT_GE(summary.at("batches"), 5u) << limited.out;
  for (const auto& [id, batch] : Batches(out_)) {
    if (batch.replay) {
      EXPECT_LE(batch.lines.size(), 200u) << id;
    }
  }
}

TEST_F(ReplayTest, KilledMidReplayResumesAndCorrectsEachRecordOnce) {
  const std::string p2 = PolicyConfig(dir_, "p2", 400);
  // Killed after its third batch's files were durable and before that batch committed.
  const ProcessResult killed = Replay(p2, {}, {"GONGSHI_FAULT_KILL_AFTER_FILES=3"});
  EXPECT_EQ(killed.signal, SIGKILL) << killed.err;
  const ProcessResult resumed = Replay(p2, {});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto summary = ParseSummary(resumed.out);
  EXPECT_EQ(summary.at("read"), 3000u);
  EXPECT_EQ(Outcomes(summary), 3000u);
  EXPECT_EQ(summary.at("already_done"), 0u);

  // The same corrections as an uninterrupted replay of a copy of the first pass's output.
  TempDir other;
  const std::string other_out = other / "out";
  ASSERT_EQ(RunPass(other, input_, other_out, PolicyConfig(other, "p1", 500)).exit_code, 0);
  const ProcessResult straight = testing::Run(
      {"replay", "--config", PolicyConfig(other, "p2", 400), "--input", input_, "--out", other_out},
      other.path(), {kKeyEnv});
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  EXPECT_EQ(ParseSummary(straight.out).at("updated"), summary.at("updated"));
  const auto ids = ReplayedIds(Batches(out_));
  EXPECT_EQ(ids, ReplayedIds(Batches(other_out)));
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(testing::Run({"verify-feeds", out_}, dir_.path()).exit_code, 0);
}

TEST_F(ReplayTest, MistakesAreClearErrors) {
  const std::string p2 = PolicyConfig(dir_, "p2", 500);
  const ProcessResult backwards = Replay(p2, {"--from-line", "20", "--to-line", "10"});
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("--to-line"), std::string::npos) << backwards.err;
  const ProcessResult offsets = Replay(p2, {"--from-offset", "5"});
  EXPECT_EQ(offsets.exit_code, 2);
  EXPECT_NE(offsets.err.find("--topic"), std::string::npos) << offsets.err;
  const ProcessResult no_kafka = testing::Run(
      {"replay", "--config", p2, "--topic", "t", "--out", out_}, dir_.path(), {kKeyEnv});
  EXPECT_EQ(no_kafka.exit_code, 2);
  EXPECT_NE(no_kafka.err.find("kafka section"), std::string::npos) << no_kafka.err;
}

// `--from-time`/`--to-time` are Asia/Shanghai times (UTC+8, no daylight saving) the job holds as
// broker timestamps in ms. Checked on the queued job (`--queue` contacts no broker), against
// <chrono>'s own count. Which messages a time range then covers is the broker's answer to
// ListOffsets by timestamp, which librdkafka 2.0.2's mock cluster does not give (it answers -1,
// "no message at or after", for every time), so no test here can run one against a broker.
TEST_F(ReplayTest, FromTimeAndToTimeAreShanghaiTimesInTheJob) {
  const std::string config = dir_ / "kafka.yaml";
  WriteFile(config,
            "today: 2026-11-30\nkafka: {topics: [t.penalty], properties: {bootstrap.servers: "
            "\"127.0.0.1:1\", group.id: g}}\nservice: {out_dir: " +
                out_ + "}\n");
  auto queued = [&](const std::vector<std::string>& times) {
    std::vector<std::string> args = {"replay",    "--config", config, "--topic",
                                     "t.penalty", "--out",    out_,   "--queue"};
    args.insert(args.end(), times.begin(), times.end());
    return testing::Run(args, dir_.path(), {kKeyEnv});
  };
  using namespace std::chrono;
  auto utc_ms = [](year_month_day day, hours h, minutes m, seconds s) {
    return duration_cast<milliseconds>((sys_days{day} + h + m + s).time_since_epoch()).count();
  };
  struct Case {
    std::string from, to;
    int64_t from_ms, to_ms;
  };
  // 08:30:15 in Shanghai is 00:30:15 UTC; a date alone is its midnight in Shanghai, 16:00 UTC
  // of the day before (here across a month and a year).
  for (const Case& c :
       {Case{"2026-11-02T08:30:15", "2026-11-03", utc_ms(2026y / 11 / 2, 0h, 30min, 15s),
             utc_ms(2026y / 11 / 2, 16h, 0min, 0s)},
        Case{"2026-01-01", "2026-01-01T07:59", utc_ms(2025y / 12 / 31, 16h, 0min, 0s),
             utc_ms(2025y / 12 / 31, 23h, 59min, 0s)}}) {
    SCOPED_TRACE(c.from + " .. " + c.to);
    fs::remove_all(out_ + "/replay");
    const ProcessResult r = queued({"--from-time", c.from, "--to-time", c.to});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string job;
    for (const auto& entry : fs::directory_iterator(out_ + "/replay/pending")) {
      job = ReadFile(entry.path().string());
    }
    simdjson::dom::parser parser;
    simdjson::dom::element parsed;
    ASSERT_EQ(parser.parse(job).get(parsed), simdjson::SUCCESS) << job;
    EXPECT_EQ(int64_t(parsed["from_ms"]), c.from_ms) << job;
    EXPECT_EQ(int64_t(parsed["to_ms"]), c.to_ms) << job;
    EXPECT_EQ(int64_t(parsed["from_offset"]), -1) << job;
  }
  // Mistakes: not a time, a range that ends before it starts, times with offsets.
  for (const std::string bad :
       {"2026-13-02", "2026-11-02T24:00", "2026-11-02 08:30", "yesterday"}) {
    const ProcessResult r = queued({"--from-time", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find(bad + " is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (Asia/Shanghai)"),
              std::string::npos)
        << r.err;
  }
  const ProcessResult backwards = queued({"--from-time", "2026-11-03", "--to-time", "2026-11-02"});
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("the range ends before it starts"), std::string::npos)
      << backwards.err;
  const ProcessResult both = queued({"--from-time", "2026-11-03", "--from-offset", "4"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("offsets or times, not both"), std::string::npos) << both.err;
}

// In-process, with the pipeline's sink-fault seam: a replay batch whose feed write fails is run
// again as the same batch (nothing skipped, nothing counted twice).
TEST_F(ReplayTest, AFailedBatchIsRetriedAndNothingIsSkipped) {
  auto config = LoadConfig(PolicyConfig(dir_, "p2", 300));
  ASSERT_TRUE(config) << config.error().message();
  ::setenv("GONGSHI_HMAC_KEY", "integration-test-key-0123456789", 1);
  config->state.hmac_key_env = "GONGSHI_HMAC_KEY";
  auto parts = OpenPipelineParts(*config, out_ + "/state");
  ASSERT_TRUE(parts) << parts.error().message();
  auto pipeline = Pipeline::Create(*config, *parts, out_);
  ASSERT_TRUE(pipeline);
  int calls = 0;
  (*pipeline)->set_sink_fault([&]() -> Status {
    if (++calls % 3 == 2) return Fail(ErrorCode::kUnavailable, "injected: the disk is full");
    return Ok();
  });
  ReplayRange range;
  range.input = input_;
  range.policy_version = "p2";
  auto runner = ReplayRunner::Create(range, *config, **pipeline, *parts->store);
  ASSERT_TRUE(runner) << runner.error().message();
  int failures = 0;
  for (int steps = 0; steps < 1000; ++steps) {
    auto more = (*runner)->Step(300, RateLimiter::Clock::now());
    if (!more) {
      EXPECT_EQ(more.error().code(), ErrorCode::kUnavailable);
      ++failures;
      continue;
    }
    if (!*more) break;
  }
  EXPECT_TRUE((*runner)->done());
  EXPECT_GT(failures, 2);
  const RunCounts& counts = (*runner)->counts();
  EXPECT_EQ(counts.read(), 3000u);
  const auto ids = ReplayedIds(Batches(out_));
  EXPECT_EQ(ids.size(), counts.outcomes[static_cast<size_t>(Outcome::kUpdated)] +
                            counts.outcomes[static_cast<size_t>(Outcome::kWithdrawn)]);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

TEST(ReplayJobTest, AJobFileRoundTripsAndItsIdIgnoresTheRate) {
  ReplayRange range;
  range.topic = "t.penalty";
  range.partitions = {0, 2};
  range.from_ms = 1764547200000;
  range.to_ms = 1764633600000;
  range.rate = 250;
  range.policy_version = "p2";
  auto back = ReplayRange::FromJson(range.ToJson());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->ToJson(), range.ToJson());
  EXPECT_EQ(back->JobId(), range.JobId());
  ReplayRange faster = range;
  faster.rate = 1000;
  EXPECT_EQ(faster.JobId(), range.JobId());
  ReplayRange other_policy = range;
  other_policy.policy_version = "p3";
  EXPECT_NE(other_policy.JobId(), range.JobId());
  EXPECT_FALSE(ReplayRange::FromJson("{\"topic\":\"t\",\"from_offset\":9,\"to_offset\":3}"));
  EXPECT_FALSE(ReplayRange::FromJson("not json"));
}

TEST(RateLimiterTest, TakesWhatTheRateAllowsAndSaysHowLongToWait) {
  using Clock = RateLimiter::Clock;
  const Clock::time_point t0{};
  RateLimiter limiter(100, 50, t0);  // 100/s, up to 50 at once
  EXPECT_EQ(limiter.Take(80, t0), 50u);
  EXPECT_EQ(limiter.Take(10, t0), 0u);
  EXPECT_EQ(limiter.Wait(t0), std::chrono::nanoseconds(10'000'001));
  EXPECT_EQ(limiter.Take(10, t0 + milliseconds(100)), 10u);
  EXPECT_EQ(limiter.Take(100, t0 + milliseconds(10'000)), 50u);  // the bucket holds 50
  RateLimiter unlimited(0, 0, t0);
  EXPECT_EQ(unlimited.Take(1'000'000, t0), 1'000'000u);
  EXPECT_EQ(unlimited.Wait(t0).count(), 0);
}

}  // namespace
}  // namespace gongshi
