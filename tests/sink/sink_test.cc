// Sinks: feed files and manifests (atomic, chained, verifiable), dead-letter entries (reason,
// message without values, source position, sealed original bytes) and the withheld ledger.
#include <filesystem>

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/sink/dead_letter.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/validate/validator.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::Schemas;
using testing::With;

std::vector<std::string> Files(const std::string& dir) { return testing::FileNamesIn(dir); }

class SinkTest : public ::testing::Test {
 protected:
  void Prepare(const std::vector<std::string>& messages, Outcome outcome) {
    testing::FillBatch(batch_, messages);
    parser_.Process(batch_);
    validator_.Process(batch_);
    uint8_t n = 0;
    for (Record& r : batch_.records) {
      if (r.pending()) {
        r.outcome = outcome;
        r.identity[0] = ++n;
      }
    }
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
    return info;
  }
  Status Write(FeedWriter& writer, const BatchInfo& info, std::array<ChainHead, 3>& chains,
               FeedWriteStats& stats) {
    DurableFileSet files;
    if (auto written = writer.Write(batch_, info, chains, files, stats); !written) return written;
    return files.Commit();
  }
  Status Write(DeadLetterWriter& writer, const BatchInfo& info, DeadLetterStats& stats) {
    DurableFileSet files;
    if (auto written = writer.Write(batch_, info, files, stats); !written) return written;
    return files.Commit();
  }
  testing::TempDir out_;
  JsonParser parser_{Schemas(), ParserOptions{}};
  Validator validator_{Schemas(), ValidatorOptions{.today = DaysFromCivil(2026, 11, 30)}};
  RecordBatch batch_;
};

TEST(BatchIdTest, DeterministicAndSensitiveToEveryPart) {
  const std::string id = MakeBatchId("src", 1, -1, 0, 100, "p", "s");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id, MakeBatchId("src", 1, -1, 0, 100, "p", "s"));
  EXPECT_NE(id, MakeBatchId("src", 2, -1, 0, 100, "p", "s"));
  EXPECT_NE(id, MakeBatchId("src", 1, -1, 0, 101, "p", "s"));
  EXPECT_NE(id, MakeBatchId("src", 1, -1, 0, 100, "p2", "s"));
}

TEST_F(SinkTest, FeedFilesAndManifestsFormAVerifiableChain) {
  FeedWriter writer(Schemas(), out_.path());
  ASSERT_TRUE(writer.Prepare());
  std::array<ChainHead, 3> chains{};
  FeedWriteStats stats;
  for (uint64_t seq = 0; seq < 3; ++seq) {
    Prepare({Fixture("penalty_valid.json"), Fixture("license_valid.json")}, Outcome::kPublished);
    ASSERT_TRUE(Write(writer, Info(seq), chains, stats));
  }
  EXPECT_EQ(chains[static_cast<size_t>(RecordKind::kPenalty)].sequence, 3u);
  EXPECT_EQ(stats.upserts, 6u);
  EXPECT_EQ(Files(out_ / "feeds/penalty").size(), 6u);
  auto verified = VerifyFeedChain(out_.path());
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_EQ(*verified, 6u);

  // Altering a published feed file breaks the chain, and says which.
  const std::string victim = out_ / ("feeds/penalty/" + Files(out_ / "feeds/penalty")[3]);
  ASSERT_TRUE(victim.ends_with(".ndjson"));
  testing::WriteFile(victim, testing::ReadFile(victim) + "{\"op\":\"upsert\"}\n");
  auto broken = VerifyFeedChain(out_.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("does not match"), std::string::npos);
}

TEST_F(SinkTest, RemovingAManifestBreaksTheChain) {
  FeedWriter writer(Schemas(), out_.path());
  ASSERT_TRUE(writer.Prepare());
  std::array<ChainHead, 3> chains{};
  FeedWriteStats stats;
  for (uint64_t seq = 0; seq < 3; ++seq) {
    Prepare({Fixture("penalty_valid.json")}, Outcome::kPublished);
    ASSERT_TRUE(Write(writer, Info(seq), chains, stats));
  }
  const auto files = Files(out_ / "feeds/penalty");
  std::filesystem::remove(out_ / ("feeds/penalty/" + files[1]));  // the second manifest
  EXPECT_FALSE(VerifyFeedChain(out_.path()));
}

TEST_F(SinkTest, RemadeBatchReplacesItsEarlierCopy) {
  FeedWriter writer(Schemas(), out_.path());
  ASSERT_TRUE(writer.Prepare());
  std::array<ChainHead, 3> chains{};
  FeedWriteStats stats;
  Prepare({Fixture("penalty_valid.json")}, Outcome::kPublished);
  ASSERT_TRUE(Write(writer, Info(0), chains, stats));
  std::array<ChainHead, 3> replay{};  // the state was not committed: same chain head as before
  ASSERT_TRUE(Write(writer, Info(0), replay, stats));
  EXPECT_EQ(Files(out_ / "feeds/penalty").size(), 2u);
  EXPECT_TRUE(VerifyFeedChain(out_.path()));
}

