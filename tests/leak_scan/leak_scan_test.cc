// LeakScanner over files and the state: JSON strings at any depth with their key paths, CSV cells
// with their column headers in UTF-8-BOM and GB18030, dead letters' clear originals, gongshi's own
// keys and organisation codes left alone, every column family of a RocksDB store, and the errors
// that make a scan fail instead of passing for clean.
#include "pipeline/leak_scan/leak_scan.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iconv.h>
#include <rocksdb/db.h>

#include "tests/leak_scan/luhn.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using testing::WriteFile;
namespace fs = std::filesystem;

// A valid ID number (GB 11643 check character computed by hand: 110101199003074514).
const std::string kId = "110101199003074514";
const std::string kMobile = "13812345678";

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2 + 8, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &out_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

class LeakScanTest : public ::testing::Test {
 protected:
  LeakReport Scan(const std::string& name, const std::string& bytes) {
    auto scanner = LeakScanner::Create(testing::Schemas());
    EXPECT_TRUE(scanner) << scanner.error().message();
    LeakReport report;
    scanner->ScanFileBytes(name, bytes, report);
    return report;
  }
  Result<LeakReport> ScanDir(const std::string& out, LeakScanOptions options = {}) {
    return ScanForLeaks(out, testing::Schemas(), options);
  }
  TempDir dir_;
};

TEST_F(LeakScanTest, JsonStringsAtAnyDepthWithTheirKeyPath) {
  const std::string lines = "{\"kind\":\"penalty\",\"violation_facts\":\"当事人联系电话" + kMobile +
                            "。\"}\n"
                            "\n"
                            "{\"a\":{\"b\":[\"clean\",\"身份证号码" +
                            kId + "\"]},\"n\":13812345678}\n";
  const LeakReport report = Scan("x.ndjson", lines);
  EXPECT_EQ(report.count(LeakClass::kMobile), 1u) << "numbers are not strings: not scanned";
  EXPECT_EQ(report.count(LeakClass::kIdNumber), 1u);
  ASSERT_EQ(report.first_findings.size(), 2u);
  EXPECT_EQ(report.first_findings[0].file, "x.ndjson");
  EXPECT_EQ(report.first_findings[0].line, 1);
  EXPECT_EQ(report.first_findings[0].field, "violation_facts");
  EXPECT_EQ(report.first_findings[0].kind, LeakClass::kMobile);
  EXPECT_EQ(report.first_findings[1].line, 3);
  EXPECT_EQ(report.first_findings[1].field, "a.b[1]");
  EXPECT_EQ(report.lines, 2u);
}

TEST_F(LeakScanTest, JsonEscapesAreReadAsTheirCharacters) {
  // \u0031 is '1': a redactor that looked at the raw bytes would miss this one.
  const LeakReport report = Scan("x.ndjson", "{\"remark\":\"电话\\u0031\\u0033812345678\"}\n");
  EXPECT_EQ(report.count(LeakClass::kMobile), 1u);
}

TEST_F(LeakScanTest, LinesThatAreNotJsonAreReadAsText) {
  const LeakReport report =
      Scan("notes.txt", "plain line " + kMobile + "\n{\"broken json " + kId + "\n");
  EXPECT_EQ(report.count(LeakClass::kMobile), 1u);
  EXPECT_EQ(report.count(LeakClass::kIdNumber), 1u);
  ASSERT_EQ(report.first_findings.size(), 2u);
  EXPECT_EQ(report.first_findings[1].line, 2);
  EXPECT_EQ(report.first_findings[1].field, "");
}

TEST_F(LeakScanTest, AGb18030LineIsTranscoded) {
  // A site's answer kept in dlq/http/ or any text in the older encoding: names are only there once
  // transcoded (the digits read the same in both).
  EXPECT_EQ(Scan("dlq/http/0-x.txt", ToGb18030("退回：当事人李小明证实\n")).count(LeakClass::kName),
            1u);
}

TEST_F(LeakScanTest, GongshisOwnKeysAreSkipped) {
  const std::string line =
      "{\"record_id\":\"" + kMobile + "\",\"batch_id\":\"" + kId + "\",\"sha256\":\"" + kId +
      "\",\"previous_manifest_sha256\":\"" + kMobile + "\",\"feed_file\":\"0-" + kMobile +
      ".ndjson\",\"original_sealed\":\"" + kId + "\",\"csv_sha256\":\"" + kId +
      "\",\"original_key_sealed\":\"" + kId + "\",\"original_headers_sealed\":\"" + kMobile +
      "\",\"x_sha256\":\"" + kMobile + "\"}\n";
  EXPECT_EQ(Scan("m.manifest.json", line).total(), 0u);
  // The same values under other keys are findings.
  EXPECT_EQ(Scan("m.json", "{\"note\":\"" + kMobile + "\",\"x\":\"" + kId + "\"}\n").total(), 2u);
}

