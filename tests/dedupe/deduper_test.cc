// Dedupe stage: identity and outcome rules of the spec, state that survives a restart, MultiGet
// per batch, and no personal identifier in the store in clear.
#include "pipeline/dedupe/deduper.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/validate/validator.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::Fixture;
using testing::Quoted;
using testing::Schemas;
using testing::With;

constexpr char kKey[] = "test-key-0123456789abcdef";

class DeduperTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  // `policy`: the redaction policy version the deduper publishes under.
  void Open(const std::string& policy = "p1", bool replay = false) {
    deduper_.reset();
    store_.reset();
    store_ = std::move(*StateStore::Open({.dir = dir_ / "db"}));
    hash_ = std::move(*KeyedHash::Create(kKey));
    deduper_ = std::make_unique<Deduper>(Schemas(), *store_, *hash_, policy);
    deduper_->set_replay(replay);
  }
  // Runs parse, validate and dedupe over `messages` and, like the runner after a durable write,
  // commits what dedupe decided.
  std::vector<Outcome> Run(const std::vector<std::string>& messages, bool commit = true) {
    testing::FillBatch(batch_, messages);
    parser_.Process(batch_);
    validator_.Process(batch_);
    for (const Record& r : batch_.records) {
      EXPECT_EQ(r.outcome, Outcome::kPending) << RejectReasonCode(r.reject_reason);
    }
    EXPECT_TRUE(deduper_->Process(batch_));
    if (commit) {
      StateStore::Transaction t;
      deduper_->Remember(batch_, 1, t);
      EXPECT_TRUE(store_->Commit(t));
    }
    std::vector<Outcome> outcomes;
    for (const Record& r : batch_.records) outcomes.push_back(r.outcome);
    return outcomes;
  }

  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<KeyedHash> hash_;
  std::unique_ptr<Deduper> deduper_;
  JsonParser parser_{Schemas(), ParserOptions{}};
  Validator validator_{Schemas(), ValidatorOptions{.today = DaysFromCivil(2026, 11, 30)}};
  RecordBatch batch_;
};

using O = Outcome;

TEST_F(DeduperTest, NewThenDuplicateAcrossBatches) {
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kPublished}));
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kDuplicate}));
}

TEST_F(DeduperTest, ProcessAloneRemembersNothing) {
  // Remember() runs only after the sink is durable; if Process() wrote state, a crash before the
  // write would turn the replayed records into duplicates and lose them.
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Run({p}, /*commit=*/false), (std::vector<O>{O::kPublished}));
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kPublished}));
}

TEST_F(DeduperTest, SameContentUnderOtherNamesAndFormatsIsADuplicate) {
  const std::string p = Fixture("penalty_valid.json");
  std::string other =
      With(With(With(p, "decision_date", Quoted("2024/05/10")), "fine_wan_yuan", "1.500000"),
           "subject_name", "");
  other = With(other, "CF_XDR_MC", Quoted("福州示例贸易有限公司"));
  EXPECT_EQ(Run({p, other}), (std::vector<O>{O::kPublished, O::kDuplicate}));
}

TEST_F(DeduperTest, DocumentNumberBracketsDoNotMakeANewIdentity) {
  const std::string p = Fixture("penalty_valid.json");
  const std::string changed = With(With(p, "decision_doc_no", Quoted("榕市监处罚[2024]123号")),
                                   "penalty_content", Quoted("更正后的处罚内容"));
  EXPECT_EQ(Run({p, changed}), (std::vector<O>{O::kPublished, O::kUpdated}));
  const std::string small = With(changed, "decision_doc_no", Quoted("榕市监处罚﹝2024﹞123号"));
  // Same identity (an update, not a new record); the text as written is content.
  EXPECT_EQ(Run({small}), (std::vector<O>{O::kUpdated}));
}

TEST_F(DeduperTest, ChangedContentIsAnUpdateAndAnotherSubjectIsNew) {
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Run({p, With(p, "penalty_content", Quoted("更正"))}),
            (std::vector<O>{O::kPublished, O::kUpdated}));
  EXPECT_EQ(Run({With(p, "uscc", Quoted("91110000600037341L"))}), (std::vector<O>{O::kPublished}));
}