TEST_F(SinkTest, FeedLinesCarryOpKindIdAndNormalisedValues) {
  FeedWriter writer(Schemas(), out_.path());
  Prepare({Fixture("penalty_valid.json")}, Outcome::kUpdated);
  std::string line;
  writer.AppendLine(batch_.records[0], line);
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(line).value();
  EXPECT_EQ(std::string_view(e["op"]), "upsert");
  EXPECT_EQ(std::string_view(e["change"]), "update");
  EXPECT_EQ(std::string_view(e["kind"]), "penalty");
  EXPECT_EQ(std::string_view(e["penalty_valid_to"]), "2025-05-10");
  EXPECT_EQ(std::string_view(e["confiscated_wan_yuan"]), "0.36");
  EXPECT_EQ(std::string_view(e["record_id"]).size(), 32u);

  batch_.records[0].outcome = Outcome::kWithdrawn;
  line.clear();
  writer.AppendLine(batch_.records[0], line);
  e = parser.parse(line).value();
  EXPECT_EQ(std::string_view(e["op"]), "withdraw");
  EXPECT_EQ(std::string_view(e["reason"]), "revoked");
  EXPECT_EQ(std::string_view(e["decision_doc_no"]), "榕市监处罚〔2024〕123号");
  EXPECT_TRUE(e["violation_facts"].error());  // a withdrawal carries no content
}

TEST_F(SinkTest, DeadLetterHasReasonPositionAndSealedOriginal) {
  std::array<uint8_t, 32> seal{}, nonce{};
  seal[0] = 7;
  nonce[0] = 9;
  DeadLetterWriter writer(Schemas(), out_.path(), OriginalBytes::kSealed, seal, nonce);
  ASSERT_TRUE(writer.Prepare());
  const std::string bad =
      With(Fixture("penalty_valid.json"), "authority_uscc", Quoted("91110000600037341M"));
  Prepare({bad, "not json"}, Outcome::kPublished);
  DeadLetterStats stats;
  const BatchInfo info = Info(4);
  ASSERT_TRUE(Write(writer, info, stats));
  EXPECT_EQ(stats.rejected, 2u);
  const std::string dlq = testing::ReadFile(out_ / ("dlq/0000000004-" + info.batch_id + ".ndjson"));
  simdjson::dom::parser parser;
  size_t lines = 0;
  for (simdjson::dom::element e : parser.parse_many(dlq)) {
    ++lines;
    const std::string_view reason = e["reason"];
    const std::string_view message = e["message"];
    EXPECT_EQ(message.find("91110000600037341M"), std::string_view::npos) << "no values";
    EXPECT_EQ(int64_t(e["source"]["line"]), lines == 1 ? 1 : 2);
    auto opened = DeadLetterWriter::Unseal(std::string_view(e["original_sealed"]), seal);
    ASSERT_TRUE(opened);
    if (lines == 1) {
      EXPECT_EQ(reason, "uscc_checksum");
      EXPECT_EQ(std::string_view(e["field"]), "authority_uscc");
      EXPECT_NE(message.find("处罚机关统一社会信用代码"), std::string_view::npos);
      EXPECT_EQ(*opened, bad);
    } else {
      EXPECT_EQ(reason, "json_syntax");
      EXPECT_EQ(*opened, "not json");
    }
    std::array<uint8_t, 32> wrong = seal;
    wrong[1] = 1;
    EXPECT_FALSE(DeadLetterWriter::Unseal(std::string_view(e["original_sealed"]), wrong));
  }
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(dlq.find("91110000600037341M"), std::string::npos) << "sealed, not in clear";
}

TEST_F(SinkTest, WithheldLedgerHoldsNoContent) {
  DeadLetterWriter writer(Schemas(), out_.path(), OriginalBytes::kOmit, {}, {});
  ASSERT_TRUE(writer.Prepare());
  Prepare({Fixture("penalty_valid.json")}, Outcome::kPublished);
  batch_.records[0].Withhold(WithholdReason::kMinor);
  DeadLetterStats stats;
  const BatchInfo info = Info(1);
  ASSERT_TRUE(Write(writer, info, stats));
  const std::string ledger =
      testing::ReadFile(out_ / ("withheld/0000000001-" + info.batch_id + ".ndjson"));
  EXPECT_NE(ledger.find("\"reason\":\"minor\""), std::string::npos);
  EXPECT_EQ(ledger.find("福州示例贸易有限公司"), std::string::npos);
  EXPECT_EQ(ledger.find("王小明"), std::string::npos);
}

TEST(Base64Test, RoundTrips) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x01"}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, s);
  }
}

}  // namespace
}  // namespace gongshi
