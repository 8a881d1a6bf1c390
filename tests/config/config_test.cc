// Config: defaults, every section read, and a clear message naming file and key for each mistake.
#include "pipeline/config/config.h"

#include <gtest/gtest.h>

#include "pipeline/schema/schema.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

Result<Config> Load(const std::string& yaml) {
  static testing::TempDir dir;
  testing::WriteFile(dir / "c.yaml", yaml);
  return LoadConfig(dir / "c.yaml");
}

// The message of a config that must be refused ("" and a failure when it was accepted).
std::string Refusal(const std::string& yaml) {
  auto config = Load(yaml);
  if (config) {
    ADD_FAILURE() << "accepted:\n" << yaml;
    return "";
  }
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidConfig);
  return config.error().message();
}

// 不予公示 in GB18030, as a Windows editor in a Chinese locale saves it.
constexpr char kGb18030Marker[] = "\xB2\xBB\xD3\xE8\xB9\xAB\xCA\xBE";

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
  EXPECT_NE(config.error().message().find("c.yaml:1"), std::string::npos)
      << "the file and the line: " << config.error().message();
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

TEST(ConfigTest, AMistakeInABlockNamesItsLine) {
  const std::string message = Refusal(
      "batch:\n"
      "  max_records: 5\n"
      "deadline:\n"
      "  publication_working_days: 0\n");
  EXPECT_NE(message.find("c.yaml:4: deadline.publication_working_days: 0 is out of range"),
            std::string::npos)
      << message;
}

// --- The bytes: strict UTF-8, no control characters.