// GB 32100 check character of 17 characters (computed here, apart from the code under test).
char UsccCheck(const std::string& first17) {
  static const std::string kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int kWeights[] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += static_cast<int>(kAlphabet.find(first17[i])) * kWeights[i];
  return kAlphabet[(31 - sum % 31) % 31];
}
char IdCheck(const std::string& first17) {
  static const int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

TEST_F(LeakScanTest, OrganisationCodesInTheirFieldsAreNotPersonal) {
  // 18 digits that are both a valid USCC and a valid ID number: in a uscc field, a USCC.
  std::string both;
  for (int serial = 0; serial < 1000 && both.empty(); ++serial) {
    const std::string first17 = fmt::format("11010119900307{:03d}", serial);
    if (IdCheck(first17) == UsccCheck(first17) && IdCheck(first17) != 'X') {
      both = first17 + IdCheck(first17);
    }
  }
  ASSERT_FALSE(both.empty());
  EXPECT_EQ(Scan("f.ndjson", "{\"uscc\":\"" + both + "\",\"authority_uscc\":\"" + both +
                                 "\",\"source_unit_uscc\":\"" + both + "\"}\n")
                .total(),
            0u);
  EXPECT_EQ(Scan("f.ndjson", "{\"remark\":\"" + both + "\"}\n").count(LeakClass::kIdNumber), 1u);
  // A natural person's ID number put in the uscc field (failing GB 32100) is still one.
  ASSERT_NE(UsccCheck(kId.substr(0, 17)), kId[17]);
  EXPECT_EQ(Scan("f.ndjson", "{\"uscc\":\"" + kId + "\"}\n").count(LeakClass::kIdNumber), 1u);
}

TEST_F(LeakScanTest, AnAllDigitUsccInTextIsNotACard) {
  // An authority's USCC, all digits, that passes Luhn: in free text or the state's binary
  // records, an organisation's code and not a card.
  std::string code;
  for (int serial = 0; serial < 100000 && code.empty(); ++serial) {
    const std::string first17 = fmt::format("1133010000{:07d}", serial);
    const char check = UsccCheck(first17);
    if (check < '0' || check > '9') continue;
    const std::string candidate = first17 + check;
    if (testing::PassesLuhn(candidate)) code = candidate;
  }
  ASSERT_FALSE(code.empty());
  EXPECT_EQ(Scan("f.ndjson", "{\"remark\":\"处罚机关代码" + code + "。\"}\n").total(), 0u);
  // Glued to letters it is no token of its own, but still no card.
  EXPECT_EQ(Scan("f.ndjson", "{\"remark\":\"代码No" + code + "。\"}\n").total(), 0u);
}

TEST_F(LeakScanTest, TheRecordsOwnNumbersAreNotMobilesOrCards) {
  // A licence number of area code, year and serial passing Luhn; a registration number.
  EXPECT_EQ(Scan("f.ndjson",
                 "{\"license_no\":\"建字第33030220262749301号\","
                 "\"business_reg_no\":\"330106000123456\"}\n")
                .total(),
            0u);
  // An ID number there is still one.
  EXPECT_EQ(Scan("f.ndjson", "{\"license_no\":\"" + kId + "\"}\n").count(LeakClass::kIdNumber), 1u);
}

TEST_F(LeakScanTest, ADeadLettersClearOriginalIsDecodedAndScanned) {
  const std::string original =
      "{\"CF_WFSS\":\"当事人张三，电话" + kMobile + "\",\"XK_XDR_SFZH\":\"" + kId + "\"}";
  const std::string line =
      "{\"reason\":\"uscc_checksum\",\"original\":\"clear\","
      "\"original_base64\":\"" +
      Base64(original) + "\"}\n";
  const LeakReport report = Scan("dlq/0-x.ndjson", line);
  EXPECT_EQ(report.count(LeakClass::kMobile), 1u);
  EXPECT_EQ(report.count(LeakClass::kIdNumber), 1u);
  EXPECT_EQ(report.count(LeakClass::kName), 1u);
  ASSERT_FALSE(report.first_findings.empty());
  EXPECT_EQ(report.first_findings[0].field, "original_base64>CF_WFSS");
  // Not JSON inside: the bytes as text. GB18030 inside: transcoded.
  EXPECT_EQ(Scan("d.ndjson", "{\"original_base64\":\"" + Base64("raw " + kMobile) + "\"}\n")
                .count(LeakClass::kMobile),
            1u);
  EXPECT_EQ(Scan("d.ndjson", "{\"original_base64\":\"" +
                                 Base64(ToGb18030("{\"x\":\"当事人李小明证实\"}")) + "\"}\n")
                .count(LeakClass::kName),
            1u);
  // The sealed form is ciphertext: skipped.
  EXPECT_EQ(Scan("d.ndjson", "{\"original_sealed\":\"" + Base64(original) + "\"}\n").total(), 0u);
}

TEST_F(LeakScanTest, CsvTemplateInUtf8WithBomNamesTheColumnAndRecord) {
  const std::string csv =
      "\xEF\xBB\xBF操作,记录标识,行政相对人名称,违法事实\r\n"
      "新增,101112131415161718191a1b1c1d1e1f,某公司,\"无\"\r\n"
      "新增,202122232425262728292a2b2c2d2e2f,某店,\"第一行\r\n当事人王小明，电话 " +
      kMobile + ", 含逗号\"\"引号\"\"\"\r\n";
  const LeakReport report = Scan("feeds/penalty/0-x.csv", csv);
  EXPECT_EQ(report.count(LeakClass::kMobile), 1u);
  EXPECT_EQ(report.count(LeakClass::kName), 1u);
  EXPECT_EQ(report.total(), 2u) << "the record ids are gongshi's hex, not numbers";
  ASSERT_EQ(report.first_findings.size(), 2u);
  EXPECT_EQ(report.first_findings[0].field, "违法事实");
  EXPECT_EQ(report.first_findings[0].line, 3) << "CSV records, the header being 1";
  EXPECT_EQ(report.lines, 3u);
}

TEST_F(LeakScanTest, CsvQuotesAndTheRecordsOwnNumbers) {
  const std::string csv =
      "\xEF\xBB\xBF操作,备注,许可编号,违法事实\r\n"
      "新增,\"含\"\"引号\"\",逗号\",建字第33030220262749301号,电话" +
      kMobile + "\r\n";
  const LeakReport report = Scan("feeds/license/0-x.csv", csv);
  EXPECT_EQ(report.total(), 1u) << "the licence number passes Luhn but is the record's own";
  ASSERT_EQ(report.first_findings.size(), 1u);
  EXPECT_EQ(report.first_findings[0].field, "违法事实") << "a doubled quote and a comma in a cell";
}

TEST_F(LeakScanTest, CsvTemplateInGb18030IsTranscodedFirst) {
  const std::string utf8 =
      "操作,记录标识,违法事实,行政相对人代码_1(统一社会信用代码)\r\n"
      "新增,101112131415161718191a1b1c1d1e1f,消费者欧阳娜娜投诉,91330106MA2B3C4D5E\r\n";
  const std::string gb = ToGb18030(utf8);
  ASSERT_NE(gb, utf8);
  const LeakReport report = Scan("feeds/license/0-x.csv", gb);
  EXPECT_EQ(report.count(LeakClass::kName), 1u) << "only a transcoded text has the name";
  ASSERT_EQ(report.first_findings.size(), 1u);
  EXPECT_EQ(report.first_findings[0].field, "违法事实") << "the header, in UTF-8";
}

TEST_F(LeakScanTest, TheCheckedInCsvFixturesAreClean) {
  for (const char* name : {"license_utf8_bom.csv", "license_gb18030.csv", "penalty_utf8_bom.csv",
                           "penalty_gb18030.csv"}) {
    const std::string bytes =
        testing::ReadFile(std::string(GONGSHI_TEST_FIXTURES_DIR) + "/csv/" + name);
    ASSERT_FALSE(bytes.empty()) << name;
    const LeakReport report = Scan(name, bytes);
    EXPECT_EQ(report.total(), 0u) << name;
    EXPECT_GE(report.lines, 3u) << name;
  }
}

TEST_F(LeakScanTest, EveryFileUnderTheOutputDirectory) {
  const fs::path out = dir_ / "out";
  for (const char* sub : {"feeds/penalty", "dlq/http", "withheld", "replay/done"}) {
    fs::create_directories(out / sub);
  }
  WriteFile(out / "feeds/penalty/0-a.ndjson", "{\"remark\":\"电话" + kMobile + "\"}\n");
  WriteFile(out / "dlq/http/0-a.json", "{\"answer\":\"rejected: 邮箱 li@qq.com\"}\n");
  WriteFile(out / "withheld/0-a.ndjson", "{\"reason\":\"minor\"}\n");
  WriteFile(out / "replay/done/job.json", "{\"note\":\"" + kId + "\"}\n");
  WriteFile(out / "stray.log", "nothing here 2023-01-01\n");
  auto report = ScanDir(out);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->files, 5u);
  EXPECT_EQ(report->count(LeakClass::kMobile), 1u);
  EXPECT_EQ(report->count(LeakClass::kEmail), 1u);
  EXPECT_EQ(report->count(LeakClass::kIdNumber), 1u);
  const std::string json = LeakReportJson(*report);
  EXPECT_THAT(json, HasSubstr("dlq/http/0-a.json"));
  EXPECT_THAT(json, HasSubstr("\"class\":\"email\""));
  EXPECT_THAT(json, Not(HasSubstr(kMobile)));
  EXPECT_THAT(json, Not(HasSubstr("li@qq.com")));
}