TEST_F(DeduperTest, RevocationIsAWithdrawalOnceAndThenADuplicate) {
  const std::string p = Fixture("penalty_valid.json");
  const std::string revoked = With(p, "status", Quoted("撤销"));
  EXPECT_EQ(Run({p, revoked}), (std::vector<O>{O::kPublished, O::kWithdrawn}));
  EXPECT_EQ(Run({revoked}), (std::vector<O>{O::kDuplicate}));
  const std::string l = Fixture("license_valid.json");
  EXPECT_EQ(Run({l, With(l, "XK_ZT", Quoted("2"))}),
            (std::vector<O>{O::kPublished, O::kWithdrawn}));
}

TEST_F(DeduperTest, AnOlderVersionSentAgainIsADuplicateNotARollback) {
  // Replaying a file (or a rewound consumer) sends v1 after v2 was published: publishing v1 again
  // as an update would undo the correction on the site.
  const std::string v1 = Fixture("penalty_valid.json");
  const std::string v2 = With(v1, "penalty_content", Quoted("更正一"));
  const std::string v3 = With(v1, "penalty_content", Quoted("更正二"));
  EXPECT_EQ(Run({v1, v2, v3}), (std::vector<O>{O::kPublished, O::kUpdated, O::kUpdated}));
  EXPECT_EQ(Run({v1, v2, v3}), (std::vector<O>{O::kDuplicate, O::kDuplicate, O::kDuplicate}));
  const std::string revoked = With(v3, "status", Quoted("撤销"));
  EXPECT_EQ(Run({revoked, v3}), (std::vector<O>{O::kWithdrawn, O::kDuplicate}));
}

// The file pass decides batch k+1 while batch k commits (Pipeline::Decide): dedupe must then
// see k's states, as Remember() made them, before the store has them.
class UncommittedBatchTest : public DeduperTest {
 protected:
  // Parse, validate and dedupe `messages`; the outcomes.
  std::vector<Outcome> Decide(const std::vector<std::string>& messages, bool after_uncommitted) {
    testing::FillBatch(batch_, messages);
    parser_.Process(batch_);
    validator_.Process(batch_);
    EXPECT_TRUE(deduper_->Process(batch_, after_uncommitted));
    std::vector<Outcome> outcomes;
    for (const Record& r : batch_.records) outcomes.push_back(r.outcome);
    return outcomes;
  }
};

TEST_F(UncommittedBatchTest, TheNextBatchSeesTheStatesOfOneNotYetCommitted) {
  const std::string p = Fixture("penalty_valid.json");
  const std::string changed = With(p, "penalty_content", Quoted("更正"));
  EXPECT_EQ(Decide({p}, false), (std::vector<O>{O::kPublished}));
  StateStore::Transaction first;
  deduper_->Remember(batch_, 1, first);  // not committed yet
  EXPECT_EQ(Decide({p, changed}, true), (std::vector<O>{O::kDuplicate, O::kUpdated}));
  StateStore::Transaction second;
  deduper_->Remember(batch_, 2, second);
  ASSERT_TRUE(store_->Commit(first));
  // The batch after that one sees the second's states, the store the first's.
  EXPECT_EQ(Decide({p, changed}, true), (std::vector<O>{O::kDuplicate, O::kDuplicate}));
  ASSERT_TRUE(store_->Commit(second));
  EXPECT_EQ(Run({changed, p}), (std::vector<O>{O::kDuplicate, O::kDuplicate}));
}

TEST_F(UncommittedBatchTest, ItSeesTheFinalOutcomeNotDedupesFirstWord) {
  // Withheld by the redactor after dedupe said "published": a changed version later is a first
  // publication, not an update of something the site never showed.
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Decide({p}, false), (std::vector<O>{O::kPublished}));
  batch_.records[0].Withhold(WithholdReason::kMinor);
  StateStore::Transaction first;
  deduper_->Remember(batch_, 1, first);
  EXPECT_EQ(Decide({With(p, "penalty_content", Quoted("更正"))}, true),
            (std::vector<O>{O::kPublished}));
}

TEST_F(UncommittedBatchTest, WithoutOneTheStoreIsTheTruth) {
  // A batch whose commit failed is void: the retry (after_uncommitted false) must not see it,
  // or its records would come back as duplicates and never be published.
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Decide({p}, false), (std::vector<O>{O::kPublished}));
  StateStore::Transaction failed;
  deduper_->Remember(batch_, 1, failed);
  EXPECT_EQ(Decide({p}, false), (std::vector<O>{O::kPublished}));
}