TEST(ConfigEncodingTest, AGb18030FileIsRefusedAsGb18030) {
  const std::string message = Refusal(std::string("redaction:\n"
                                                  "  withhold:\n"
                                                  "    confidential_markers: [") +
                                      kGb18030Marker + "]\n");
  // Line 3, column 28 (the 不), byte 50: where an editor and `cmp` would show it.
  EXPECT_NE(message.find("c.yaml:3:28: redaction.withhold.confidential_markers[0]: not valid "
                         "UTF-8 at byte 50 (B2 BB D3 E8)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("looks like GB18030/GBK: save it as UTF-8"), std::string::npos) << message;
}

TEST(ConfigEncodingTest, TheSameMarkerInUtf8IsRead) {
  auto config = Load("redaction:\n  withhold:\n    confidential_markers: [不予公示]\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.confidential_markers, std::vector<std::string>{"不予公示"});
}

TEST(ConfigEncodingTest, AUtf8ByteOrderMarkIsFineAndCountsInTheByteOffset) {
  auto config = Load(
      "\xEF\xBB\xBF"
      "batch: {max_records: 5}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->batch.max_records, 5u);
  const std::string message = Refusal(
      "\xEF\xBB\xBF"
      "today: \xFF\n");
  EXPECT_NE(message.find("c.yaml:1:8: today: not valid UTF-8 at byte 10 (FF)"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("GB18030"), std::string::npos) << "FF is not GB18030 either";
}

TEST(ConfigEncodingTest, AUtf16FileIsNamedAsSuch) {
  const std::string message =
      Refusal(std::string("\xFF\xFE"
                          "b\0a\0:\0",
                          8));
  EXPECT_NE(message.find("c.yaml:1:1"), std::string::npos) << message;
  EXPECT_NE(message.find("looks like UTF-16"), std::string::npos) << message;
}

struct BadBytes {
  const char* name;
  const char* bytes;  // what stands in `today: "...."`
};
void PrintTo(const BadBytes& param, std::ostream* out) { *out << param.name; }

class StrictUtf8Test : public ::testing::TestWithParam<BadBytes> {};

TEST_P(StrictUtf8Test, IsRefusedAtItsLineUnderItsKey) {
  const std::string message =
      Refusal(std::string("batch: {max_records: 5}\ntoday: \"2026") + GetParam().bytes + "\"\n");
  EXPECT_NE(message.find("c.yaml:2:13: today: not valid UTF-8 at byte 36"), std::string::npos)
      << message;
}

INSTANTIATE_TEST_SUITE_P(Every, StrictUtf8Test,
                         ::testing::Values(BadBytes{"Overlong2", "\xC0\xAF"},
                                           BadBytes{"Overlong3", "\xE0\x80\xAF"},
                                           BadBytes{"Overlong4", "\xF0\x80\x80\xAF"},
                                           BadBytes{"Surrogate", "\xED\xA0\x80"},
                                           BadBytes{"AboveU10FFFF", "\xF4\x90\x80\x80"},
                                           BadBytes{"Truncated", "\xE4\xB8"},
                                           BadBytes{"LoneContinuation", "\x80"},
                                           BadBytes{"F5", "\xF5\x80\x80\x80"}),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(ConfigEncodingTest, EveryValidSequenceLengthIsRead) {
  // U+007F is a control character; the last of each length that is not: U+07FF, U+FFFD,
  // U+10FFFF, and the first above the surrogates, U+E000.
  auto config =
      Load("redaction: {policy_version: \"a\xDF\xBF\xEF\xBF\xBD\xF4\x8F\xBF\xBF\xEE\x80\x80\"}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.policy_version, "a\xDF\xBF\xEF\xBF\xBD\xF4\x8F\xBF\xBF\xEE\x80\x80");
}

TEST(ConfigEncodingTest, ARawControlCharacterIsRefusedNotReadAsTheEnd) {
  // yaml-cpp 0.7 takes U+0004 for the end of its input: the typo after it would go unseen.
  std::string message = Refusal("today: 2026\x04-01-01\nbatch: {max_recrods: 5}\n");
  EXPECT_NE(message.find("c.yaml:1:12: today: control character U+0004 at byte 11"),
            std::string::npos)
      << message;
  message = Refusal("batch: {max_records: 5}\nredaction: {policy_version: a" +
                    std::string(1, '\0') + "b}\n");
  EXPECT_NE(message.find("c.yaml:2:30: redaction.policy_version: control character U+0000 at "
                         "byte 53"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("UTF-16"), std::string::npos) << message;
  message = Refusal("# a note\x7F\nbatch: {max_records: 5}\n");
  EXPECT_NE(message.find("c.yaml:1:9: (a comment): control character U+007F"), std::string::npos)
      << message;
  message = Refusal(
      "batch: {max_records: 5}\n\xEF\xBB\xBF"
      "deadline: {region: guangxi}\n");
  EXPECT_NE(message.find("c.yaml:2:1: deadline: control character U+FEFF at byte 24: a "
                         "byte-order mark inside the file"),
            std::string::npos)
      << message;
}

TEST(ConfigEncodingTest, AnEscapedControlCharacterInAValueIsRefused) {
  std::string message = Refusal(
      "redaction:\n"
      "  withhold:\n"
      "    confidential_markers: [\"不予\\x01公示\", 涉密]\n");
  EXPECT_NE(message.find("c.yaml:3:28: redaction.withhold.confidential_markers[0]: control "
                         "character U+0001 in the value"),
            std::string::npos)
      << message;
  message = Refusal("redaction: {policy_version: \"p\\x852\"}\n");  // U+0085 (NEL), a C1 control
  EXPECT_NE(message.find("c.yaml:1:29: redaction.policy_version: control character U+0085"),
            std::string::npos)
      << message;
  // yaml-cpp 0.7 reads \N (NEL) and \_ (no-break space) as the bytes 0x85 and 0xA0.
  for (const char* escape : {"\\N", "\\_"}) {
    message = Refusal(std::string("redaction: {policy_version: \"p") + escape + "2\"}\n");
    EXPECT_NE(message.find("c.yaml:1:29: redaction.policy_version: the value is not valid UTF-8 "
                           "once its escapes are read"),
              std::string::npos)
        << message;
  }
  message = Refusal("kafka:\n  properties: {\"group\\e.id\": g}\n");
  EXPECT_NE(message.find("c.yaml:2:16: kafka.properties.group<U+001B>.id: control character "
                         "U+001B in the key"),
            std::string::npos)
      << message;
}

TEST(ConfigEncodingTest, TabNewlineAndCarriageReturnAreFine) {
  auto config = Load(
      "redaction:\r\n  policy_version: \"a\tb\\r\\nc\"\r\nbatch: {max_records: 5}  \t# note\r\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.policy_version, "a\tb\r\nc");
  EXPECT_EQ(config->batch.max_records, 5u);
}

// --- The structure: every key once, one document.

TEST(ConfigStructureTest, ADuplicateTopLevelKeyIsRefused) {
  const std::string message = Refusal(
      "batch: {max_records: 5}\n"
      "deadline: {region: guangxi}\n"
      "batch: {max_records: 6}\n");
  EXPECT_NE(message.find("c.yaml:3:1: batch: duplicate key (first given at line 1)"),
            std::string::npos)
      << message;
}

TEST(ConfigStructureTest, ADuplicateNestedKeyIsRefused) {
  // yaml-cpp's Node API keeps the first minors: the second, false, would be ignored silently.
  const std::string message = Refusal(
      "redaction:\n"
      "  withhold:\n"
      "    minors: true\n"
      "    warning_only: true\n"
      "    minors: false\n");
  EXPECT_NE(message.find("c.yaml:5:5: redaction.withhold.minors: duplicate key (first given at "
                         "line 3)"),
            std::string::npos)
      << message;
}

TEST(ConfigStructureTest, ADuplicateKeyInAListItemsMappingIsRefused) {
  const std::string message = Refusal(
      "kafka:\n"
      "  topics:\n"
      "    - t.license\n"
      "    - name: t.penalty\n"
      "      kind: penalty\n"
      "      name: t.other\n");
  EXPECT_NE(message.find("c.yaml:6:7: kafka.topics[1].name: duplicate key (first given at line "
                         "4)"),
            std::string::npos)
      << message;
}

TEST(ConfigStructureTest, DuplicatesInFlowStyleQuotedAndInProperties) {
  std::string message = Refusal("input: {encoding: utf-8, encoding: gb18030}\n");
  EXPECT_NE(message.find("c.yaml:1:26: input.encoding: duplicate key"), std::string::npos)
      << message;
  message = Refusal("\"batch\": {max_records: 5}\nbatch: {max_records: 6}\n");
  EXPECT_NE(message.find("c.yaml:2:1: batch: duplicate key"), std::string::npos) << message;
  message = Refusal(
      "kafka:\n"
      "  properties:\n"
      "    bootstrap.servers: a:9092\n"
      "    group.id: g\n"
      "    bootstrap.servers: b:9092\n");
  EXPECT_NE(message.find("c.yaml:5:5: kafka.properties.bootstrap.servers: duplicate key"),
            std::string::npos)
      << message;
}

TEST(ConfigStructureTest, TheSameKeyInTwoMappingsIsNoDuplicate) {
  auto config = Load(
      "kafka_sink:\n"
      "  properties: {bootstrap.servers: \"k:9092\"}\n"
      "  topics: {license: a, penalty: b}\n"
      "kafka:\n"
      "  properties: {bootstrap.servers: \"k:9092\", group.id: g}\n"
      "  topics: [a, b]\n"
      "service: {out_dir: /tmp/out}\n");
  ASSERT_TRUE(config) << config.error().ToString();
}

TEST(ConfigStructureTest, ASecondDocumentIsRefused) {
  std::string message = Refusal(
      "batch: {max_records: 5}\n"
      "---\n"
      "deadline: {region: guangxi}\n");
  EXPECT_NE(message.find("c.yaml:2:1: deadline: a second YAML document starts here"),
            std::string::npos)
      << message;
  message = Refusal("batch: {max_records: 5}\n---\n");
  EXPECT_NE(message.find("c.yaml:2:1: (second document): a second YAML document"),
            std::string::npos)
      << message;
  // A syntax error in the second document is still reported as the second document.
  message = Refusal("batch: {max_records: 5}\n---\nbatch: [1\n");
  EXPECT_NE(message.find("c.yaml:2:1"), std::string::npos) << message;
  EXPECT_NE(message.find("second YAML document"), std::string::npos) << message;
}

TEST(ConfigStructureTest, OneExplicitDocumentIsFine) {
  auto config = Load("---\nbatch: {max_records: 5}\n...\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->batch.max_records, 5u);
  config = Load("# only a comment\n");
  ASSERT_TRUE(config) << config.error().ToString();
}

TEST(ConfigStructureTest, AKeyThatIsNotANameIsRefused) {
  std::string message = Refusal("batch:\n  ? [max_records]\n  : 5\n");
  EXPECT_NE(message.find("c.yaml:2:5: batch: a list as a key: a key must be a plain name"),
            std::string::npos)
      << message;
  message = Refusal("batch:\n  ~: 5\n");
  EXPECT_NE(message.find("c.yaml:2:3: batch: a null (empty) key"), std::string::npos) << message;
}

TEST(ConfigStructureTest, ASyntaxErrorNamesTheKeyBeforeIt) {
  const std::string message = Refusal("deadline: {region: guangxi}\nbatch: [1, 2\n");
  EXPECT_NE(message.find("c.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  EXPECT_NE(message.find("(after key batch"), std::string::npos) << message;
}

// --- redaction.withhold.confidential_markers

TEST(ConfigMarkersTest, AnEmptyMarkerIsRefused) {
  for (const char* item : {"\"\"", "", "\"  \"", "\"\xE3\x80\x80\""}) {  // "", null, blanks
    const std::string message = Refusal(std::string("redaction:\n"
                                                    "  withhold:\n"
                                                    "    confidential_markers:\n"
                                                    "      - 不予公示\n"
                                                    "      - ") +
                                        item + "\n");
    EXPECT_NE(message.find("c.yaml:5: redaction.withhold.confidential_markers[1]: empty"),
              std::string::npos)
        << "item " << item << ": " << message;
    EXPECT_NE(message.find("every record with one would be withheld"), std::string::npos)
        << message;
  }
}

TEST(ConfigMarkersTest, AMarkerMayHoldASpace) {
  auto config = Load("redaction: {withhold: {confidential_markers: [\"不予 公示\"]}}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.confidential_markers, std::vector<std::string>{"不予 公示"});
  EXPECT_NE(Refusal("redaction: {withhold: {confidential_markers: [[涉密]]}}\n")
                .find("c.yaml:1: redaction.withhold.confidential_markers[0]: expected a string"),
            std::string::npos);
}

// --- redaction.names

TEST(ConfigNamesTest, Defaults) {
  auto config = Load("");
  ASSERT_TRUE(config);
  const RedactionConfig::NamesConfig& names = config->redaction.names;
  EXPECT_TRUE(names.free_text);
  EXPECT_EQ(names.individual_business_operator, FieldRule::kMaskName);
  EXPECT_TRUE(names.roles.empty());
  EXPECT_EQ(names.public_roles, std::vector<std::string>{"法定代表人"});
  EXPECT_EQ(names.dictionary, "");
  // A section with only some keys keeps the others' defaults.
  config = Load("redaction: {names: {roles: [店主]}}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.names.roles, std::vector<std::string>{"店主"});
  EXPECT_EQ(config->redaction.names.public_roles, std::vector<std::string>{"法定代表人"});
  EXPECT_EQ(config->redaction.names.individual_business_operator, FieldRule::kMaskName);
}

TEST(ConfigNamesTest, EveryKeyIsRead) {
  auto config = Load(
      "redaction:\n"
      "  names:\n"
      "    free_text: false\n"
      "    individual_business_operator: drop\n"
      "    roles: [店主, 摊主]\n"
      "    public_roles: []\n"
      "    dictionary: /etc/gongshi/names.json\n");
  ASSERT_TRUE(config) << config.error().ToString();
  const RedactionConfig::NamesConfig& names = config->redaction.names;
  EXPECT_FALSE(names.free_text);
  EXPECT_EQ(names.individual_business_operator, FieldRule::kDrop);
  EXPECT_EQ(names.roles, (std::vector<std::string>{"店主", "摊主"}));
  EXPECT_TRUE(names.public_roles.empty()) << "an empty list: no role's names are public";
  EXPECT_EQ(names.dictionary, "/etc/gongshi/names.json");
  config = Load("redaction: {names: {individual_business_operator: keep}}\n");
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->redaction.names.individual_business_operator, FieldRule::kKeep);
}

INSTANTIATE_TEST_SUITE_P(
    Names, ConfigMistakeTest,
    ::testing::Values(
        Mistake{"redaction: {names: {individual_business_operator: mask}}",
                "c.yaml:1: redaction.names.individual_business_operator: 'mask' is not allowed "
                "here (mask is for ID numbers"},
        Mistake{"redaction: {names: {individual_business_operator: hide}}",
                "redaction.names.individual_business_operator: 'hide' is not one of keep, "
                "mask_name, drop"},
        Mistake{"redaction: {names: {roles: [店主, \"\"]}}",
                "c.yaml:1: redaction.names.roles[1]: empty"},
        Mistake{"redaction: {names: {roles: [\"店 主\"]}}",
                "redaction.names.roles[0]: '店 主' has whitespace in it"},
        Mistake{"redaction: {names: {roles: [\"店\xE3\x80\x80主\"]}}",  // U+3000
                "redaction.names.roles[0]: '店\xE3\x80\x80主' has whitespace in it"},
        Mistake{"redaction: {names: {public_roles: [\"法定代表人 \"]}}",
                "redaction.names.public_roles[0]: '法定代表人 ' has whitespace"},
        Mistake{"redaction: {names: {public_roles: [~]}}",
                "redaction.names.public_roles[0]: empty"},
        Mistake{"redaction: {names: {roles: 店主}}",
                "redaction.names.roles: expected a list of strings"},
        Mistake{"redaction: {names: {free_txt: true}}",
                "redaction.names.free_txt: unknown key (known here: free_text, "
                "individual_business_operator, roles, public_roles, dictionary)"},
        Mistake{"redaction: {names: {free_text: often}}",
                "redaction.names.free_text: expected true or false"},
        Mistake{"redaction: {names: {dictionary: [a]}}",
                "redaction.names.dictionary: expected a string"},
        Mistake{"redaction: {names: [free_text]}", "redaction.names: expected a mapping"}));

// --- Every config the project ships still loads.

TEST(ShippedConfigTest, TheExampleLoadsAndShowsTheDefaults) {
  auto config = LoadConfig(DataDir() + "/schemas/gongshi.example.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  const RedactionConfig defaults;
  EXPECT_EQ(config->redaction.names.free_text, defaults.names.free_text);
  EXPECT_EQ(config->redaction.names.individual_business_operator,
            defaults.names.individual_business_operator);
  EXPECT_EQ(config->redaction.names.roles, defaults.names.roles);
  EXPECT_EQ(config->redaction.names.public_roles, defaults.names.public_roles);
  EXPECT_EQ(config->redaction.names.dictionary, defaults.names.dictionary);
  EXPECT_EQ(config->redaction.confidential_markers, defaults.confidential_markers);
  EXPECT_EQ(config->redaction.fields, defaults.fields);
}

// check-config, the command operators run, refuses the GB18030 file with exit 2 (a config error).
TEST(CheckConfigCommandTest, RefusesAGb18030FileWithExit2) {
  testing::TempDir dir;
  testing::WriteFile(dir / "gbk.yaml", std::string("redaction:\n"
                                                   "  withhold:\n"
                                                   "    confidential_markers: [") +
                                           kGb18030Marker + "]\n");
  const testing::ProcessResult result =
      testing::Run({"check-config", dir / "gbk.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find((dir / "gbk.yaml") +
                            ":3:28: redaction.withhold.confidential_markers[0]: not valid UTF-8"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("GB18030"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("ok"), std::string::npos) << result.out;

  testing::WriteFile(dir / "utf8.yaml",
                     "redaction:\n  withhold:\n    confidential_markers: [不予公示]\n");
  const testing::ProcessResult ok = testing::Run({"check-config", dir / "utf8.yaml"}, dir.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(ConfigTest, MissingFileIsNamed) {
  auto config = LoadConfig("/nonexistent/gongshi.yaml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message().find("/nonexistent/gongshi.yaml"), std::string::npos);
}

}  // namespace
}  // namespace gongshi
