// The national CSV template beside the NDJSON feed: Chinese headers, RFC 4180 quoting, formula
// neutralisation, UTF-8-BOM and GB18030 bytes against fixtures written by
// tests/fixtures/csv/make_expected.py (Python's csv rules and gb18030 codec, not this code), and
// the manifest and verify-feeds coverage of the CSV file.
#include "pipeline/sink/csv_feed.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "pipeline/common/atomic_file.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/parse/transcoder.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/validate/validator.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Schemas;

// Fixture bytes exactly (testing::Fixture trims the final line end, which a CSV needs).
std::string CsvFixture(const std::string& name) {
  return testing::ReadFile(std::string(GONGSHI_TEST_FIXTURES_DIR) + "/csv/" + name);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string Cell(std::string_view text) {
  std::string out;
  AppendCsvCell(out, text);
  return out;
}

const std::vector<std::string> kLicenseHeader = {
    "操作",
    "记录标识",
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1(统一社会信用代码)",
    "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政许可决定文书名称",
    "行政许可决定文书号",
    "许可类别",
    "许可证书名称",
    "许可编号",
    "许可内容",
    "许可决定日期",
    "有效期自",
    "有效期至",
    "许可机关",
    "许可机关统一社会信用代码",
    "当前状态",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
    "撤销原因",
};

const std::vector<std::string> kPenaltyHeader = {
    "操作",
    "记录标识",
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1(统一社会信用代码)",
    "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
    "当前状态",
    "撤销原因",
};

TEST(CsvCellTest, QuotesCommasQuotesAndLineBreaksOnly) {
  EXPECT_EQ(Cell("福州示例贸易有限公司"), "福州示例贸易有限公司");
  EXPECT_EQ(Cell(""), "");
  EXPECT_EQ(Cell("a,b"), "\"a,b\"");
  EXPECT_EQ(Cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Cell("\""), "\"\"\"\"");
  EXPECT_EQ(Cell("one\ntwo"), "\"one\ntwo\"");
  EXPECT_EQ(Cell("one\r\ntwo"), "\"one\r\ntwo\"");
  EXPECT_EQ(Cell("a，b；c"), "a，b；c");  // full-width punctuation is not a separator
  EXPECT_EQ(Cell(" padded "), " padded ");
}

TEST(CsvCellTest, FormulaStartsGetAnApostrophe) {
  EXPECT_EQ(Cell("=1+1"), "'=1+1");
  EXPECT_EQ(Cell("+86 138"), "'+86 138");
  EXPECT_EQ(Cell("-1"), "'-1");
  EXPECT_EQ(Cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(Cell("\tx"), "'\tx");
  EXPECT_EQ(Cell("\rx"), "\"'\rx\"");  // guarded and, holding a CR, quoted
  EXPECT_EQ(Cell("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  // Only the first character counts.
  EXPECT_EQ(Cell("a=1"), "a=1");
  EXPECT_EQ(Cell("1-2"), "1-2");
  EXPECT_EQ(Cell("'=1"), "'=1");
}

TEST(CsvEncodingTest, NamesRoundTripAndUnknownIsAConfigError) {
  for (CsvEncoding encoding : {CsvEncoding::kUtf8Bom, CsvEncoding::kGb18030}) {
    auto parsed = ParseCsvEncoding(CsvEncodingName(encoding));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, encoding);
  }
  EXPECT_EQ(ParseCsvEncoding("UTF-8").value(), CsvEncoding::kUtf8Bom);
  EXPECT_EQ(ParseCsvEncoding("GB18030").value(), CsvEncoding::kGb18030);
  auto bad = ParseCsvEncoding("latin1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(bad.error().message().find("latin1"), std::string::npos);
}

class CsvFeedTest : public ::testing::Test {
 protected:
  // The three records of tests/fixtures/csv/<kind>_batch.ndjson, marked as make_expected.py says.
  void Prepare(RecordKind kind) {
    messages_ = Lines(CsvFixture(std::string(RecordKindName(kind)) + "_batch.ndjson"));
    ASSERT_EQ(messages_.size(), 3u);
    testing::FillBatch(batch_, messages_);
    parser_.Process(batch_);
    validator_.Process(batch_);
    const Outcome outcomes[] = {Outcome::kPublished, Outcome::kUpdated, Outcome::kWithdrawn};
    for (size_t line = 1; line <= 3; ++line) {
      Record& r = batch_.records[line - 1];
      ASSERT_TRUE(r.pending()) << "line " << line << ": " << RejectReasonCode(r.reject_reason);
      ASSERT_EQ(r.kind, kind);
      r.outcome = outcomes[line - 1];
      for (size_t i = 0; i < r.identity.size(); ++i) {
        r.identity[i] = static_cast<uint8_t>(16 * line + i);
      }
    }
    if (kind == RecordKind::kPenalty) {
      batch_.records[1].publication_end_day = DaysFromCivil(2027, 11, 20);
      batch_.records[1].publication_end_derived = true;
      batch_.records[2].repair_requested = true;
    }
  }
  std::string Csv(CsvFeed& csv, RecordKind kind) {
    std::string out;
    csv.Begin(kind, out);
    for (const Record& r : batch_.records) csv.AppendRow(r, out);
    EXPECT_TRUE(csv.Finish(out));
    return out;
  }
  BatchInfo Info(uint64_t sequence) {
    BatchInfo info;
    info.sequence = sequence;
    info.source_name = "input.ndjson";
    info.first_offset = static_cast<int64_t>(sequence) * 100;
    info.end_offset = info.first_offset + 100;
    info.batch_id = MakeBatchId("src", 1, -1, info.first_offset, info.end_offset, "p1", "s1");
    info.policy_version = "p1";
    info.schema_version = "s1";
    info.published_ms = 1'700'000'000'000;
    return info;
  }
  Status Write(FeedWriter& writer, uint64_t sequence, std::array<ChainHead, 3>& chains) {
    DurableFileSet files;
    FeedWriteStats stats;
    if (auto written = writer.Write(batch_, Info(sequence), chains, files, stats); !written) {
      return written;
    }
    return files.Commit();
  }
  std::string Stem(uint64_t sequence) {
    return fmt::format("{:010}-{}", sequence, Info(sequence).batch_id);
  }

  testing::TempDir out_;
  JsonParser parser_{Schemas(), ParserOptions{}};
  Validator validator_{Schemas(), ValidatorOptions{.today = DaysFromCivil(2026, 11, 30)}};
  std::vector<std::string> messages_;
  RecordBatch batch_;
};

TEST_F(CsvFeedTest, HeadersAreTheStandardsChineseNamesOfPublishedFields) {
  auto csv = CsvFeed::Create(Schemas(), CsvEncoding::kUtf8Bom);
  ASSERT_TRUE(csv) << csv.error().ToString();
  EXPECT_EQ(csv->Header(RecordKind::kLicense), kLicenseHeader);
  EXPECT_EQ(csv->Header(RecordKind::kPenalty), kPenaltyHeader);
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    std::string out;
    csv->Begin(kind, out);
    ASSERT_TRUE(out.starts_with("\xEF\xBB\xBF"));
    const auto& expected = kind == RecordKind::kLicense ? kLicenseHeader : kPenaltyHeader;
    std::string row;
    for (const std::string& name : expected) row += (row.empty() ? "" : ",") + name;
    EXPECT_EQ(out.substr(3), row + "\r\n");
    // Side-channel fields (x-gongshi-publish false) are not columns.
    EXPECT_EQ(out.find("涉密"), std::string::npos);
    EXPECT_EQ(out.find("信用修复"), std::string::npos);
    EXPECT_EQ(out.find("side channel"), std::string::npos);
  }
}

TEST_F(CsvFeedTest, LicenseBatchMatchesFixtureInBothEncodings) {
  Prepare(RecordKind::kLicense);
  auto utf8 = CsvFeed::Create(Schemas(), CsvEncoding::kUtf8Bom);
  auto gb = CsvFeed::Create(Schemas(), CsvEncoding::kGb18030);
  ASSERT_TRUE(utf8 && gb);
  const std::string utf8_bytes = Csv(*utf8, RecordKind::kLicense);
  EXPECT_EQ(utf8_bytes, CsvFixture("license_utf8_bom.csv"));
  const std::string gb_bytes = Csv(*gb, RecordKind::kLicense);
  EXPECT_EQ(gb_bytes, CsvFixture("license_gb18030.csv"));
}

TEST_F(CsvFeedTest, PenaltyBatchMatchesFixtureInBothEncodings) {
  Prepare(RecordKind::kPenalty);
  auto utf8 = CsvFeed::Create(Schemas(), CsvEncoding::kUtf8Bom);
  auto gb = CsvFeed::Create(Schemas(), CsvEncoding::kGb18030);
  ASSERT_TRUE(utf8 && gb);
  const std::string utf8_bytes = Csv(*utf8, RecordKind::kPenalty);
  EXPECT_EQ(utf8_bytes, CsvFixture("penalty_utf8_bom.csv"));
  const std::string gb_bytes = Csv(*gb, RecordKind::kPenalty);
  EXPECT_EQ(gb_bytes, CsvFixture("penalty_gb18030.csv"));
}

TEST_F(CsvFeedTest, Gb18030DecodesToTheUtf8Text) {
  for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
    Prepare(kind);
    auto utf8 = CsvFeed::Create(Schemas(), CsvEncoding::kUtf8Bom);
    auto gb = CsvFeed::Create(Schemas(), CsvEncoding::kGb18030);
    ASSERT_TRUE(utf8 && gb);
    const std::string utf8_bytes = Csv(*utf8, kind);
    const std::string gb_bytes = Csv(*gb, kind);
    EXPECT_NE(gb_bytes, utf8_bytes.substr(3));  // really transcoded
    EXPECT_FALSE(gb_bytes.starts_with("\xEF\xBB\xBF"));
    // Decoded with the input stage's GB18030 decoder.
    Transcoder decoder;
    Arena arena;
    std::string_view decoded;
    ASSERT_TRUE(decoder.ToUtf8(gb_bytes, arena, 0, decoded));
    EXPECT_EQ(decoded, utf8_bytes.substr(3));
  }
  // A supplementary-plane character (U+20BB7 𠮷, in names) takes GB18030's four-byte form.
  EXPECT_NE(CsvFixture("penalty_gb18030.csv").find("\x95\x34\xB2\x35"), std::string::npos);
}

TEST_F(CsvFeedTest, RowsFollowTheFeedSemantics) {
  Prepare(RecordKind::kPenalty);
  auto csv = CsvFeed::Create(Schemas(), CsvEncoding::kUtf8Bom);
  ASSERT_TRUE(csv);
  std::string out;
  csv->AppendRow(batch_.records[0], out);
  EXPECT_TRUE(out.starts_with("新增,101112131415161718191a1b1c1d1e1f,")) << out;
  EXPECT_TRUE(out.ends_with(",'=1+1,,\r\n")) << "备注 guarded, 当前状态 and 撤销原因 empty";
  EXPECT_NE(out.find(",'-罚款人民币"), std::string::npos);
  EXPECT_NE(out.find(",1.5,0.36,"), std::string::npos) << "money as in the NDJSON";
  EXPECT_NE(out.find(",2024-05-10,2025-05-10,2027-05-10,"), std::string::npos);
  out.clear();
  csv->AppendRow(batch_.records[1], out);
  EXPECT_TRUE(out.starts_with("更正,")) << out;
  EXPECT_NE(out.find(",12.345678,3,,2024-05-11,2025-05-10,2027-11-20,"), std::string::npos)
      << "an empty 公示截止期 carries the derived publication end";
  out.clear();
  csv->AppendRow(batch_.records[2], out);
  EXPECT_TRUE(out.starts_with("撤销,")) << out;
  EXPECT_TRUE(out.ends_with(",credit_repair\r\n")) << out;
  EXPECT_EQ(out.find("福州"), std::string::npos) << "a withdrawal carries no subject";
  EXPECT_NE(out.find("榕市监处罚〔2023〕9号"), std::string::npos);
  // The row has exactly the header's number of cells (no cell here is quoted).
  EXPECT_EQ(static_cast<size_t>(std::count(out.begin(), out.end(), ',')) + 1,
            kPenaltyHeader.size());
  // Records that are not published make no row.
  for (Outcome outcome :
       {Outcome::kDuplicate, Outcome::kWithheld, Outcome::kRejected, Outcome::kPending}) {
    Record r = batch_.records[0];
    r.outcome = outcome;
    out.clear();
    csv->AppendRow(r, out);
    EXPECT_TRUE(out.empty()) << OutcomeName(outcome);
  }
}

TEST_F(CsvFeedTest, InvalidUtf8IsAnErrorThatNamesTheLineNotADroppedCharacter) {
  auto gb = CsvFeed::Create(Schemas(), CsvEncoding::kGb18030);
  ASSERT_TRUE(gb);
  std::string text = "操作\r\n新增,\xff\xfe\r\n";
  const std::string before = text;
  auto encoded = gb->Finish(text);
  ASSERT_FALSE(encoded);
  EXPECT_NE(encoded.error().message().find("line 2"), std::string::npos)
      << encoded.error().message();
  EXPECT_NE(encoded.error().message().find("GB18030"), std::string::npos);
  EXPECT_EQ(text, before);
  // The encoder is usable again afterwards.
  std::string good = "备注\r\n";
  ASSERT_TRUE(gb->Finish(good));
  EXPECT_EQ(good, "\xB1\xB8\xD7\xA2\r\n");
}

TEST_F(CsvFeedTest, FeedWriterStagesTheCsvAndTheManifestNamesItsDigest) {
  for (CsvEncoding encoding : {CsvEncoding::kUtf8Bom, CsvEncoding::kGb18030}) {
    testing::TempDir out;
    FeedWriter writer(Schemas(), out.path(), FeedOptions{.csv = true, .csv_encoding = encoding});
    ASSERT_TRUE(writer.Prepare());
    std::array<ChainHead, 3> chains{};
    Prepare(RecordKind::kLicense);
    ASSERT_TRUE(Write(writer, 0, chains));

    const std::string dir = out / "feeds/license";
    const std::string csv = testing::ReadFile(dir + "/" + Stem(0) + ".csv");
    EXPECT_EQ(csv, CsvFixture(encoding == CsvEncoding::kUtf8Bom ? "license_utf8_bom.csv"
                                                                : "license_gb18030.csv"));
    const std::string manifest_text = testing::ReadFile(dir + "/" + Stem(0) + ".manifest.json");
    simdjson::dom::parser parser;
    simdjson::dom::element manifest = parser.parse(manifest_text).value();
    EXPECT_EQ(std::string_view(manifest["csv_file"]), Stem(0) + ".csv");
    EXPECT_EQ(std::string_view(manifest["csv_encoding"]), CsvEncodingName(encoding));
    EXPECT_EQ(uint64_t(manifest["csv_bytes"]), csv.size());
    EXPECT_EQ(std::string_view(manifest["csv_sha256"]), HexEncode(Sha256(csv)));
    // The NDJSON keys are still there and still describe the NDJSON file.
    const std::string ndjson = testing::ReadFile(dir + "/" + Stem(0) + ".ndjson");
    EXPECT_EQ(std::string_view(manifest["feed_file"]), Stem(0) + ".ndjson");
    EXPECT_EQ(std::string_view(manifest["sha256"]), HexEncode(Sha256(ndjson)));
    EXPECT_EQ(uint64_t(manifest["bytes"]), ndjson.size());
    EXPECT_EQ(uint64_t(manifest["counts"]["update"]), 1u);
    EXPECT_EQ(uint64_t(manifest["counts"]["withdraw"]), 1u);
  }
}

TEST_F(CsvFeedTest, CsvOffWritesNoCsvAndNoCsvKeys) {
  FeedWriter writer(Schemas(), out_.path());
  ASSERT_TRUE(writer.Prepare());
  std::array<ChainHead, 3> chains{};
  Prepare(RecordKind::kPenalty);
  ASSERT_TRUE(Write(writer, 0, chains));
  const std::string dir = out_ / "feeds/penalty";
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + Stem(0) + ".csv"));
  const std::string manifest = testing::ReadFile(dir + "/" + Stem(0) + ".manifest.json");
  EXPECT_EQ(manifest.find("csv"), std::string::npos) << manifest;
}