TEST_F(LeakScanTest, FindingsAreCappedButCountsAreComplete) {
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += "{\"remark\":\"电话" + kMobile + "\"}\n";
  fs::create_directories(dir_ / "out");
  WriteFile(dir_ / "out/a.ndjson", lines);
  LeakScanOptions options;
  options.max_findings = 5;
  auto report = ScanDir(dir_ / "out", options);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->count(LeakClass::kMobile), 30u);
  EXPECT_EQ(report->first_findings.size(), 5u);
}

// A RocksDB store with two column families, as the service's state might grow to.
void MakeStore(const std::string& path, const std::vector<std::pair<std::string, std::string>>& a,
               const std::vector<std::pair<std::string, std::string>>& b) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"ledger", rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
  for (const auto& [k, v] : a) ASSERT_TRUE(db->Put({}, handles[0], k, v).ok());
  for (const auto& [k, v] : b) ASSERT_TRUE(db->Put({}, handles[1], k, v).ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

TEST_F(LeakScanTest, TheStateEveryColumnFamilyKeyAndValue) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out / "state");
  const std::string binary_key("\x01\x9f\x33\x00\xfe\x10\x20\x30\x40", 9);
  MakeStore(out / "state/rocksdb",
            {{binary_key, std::string("\x12\x00", 2) + "联系电话" + kMobile},
             {"a", "11330100002493117X\x21"},  // an authority's code in a binary record
             {"b",
              "\x03"
              "ab#cd.ef\x01Z@6E.XBWm"},  // random bytes shaped like e-mails
             {"c", std::string("\x09", 1) + "li@qq.com"}},
            {{"p:" + kId, "clean"}});
  WriteFile(out / "state/hmac.key", kId + kMobile);  // random bytes by design: never scanned
  auto report = ScanDir(out);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->state_entries, 5u);
  ASSERT_EQ(report->state_dirs.size(), 1u);
  EXPECT_EQ(report->count(LeakClass::kMobile), 1u);
  EXPECT_EQ(report->count(LeakClass::kIdNumber), 1u);
  EXPECT_EQ(report->count(LeakClass::kEmail), 1u) << "li@qq.com, not the random bytes";
  EXPECT_EQ(report->files, 0u) << "neither the store's files nor hmac.key are read as files";
  ASSERT_EQ(report->first_findings.size(), 3u);
  const LeakFinding& value = report->first_findings[0];
  EXPECT_EQ(value.column_family, "default");
  EXPECT_EQ(value.field, "value");
  EXPECT_EQ(value.key_prefix, "019f3300fe102030") << "8 bytes of the key, in hex";
  const LeakFinding& key = report->first_findings[2];
  EXPECT_EQ(key.column_family, "ledger");
  EXPECT_EQ(key.field, "key");
  EXPECT_EQ(key.key_prefix, "703a") << "'p:', stopping before the ID";
  // The same with --state given, and a store opened beside a writer (read-only, no lock).
  rocksdb::DB* writer = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), out / "state/rocksdb",
                                {{rocksdb::kDefaultColumnFamilyName, {}}, {"ledger", {}}}, &handles,
                                &writer)
                  .ok());
  LeakScanOptions options;
  options.state_dir = out / "state";
  auto beside = ScanDir(out, options);
  ASSERT_TRUE(beside) << beside.error().message();
  EXPECT_EQ(beside->total(), 3u);
  for (auto* h : handles) writer->DestroyColumnFamilyHandle(h);
  delete writer;
}

