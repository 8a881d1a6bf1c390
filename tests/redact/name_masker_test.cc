// NameMasker: the dictionary's loading and its refusals, and invariants over random text: the
// output is valid UTF-8 when the input is, never longer, and masking it again changes nothing.
#include "pipeline/redact/name_masker.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/schema/schema.h"
#include "tests/support/test_support.h"

namespace gongshi {
namespace {

using testing::TempDir;

const NameMasker& Masker() {
  static const std::unique_ptr<NameMasker> masker = [] {
    auto dictionary = NameDictionary::Load(SchemasDir() + "/names.json");
    EXPECT_TRUE(dictionary) << dictionary.error().ToString();
    auto created = NameMasker::Create(*dictionary, {});
    EXPECT_TRUE(created) << created.error().ToString();
    return std::move(*created);
  }();
  return *masker;
}

std::string Mask(std::string_view text, std::vector<std::string_view> own = {}) {
  Arena arena(4096);
  uint64_t masked = 0;
  std::vector<NameMasker::Hidden> scratch;
  return std::string(Masker().Mask(text, own, arena, masked, scratch));
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80         ? 1
                       : (c >> 5) == 6  ? 2
                       : (c >> 4) == 14 ? 3
                       : (c >> 3) == 30 ? 4
                                        : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(NameMaskerTest, TheShippedDictionaryLoads) {
  auto dictionary = NameDictionary::Load(SchemasDir() + "/names.json");
  ASSERT_TRUE(dictionary) << dictionary.error().ToString();
  EXPECT_GT(dictionary->single_surnames.size(), 300u);
  EXPECT_GT(dictionary->compound_surnames.size(), 50u);
  EXPECT_FALSE(dictionary->roles.empty());
  EXPECT_FALSE(dictionary->frames.empty());
}

TEST(NameMaskerTest, ABrokenDictionaryIsRefusedNamingTheFileAndKey) {
  TempDir dir;
  const std::string path = dir / "names.json";
  testing::WriteFile(path, R"({"surnames_compound": ["欧"], "surnames_single": [], "roles": [],
    "public_roles": [], "common_words": [], "not_given_name": [], "organisation_suffixes": []})");
  auto bad = NameDictionary::Load(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find(path), std::string::npos);
  EXPECT_NE(bad.error().ToString().find("surnames_compound"), std::string::npos);
  testing::WriteFile(path, "{");
  EXPECT_FALSE(NameDictionary::Load(path));
  EXPECT_FALSE(NameDictionary::Load(dir / "missing.json"));
  // A role word that is no CJK text is refused at start.
  auto dictionary = NameDictionary::Load(SchemasDir() + "/names.json");
  ASSERT_TRUE(dictionary);
  RedactionConfig::NamesConfig config;
  config.roles = {"witness"};
  EXPECT_FALSE(NameMasker::Create(*dictionary, config));
}

TEST(NameMaskerTest, OwnNamesAreFoundAsWrittenAndKeepTheirSurname) {
  EXPECT_EQ(Mask("张伟、张 伟、张　伟、张·伟、张伟某", {"张伟"}), "张*、张 *、张　*、张·*、张*某");
  EXPECT_EQ(Mask("欧阳娜娜与欧 阳 娜 娜", {"欧阳娜娜"}), "欧阳**与欧 阳 * *");
  // Not a name of the record: left alone.
  EXPECT_EQ(Mask("张伟", {"李娜"}), "张伟");
}

TEST(NameMaskerTest, ReturnsTheInputItselfWhenNothingIsMasked) {
  const std::string text = "经查，当事人于2024年5月在本市无证经营。";
  Arena arena(4096);
  uint64_t masked = 0;
  std::vector<NameMasker::Hidden> scratch;
  const std::string_view out = Masker().Mask(text, {}, arena, masked, scratch);
  EXPECT_EQ(out.data(), text.data());
  EXPECT_EQ(masked, 0u);
}

TEST(NameMaskerTest, InvariantsHoldOnRandomText) {
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {
      "当事人", "证人",         "受害人", "法定代表人", "从",   "处",   "与",      "发生", "殴打",
      "张",     "欧阳",         "伟",     "娜",         "某",   "某某", "、",      "，",   "。",
      " ",      "\xE3\x80\x80", "·",      "公司",       "店",   "村",   "于",      "当日", "申请",
      "李",     "王",           "2024",   "a",          "\xE5", "\xFF", "\xE4\xB8"};
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1), len(0, 40);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text;
    const size_t n = len(rng);
    for (size_t i = 0; i < n; ++i) text += pieces[pick(rng)];
    const std::string out = Mask(text, {"张伟", "欧阳娜"});
    ASSERT_LE(out.size(), text.size()) << text;
    if (ValidUtf8(text)) {
      ASSERT_TRUE(ValidUtf8(out)) << text << "\n" << out;
    }
    ASSERT_EQ(Mask(out, {"张伟", "欧阳娜"}), out) << text;
  }
}

}  // namespace
}  // namespace gongshi