TEST_F(CsvFeedTest, VerifyFeedsChecksTheCsvAndRejectsATamperedOne) {
  FeedWriter writer(Schemas(), out_.path(), FeedOptions{.csv = true});
  ASSERT_TRUE(writer.Prepare());
  std::array<ChainHead, 3> chains{};
  for (uint64_t sequence = 0; sequence < 2; ++sequence) {
    Prepare(RecordKind::kPenalty);
    ASSERT_TRUE(Write(writer, sequence, chains));
  }
  auto verified = VerifyFeedChain(out_.path());
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_EQ(*verified, 2u);
  testing::TempDir run;
  testing::ProcessResult result = testing::Run({"verify-feeds", out_.path()}, run.path());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("\"manifests_verified\":2"), std::string::npos) << result.out;

  // One changed character in a published CSV (the NDJSON untouched) breaks verification.
  const std::string victim = out_ / ("feeds/penalty/" + Stem(1) + ".csv");
  std::string csv = testing::ReadFile(victim);
  const size_t at = csv.find("12.345678");
  ASSERT_NE(at, std::string::npos);
  csv[at] = '9';
  testing::WriteFile(victim, csv);
  auto broken = VerifyFeedChain(out_.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("csv file " + Stem(1) + ".csv does not match"),
            std::string::npos)
      << broken.error().message();
  result = testing::Run({"verify-feeds", out_.path()}, run.path());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("does not match"), std::string::npos) << result.err;

  // A missing CSV is a break too.
  std::filesystem::remove(victim);
  EXPECT_FALSE(VerifyFeedChain(out_.path()));
}

}  // namespace
}  // namespace gongshi