TEST_F(LeakScanTest, AnAuthoritysCodeGluedToALengthByteInTheStateIsNoCard) {
  // The state's binary records put a length byte after each string: '0' (48) before a
  // 16-character name. An all-digit USCC glued to it reads as 19 digits that may pass Luhn.
  std::string glued;
  for (int serial = 0; serial < 100000 && glued.empty(); ++serial) {
    const std::string first17 = fmt::format("1123010{:010d}", serial);
    const char check = UsccCheck(first17);
    if (check < '0' || check > '9') continue;
    const std::string candidate = first17 + check + "0";
    if (testing::PassesLuhn(candidate)) glued = candidate;
  }
  ASSERT_FALSE(glued.empty());
  fs::create_directories(dir_ / "out/state");
  MakeStore(dir_ / "out/state/rocksdb", {{"e1", "\x12" + glued + "湖北省药品监督管理局"}}, {});
  auto report = ScanDir(dir_ / "out");
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->total(), 0u);
  // In a text they are no card either: no payment card starts with 1 (ISO/IEC 7812). A rejected
  // record's broken authority code is kept in the audit ledger as it came (11510106019598049N).
  EXPECT_EQ(Scan("x.ndjson", "{\"remark\":\"账号" + glued + "\"}\n").count(LeakClass::kBankCard),
            0u);
  EXPECT_EQ(
      Scan("x.ndjson", "{\"remark\":\"编码11510106019598049N\"}\n").count(LeakClass::kBankCard),
      0u);
  EXPECT_EQ(
      Scan("x.ndjson", "{\"remark\":\"账号6222021234567890128\"}\n").count(LeakClass::kBankCard),
      1u);
}

