// TextScanner: every written form of an identifier is found, and the negative controls (dates,
// money, licence and document numbers, organisation codes, masks, gongshi's own hex ids) are not.
// The identifiers are built here with their own check digits, apart from the code under test.
#include "pipeline/leak_scan/text_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/leak_scan/luhn.h"
#include "tests/support/test_support.h"

namespace gongshi::leak_scan {
namespace {

// GB 11643 check character of 17 digits.
char IdCheck(const std::string& first17) {
  static const int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}
std::string Id(const std::string& first17) { return first17 + IdCheck(first17); }
// An ID whose check character is X: the first serial from `area_and_birth` (14 digits) that has
// one.
std::string IdWithX(const std::string& area_and_birth) {
  for (int serial = 0; serial < 1000; ++serial) {
    const std::string first17 = area_and_birth + fmt::format("{:03d}", serial);
    if (IdCheck(first17) == 'X') return first17 + 'X';
  }
  return "";
}
// The Luhn digit that completes `digits`.
std::string Luhn(const std::string& digits) {
  for (char d = '0'; d <= '9'; ++d) {
    const std::string candidate = digits + d;
    if (testing::PassesLuhn(candidate)) return candidate;
  }
  return "";
}
// Digits in full width (U+FF10..FF19).
std::string FullWidth(const std::string& ascii) {
  std::string out;
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out.push_back(static_cast<char>(0x90 + (c - '0')));
    } else if (c == 'X') {
      out += "Ｘ";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const std::string kId = Id("11010119900307451");  // 1990-03-07
const std::string kIdX = IdWithX("11010519491231");
const std::string kId15 = "110101900307451";  // 1990-03-07, first digit 1
const std::string kMobile = "13812345678";
const std::string kCard16 = Luhn("622202123456789");
const std::string kCard19 = Luhn("621700123456789012");

class TextScannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto names = NameDictionary::Load(SchemasDir() + "/names.json");
    ASSERT_TRUE(names) << names.error().message();
    names_ = std::make_shared<const NameDictionary>(std::move(*names));
  }
  // "class:matched text" for every hit, in order.
  std::vector<std::string> Find(const std::string& text) {
    TextScanner scanner(names_);
    std::vector<TextHit> hits;
    scanner.Scan(text, hits);
    std::vector<std::string> out;
    for (const TextHit& hit : hits) {
      out.push_back(std::string(LeakClassName(hit.kind)) + ":" +
                    text.substr(hit.begin, hit.end - hit.begin));
    }
    return out;
  }
  std::vector<std::string> Classes(const std::string& text) {
    std::vector<std::string> out;
    for (const std::string& hit : Find(text)) out.push_back(hit.substr(0, hit.find(':')));
    return out;
  }
  static std::shared_ptr<const NameDictionary> names_;
};
std::shared_ptr<const NameDictionary> TextScannerTest::names_;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(TextScannerTest, TheTestIdentifiersAreWhatTheyClaim) {
  EXPECT_EQ(kIdX.back(), 'X');
  EXPECT_EQ(kCard16.size(), 16u);
  EXPECT_EQ(kCard19.size(), 19u);
}

TEST_F(TextScannerTest, FindsThePlainFormsWithTheirExtent) {
  EXPECT_THAT(Find("身份证号码" + kId + "。"), ElementsAre("id_number:" + kId));
  EXPECT_THAT(Find("证件号码：" + kIdX + "，"), ElementsAre("id_number:" + kIdX));
  EXPECT_THAT(Find("原身份证号" + kId15 + "。"), ElementsAre("id_number:" + kId15));
  EXPECT_THAT(Find("手机" + kMobile + "。"), ElementsAre("mobile:" + kMobile));
  EXPECT_THAT(Find("卡号" + kCard16 + "，" + kCard19),
              ElementsAre("bank_card:" + kCard16, "bank_card:" + kCard19));
  EXPECT_THAT(Find("邮箱zhang.san@163.com。"), ElementsAre("email:zhang.san@163.com"));
}

TEST_F(TextScannerTest, TheCheckCharacterInEveryCase) {
  std::string lower = kIdX;
  lower.back() = 'x';
  EXPECT_THAT(Classes(lower), ElementsAre("id_number"));
  EXPECT_THAT(Classes(kIdX.substr(0, 17) + "Ｘ"), ElementsAre("id_number"));
  EXPECT_THAT(Classes(kIdX.substr(0, 17) + "ｘ"), ElementsAre("id_number"));
  // A check X set apart like a group of its own.
  EXPECT_THAT(
      Classes(kIdX.substr(0, 6) + " " + kIdX.substr(6, 8) + " " + kIdX.substr(14, 3) + " ／ Ｘ"),
      ElementsAre("id_number"));
}

TEST_F(TextScannerTest, FullWidthAndMixedDigits) {
  EXPECT_THAT(Classes("身份证号码" + FullWidth(kId)), ElementsAre("id_number"));
  EXPECT_THAT(Classes("身份证号码" + FullWidth(kIdX)), ElementsAre("id_number"));
  EXPECT_THAT(Classes("手机" + FullWidth(kMobile)), ElementsAre("mobile"));
  EXPECT_THAT(Classes("卡号" + FullWidth(kCard19)), ElementsAre("bank_card"));
  // Every other digit full-width.
  std::string mixed;
  for (size_t i = 0; i < kMobile.size(); ++i) {
    mixed += i % 2 ? FullWidth(kMobile.substr(i, 1)) : kMobile.substr(i, 1);
  }
  EXPECT_THAT(Find("电话" + mixed + "。"), ElementsAre("mobile:" + mixed));
  std::string mixed_id = FullWidth(kId.substr(0, 9)) + kId.substr(9);
  EXPECT_THAT(Classes(mixed_id), ElementsAre("id_number"));
}

// Each separator class, one at a time, in a mobile (3-4-4) and an ID (6-8-4).
TEST_F(TextScannerTest, EverySeparatorJoinsGroups) {
  const std::vector<std::string> separators = {
      " ",      "\t",     "\u00A0", "\u3000",                                          // spaces
      "-",      "\uFF0D", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015",  // hyphens
      "\u2212", "\uFE63",                                // minus signs
      ".",      "\uFF0E", "\u00B7", "\u30FB", "\u2027",  // dots
      "/",      "\uFF0F", "\\",                          // slashes
      "_",      "\uFF3F"};                               // underscores
  for (const std::string& sep : separators) {
    const std::string mobile =
        kMobile.substr(0, 3) + sep + kMobile.substr(3, 4) + sep + kMobile.substr(7);
    EXPECT_THAT(Find("联系电话" + mobile + "。"), ElementsAre("mobile:" + mobile)) << sep;
    const std::string id = kId.substr(0, 6) + sep + kId.substr(6, 8) + sep + kId.substr(14);
    EXPECT_THAT(Find("身份证" + id + "。"), ElementsAre("id_number:" + id)) << sep;
  }
}

TEST_F(TextScannerTest, SeparatorRunsOfUpToThreeCharacters) {
  EXPECT_THAT(Classes("电话138 - 1234 - 5678"), ElementsAre("mobile"));
  EXPECT_THAT(Classes("电话138 \u3000-1234_\u00A0/5678"), ElementsAre("mobile"));
  // Four separators part the groups: 138 and 12345678 are no mobile.
  EXPECT_THAT(Classes("电话138 -- 12345678"), IsEmpty());
}

TEST_F(TextScannerTest, AnyGrouping) {
  auto group = [](const std::string& digits, std::vector<int> sizes, const std::string& sep) {
    std::string out;
    size_t at = 0;
    for (int size : sizes) {
      if (at > 0) out += sep;
      out += digits.substr(at, size);
      at += size;
    }
    return out;
  };
  EXPECT_THAT(Classes(group(kId, {6, 8, 4}, " ")), ElementsAre("id_number"));
  EXPECT_THAT(Classes(group(kId, {3, 3, 4, 4, 4}, " ")), ElementsAre("id_number"));
  EXPECT_THAT(Classes(group(kId, {6, 4, 4, 4}, "-")), ElementsAre("id_number"));
  EXPECT_THAT(Classes(group(kId, {2, 4, 4, 4, 4}, ".")), ElementsAre("id_number"));
  // The birth date itself grouped like a date.
  EXPECT_THAT(Classes(group(kId, {6, 4, 2, 2, 4}, " ")), ElementsAre("id_number"));
  EXPECT_THAT(Classes(group(kId15, {6, 6, 3}, " ")), ElementsAre("id_number"));
  EXPECT_THAT(Classes(group(kCard19, {4, 4, 4, 4, 3}, " ")), ElementsAre("bank_card"));
  EXPECT_THAT(Classes(group(kCard16, {4, 4, 4, 4}, "-")), ElementsAre("bank_card"));
  EXPECT_THAT(Classes(group(kCard19, {6, 13}, " ")), ElementsAre("bank_card"));
  EXPECT_THAT(Classes(group(kMobile, {3, 4, 4}, " ")), ElementsAre("mobile"));
  EXPECT_THAT(Classes(group(kMobile, {3, 8}, "-")), ElementsAre("mobile"));
  EXPECT_THAT(Classes(group(kMobile, {7, 4}, ".")), ElementsAre("mobile"));
  EXPECT_THAT(Classes(group(kMobile, {4, 3, 4}, "/")), ElementsAre("mobile"));
}

TEST_F(TextScannerTest, CountryPrefixesGluedOrSeparated) {
  for (const char* prefix : {"86", "+86", "0086", "86 ", "+86 ", "0086-", "+86-"}) {
    EXPECT_THAT(Classes("电话" + std::string(prefix) + kMobile + "。"), ElementsAre("mobile"))
        << prefix;
  }
  EXPECT_THAT(Classes("电话+86 138 1234 5678"), ElementsAre("mobile"));
  EXPECT_THAT(Classes("电话" + FullWidth("0086" + kMobile)), ElementsAre("mobile"));
}

TEST_F(TextScannerTest, GluedToAnyNeighbour) {
  EXPECT_THAT(Find("联系电话＊17641468117"), ElementsAre("mobile:17641468117"));
  EXPECT_THAT(Find("身份证号码*" + kId), ElementsAre("id_number:" + kId));
  EXPECT_THAT(Find("Tel" + kMobile), ElementsAre("mobile:" + kMobile));
  EXPECT_THAT(Find("ID" + kId + "abc"), ElementsAre("id_number:" + kId));
  EXPECT_THAT(Find("邮箱abc@163.com" + kMobile),
              ElementsAre("email:abc@163.com", "mobile:" + kMobile));
  // An ID directly followed by a mobile, in one run of digits.
  EXPECT_THAT(Find(kId + kMobile), ElementsAre("id_number:" + kId, "mobile:" + kMobile));
  EXPECT_THAT(Find(kMobile + kId), ElementsAre("mobile:" + kMobile, "id_number:" + kId));
  // After a number in full-width digits (序号２２３): the ID in ASCII digits is its own.
  EXPECT_THAT(Find("序号２２３" + kId + "。"), ElementsAre("id_number:" + kId));
  EXPECT_THAT(Find("工号９２" + kMobile), ElementsAre("mobile:" + kMobile));
  // A label's single star before a grouped number does not make it a mask.
  EXPECT_THAT(Classes("开户账号＊" + kCard19.substr(0, 4) + "_ " + kCard19.substr(4, 4) + " " +
                      kCard19.substr(8, 4) + " ‒ " + kCard19.substr(12)),
              ElementsAre("bank_card"));
}

TEST_F(TextScannerTest, EmailVariants) {
  EXPECT_THAT(Find("邮箱wang_wu@qq.com。"), ElementsAre("email:wang_wu@qq.com"));
  EXPECT_THAT(Classes("邮箱wang＠qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang(at)qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang[at]qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang（at）qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang【at】qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang#qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang＃qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang@qq．com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang@qq(dot)com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang(at)qq[dot]com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱wang @ qq.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱ｗａｎｇ２０２０@vip.163.com"), ElementsAre("email"));
  EXPECT_THAT(Classes("邮箱li.lei+tag%1@mail.zj.gov.cn"), ElementsAre("email"));
  // The TLD ends where glued digits start.
  EXPECT_THAT(Find("abc@163.com13812345678"),
              ElementsAre("email:abc@163.com", "mobile:13812345678"));
}

TEST_F(TextScannerTest, NotEmails) {
  EXPECT_THAT(Classes("位于3#楼201室"), IsEmpty());  // '#' without a domain
  EXPECT_THAT(Classes("使用C#.NET开发"), IsEmpty());
  EXPECT_THAT(Classes("微信@张三"), IsEmpty());
  EXPECT_THAT(Classes("邮箱abc@localhost。"), IsEmpty());   // no TLD
  EXPECT_THAT(Classes("邮箱abc@163.c。"), IsEmpty());       // a TLD of one letter
  EXPECT_THAT(Classes("邮箱z***@example.com"), IsEmpty());  // masked
  EXPECT_THAT(Classes("邮箱***@example.com"), IsEmpty());
  EXPECT_THAT(Classes("邮箱zh**ng@example.com"), IsEmpty()) << "what a mask kept";
}

TEST_F(TextScannerTest, NamesAfterRoleWords) {
  EXPECT_THAT(Find("当事人张三（身份证号码略）"), ElementsAre("name:张三"));
  EXPECT_THAT(Find("当事人：李小明，男"), ElementsAre("name:李小明"));
  EXPECT_THAT(Find("消费者欧阳娜娜投诉"), ElementsAre("name:欧阳娜娜"));
  EXPECT_THAT(Find("顾客司马光于当日到场"), ElementsAre("name:司马光"));  // not the 场 of a 场所
  EXPECT_THAT(Find("驾驶人王五驾驶该车辆"), ElementsAre("name:王五"));
  EXPECT_THAT(Find("员工百　里　佳　瑶因故未到场"), ElementsAre("name:百　里　佳　瑶"));
  EXPECT_THAT(Find("违法行为人卢·泽证实。"), ElementsAre("name:卢·泽"));
  EXPECT_THAT(Find("经营者金宇瑶、屈然雪等人"), ElementsAre("name:金宇瑶", "name:屈然雪"));
  EXPECT_THAT(Find("车主傅文雨的银行账号"), ElementsAre("name:傅文雨"));
  EXPECT_THAT(Find("主要负责人：赵翔。"), ElementsAre("name:赵翔"));
}

TEST_F(TextScannerTest, NotNamesAfterRoleWords) {
  EXPECT_THAT(Classes("法定代表人张三"), IsEmpty());    // public role
  EXPECT_THAT(Classes("当事人于当日到场"), IsEmpty());  // common word
  EXPECT_THAT(Classes("当事人申请延期"), IsEmpty());
  EXPECT_THAT(Classes("申请人杭州鑫盛网络科技有限公司"), IsEmpty());
  EXPECT_THAT(Classes("当事人王记水果店存在违法行为"), IsEmpty());
  EXPECT_THAT(Classes("当事人卓邦房地产开发有限公司"), IsEmpty());
  EXPECT_THAT(Classes("当事人银云文化传媒有限责任公司存在"), IsEmpty());
  EXPECT_THAT(Classes("当事人南京市秦淮区诚弘装饰"), IsEmpty());  // a place
  EXPECT_THAT(Classes("当事人江南区益通水果店"), IsEmpty());
  EXPECT_THAT(Classes("当事人武汉汇中餐饮管理股份有限公司"), IsEmpty());
  EXPECT_THAT(Classes("反映当事人海口宏丰，经查"), IsEmpty()) << "a city's name begins it";
  EXPECT_THAT(Classes("依据《消费者权益保护法》"), IsEmpty());
  EXPECT_THAT(Classes("当事人张某"), IsEmpty());  // masks
  EXPECT_THAT(Classes("当事人张某某"), IsEmpty());
  EXPECT_THAT(Classes("当事人张*"), IsEmpty());
  EXPECT_THAT(Classes("当事人欧阳**"), IsEmpty());
  EXPECT_THAT(Classes("当事人张＊＊"), IsEmpty());
  EXPECT_THAT(Classes("消费者李女士投诉"), IsEmpty());  // honorifics
  EXPECT_THAT(Classes("车主王先生称"), IsEmpty());
  EXPECT_THAT(Classes("申请人张记水果批发部，"), IsEmpty());
  EXPECT_THAT(Classes("张三在现场"), IsEmpty());  // no role word
}

TEST_F(TextScannerTest, NegativeControls) {
  std::string bad = kId;
  bad.back() = bad.back() == '0' ? '1' : '0';
  EXPECT_THAT(Classes("票据号码" + bad), IsEmpty()) << "an 18-digit number failing the checksum";
  // Failing the ID checksum but passing Luhn: shaped like an ID (area, birth date), not a card.
  for (int last = 0; last <= 9; ++last) {
    std::string shaped = kId.substr(0, 17) + static_cast<char>('0' + last);
    if (shaped == kId) continue;
    EXPECT_THAT(Classes("系统流水号" + shaped), IsEmpty()) << shaped;
  }
  // A valid check character but no real birth date (month 13, 1849, Feb 30): no ID.
  for (const std::string& first17 :
       {std::string("11010119901307451"), std::string("11010118490307451"),
        std::string("11010119900230451")}) {
    EXPECT_THAT(Classes("编号" + Id(first17)), ::testing::Not(::testing::Contains("id_number")))
        << first17;
  }
  EXPECT_THAT(Classes("编号" + Id("11010120990307451")), ElementsAre("id_number")) << "2099 is";
  // 11 digits starting 10, 11 or 12 are no mobile; a 15-digit ID needs a province digit 1-8.
  for (const char* number : {"10812345678", "11812345678", "12812345678"}) {
    EXPECT_THAT(Classes(std::string("编号") + number + "。"), IsEmpty()) << number;
  }
  EXPECT_THAT(Classes("编号910101900307451"), IsEmpty());
  EXPECT_THAT(Classes("编号110101901307451"), IsEmpty()) << "month 13";
  EXPECT_THAT(Classes("于2023-01-01作出"), IsEmpty());
  EXPECT_THAT(Classes("有效期2023.01.01-2028.12.31"), IsEmpty());
  EXPECT_THAT(Classes("有效期2023/1/1至2028/12/31"), IsEmpty());
  EXPECT_THAT(Classes("杭市监罚〔2024〕00012号"), IsEmpty());
  EXPECT_THAT(Classes("罚款12,345.67元"), IsEmpty());
  EXPECT_THAT(Classes("许可证编号JY13301060012345"), IsEmpty());
  EXPECT_THAT(Classes("统一社会信用代码91330106MA2B3C4D5E"), IsEmpty());
  EXPECT_THAT(Classes("机关代码11330100002493117X。"), IsEmpty());
  EXPECT_THAT(Classes("电话0571-88886666"), IsEmpty());
  EXPECT_THAT(Classes("电话(010)12345678"), IsEmpty());
  // A date before a mobile: the mobile, not a 19-digit "card" across the date.
  EXPECT_THAT(Find("2023-01-01 " + kMobile), ElementsAre("mobile:" + kMobile));
}

TEST_F(TextScannerTest, MaskedValuesAreNotFindings) {
  EXPECT_THAT(Classes("身份证号码11*************02X"), IsEmpty());
  EXPECT_THAT(Classes("手机138****5678"), IsEmpty());
  EXPECT_THAT(Classes("卡号***************1234"), IsEmpty());
  EXPECT_THAT(Classes("卡号6222 **** **** 1234"), IsEmpty());
  // The kept digits of a mask are not joined to what follows.
  EXPECT_THAT(Classes("手机138****5678 2023-01-01"), IsEmpty());
}

TEST_F(TextScannerTest, GongshisHexTokensAreSkipped) {
  // 32 hex characters holding a mobile's digits, bounded: a record id.
  EXPECT_THAT(Classes("记录 ab13812345678cd0000000000000000e 已发布"), IsEmpty());
  EXPECT_THAT(Classes("batch 000001-9e3633bfe6f610f2bb53cb04339cf850"), IsEmpty());
  const std::string sha = "ab" + kMobile + "cd" + kId + std::string(31, 'e');  // 64
  ASSERT_EQ(sha.size(), 64u);
  EXPECT_THAT(Classes("sha256 " + sha + "."), IsEmpty());
  EXPECT_THAT(Classes(sha.substr(0, 40)), IsEmpty());
  // Not one of ours: 31 or 65 characters, upper case, or glued to more letters. The digits in it
  // are read like any others (glued to letters: Tel13812345678).
  EXPECT_THAT(Classes("ab13812345678cd000000000000000e"), ElementsAre("mobile"));
  EXPECT_THAT(Classes(sha + "e"), ElementsAre("mobile", "id_number"));
  EXPECT_THAT(Classes("AB13812345678CD0000000000000000E"), ElementsAre("mobile"));
  EXPECT_THAT(Classes("x ab13812345678cd0000000000000000exyz"), ElementsAre("mobile"));
  // All digits: a number, not an id.
  EXPECT_THAT(Classes(kCard16), ElementsAre("bank_card"));
}

TEST_F(TextScannerTest, InvalidUtf8IsReadAsNonCharacters) {
  std::string text = "手机" + kMobile + "\xFF\xFE" + "\xE6\x9D" + kId;
  EXPECT_THAT(Classes(text), ElementsAre("mobile", "id_number"));
  EXPECT_THAT(Classes(std::string("\xC0\x80\xED\xA0\x80\xF5\x80\x80\x80")), IsEmpty());
}

TEST(NameDictionaryTest, ABrokenNamesFileIsAConfigErrorNamingTheKey) {
  testing::TempDir dir;
  auto missing = NameDictionary::Load(dir / "none.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kInvalidConfig);
  testing::WriteFile(dir / "names.json", "{\"roles\": [\"当事人\"]}");
  auto partial = NameDictionary::Load(dir / "names.json");
  ASSERT_FALSE(partial);
  EXPECT_THAT(partial.error().message(), ::testing::HasSubstr("public_roles"));
  testing::WriteFile(dir / "names.json",
                     "{\"roles\":[\"当事人\"],\"public_roles\":[],\"surnames_compound\":[\"欧\"],"
                     "\"surnames_single\":[],\"common_words\":[],\"not_given_name\":[],"
                     "\"organisation_suffixes\":[]}");
  auto short_compound = NameDictionary::Load(dir / "names.json");
  ASSERT_FALSE(short_compound);
  EXPECT_THAT(short_compound.error().message(), ::testing::HasSubstr("surnames_compound"));
  testing::WriteFile(dir / "names.json", "not json");
  EXPECT_FALSE(NameDictionary::Load(dir / "names.json"));
}

}  // namespace
}  // namespace gongshi::leak_scan
