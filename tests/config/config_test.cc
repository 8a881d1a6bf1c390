// Config: defaults, every section read, and a clear message naming file and key for each mistake.
#include "pipeline/config/config.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace gongshi {
namespace {

Result<Config> Load(const std::string& yaml) {
  static testing::TempDir dir;
  testing::WriteFile(dir / "c.yaml", yaml);
  return LoadConfig(dir / "c.yaml");
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  auto config = Load("");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->batch.max_records, 16384u);
  EXPECT_EQ(config->deadline.publication_working_days, 7);
  EXPECT_EQ(config->redaction.fields.at("subject_id_no"), FieldRule::kMask);
  EXPECT_EQ(config->dead_letter.original, "sealed");
}

TEST(ConfigTest, ReadsEverySection) {
  auto config = Load(R"(
today: 2026-11-30
input: {encoding: gb18030, max_record_bytes: 65536, default_kind: penalty}
state: {dir: /var/lib/gongshi, hmac_key_file: /etc/gongshi/key, block_cache_mb: 64}
redaction:
  policy_version: p2
  fields: {subject_id_no: drop, legal_rep_name: mask_name}
  free_text: {emails: false}
  withhold: {warning_only: false, confidential_markers: [保密]}
batch:
  max_records: 100
  max_bytes: 1048576
  max_age_ms: 60000
  schedule: ["tue,fri 10:00", "sat 09:30"]
  deadline_margin_working_days: 2
deadline: {publication_working_days: 5, region: guangxi}
dead_letter: {original: omit}
)");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->input.encoding, "gb18030");
  EXPECT_EQ(config->state.block_cache_bytes, 64ull << 20);
  EXPECT_EQ(config->redaction.fields.at("subject_id_no"), FieldRule::kDrop);
  EXPECT_EQ(config->redaction.fields.at("legal_rep_name"), FieldRule::kMaskName);
  EXPECT_EQ(config->redaction.fields.at("legal_rep_id_no"), FieldRule::kDrop) << "default kept";
  EXPECT_FALSE(config->redaction.scan_emails);
  EXPECT_EQ(config->redaction.confidential_markers, std::vector<std::string>{"保密"});
  EXPECT_EQ(config->deadline.region, "guangxi");
  EXPECT_EQ(config->dead_letter.original, "omit");
  EXPECT_EQ(config->batch.max_age_ms, 60000u);
  EXPECT_EQ(config->batch.schedule, (std::vector<std::string>{"tue,fri 10:00", "sat 09:30"}));
  EXPECT_EQ(config->batch.deadline_margin_working_days, 2);
}

TEST(ConfigTest, OneScheduleEntryNeedsNoList) {
  auto config = Load("batch: {schedule: \"weekdays 17:00\"}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->batch.schedule, std::vector<std::string>{"weekdays 17:00"});
  EXPECT_EQ(config->batch.max_age_ms, 0u) << "continuous by default";
}

struct Mistake {
  const char* yaml;
  const char* must_mention;
};
// Test names show the case, not the bytes of the parameter.
void PrintTo(const Mistake& param, std::ostream* out) { *out << param.must_mention; }

class ConfigMistakeTest : public ::testing::TestWithParam<Mistake> {};

TEST_P(ConfigMistakeTest, IsRefusedWithTheKeyNamed) {
  auto config = Load(GetParam().yaml);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(config.error().message().find(GetParam().must_mention), std::string::npos)
      << config.error().message();
  EXPECT_NE(config.error().message().find("c.yaml"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Every, ConfigMistakeTest,
    ::testing::Values(
        Mistake{"batch: {max_recrods: 5}", "batch.max_recrods"},
        Mistake{"batch: {max_records: 0}", "batch.max_records"},
        Mistake{"batch: {max_records: lots}", "non-negative integer"},
        Mistake{"input: {encoding: latin1}", "input.encoding"},
        Mistake{"input: {default_kind: fine}", "input.default_kind"},
        Mistake{"redaction: {fields: {subject_id_no: hide}}", "keep, mask"},
        Mistake{"redaction: {free_text: {emails: perhaps}}", "true or false"},
        Mistake{"dead_letter: {original: plain}", "sealed, clear or omit"},
        Mistake{"deadline: {publication_working_days: 0}", "publication_working_days"},
        Mistake{"unknown_section: 1", "unknown key"}, Mistake{"batch: [1, 2", "not valid YAML"},
        Mistake{"batch: {schedule: \"tue 25:00\"}", "batch.schedule"},
        Mistake{"batch: {schedule: [\"tuesday 10:00\"]}", "unknown day 'tuesday'"},
        Mistake{"batch: {schedule: {tue: 10}}", "batch.schedule"},
        Mistake{"kafka_sink: {topics: {license: a, penalty: b}}",
                "kafka_sink.properties.bootstrap.servers"},
        Mistake{"kafka_sink: {properties: {bootstrap.servers: k:9092}, "
                "topics: {license: a}}",
                "kafka_sink.topics"},
        Mistake{"feeds: {csv_encoding: latin1}", "feeds.csv_encoding"},
        Mistake{"http: {url: ftp://site}", "http.url"},
        Mistake{"http: {url: \"https://site\", tls: {verfy: false}}", "http.tls.verfy"},
        Mistake{"batch: {deadline_margin_working_days: 11}",
                "batch.deadline_margin_working_days"}));

TEST(ConfigTest, MissingFileIsNamed) {
  auto config = LoadConfig("/nonexistent/gongshi.yaml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message().find("/nonexistent/gongshi.yaml"), std::string::npos);
}

}  // namespace
}  // namespace gongshi
