// Claims of the README that had no test, through the built binary:
// - the HMAC key: state.hmac_key_file, else $GONGSHI_HMAC_KEY (or the variable state.hmac_key_env
//   names), else <state>/hmac.key created once with mode 0600 and reused; a key shorter than 16
//   bytes is refused naming where it came from;
// - verify-feeds names a removed or a truncated newest batch and exits 1;
// - CSV feeds with redaction end to end: the ID columns of natural persons are masked as the
//   policy says (checked against the input's own numbers, masked here from the rule's definition),
//   the legal representative's ID number is dropped, scan-leaks over the CSV output finds nothing,
//   and a leak planted in a CSV file is named by file, line and class with exit 1.
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/stat.h>

#include "tests/integration/pass_checks.h"

namespace gongshi {
namespace {

using namespace gongshi::testing;  // NOLINT(google-build-using-namespace): test helpers
namespace fs = std::filesystem;

class ReadmeClaimsTest : public ::testing::Test {
 protected:
  // Every run here chooses its key explicitly: none may come from the environment ctest ran in.
  void SetUp() override { ::unsetenv("GONGSHI_HMAC_KEY"); }

  // `gongshi run` over in_ into `out` with `env` (no key unless it says so) and config `extra`.
  ProcessResult RunWith(const std::string& out, const std::vector<std::string>& env,
                        const std::string& extra = "", const std::vector<std::string>& args = {}) {
    const std::string config = dir_ / ("config-" + std::to_string(++configs_) + ".yaml");
    WriteFile(config, "today: 2026-11-30\ninput: {max_record_bytes: 16384}\nbatch: {max_records: " +
                          std::to_string(max_records_) + "}\n" + extra);
    std::vector<std::string> command = {"run", "--input", in_, "--out", out, "--config", config};
    command.insert(command.end(), args.begin(), args.end());
    return testing::Run(command, dir_.path(), env);
  }

