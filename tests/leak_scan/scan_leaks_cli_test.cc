// `gongshi scan-leaks` end to end through the built binary: a leak planted in an output directory
// is named by file, line, field and class and its value is printed nowhere; a clean directory
// passes; what cannot be read exits 2.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <simdjson.h>

#include "tests/support/process.h"

namespace gongshi::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kMobile = "13812345678";
const std::string kId = "110101199003074514";

// Every way the values could show up in what the command printed.
void ExpectNoValue(const ProcessResult& result) {
  for (const std::string& value : {kMobile, kId, std::string("12345678"), std::string("74514")}) {
    EXPECT_THAT(result.out, Not(HasSubstr(value)));
    EXPECT_THAT(result.err, Not(HasSubstr(value)));
  }
  EXPECT_THAT(result.err, Not(HasSubstr("张三丰")));
}

class ScanLeaksCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = dir_ / "out";
    fs::create_directories(out_ + "/feeds/penalty");
    fs::create_directories(out_ + "/dlq");
    WriteFile(out_ + "/feeds/penalty/0000000000-9e3633bfe6f610f2bb53cb04339cf850.ndjson",
              "{\"record_id\":\"562f1a99ff82f7b48574e30ba16e510c\",\"violation_facts\":\"当事人张*"
              "（身份证号码11**************4X，手机138****5678）于2023-01-01经营。\"}\n");
    WriteFile(out_ + "/feeds/penalty/0000000000-9e3633bfe6f610f2bb53cb04339cf850.manifest.json",
              "{\"batch_id\":\"9e3633bfe6f610f2bb53cb04339cf850\",\"sha256\":\"" +
                  std::string(64, '0') + "\",\"created_at\":\"2026-12-07T09:22:45Z\"}\n");
  }
  ProcessResult Scan(std::vector<std::string> args) {
    args.insert(args.begin(), "scan-leaks");
    return testing::Run(args, dir_.path());
  }
  TempDir dir_;
  std::string out_;
};

TEST_F(ScanLeaksCliTest, ACleanDirectoryExits0) {
  const ProcessResult result = Scan({out_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"id_number\":0"));
  EXPECT_THAT(result.out, HasSubstr("\"name\":0"));
  EXPECT_EQ(result.err, "");
}

TEST_F(ScanLeaksCliTest, APlantedLeakIsNamedByFileLineFieldAndClassWithoutItsValue) {
  const std::string file = out_ + "/feeds/penalty/0000000001-aaaabbbbccccdddd.ndjson";
  WriteFile(file,
            "{\"remark\":\"无\"}\n{\"remark\":\"无\"}\n"
            "{\"violation_facts\":\"当事人张三丰，联系电话＊" +
                kMobile + "。\"}\n");
  const ProcessResult result = Scan({out_});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr(file + ":3 key violation_facts: mobile"));
  EXPECT_THAT(result.err, HasSubstr(file + ":3 key violation_facts: name"));
  EXPECT_THAT(result.out, HasSubstr("\"mobile\":1"));
  EXPECT_THAT(result.out, HasSubstr("\"name\":1"));
  ExpectNoValue(result);
}

TEST_F(ScanLeaksCliTest, JsonFormat) {
  WriteFile(out_ + "/dlq/0000000001-x.ndjson",
            "{\"reason\":\"x\",\"message\":\"身份证号码" + kId + "\"}\n");
  const ProcessResult result = Scan({out_, "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(result.out).get(root)) << result.out;
  EXPECT_EQ(int64_t(root["counts"]["id_number"]), 1);
  EXPECT_EQ(int64_t(root["total"]), 1);
  simdjson::dom::element finding = root["findings"].at(0);
  EXPECT_EQ(std::string_view(finding["file"]), out_ + "/dlq/0000000001-x.ndjson");
  EXPECT_EQ(int64_t(finding["line"]), 1);
  EXPECT_EQ(std::string_view(finding["field"]), "message");
  EXPECT_EQ(std::string_view(finding["class"]), "id_number");
  ExpectNoValue(result);
}

TEST_F(ScanLeaksCliTest, TheStateIsScannedAndNamedByColumnFamilyAndKeyPrefix) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  fs::create_directories(out_ + "/state");
  ASSERT_TRUE(rocksdb::DB::Open(options, out_ + "/state/rocksdb", &db).ok());
  ASSERT_TRUE(db->Put({}, std::string("\xab\xcd", 2), "电话" + kMobile).ok());
  delete db;
  const ProcessResult result = Scan({out_});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("column family default entry 1 key abcd"));
  EXPECT_THAT(result.err, HasSubstr("value: mobile"));
  EXPECT_THAT(result.out, HasSubstr("\"state_entries\":1"));
  ExpectNoValue(result);
  // --state pointing elsewhere than OUT/state: that store, not this one.
  const ProcessResult elsewhere = Scan({out_, "--state", dir_ / "none"});
  EXPECT_EQ(elsewhere.exit_code, 2);
  EXPECT_THAT(elsewhere.err, HasSubstr("no RocksDB state store"));
}

TEST_F(ScanLeaksCliTest, WhatCannotBeReadExits2) {
  const ProcessResult missing = Scan({dir_ / "missing"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("gongshi scan-leaks:"));
  EXPECT_THAT(missing.err, HasSubstr("missing"));
  const ProcessResult format = Scan({out_, "--format", "xml"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.err, HasSubstr("--format xml"));
}

}  // namespace
}  // namespace gongshi::testing
