// NDJSON source: records with byte offsets and lines, padding for simdjson, CRLF and blank lines,
// oversized lines cut without buffering them whole, batch limits, and resuming at an offset.
#include "pipeline/source/ndjson_source.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace gongshi {
namespace {

std::vector<Record> ReadAll(const std::string& path, size_t max_records = 1000,
                            size_t max_record_bytes = 1024, int64_t start_offset = 0,
                            int64_t start_line = 1) {
  auto source = NdjsonSource::Open({.path = path,
                                    .start_offset = start_offset,
                                    .start_line = start_line,
                                    .max_record_bytes = max_record_bytes});
  EXPECT_TRUE(source);
  std::vector<Record> out;
  std::vector<std::string> keep;  // the views die with each batch: copy what we check
  RecordBatch batch;
  for (;;) {
    auto filled = (*source)->Fill(batch, max_records, 1 << 20);
    EXPECT_TRUE(filled);
    if (!*filled) break;
    for (Record r : batch.records) {
      EXPECT_EQ(r.json.data()[r.json.size()], ' ') << "padding follows the message";
      out.push_back(r);
    }
  }
  return out;
}

TEST(NdjsonSourceTest, OffsetsAndLinesOfEveryRecord) {
  testing::TempDir dir;
  testing::WriteFile(dir / "in.ndjson", "{\"a\":1}\n\n{\"b\":2}\r\n   \n{\"c\":3}");
  auto source = NdjsonSource::Open({.path = dir / "in.ndjson"});
  ASSERT_TRUE(source);
  RecordBatch batch;
  ASSERT_TRUE(*(*source)->Fill(batch, 100, 1 << 20));
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.records[0].raw, "{\"a\":1}");
  EXPECT_EQ(batch.records[1].raw, "{\"b\":2}") << "CR of CRLF dropped";
  EXPECT_EQ(batch.records[2].raw, "{\"c\":3}") << "last line without newline";
  EXPECT_EQ(batch.records[0].position.offset, 0);
  EXPECT_EQ(batch.records[1].position.offset, 9);
  EXPECT_EQ(batch.records[1].position.line, 3);
  EXPECT_EQ(batch.records[2].position.line, 5);
  EXPECT_EQ((*source)->offset(), 29);
  EXPECT_FALSE(*(*source)->Fill(batch, 100, 1 << 20));
}

TEST(NdjsonSourceTest, BatchesStopAtTheRecordLimitAndResumeWhereTheyStopped) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 10; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  testing::WriteFile(dir / "in.ndjson", text);
  auto source = NdjsonSource::Open({.path = dir / "in.ndjson"});
  RecordBatch batch;
  ASSERT_TRUE(*(*source)->Fill(batch, 4, 1 << 20));
  ASSERT_EQ(batch.records.size(), 4u);
  const int64_t offset = (*source)->offset();
  const int64_t line = (*source)->line();
  const auto rest = ReadAll(dir / "in.ndjson", 1000, 1024, offset, line);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest[0].position.line, 5);
  EXPECT_EQ(rest[0].position.offset, offset);
}

TEST(NdjsonSourceTest, OversizedLineIsCutAndRejectedAndTheNextLineIsIntact) {
  testing::TempDir dir;
  const std::string huge = "{\"x\":\"" + std::string(10 << 20, 'a') + "\"}";
  testing::WriteFile(dir / "in.ndjson", huge + "\n{\"ok\":1}\n");
  const auto records = ReadAll(dir / "in.ndjson", 1000, 4096);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].reject_reason, RejectReason::kRecordTooLarge);
  EXPECT_EQ(records[0].raw.size(), 4096u) << "the dead-letter keeps the first max bytes";
  EXPECT_EQ(records[1].outcome, Outcome::kPending);
  EXPECT_EQ(records[1].position.offset, static_cast<int64_t>(huge.size() + 1));
  EXPECT_EQ(records[1].position.line, 2);
}

TEST(NdjsonSourceTest, MissingFileIsAnIoError) {
  auto source = NdjsonSource::Open({.path = "/nonexistent/in.ndjson"});
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code(), ErrorCode::kIo);
}

TEST(NdjsonSourceTest, StdinCannotResume) {
  EXPECT_FALSE(NdjsonSource::Open({.path = "-", .start_offset = 10}));
}

}  // namespace
}  // namespace gongshi