  TempDir dir_;
  std::string in_ = dir_ / "in.ndjson";
  uint64_t max_records_ = 2000;
  int configs_ = 0;
};

// The record ids of every feed line under `out`: what the HMAC key decides.
std::set<std::string> RecordIds(const std::string& out) {
  std::set<std::string> ids;
  simdjson::dom::parser parser;
  for (const std::string& line : PublishedSet(out)) {
    std::string_view id;
    EXPECT_EQ(parser.parse(line)["record_id"].get(id), simdjson::SUCCESS) << line.substr(0, 80);
    ids.emplace(id);
  }
  return ids;
}

TEST_F(ReadmeClaimsTest, TheStateKeyIsCreatedOnceWithMode0600AndReused) {
  Generate(in_, 400, 71);
  const std::string out = dir_ / "out";
  const ProcessResult first = RunWith(out, {});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string key_path = out + "/state/hmac.key";
  struct stat made {};
  ASSERT_EQ(::stat(key_path.c_str(), &made), 0) << key_path;
  EXPECT_TRUE(S_ISREG(made.st_mode));
  EXPECT_EQ(made.st_mode & 07777, 0600u) << "mode " << std::oct << (made.st_mode & 07777);
  const std::string key = ReadFile(key_path);
  EXPECT_GE(key.size(), 32u) << "a random key of at least 128 bits, hex";
  EXPECT_TRUE(std::regex_match(key, std::regex("[0-9a-f]+")));
  const std::set<std::string> ids = RecordIds(out);
  ASSERT_GT(ids.size(), 100u);
  EXPECT_EQ(key.find(*ids.begin()), std::string::npos);
  EXPECT_EQ(first.err.find(key), std::string::npos) << "the key is never logged";
  EXPECT_EQ(first.out.find(key), std::string::npos) << "the key is never logged";

  // The next run over the same state reads the same key: every record is known (a new key
  // would make every record look new and publish it again), and the file is untouched.
  const ProcessResult second = RunWith(out, {});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto summary = ParseSummary(second.out);
  EXPECT_EQ(summary.at("published"), 0u) << second.out;
  EXPECT_EQ(summary.at("duplicate") + summary.at("rejected"), summary.at("read")) << second.out;
  struct stat after {};
  ASSERT_EQ(::stat(key_path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, made.st_ino) << "the key file was made again";
  EXPECT_EQ(ReadFile(key_path), key);
  EXPECT_EQ(RecordIds(out), ids);

  // The ids are those of that key: the same key given by the environment to a fresh state
  // gives the same record ids.
  const std::string other = dir_ / "other";
  const ProcessResult by_env = RunWith(other, {"GONGSHI_HMAC_KEY=" + key});
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_EQ(RecordIds(other), ids);
  EXPECT_FALSE(fs::exists(other + "/state/hmac.key")) << "a configured key makes no file";
}

// state.hmac_key_file, else the variable (state.hmac_key_env, default GONGSHI_HMAC_KEY), else
// <state>/hmac.key. Each key's record ids are learned from a run that has only that key.
TEST_F(ReadmeClaimsTest, TheKeyFileComesBeforeTheVariableWhichComesBeforeTheStateKey) {
  Generate(in_, 200, 72);
  const std::string file_key = "file-key-0123456789abcdef", env_key = "env-key-0123456789abcdef",
                    state_key = "state-key-0123456789abcdef";
  const std::string key_file = dir_ / "key.txt";
  WriteFile(key_file, file_key + "\n");  // a trailing newline is not part of the key
  auto ids_of = [&](const std::string& name, const std::vector<std::string>& env,
                    const std::string& extra = "", const std::string& planted_state_key = "") {
    const std::string out = dir_ / name;
    if (!planted_state_key.empty()) {
      fs::create_directories(out + "/state");
      WriteFile(out + "/state/hmac.key", planted_state_key);
      fs::permissions(out + "/state/hmac.key", fs::perms::owner_read | fs::perms::owner_write);
    }
    const ProcessResult r = RunWith(out, env, extra);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    return RecordIds(out);
  };
  const std::string with_file = "state: {hmac_key_file: " + key_file + "}\n";
  const auto file_only = ids_of("file-only", {}, with_file);
  const auto env_only = ids_of("env-only", {"GONGSHI_HMAC_KEY=" + env_key});
  const auto state_only = ids_of("state-only", {}, "", state_key);
  ASSERT_FALSE(file_only.empty());
  EXPECT_NE(file_only, env_only);
  EXPECT_NE(env_only, state_only);
  EXPECT_NE(file_only, state_only);
  // The file's key as the variable's: the same ids (the file's newline is not in the key).
  EXPECT_EQ(ids_of("file-as-env", {"GONGSHI_HMAC_KEY=" + file_key}), file_only);

  EXPECT_EQ(ids_of("file-and-env", {"GONGSHI_HMAC_KEY=" + env_key}, with_file), file_only);
  EXPECT_EQ(ids_of("all-three", {"GONGSHI_HMAC_KEY=" + env_key}, with_file, state_key), file_only);
  EXPECT_EQ(ids_of("env-and-state", {"GONGSHI_HMAC_KEY=" + env_key}, "", state_key), env_only);
  // state.hmac_key_env names another variable: GONGSHI_HMAC_KEY is then not read.
  EXPECT_EQ(ids_of("other-variable", {"MY_KEY=" + env_key, "GONGSHI_HMAC_KEY=" + file_key},
                   "state: {hmac_key_env: MY_KEY}\n"),
            env_only);
}

TEST_F(ReadmeClaimsTest, AShortKeyIsRefusedNamingWhereItCameFrom) {
  Generate(in_, 20, 73);
  const std::string key_file = dir_ / "short.key";
  WriteFile(key_file, "0123456789\n");
  const ProcessResult file = RunWith(dir_ / "a", {"GONGSHI_HMAC_KEY=env-key-0123456789abcdef"},
                                     "state: {hmac_key_file: " + key_file + "}\n");
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_NE(file.err.find("state.hmac_key_file " + key_file), std::string::npos) << file.err;
  EXPECT_NE(file.err.find("at least 16 bytes"), std::string::npos) << file.err;

  const ProcessResult missing =
      RunWith(dir_ / "b", {}, "state: {hmac_key_file: " + dir_ / "none.key" + "}\n");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("state.hmac_key_file"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("none.key"), std::string::npos) << missing.err;

  const ProcessResult env = RunWith(dir_ / "c", {"GONGSHI_HMAC_KEY=short"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("$GONGSHI_HMAC_KEY must hold at least 16 bytes"), std::string::npos)
      << env.err;
  const ProcessResult named =
      RunWith(dir_ / "d", {"MY_KEY=short"}, "state: {hmac_key_env: MY_KEY}\n");
  EXPECT_EQ(named.exit_code, 2);
  EXPECT_NE(named.err.find("$MY_KEY must hold at least 16 bytes"), std::string::npos) << named.err;

  fs::create_directories(dir_ / "e/state");
  WriteFile(dir_ / "e/state/hmac.key", "0123");
  const ProcessResult state = RunWith(dir_ / "e", {});
  EXPECT_EQ(state.exit_code, 2);
  EXPECT_NE(state.err.find(dir_ / "e/state/hmac.key"), std::string::npos) << state.err;
  EXPECT_NE(state.err.find("at least 16 bytes"), std::string::npos) << state.err;
  EXPECT_EQ(ReadFile(dir_ / "e/state/hmac.key"), "0123") << "a bad key is not replaced";
  for (const ProcessResult* r : {&file, &env, &named, &state}) {
    EXPECT_EQ(r->err.find("0123456789"), std::string::npos) << "a key is never printed";
    EXPECT_EQ(r->err.find("short\n"), std::string::npos) << "a key is never printed";
  }
}

struct Manifest {
  uint64_t chain_sequence = 0;
  std::string path, feed_file;
};

// The manifests of one kind, by chain position.
std::map<uint64_t, Manifest> Manifests(const std::string& out, const std::string& kind) {
  std::map<uint64_t, Manifest> manifests;
  simdjson::dom::parser parser;
  for (const auto& entry : fs::directory_iterator(out + "/feeds/" + kind)) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".manifest.json")) continue;
    const std::string text = ReadFile(path);
    simdjson::dom::element m = parser.parse(text);
    Manifest manifest;
    manifest.chain_sequence = uint64_t(m["chain_sequence"]);
    manifest.path = path;
    manifest.feed_file = std::string(std::string_view(m["feed_file"]));
    manifests[manifest.chain_sequence] = manifest;
  }
  return manifests;
}

TEST_F(ReadmeClaimsTest, VerifyFeedsNamesARemovedOrTruncatedNewestBatch) {
  Generate(in_, 2000, 74);
  max_records_ = 200;
  const std::string out = dir_ / "out";
  const ProcessResult pass = RunWith(out, {kKeyEnv});
  ASSERT_EQ(pass.exit_code, 0) << pass.err;
  const auto manifests = Manifests(out, "penalty");
  ASSERT_GE(manifests.size(), 4u);
  const Manifest newest = manifests.rbegin()->second;
  ASSERT_EQ(newest.chain_sequence, manifests.size());
  const ProcessResult intact = testing::Run({"verify-feeds", out}, dir_.path());
  ASSERT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_NE(intact.out.find("\"state_heads\":\"match\""), std::string::npos) << intact.out;
  const uint64_t all = manifests.size() + Manifests(out, "license").size();
  EXPECT_NE(intact.out.find("\"manifests_verified\":" + std::to_string(all) + ","),
            std::string::npos)
      << intact.out;

  auto copy = [&](const std::string& name) {
    const std::string to = dir_ / name;
    fs::copy(out, to, fs::copy_options::recursive);
    return to;
  };
  auto in = [](const std::string& root, const Manifest& m) {
    return root + "/feeds/penalty/" + fs::path(m.path).filename().string();
  };

  // The newest batch's feed file cut short: named by its manifest and its file.
  const std::string truncated = copy("truncated");
  const std::string feed = truncated + "/feeds/penalty/" + newest.feed_file;
  fs::resize_file(feed, fs::file_size(feed) / 2);
  const ProcessResult cut = testing::Run({"verify-feeds", truncated}, dir_.path());
  EXPECT_EQ(cut.exit_code, 1) << cut.out;
  EXPECT_NE(cut.err.find(in(truncated, newest) + ": its feed file " + newest.feed_file +
                         " does not match (altered or truncated)"),
            std::string::npos)
      << cut.err;

  // The newest batch removed, manifest and file: the chain left is whole, but the state
  // committed one more.
  const std::string removed = copy("removed");
  fs::remove(in(removed, newest));
  fs::remove(removed + "/feeds/penalty/" + newest.feed_file);
  const ProcessResult gone = testing::Run({"verify-feeds", removed}, dir_.path());
  EXPECT_EQ(gone.exit_code, 1) << gone.out;
  const std::string position = "chain position " + std::to_string(newest.chain_sequence);
  EXPECT_NE(gone.err.find(removed + "/feeds/penalty: the state committed " +
                          std::to_string(newest.chain_sequence) + " manifests"),
            std::string::npos)
      << gone.err;
  EXPECT_NE(gone.err.find(position + " is missing"), std::string::npos) << gone.err;
  // The same state named with --state from elsewhere; without a state only the chain is
  // checked (and says so).
  const std::string moved = dir_ / "moved-state";
  fs::rename(removed + "/state", moved);
  const ProcessResult named =
      testing::Run({"verify-feeds", removed, "--state", moved}, dir_.path());
  EXPECT_EQ(named.exit_code, 1) << named.out;
  EXPECT_NE(named.err.find(position + " is missing"), std::string::npos) << named.err;
  const ProcessResult stateless = testing::Run({"verify-feeds", removed}, dir_.path());
  EXPECT_EQ(stateless.exit_code, 0) << stateless.err;
  EXPECT_NE(stateless.out.find("\"state_heads\":null"), std::string::npos) << stateless.out;
  const ProcessResult no_state =
      testing::Run({"verify-feeds", removed, "--state", dir_ / "nowhere"}, dir_.path());
  EXPECT_EQ(no_state.exit_code, 2);
  EXPECT_NE(no_state.err.find("nowhere"), std::string::npos) << no_state.err;

  // Only the newest manifest removed (its file left): the same.
  const std::string unlisted = copy("unlisted");
  fs::remove(in(unlisted, newest));
  const ProcessResult orphan = testing::Run({"verify-feeds", unlisted}, dir_.path());
  EXPECT_EQ(orphan.exit_code, 1) << orphan.out;
  EXPECT_NE(orphan.err.find(position + " is missing"), std::string::npos) << orphan.err;

  // A batch in the middle removed: the chain itself shows it.
  const std::string middle = copy("middle");
  const Manifest second = manifests.at(2);
  fs::remove(in(middle, second));
  const ProcessResult hole = testing::Run({"verify-feeds", middle}, dir_.path());
  EXPECT_EQ(hole.exit_code, 1) << hole.out;
  EXPECT_NE(hole.err.find("chain position 2 is missing"), std::string::npos) << hole.err;
}

// RFC 4180 records of a CSV feed file (UTF-8 BOM, CRLF, quoted cells with "" and line breaks).
std::vector<std::vector<std::string>> ReadCsv(std::string text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false, cell_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"' && !cell_started) {
      quoted = cell_started = true;
    } else if (c == ',') {
      rows.back().push_back(cell);
      cell.clear();
      cell_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(cell);
      cell.clear();
      cell_started = false;
      rows.emplace_back();
      ++i;
    } else {
      cell += c;
      cell_started = true;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// The mask rule's definition (README "Personal data"): an ID number keeps its first 2 and last
// 3 characters, every other one is *.
std::string MaskedIdNumber(const std::string& id) {
  std::string out = id;
  for (size_t i = 2; i + 3 < out.size(); ++i) out[i] = '*';
  return out;
}

TEST_F(ReadmeClaimsTest, CsvFeedsAreRedactedAndScanLeaksReadsThem) {
  Generate(in_, 3000, 75);
  const std::string out = dir_ / "out";
  const ProcessResult pass = RunWith(out, {kKeyEnv}, "feeds: {csv: true}\n");
  ASSERT_EQ(pass.exit_code, 0) << pass.err;

  // Every ID number the input gives in an ID field (subject_id_no, legal_rep_id_no under any of
  // their names, read with the schemas' alias tables): the CSV may show only their masks.
  std::set<std::string> clear, masks;
  {
    std::istringstream input(ReadFile(in_));
    simdjson::dom::parser parser;
    for (std::string line; std::getline(input, line);) {
      simdjson::dom::object object;
      if (parser.parse(line).get(object) != simdjson::SUCCESS) continue;
      for (auto [key, value] : object) {
        bool id_field = false;
        for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
          const RecordSchema& schema = Schemas().For(kind);
          const int index = schema.LookupKey(key);
          id_field = id_field || (index >= 0 && (index == schema.FieldIndex("subject_id_no") ||
                                                 index == schema.FieldIndex("legal_rep_id_no")));
        }
        std::string_view text;
        if (!id_field || value.get(text) != simdjson::SUCCESS) continue;
        std::string id(text);
        if (std::regex_match(id, std::regex("[0-9]{17}[0-9xX]"))) {
          if (id.back() == 'x') id.back() = 'X';
          clear.insert(id);
          masks.insert(MaskedIdNumber(id));
        }
      }
    }
  }
  ASSERT_GT(clear.size(), 300u);
  const std::regex id_number("[0-9]{17}[0-9X]");

  uint64_t natural = 0, csv_files = 0, rows = 0;
  std::vector<std::string> files;
  for (const char* kind : {"license", "penalty"}) {
    for (const auto& entry : fs::directory_iterator(out + "/feeds/" + kind)) {
      if (entry.path().extension() != ".csv") continue;
      ++csv_files;
      files.push_back(entry.path().string());
      const auto csv = ReadCsv(ReadFile(entry.path().string()));
      ASSERT_GE(csv.size(), 2u) << entry.path();
      std::map<std::string, size_t> column;
      for (size_t i = 0; i < csv[0].size(); ++i) column[csv[0][i]] = i;
      const size_t id_type = column.at("证件类型"), id_no = column.at("证件号码"),
                   rep_id = column.at("法定代表人证件号码"), op = column.at("操作");
      for (size_t r = 1; r < csv.size(); ++r) {
        const auto& row = csv[r];
        SCOPED_TRACE(entry.path().filename().string() + " record " + std::to_string(r + 1));
        ASSERT_EQ(row.size(), csv[0].size());
        ++rows;
        EXPECT_TRUE(row[rep_id].empty()) << "法定代表人证件号码 is dropped by the policy";
        for (const std::string& cell : row) {
          for (auto it = std::sregex_iterator(cell.begin(), cell.end(), id_number);
               it != std::sregex_iterator(); ++it) {
            EXPECT_EQ(clear.count(it->str()), 0u) << "an input ID number in clear";
          }
        }
        if (row[op] == "撤销" || row[id_no].empty()) continue;
        if (row[id_type] != "身份证") continue;
        ++natural;
        EXPECT_EQ(masks.count(row[id_no]), 1u)
            << "证件号码 is not the mask (2 kept, 3 kept) of an input ID number";
        EXPECT_EQ(clear.count(row[id_no]), 0u);
      }
    }
  }
  EXPECT_GT(csv_files, 1u);
  EXPECT_GT(natural, 100u) << rows << " rows";
  std::printf("%llu CSV files, %llu rows, %llu natural persons' 证件号码 masked\n",
              static_cast<unsigned long long>(csv_files), static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(natural));

  const ProcessResult clean = testing::Run({"scan-leaks", out}, dir_.path());
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  // A clear ID number and a mobile planted in one cell of a new last record of one CSV file:
  // named by that file, its record number and the class, exit 1, the values printed nowhere.
  std::sort(files.begin(), files.end());
  const std::string victim = files.back();
  const size_t records = ReadCsv(ReadFile(victim)).size();
  const std::string planted_id = "110101199003074514", planted_mobile = "13912345678";
  std::string text = ReadFile(victim);
  text += "新增,0123456789abcdef0123456789abcdef,\"备注：身份证号码" + planted_id + "，电话" +
          planted_mobile + "\"\r\n";
  WriteFile(victim, text);
  const ProcessResult leak = testing::Run({"scan-leaks", out}, dir_.path());
  EXPECT_EQ(leak.exit_code, 1) << leak.out << leak.err;
  const std::string where = victim + ":" + std::to_string(records + 1) + " ";
  std::set<std::string> classes;
  std::istringstream lines(leak.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(where) != std::string::npos) classes.insert(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(classes, (std::set<std::string>{"id_number", "mobile"})) << leak.err;
  EXPECT_NE(leak.out.find("\"id_number\":1"), std::string::npos) << leak.out;
  for (const std::string& value : {planted_id, planted_mobile}) {
    EXPECT_EQ(leak.out.find(value), std::string::npos);
    EXPECT_EQ(leak.err.find(value), std::string::npos);
  }
}

}  // namespace
}  // namespace gongshi