TEST_F(LeakScanTest, AStoreElsewhereWithStateDir) {
  MakeStore(dir_ / "elsewhere", {{"k", "电话" + kMobile}}, {});
  fs::create_directories(dir_ / "out");
  LeakScanOptions options;
  options.state_dir = dir_ / "elsewhere";  // a RocksDB directory itself
  auto report = ScanDir(dir_ / "out", options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->count(LeakClass::kMobile), 1u);
  options.scan_state = false;
  EXPECT_EQ(ScanDir(dir_ / "out", options)->total(), 0u);
}

TEST_F(LeakScanTest, WhatCannotBeReadFailsTheScan) {
  auto missing = ScanDir(dir_ / "nothing-here");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_THAT(missing.error().message(), HasSubstr("nothing-here"));
  WriteFile(dir_ / "a-file", "x");
  EXPECT_FALSE(ScanDir(dir_ / "a-file"));
  fs::create_directories(dir_ / "out");
  LeakScanOptions options;
  options.state_dir = dir_ / "no-state";
  auto no_state = ScanDir(dir_ / "out", options);
  ASSERT_FALSE(no_state);
  EXPECT_THAT(no_state.error().message(), HasSubstr("no-state"));
  // A store that is not one (CURRENT names no manifest).
  fs::create_directories(dir_ / "out/state/rocksdb");
  WriteFile(dir_ / "out/state/rocksdb/CURRENT", "MANIFEST-000999\n");
  auto broken = ScanDir(dir_ / "out");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(broken.error().message(), HasSubstr("state store"));
  LeakScanOptions no_names;
  no_names.names_file = dir_ / "missing-names.json";
  auto names = ScanDir(dir_ / "out", no_names);
  ASSERT_FALSE(names);
  EXPECT_EQ(names.error().code(), ErrorCode::kInvalidConfig);
}

// The build is the independence: the leak scan's sources include nothing of the stages it checks.
TEST(LeakScanIndependenceTest, IncludesNeitherRedactNorValidate) {
  const char* root = std::getenv("GONGSHI_DATA_DIR");
  ASSERT_NE(root, nullptr);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(root) / "pipeline/leak_scan")) {
    const std::string text = testing::ReadFile(entry.path().string());
    EXPECT_THAT(text, Not(HasSubstr("pipeline/redact/"))) << entry.path();
    EXPECT_THAT(text, Not(HasSubstr("pipeline/validate/"))) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 6u);
}

}  // namespace
}  // namespace gongshi