TEST_F(DeduperTest, LookupsOfGrowingBatchesOfKnownIdentities) {
  // Regression: found values were pinned in a vector that then grew, and RocksDB crashed.
  std::vector<std::string> messages;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40 * (round + 1); ++i) {
      messages.push_back(With(Fixture("penalty_valid.json"), "decision_doc_no",
                              Quoted("号" + std::to_string(messages.size()))));
    }
    const auto outcomes = Run(messages);
    EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), O::kPublished), 40 * (round + 1));
  }
}

TEST_F(DeduperTest, StateSurvivesARestart) {
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kPublished}));
  Open();
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kDuplicate}));
}

TEST_F(DeduperTest, AnotherKeyGivesOtherIdentities) {
  const std::string p = Fixture("penalty_valid.json");
  Run({p});
  const auto first = batch_.records[0].identity;
  hash_ = std::move(*KeyedHash::Create("another-key-0123456789"));
  deduper_ = std::make_unique<Deduper>(Schemas(), *store_, *hash_, "p1");
  Run({p});
  EXPECT_NE(batch_.records[0].identity, first);
}

TEST_F(DeduperTest, NoIdNumberOrNameInTheStoreInClear) {
  const std::string person = With(
      With(With(With(With(With(Fixture("penalty_valid.json"), "subject_category", Quoted("自然人")),
                          "uscc", ""),
                     "org_code", ""),
                "subject_id_type", Quoted("身份证")),
           "subject_id_no", Quoted("11010519491231002X")),
      "subject_name", Quoted("欧阳娜娜"));
  std::vector<std::string> many;
  for (int i = 0; i < 200; ++i) {
    many.push_back(
        With(person, "decision_doc_no", Quoted("榕市监处罚〔2024〕" + std::to_string(i) + "号")));
  }
  Run(many);
  store_.reset();
  deduper_.reset();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_ / "db")) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = testing::ReadFile(entry.path().string());
    EXPECT_EQ(bytes.find("11010519491231002X"), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find("欧阳娜娜"), std::string::npos) << entry.path();
  }
}

// Replay (gongshi replay): the current version, published under another policy, is published
// again as a correction, once; anything else is what live mode says.
TEST_F(DeduperTest, AReplayUnderANewPolicyCorrectsTheCurrentVersionOnce) {
  const std::string p = Fixture("penalty_valid.json");
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kPublished}));
  Open("p2", /*replay=*/false);
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kDuplicate})) << "live mode: a re-send stays a duplicate";
  Open("p2", /*replay=*/true);
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kUpdated}));
  EXPECT_TRUE(batch_.records[0].replayed);
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kDuplicate})) << "corrected once";
  Open("p2", /*replay=*/true);
  EXPECT_EQ(Run({p}), (std::vector<O>{O::kDuplicate})) << "the policy is kept in the state";
  Open("p3", /*replay=*/true);
  EXPECT_EQ(Run({p, p}), (std::vector<O>{O::kUpdated, O::kDuplicate})) << "a copy in the batch";
}

TEST_F(DeduperTest, AReplayOfAnOlderVersionOrAWithdrawalIsADuplicate) {
  const std::string p = Fixture("penalty_valid.json");
  const std::string corrected = With(p, "penalty_content", Quoted("更正"));
  EXPECT_EQ(Run({p, corrected}), (std::vector<O>{O::kPublished, O::kUpdated}));
  Open("p2", /*replay=*/true);
  // The older version must not roll the correction back; the current one is re-published.
  EXPECT_EQ(Run({p, corrected}), (std::vector<O>{O::kDuplicate, O::kUpdated}));

  const std::string license = Fixture("license_valid.json");
  const std::string revoked = With(license, "XK_ZT", Quoted("2"));
  Open("p1");
  EXPECT_EQ(Run({license, revoked}), (std::vector<O>{O::kPublished, O::kWithdrawn}));
  Open("p2", /*replay=*/true);
  EXPECT_EQ(Run({license, revoked}), (std::vector<O>{O::kDuplicate, O::kDuplicate}));
}

}  // namespace
}  // namespace gongshi
