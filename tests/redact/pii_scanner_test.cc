// PiiScanner: what it finds in free text and what it must leave alone, the masks, Redact's copy
// semantics, and a randomised invariant run over generated and arbitrary bytes.
#include "pipeline/redact/pii_scanner.h"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/record/arena.h"

namespace gongshi {
namespace {

struct Finding {
  std::string text;
  PiiKind kind;

  friend bool operator==(const Finding&, const Finding&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Finding& f) {
    return os << PiiKindName(f.kind) << ":\"" << f.text << '"';
  }
};

std::vector<Finding> Find(std::string_view text, PiiScanner::Options options = {}) {
  std::vector<PiiSpan> spans;
  PiiScanner(options).Scan(text, spans);
  std::vector<Finding> found;
  for (const PiiSpan& span : spans) {
    found.push_back({std::string(text.substr(span.begin, span.end - span.begin)), span.kind});
  }
  return found;
}

std::vector<Finding> One(std::string_view text, PiiKind kind) {
  return {{std::string(text), kind}};
}

std::string Redacted(std::string_view text, PiiScanner::Options options = {}) {
  Arena arena(4096);
  PiiCounts counts;
  std::vector<PiiSpan> scratch;
  return std::string(PiiScanner(options).Redact(text, arena, counts, scratch));
}

// ASCII digits and X as their full-width forms (U+FF10..U+FF19, U+FF38).
std::string FullWidth(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      out += "\xEF\xBC";
      out += static_cast<char>(0x90 + (c - '0'));
    } else if (c == 'X') {
      out += "\xEF\xBC\xB8";
    } else if (c == ' ') {
      out += "\xE3\x80\x80";
    } else {
      out += c;
    }
  }
  return out;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

constexpr PiiKind kId = PiiKind::kIdNumber;
constexpr PiiKind kMobile = PiiKind::kMobile;
constexpr PiiKind kCard = PiiKind::kBankCard;
constexpr PiiKind kEmail = PiiKind::kEmail;

// --- ID numbers
// -----------------------------------------------------------------------------------

TEST(PiiScannerTest, FindsEighteenDigitIdNumberInChineseText) {
  const std::string text = "经查，当事人张某（身份证号350102199003071234）于2023年5月无证经营。";
  EXPECT_EQ(Find(text), One("350102199003071234", kId));
  EXPECT_EQ(Find("11010519491231002X"), One("11010519491231002X", kId));
  EXPECT_EQ(Find("身份证:11010519491231002x,"), One("11010519491231002x", kId));
}

TEST(PiiScannerTest, FindsFullWidthIdNumber) {
  const std::string id = FullWidth("11010519491231002X");
  EXPECT_EQ(Find("号码" + id + "。"), One(id, kId));
  // Mixed widths within one number, as pasted from different sources.
  const std::string mixed = "110105" + FullWidth("19491231") + "002\xEF\xBD\x98";  // ｘ
  EXPECT_EQ(Find(mixed), One(mixed, kId));
}

TEST(PiiScannerTest, IdNumberNeedsChecksumAndRealBirthDate) {
  EXPECT_EQ(Find("110105194912310021"), std::vector<Finding>{});  // check should be X
  EXPECT_EQ(Find("110101199003073871"), std::vector<Finding>{});
  // Right checksum, 1949-02-31; also fails Luhn, so nothing at all.
  EXPECT_EQ(Find("110105194902310026"), std::vector<Finding>{});
  // Right checksum, born 1000: not a holder's number.
  EXPECT_EQ(Find("11010510000101123X"), std::vector<Finding>{});
  EXPECT_EQ(Find("440524188001010014"), One("440524188001010014", kId));
}

TEST(PiiScannerTest, FindsFifteenDigitIdNumber) {
  EXPECT_EQ(Find("旧证130503670401001号"), One("130503670401001", kId));
  EXPECT_EQ(Find("930503670401001"), std::vector<Finding>{});  // no area code starts with 9
  EXPECT_EQ(Find("130503671301001"), std::vector<Finding>{});  // month 13
  EXPECT_EQ(Find("130503670230001"), std::vector<Finding>{});  // 02-30
  EXPECT_EQ(Find("130503 670401 001"), One("130503 670401 001", kId));
}

TEST(PiiScannerTest, FindsIdNumberWrittenInGroups) {
  for (std::string_view text : {"350102 19900307 1234", "350102-19900307-1234",
                                "350102 1990 0307 1234", "3501 0219 9003 0712 34",
                                "350102\xE3\x80\x80"
                                "19900307\xE3\x80\x80"
                                "1234",
                                "350102\xEF\xBC\x8D"
                                "19900307\xEF\xBC\x8D"
                                "1234"}) {
    EXPECT_EQ(Find(text), One(text, kId)) << text;
  }
  const std::string full = FullWidth("110105 19491231 002X");
  EXPECT_EQ(Find("证号：" + full), One(full, kId));
}

TEST(PiiScannerTest, IdNumberGluedToOtherDigitsIsFound) {
  // The checksum and the birth date are strong enough to read an ID number out of a longer run:
  // a clerk glues it to a neighbour, or to another number.
  EXPECT_EQ(Find("1234350102199003071234567"), One("350102199003071234", kId));  // 25 digits
  EXPECT_EQ(Find("No.9350102199003071234"), One("350102199003071234", kId));
  EXPECT_EQ(Find(FullWidth("1234350102199003071234567")),
            One(FullWidth("350102199003071234"), kId));
  // An X check character followed by more digits.
  EXPECT_EQ(Find("11010519491231002X12345678"), One("11010519491231002X", kId));
  // What is glued to an ID number is read from its edge: a mobile after it, one before it.
  EXPECT_EQ(Find("11010519491231002X13812345678"),
            (std::vector<Finding>{{"11010519491231002X", kId}, {"13812345678", kMobile}}));
  EXPECT_EQ(Find("13812345678110101199003074514"),
            (std::vector<Finding>{{"13812345678", kMobile}, {"110101199003074514", kId}}));
  // Digits that are no ID number stay a longer number: no reading starts mid-run.
  EXPECT_EQ(Find("9913812345678"), std::vector<Finding>{});
  EXPECT_EQ(Find("013812345678"), std::vector<Finding>{});
}

TEST(PiiScannerTest, IdNumberThatAlsoPassesLuhnIsReportedAsIdNumber) {
  EXPECT_EQ(Find("350102199003070055"), One("350102199003070055", kId));
  // With ID numbers off it is still recognised as one, not reported as a card.
  EXPECT_EQ(Find("350102199003070055", {.id_numbers = false}), std::vector<Finding>{});
}

// --- Mobile numbers
// -------------------------------------------------------------------------------

TEST(PiiScannerTest, FindsMobileNumbersAsWritten) {
  for (std::string_view mobile :
       {"13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678",
        "86-13812345678", "+86 13812345678", "86 138-1234-5678", "19912345678", "17012345678"}) {
    EXPECT_EQ(Find("联系电话" + std::string(mobile) + "。"), One(mobile, kMobile)) << mobile;
  }
  const std::string full = FullWidth("13812345678");
  EXPECT_EQ(Find("手机：" + full), One(full, kMobile));
  const std::string full_spaced = FullWidth("138 1234 5678");
  EXPECT_EQ(Find(full_spaced), One(full_spaced, kMobile));
  EXPECT_EQ(Find("+８６１３８１２３４５６７８"), One("+８６１３８１２３４５６７８", kMobile));
}

TEST(PiiScannerTest, MobileNeedsItsPrefixAndExactLength) {
  EXPECT_EQ(Find("12812345678"), std::vector<Finding>{});  // 12x is not a mobile prefix
  EXPECT_EQ(Find("10012345678"), std::vector<Finding>{});
  EXPECT_EQ(Find("1381234567"), std::vector<Finding>{});        // 10 digits
  EXPECT_EQ(Find("138123456789"), std::vector<Finding>{});      // 12 digits
  EXPECT_EQ(Find("013812345678"), std::vector<Finding>{});      // adjacent to another digit
  EXPECT_EQ(Find("1380 1234 5678"), std::vector<Finding>{});    // 12 digits
  EXPECT_EQ(Find("138    1234 5678"), std::vector<Finding>{});  // four spaces end the chain
  EXPECT_EQ(Find("8813812345678"), std::vector<Finding>{});     // 13 digits without 86
}

TEST(PiiScannerTest, FindsEveryMobileInAList) {
  const std::vector<Finding> two = {{"13812345678", kMobile}, {"13912345678", kMobile}};
  for (std::string_view sep : {"，", "、", " ", "/", ";", "和"}) {
    const std::string text = "13812345678" + std::string(sep) + "13912345678";
    EXPECT_EQ(Find(text), two) << text;
  }
}

TEST(PiiScannerTest, MobileNextToOtherNumbersIsStillFound) {
  EXPECT_EQ(Find("13812345678 100元"), One("13812345678", kMobile));
  EXPECT_EQ(Find("2023-01-01 13812345678"), One("13812345678", kMobile));
  EXPECT_EQ(Find("Tel13812345678"), One("13812345678", kMobile));
  EXPECT_EQ(Find("13812345678号"), One("13812345678", kMobile));
}

// --- Bank cards
// -----------------------------------------------------------------------------------

TEST(PiiScannerTest, FindsBankCardsPassingLuhn) {
  for (std::string_view card :
       {"6228480012345671", "62170000123456786", "621483012345678902", "6222021234567890128",
        "6228 4800 1234 5671", "6222-0212-3456-7890-128", "6214 8301 2345 6789 02",
        "62284 80012 34567 1", "622202 1234567890128"}) {
    EXPECT_EQ(Find("账号" + std::string(card) + "，"), One(card, kCard)) << card;
  }
  const std::string full = FullWidth("6228 4800 1234 5671");
  EXPECT_EQ(Find(full), One(full, kCard));
}

TEST(PiiScannerTest, BankCardMustPassLuhnAndHaveCardLength) {
  EXPECT_EQ(Find("6228480012345672"), std::vector<Finding>{});
  EXPECT_EQ(Find("6228 4800 1234 5672"), std::vector<Finding>{});
  EXPECT_EQ(Find("622848001234567"), std::vector<Finding>{});       // 15 digits
  EXPECT_EQ(Find("62284800123456710000"), std::vector<Finding>{});  // 20 digits
  EXPECT_EQ(Find("7228480012345679"), std::vector<Finding>{});      // no issuer starts with 7
  EXPECT_EQ(Find("3228480012345671123"), std::vector<Finding>{});   // 19 digits from a 3
}

TEST(PiiScannerTest, LongerRunIsCheckedAsCardWhenItHasCardLength) {
  // 19 digits holding an 18-digit ID: not an ID, but a card if Luhn passes.
  EXPECT_EQ(Find("6222021234567890128"), One("6222021234567890128", kCard));
  // A 16-digit card followed by another group: the card, then the rest.
  EXPECT_EQ(Find("6228 4800 1234 5671 12"), One("6228 4800 1234 5671", kCard));
}

// --- E-mail
// ---------------------------------------------------------------------------------------

TEST(PiiScannerTest, FindsEmailAddresses) {
  EXPECT_EQ(Find("邮箱zhangsan@example.com。"), One("zhangsan@example.com", kEmail));
  EXPECT_EQ(Find("联系邮箱：li.si_88@mail.gov.cn，"), One("li.si_88@mail.gov.cn", kEmail));
  EXPECT_EQ(Find("发送至 a+b@x-y.com.cn."), One("a+b@x-y.com.cn", kEmail));
  EXPECT_EQ(Find(".wang@qq.com"), One("wang@qq.com", kEmail));
}

TEST(PiiScannerTest, DigitsInAnAddressBelongToTheAddress) {
  EXPECT_EQ(Find("13812345678@163.com"), One("13812345678@163.com", kEmail));
  EXPECT_EQ(Find("zhang350102199003071234@qq.com"), One("zhang350102199003071234@qq.com", kEmail));
  EXPECT_EQ(Find("138 1234 5678@163.com"), One("138 1234 5678@163.com", kEmail));
  // With e-mails off, the number is what is left to find.
  EXPECT_EQ(Find("13812345678@163.com", {.emails = false}), One("13812345678", kMobile));
}

TEST(PiiScannerTest, AnAddressGluedToDigitsIsOneAddress) {
  // Full-width letters and digits are local-part characters (a Chinese input method in
  // full-width mode): the whole run is the address, and its mask hides the number in it.
  EXPECT_EQ(Find(FullWidth("1717014725") + "8740353@qq.com"),
            One(FullWidth("1717014725") + "8740353@qq.com", kEmail));
  EXPECT_EQ(Find("８bfx123@foxmail.com"), One("８bfx123@foxmail.com", kEmail));
  EXPECT_EQ(Redacted("８bfx123@foxmail.com"), "８***@foxmail.com");
  // Digits groups before an all-digit local part are that number: one address.
  EXPECT_EQ(Redacted("手机138 1234 5678@163.com"), "手机1***@163.com");
}

TEST(PiiScannerTest, NotEmailAddresses) {
  for (std::string_view text : {"@example.com", "a@b", "a@b.c", "a@1.2.3.4", "a@-x.com", "a@.com",
                                "微博@某某", "注：@", "a@b.c1"}) {
    EXPECT_EQ(Find(text), std::vector<Finding>{}) << text;
  }
}

// --- False positives
// ------------------------------------------------------------------------------

TEST(PiiScannerTest, DatesAmountsAndDocumentNumbersAreNotFindings) {
  for (std::string_view text : {
           "2023-01-01",
           "2023-01-01 12:30:00",
           "2023年1月1日至2024年12月31日",
           "罚款人民币50000元，没收违法所得1234567.89元",
           "京卫罚〔2024〕12号",
           "粤市监罚〔2024〕1234567号",
           "统一社会信用代码91350100M000100Y43",
           "营业执照注册号350102100012345",
           // Two dates joined by a space add up to 16 digits that pass Luhn: not a card.
           "2023-01-01 2023-02-04",
           "第1条、第2条第3款",
           "0591-87654321",
           "2024 0101 0000 0000",
       }) {
    EXPECT_EQ(Find(text), std::vector<Finding>{}) << text;
  }
}

TEST(PiiScannerTest, AlreadyMaskedNumbersAreNotFindings) {
  for (std::string_view text : {"35*************234", "138****5678", "138 **** 5678",
                                "**** **** **** 5671", "z***@example.com", "+86 138 **** 5678",
                                "11*************02X", "z***(at)163.com", "z*** @ 163.com"}) {
    EXPECT_EQ(Find(text), std::vector<Finding>{}) << text;
  }
}

// --- Masks
// ----------------------------------------------------------------------------------------

TEST(PiiScannerTest, MasksKeepTheAgreedCharacters) {
  Arena arena(4096);
  EXPECT_EQ(MaskPii("350102199003071234", kId, arena), "35*************234");
  EXPECT_EQ(MaskPii("11010519491231002X", kId, arena), "11*************02X");
  EXPECT_EQ(MaskPii("130503670401001", kId, arena), "13**********001");
  EXPECT_EQ(MaskPii("13812345678", kMobile, arena), "138****5678");
  EXPECT_EQ(MaskPii("+86 138 1234 5678", kMobile, arena), "+86 138 **** 5678");
  EXPECT_EQ(MaskPii("8613812345678", kMobile, arena), "86138****5678");
  EXPECT_EQ(MaskPii("6228480012345671", kCard, arena), "************5671");
  EXPECT_EQ(MaskPii("6228 4800 1234 5671", kCard, arena), "**** **** **** 5671");
  EXPECT_EQ(MaskPii("zhangsan@example.com", kEmail, arena), "z***@example.com");
  EXPECT_EQ(MaskPii("a@b.cn", kEmail, arena), "a***@b.cn");
}

TEST(PiiScannerTest, MasksOfStructuredValues) {
  Arena arena(4096);
  // A passport number in 证件号码: its letters are masked like digits.
  EXPECT_EQ(MaskPii("E12345678", kId, arena), "E1****678");
  // Too short to keep both ends: all of it is hidden.
  EXPECT_EQ(MaskPii("12345", kId, arena), "*****");
  EXPECT_EQ(MaskPii("1234", kCard, arena), "****");
  EXPECT_EQ(MaskPii("张三", kEmail, arena), "张***");
  EXPECT_EQ(MaskPii("", kId, arena), "");
  EXPECT_EQ(MaskedSize("13812345678", kMobile), 11u);
}

TEST(PiiScannerTest, FullWidthDigitsAreMaskedToOneAsteriskEach) {
  Arena arena(4096);
  const std::string id = FullWidth("11010519491231002X");
  const std::string_view masked = MaskPii(id, kId, arena);
  EXPECT_EQ(masked, FullWidth("11") + "*************" + FullWidth("02X"));
  EXPECT_TRUE(ValidUtf8(masked));
  EXPECT_EQ(MaskPii(FullWidth("138 1234 5678"), kMobile, arena),
            FullWidth("138") + "\xE3\x80\x80****\xE3\x80\x80" + FullWidth("5678"));
}

// --- Redact
// ---------------------------------------------------------------------------------------

TEST(PiiScannerTest, RedactReturnsTheInputItselfWhenNothingIsFound) {
  const std::string text = "经查，当事人于2023年1月1日在本市经营，罚款5000元。";
  Arena arena(4096);
  PiiCounts counts;
  std::vector<PiiSpan> scratch;
  const std::string_view out = PiiScanner().Redact(text, arena, counts, scratch);
  EXPECT_EQ(out.data(), text.data());
  EXPECT_EQ(out.size(), text.size());
  EXPECT_EQ(counts.total(), 0u);
  EXPECT_EQ(arena.bytes_reserved(), 0u);
}

TEST(PiiScannerTest, RedactMasksEveryFindingAndCountsIt) {
  const std::string text =
      "当事人张某（身份证号350102199003071234，手机138 1234 5678，邮箱zhang@qq.com）"
      "将款项转入账户6228480012345671，另一手机＋８６１３９１２３４５６７８。";
  Arena arena(4096);
  PiiCounts counts;
  std::vector<PiiSpan> scratch;
  const std::string_view out = PiiScanner().Redact(text, arena, counts, scratch);
  EXPECT_EQ(out,
            "当事人张某（身份证号35*************234，手机138 **** 5678，邮箱z***@qq.com）"
            "将款项转入账户************5671，另一手机＋８６１３９****５６７８。");
  EXPECT_TRUE(ValidUtf8(out));
  EXPECT_EQ(counts.id_number, 1u);
  EXPECT_EQ(counts.mobile, 2u);
  EXPECT_EQ(counts.bank_card, 1u);
  EXPECT_EQ(counts.email, 1u);
  EXPECT_EQ(counts.total(), 5u);
  std::vector<PiiSpan> again;
  PiiScanner().Scan(out, again);
  EXPECT_TRUE(again.empty());
}

TEST(PiiScannerTest, RedactOutputMayBeLongerThanItsInput) {
  // "a@b.cn" -> "a***@b.cn": the only mask that grows; full-width digits shrink to one byte.
  const std::string text = "邮箱a@b.cn和x@y.cn，证号" + FullWidth("11010519491231002X");
  const std::string out = Redacted(text);
  EXPECT_EQ(
      out, "邮箱a***@b.cn和x***@y.cn，证号" + FullWidth("11") + "*************" + FullWidth("02X"));
}

TEST(PiiScannerTest, RedactLeavesDisabledKindsInClear) {
  const std::string text = "手机13812345678，卡6228480012345671";
  EXPECT_EQ(Redacted(text, {.bank_cards = false}), "手机138****5678，卡6228480012345671");
  EXPECT_EQ(Redacted(text, {.mobiles = false}), "手机13812345678，卡************5671");
}

TEST(PiiScannerTest, RedactOutputScansCleanInCasesTheRandomisedRunFound) {
  // Each of these once produced a finding in Redact's output: masking turned a non-TLD into one
  // ("cn6282…" to "cn****"), freed digits inside a domain, changed which '@' owned a local part,
  // or exposed the ASCII tail of a masked number as a local part.
  for (std::string_view text : {
           "12u@mail.cn6282458063662031",
           "４４８５６１　１９６００１２５　０１３Ｘu@mail.cn-6229　3115　8379　7384　458",
           "1234u@mail2.cnu@mail7.cn",
           "u7@mail47.cn203421196009167861qq.com",
           "u3@mail.cn+403867193911255430u92@mail5.cn",
           "u5@mail88.cn6233-3208-0225-9472-366-Xqq.com６２４９-０１０５-２４６１-６２９３-５５５",
           "u76@mail0.cn-+6219848627108574233808011194503265988＊6289585676881104809u@mail.cnqq."
           "com",
           "１７１７０１４７２５８740353@qq.com",
           "１６２８２　１１０９　９０２１　６６８４-1234a2023-01-01u958@mail.cn",
       }) {
    const std::string out = Redacted(text);
    EXPECT_NE(out, text);
    EXPECT_EQ(Find(out), std::vector<Finding>{}) << text << " -> " << out;
  }
}

TEST(PiiScannerTest, ScanDoesNotAllocateWhenOutHasCapacity) {
  std::vector<PiiSpan> out;
  out.reserve(16);
  const PiiSpan* data = out.data();
  PiiScanner().Scan("13812345678 13912345678 6228480012345671 a@b.cn", out);
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(out.data(), data);
  EXPECT_EQ(out.capacity(), 16u);
}

TEST(PiiScannerTest, FindingsDoNotDependOnAlignment) {
  // The skip loop reads 16 bytes at a time, then 8, then 1: move a finding across every boundary.
  const std::string pii = "身份证350102199003071234手机" + FullWidth("13812345678") + "，x@qq.com";
  const std::vector<Finding> expected = {
      {"350102199003071234", kId}, {FullWidth("13812345678"), kMobile}, {"x@qq.com", kEmail}};
  for (size_t pad = 0; pad < 48; ++pad) {
    const std::string text = std::string(pad, '#') + pii + std::string(pad % 7, '#');
    EXPECT_EQ(Find(text), expected) << pad;
  }
}

// --- Every written form
// ---------------------------------------------------------------------------

// The separator class, one of each kind: ASCII and Unicode spaces, invisible ones, hyphens and
// dashes of every width, dots, slashes, underscores.
const std::vector<std::string> kSeparators = {" ",
                                              "\t",
                                              "\xC2\xA0",
                                              "\xE3\x80\x80",
                                              "\xE2\x80\x83",
                                              "\xE2\x80\x8B",
                                              "-",
                                              "\xEF\xBC\x8D",
                                              "\xE2\x80\x90",
                                              "\xE2\x80\x91",
                                              "\xE2\x80\x93",
                                              "\xE2\x80\x94",
                                              "\xE2\x88\x92",
                                              ".",
                                              "\xEF\xBC\x8E",
                                              "\xC2\xB7",
                                              "\xE3\x83\xBB",
                                              "/",
                                              "\xEF\xBC\x8F",
                                              "\\",
                                              "_",
                                              "\xEF\xBC\xBF"};

std::string Grouped(std::string_view digits, std::initializer_list<int> groups,
                    std::string_view separator) {
  std::string out;
  size_t at = 0;
  for (int g : groups) {
    if (at > 0) out += separator;
    out += digits.substr(at, static_cast<size_t>(g));
    at += static_cast<size_t>(g);
  }
  return out;
}

TEST(PiiScannerTest, EverySeparatorJoinsDigitGroupsAloneOrWithSpacesAround) {
  for (const std::string& sep : kSeparators) {
    for (const std::string& run : {sep, " " + sep + " ", sep + sep}) {
      const std::string id = Grouped("110101199003074514", {6, 8, 4}, run);
      const std::string mobile = Grouped("13812345678", {3, 4, 4}, run);
      const std::string card = Grouped("6228480012345671", {4, 4, 4, 4}, run);
      EXPECT_EQ(Find("号码" + id + "，"), One(id, kId)) << id;
      EXPECT_EQ(Find("电话" + mobile + "，"), One(mobile, kMobile)) << mobile;
      EXPECT_EQ(Find("卡" + card + "。"), One(card, kCard)) << card;
    }
  }
  // More than three separator characters end the chain.
  EXPECT_EQ(Find("138 -- 1234 -- 5678"), std::vector<Finding>{});
}

TEST(PiiScannerTest, ReadsAnyGrouping) {
  for (std::initializer_list<int> groups : {std::initializer_list<int>{6, 8, 4},
                                            {3, 3, 4, 4, 4},
                                            {2, 4, 4, 4, 4},
                                            {6, 4, 4, 4},
                                            {4, 4, 4, 4, 2},
                                            {6, 6, 6},
                                            {9, 9},
                                            {3, 15}}) {
    const std::string id = Grouped("11010519491231002X", groups, " ");
    EXPECT_EQ(Find(id), One(id, kId)) << id;
  }
  for (std::initializer_list<int> groups :
       {std::initializer_list<int>{3, 4, 4}, {3, 8}, {4, 4, 3}, {3, 3, 5}, {2, 3, 3, 3}}) {
    const std::string mobile = Grouped("13812345678", groups, "-");
    EXPECT_EQ(Find(mobile), One(mobile, kMobile)) << mobile;
  }
  for (std::initializer_list<int> groups :
       {std::initializer_list<int>{4, 4, 4, 4, 3}, {6, 13}, {4, 4, 4, 7}, {3, 4, 4, 4, 4}}) {
    const std::string card = Grouped("6222021234567890128", groups, " ");
    EXPECT_EQ(Find(card), One(card, kCard)) << card;
  }
}

TEST(PiiScannerTest, MobilePrefixesGluedOrApart) {
  for (std::string_view mobile :
       {"+8613812345678", "+86 13812345678", "+86-138-1234-5678", "008613812345678",
        "0086 138 1234 5678", "0086-13812345678", "8613812345678", "86 13812345678",
        "\xEF\xBC\x8B"
        "86 13812345678"}) {
    EXPECT_EQ(Find("电话" + std::string(mobile) + "。"), One(mobile, kMobile)) << mobile;
  }
  EXPECT_EQ(Redacted("0086 138 1234 5678"), "0086 138 **** 5678");
  EXPECT_EQ(Redacted("+8613812345678"), "+86138****5678");
}

TEST(PiiScannerTest, FullWidthAndMixedDigits) {
  const std::string mixed = "1" + FullWidth("38") + "1234" + FullWidth("5678");
  EXPECT_EQ(Find("手机" + mixed), One(mixed, kMobile));
  const std::string card = FullWidth("6228") + " 4800 " + FullWidth("1234") + " 5671";
  EXPECT_EQ(Find(card), One(card, kCard));
  // A full-width digit glued to an ASCII number: a change of width is an edge.
  EXPECT_EQ(Find(FullWidth("5") + "13812345678"), One("13812345678", kMobile));
}

TEST(PiiScannerTest, EmailForms) {
  for (std::string_view address :
       {"zhangsan@163.com", "zhangsan＠163.com", "zhangsan(at)163.com", "zhangsan[at]163.com",
        "zhangsan（at）163.com", "zhangsan【at】163.com", "zhangsan(AT)163.com",
        "zhangsan ( at ) 163.com", "zhangsan#163.com", "zhangsan＃163.com", "zhangsan @ 163.com",
        "zhang.san_88@mail.qq.com", "zhangsan@163．com", "zhangsan@163(dot)com",
        "ｚｈａｎｇｓａｎ＠１６３．ｃｏｍ"}) {
    EXPECT_EQ(Find("邮箱" + std::string(address) + "，"), One(address, kEmail)) << address;
  }
  EXPECT_EQ(Redacted("邮箱zhangsan(at)163.com，"), "邮箱z***(at)163.com，");
  EXPECT_EQ(Redacted("邮箱zhangsan @ 163.com"), "邮箱z*** @ 163.com");
  // '#' is an @ only between an address's halves.
  for (std::string_view text : {"3#楼", "5#163.com", "#163.com", "a#b", "C#语言"}) {
    EXPECT_EQ(Find(text), std::vector<Finding>{}) << text;
  }
}

TEST(PiiScannerTest, GluedToAnyNeighbour) {
  EXPECT_EQ(Find("联系电话＊17641468117"), One("17641468117", kMobile));
  EXPECT_EQ(Find("身份证号码*110101199003074514"), One("110101199003074514", kId));
  EXPECT_EQ(Find("****13812345678"), One("13812345678", kMobile));
  EXPECT_EQ(Find("13812345678 ＊"), One("13812345678", kMobile));
  EXPECT_EQ(Find("Tel13812345678abc"), One("13812345678", kMobile));
  EXPECT_EQ(Find("abc@163.com13812345678"),
            (std::vector<Finding>{{"abc@163.com", kEmail}, {"13812345678", kMobile}}));
  EXPECT_EQ(Find("13812345678abc@qq.com"), One("13812345678abc@qq.com", kEmail));
  EXPECT_EQ(Redacted("联系电话＊17641468117"), "联系电话＊176****8117");
}

TEST(PiiScannerTest, OverlappingReadingsAreOneMaskKeepingOnlyWhatEachWouldKeep) {
  // 19 digits that are a card (Luhn) and hold an ID number at 1: one finding, named by the longer
  // reading; a digit stays visible only if both masks keep it, so neither shows more of itself.
  std::string card = "6110101199003074514";
  ASSERT_FALSE(Find(card).empty());
  const std::vector<PiiSpan> spans = [&] {
    std::vector<PiiSpan> out;
    PiiScanner().Scan(card, out);
    return out;
  }();
  ASSERT_EQ(spans.size(), 1u);
  const std::string masked = Redacted(card);
  size_t visible = 0;
  for (char c : masked) visible += c != '*';
  // The ID reading keeps 2 + 3, the card reading its last 4: at most their common digits show.
  EXPECT_LE(visible, 3u) << masked;
  // A mobile-shaped group inside an ID number written in groups: the ID wins, masked whole.
  EXPECT_EQ(Find("13810 1199 0030 7451 4"), std::vector<Finding>{});  // fails the checksum
  const std::string id = "110101 19900307 4514";
  EXPECT_EQ(Redacted(id), "11**** ******** *514");
}

TEST(PiiScannerTest, NegativeControlsStayIntact) {
  for (std::string_view text : {
           "有效期2023.01.01-2028.12.31", "2023/1/1至2023/12/31", "20230101 20231231",
           "1 3 5 7 9 11 13 15 17 19", "许可证编号JY13301060012345",
           "食品生产许可证编号SC10633010600123", "许可证号330106202412345670",
           "注册号330106600123456", "统一社会信用代码91330106MA2B3C4D5E",
           "罚款12,345.67元，没收3.5万元", "〔2024〕00012号", "电话0571-88881234",
           "110101199003074515",  // fails the checksum
       }) {
    EXPECT_EQ(Find(text), std::vector<Finding>{}) << text;
  }
}

TEST(PiiScannerTest, ALongChainIsReadInPiecesWithoutLosingAFinding) {
  // Thousands of groups in one chain: every ID number in it is found, wherever the pieces meet.
  std::string text;
  std::vector<Finding> expected;
  for (int i = 0; i < 400; ++i) {
    text += "12 34 ";
    if (i % 7 == 3) {
      text += "110101 19900307 4514 ";
      expected.push_back({"110101 19900307 4514", kId});
    }
  }
  EXPECT_EQ(Find(text), expected);
  EXPECT_TRUE(Find(Redacted(text)).empty());
}

TEST(PiiScannerTest, KindNamesAreStable) {
  EXPECT_EQ(PiiKindName(kId), "id_number");
  EXPECT_EQ(PiiKindName(kMobile), "mobile");
  EXPECT_EQ(PiiKindName(kCard), "bank_card");
  EXPECT_EQ(PiiKindName(kEmail), "email");
}

// --- Randomised invariants
// ------------------------------------------------------------------------

// Valid PII in random spellings, for the generator below.
class PiiGenerator {
 public:
  explicit PiiGenerator(uint32_t seed) : rng_(seed) {}

  size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string Digits(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + Uniform(10));
    return s;
  }

  std::string IdNumber() {
    static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    char date[9];
    std::snprintf(date, sizeof date, "%04d%02d%02d", static_cast<int>(1930 + Uniform(90)),
                  static_cast<int>(1 + Uniform(12)), static_cast<int>(1 + Uniform(28)));
    std::string id = std::to_string(110000 + Uniform(700000)) + date + Digits(3);
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
    id += "10X98765432"[sum % 11];
    return id;
  }

  std::string Card() {
    std::string card = "62" + Digits(13 + Uniform(4));
    for (char c = '0'; c <= '9'; ++c) {
      if (LuhnValidLocal(card + c)) return card + c;
    }
    return card;
  }

  std::string Mobile() { return "1" + std::string(1, "3456789"[Uniform(7)]) + Digits(9); }

  // Full-width digits and ideographic or ASCII separators at random.
  std::string Spell(const std::string& digits, std::initializer_list<int> groups) {
    const bool full = Uniform(3) == 0;
    const bool split = Uniform(2) == 0;
    const char* seps[] = {" ", "-", "\xE3\x80\x80"};
    const char* sep = seps[Uniform(3)];
    std::string out;
    size_t at = 0;
    for (int g : groups) {
      if (at >= digits.size()) break;
      if (at > 0 && split) out += sep;
      const std::string part = digits.substr(at, static_cast<size_t>(g));
      out += full ? FullWidth(part) : part;
      at += static_cast<size_t>(g);
    }
    if (at < digits.size()) out += digits.substr(at);
    return out;
  }

  std::string Token() {
    static const char* kFiller[] = {"经查",         "当事人", "，",   "。", "（",
                                    "）",           "：",     "罚款", "元", "2023-01-01",
                                    "〔2024〕",     "号",     " ",    "-",  "*",
                                    "＊",           "@",      ".",    "X",  "x",
                                    "Ｘ",           "86",     "+",    "a",  "qq.com",
                                    "\xE3\x80\x80", "１",     "7",    "12", "1234",
                                    "4321",         "\n",     "_",    "－"};
    switch (Uniform(12)) {
      case 0: return Spell(IdNumber(), {6, 8, 4});
      case 1: return Spell(Mobile(), {3, 4, 4});
      case 2: return Spell(Card(), {4, 4, 4, 4, 4});
      case 3: return "u" + Digits(Uniform(4)) + "@mail" + Digits(Uniform(3)) + ".cn";
      case 4: return Digits(1 + Uniform(20));
      default: return kFiller[Uniform(std::size(kFiller))];
    }
  }

  std::string Text() {
    std::string text;
    const size_t tokens = Uniform(40);
    for (size_t i = 0; i < tokens; ++i) text += Token();
    return text;
  }

  // What Text() planted where: the generator's own record, the oracle of the test below.
  struct Planted {
    size_t begin;
    size_t end;
    PiiKind kind;
    bool negative;  // a control that must stay intact
  };

  // Random tokens as Text() makes them, with identifiers and negative controls planted among
  // them, each recorded with its position. A planted value is kept off ASCII digits on either
  // side (glued to one it would be a longer number, and no finding by design).
  std::string PlantedText(std::vector<Planted>& planted) {
    static const char* kNegatives[] = {
        "2023.01.01-2028.12.31", "20230101 20231231", "〔2024〕00012号",    "12,345.67元",
        "JY13301060012345",      "0571-88881234",     "110101199003074515", "1 3 5 7 9 11 13 15"};
    planted.clear();
    std::string text;
    // ASCII or full-width: a value glued to a digit of its own width is a longer number.
    auto ends_with_digit = [&] {
      if (text.empty()) return false;
      const auto last = static_cast<unsigned char>(text.back());
      if ((last >= '0' && last <= '9') || last == 'X' || last == 'x') return true;
      return text.size() >= 3 && text.compare(text.size() - 3, 2, "\xEF\xBC") == 0 &&
             ((last >= 0x90 && last <= 0x99) || last == 0xB8);
    };
    bool guard_next = false;
    const size_t tokens = Uniform(40);
    for (size_t i = 0; i < tokens; ++i) {
      const size_t pick = Uniform(8);
      if (pick < 4) {
        if (ends_with_digit()) text += "，";
        const size_t negative = pick == 3;
        std::string value;
        PiiKind kind = kId;
        switch (pick) {
          case 0: value = Spell(IdNumber(), {6, 8, 4}), kind = kId; break;
          case 1: value = Spell(Mobile(), {3, 4, 4}), kind = kMobile; break;
          case 2: value = Spell(Card(), {4, 4, 4, 4, 4}), kind = kCard; break;
          default: value = kNegatives[Uniform(std::size(kNegatives))]; break;
        }
        if (negative) {
          text += "，";
          planted.push_back({text.size(), text.size() + value.size(), kind, true});
          text += value + "，";
        } else {
          planted.push_back({text.size(), text.size() + value.size(), kind, false});
          text += value;
          guard_next = true;
        }
        continue;
      }
      std::string token = Token();
      if (guard_next && !token.empty() &&
          ((token[0] >= '0' && token[0] <= '9') || token.compare(0, 2, "\xEF\xBC") == 0)) {
        text += "，";
      }
      guard_next = false;
      text += token;
    }
    return text;
  }

  std::string Bytes() {
    std::string text(Uniform(200), '\0');
    static const unsigned char kBytes[] = {'0',  '5',  '9',  ' ',  '-',  '*',  '@',
                                           '.',  'X',  'a',  '+',  0xEF, 0xBC, 0xBD,
                                           0x90, 0x99, 0xB8, 0xE3, 0x80, 0x8A};
    for (char& c : text) {
      c = static_cast<char>(Uniform(2) == 0 ? kBytes[Uniform(std::size(kBytes))] : Uniform(256));
    }
    return text;
  }

 private:
  static bool LuhnValidLocal(const std::string& s) {
    int sum = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      int d = s[s.size() - 1 - i] - '0';
      if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 == 0;
  }

  std::mt19937 rng_;
};

// libFuzzer-style: any input gives in-bounds, sorted, non-overlapping spans, and what Redact
// writes scans clean (masking never leaves or creates a finding).
void CheckInvariants(const PiiScanner& scanner, const std::string& text, bool utf8) {
  std::vector<PiiSpan> spans;
  scanner.Scan(text, spans);
  uint32_t previous_end = 0;
  for (const PiiSpan& span : spans) {
    ASSERT_LT(span.begin, span.end) << text;
    ASSERT_LE(span.end, text.size()) << text;
    ASSERT_GE(span.begin, previous_end) << text;
    previous_end = span.end;
  }
  Arena arena(1 << 16);
  PiiCounts counts;
  std::vector<PiiSpan> scratch;
  const std::string_view out = scanner.Redact(text, arena, counts, scratch);
  // Redact masks what Scan finds, then what masking joined into a new reading, if anything.
  ASSERT_GE(counts.total(), spans.size());
  ASSERT_EQ(out.data() == text.data(), spans.empty()) << text;
  if (utf8) {
    ASSERT_TRUE(ValidUtf8(out)) << text << "\n" << out;
  }
  std::vector<PiiSpan> again;
  scanner.Scan(out, again);
  ASSERT_TRUE(again.empty()) << text << "\n" << out << "\n" << again.size();
  // A neutral prefix shifts every finding and changes nothing else.
  const std::string shifted = "。" + text;
  std::vector<PiiSpan> moved;
  scanner.Scan(shifted, moved);
  ASSERT_EQ(moved.size(), spans.size()) << text;
  for (size_t i = 0; i < spans.size(); ++i) {
    ASSERT_EQ(moved[i].begin, spans[i].begin + 3) << text;
    ASSERT_EQ(moved[i].kind, spans[i].kind) << text;
  }
}

TEST(PiiScannerTest, InvariantsHoldOnGeneratedText) {
  PiiGenerator gen(20240501);
  const PiiScanner all;
  const PiiScanner no_email({.emails = false});
  const PiiScanner no_id({.id_numbers = false});
  for (int i = 0; i < 20000; ++i) {
    const std::string text = gen.Text();
    ASSERT_TRUE(ValidUtf8(text));
    ASSERT_NO_FATAL_FAILURE(CheckInvariants(all, text, true));
    ASSERT_NO_FATAL_FAILURE(CheckInvariants(no_email, text, true));
    ASSERT_NO_FATAL_FAILURE(CheckInvariants(no_id, text, true));
  }
}

// Every identifier the generator planted is inside one finding whose mask keeps no more of it
// than its kind's policy (first 2 + last 3 of an ID number, 3 + 4 of a mobile, the last 4 of a
// card), and no planted negative control is touched.
TEST(PiiScannerTest, EveryPlantedIdentifierIsMaskedAndNoNegativeControlIs) {
  PiiGenerator gen(20261207);
  const PiiScanner scanner;
  std::vector<PiiGenerator::Planted> planted;
  std::vector<PiiSpan> spans;
  size_t identifiers = 0, negatives = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = gen.PlantedText(planted);
    scanner.Scan(text, spans);
    for (const PiiGenerator::Planted& p : planted) {
      const std::string value = text.substr(p.begin, p.end - p.begin);
      auto overlaps = [&](const PiiSpan& s) { return s.begin < p.end && p.begin < s.end; };
      if (p.negative) {
        ++negatives;
        ASSERT_TRUE(std::none_of(spans.begin(), spans.end(), overlaps)) << value << "\n" << text;
        continue;
      }
      ++identifiers;
      auto covers = [&](const PiiSpan& s) { return s.begin <= p.begin && p.end <= s.end; };
      const auto span = std::find_if(spans.begin(), spans.end(), covers);
      ASSERT_NE(span, spans.end()) << value << "\n" << text;
      if (span->kind == kEmail) continue;  // an address holding it: masked but its first character
      // The value's digits are the span's digits from this index on.
      size_t offset = 0, length = 0;
      auto count_digits = [](std::string_view s) {
        size_t n = 0;
        for (size_t q = 0; q < s.size(); ++q) {
          const auto c = static_cast<unsigned char>(s[q]);
          n += (c >= '0' && c <= '9') || c == 'X' || c == 'x' ||
               (c == 0xEF && q + 2 < s.size() &&
                ((static_cast<unsigned char>(s[q + 1]) == 0xBC &&
                  ((static_cast<unsigned char>(s[q + 2]) >= 0x90 &&
                    static_cast<unsigned char>(s[q + 2]) <= 0x99) ||
                   static_cast<unsigned char>(s[q + 2]) == 0xB8))));
        }
        return n;
      };
      offset = count_digits(std::string_view(text).substr(span->begin, p.begin - span->begin));
      length = count_digits(value);
      const size_t head = p.kind == kId ? 2 : p.kind == kMobile ? 3 : 0;
      const size_t tail = p.kind == kId ? 3 : 4;
      for (size_t k = 0; k < length; ++k) {
        const bool kept = offset + k < 64 && (span->kept >> (offset + k) & 1) != 0;
        if (kept) {
          ASSERT_TRUE(k < head || k >= length - tail) << value << " digit " << k;
        }
      }
    }
  }
  EXPECT_GT(identifiers, 100000u);
  EXPECT_GT(negatives, 30000u);
}

TEST(PiiScannerTest, InvariantsHoldOnArbitraryBytes) {
  PiiGenerator gen(7);
  const PiiScanner scanner;
  for (int i = 0; i < 20000; ++i) {
    ASSERT_NO_FATAL_FAILURE(CheckInvariants(scanner, gen.Bytes(), false));
  }
}

// The property the issue asks for: random separators and groupings inserted into random valid
// identifiers, between random Chinese text, are always found and masked to the policy's digits.
TEST(PiiScannerTest, RandomGroupingsOfRandomIdentifiersAreAlwaysMasked) {
  PiiGenerator gen(20261207);
  auto uniform = [&](size_t n) { return gen.Uniform(n); };
  const char* kText[] = {"经查，当事人", "，联系电话", "身份证号码：", "于案发后",
                         "银行卡号",     "。",         "（",           "）",
                         "Tel",          "*",          "＊",           "abc"};
  size_t checked = 0, narrowed = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string value;
    size_t head = 0, tail = 0;
    PiiKind kind;
    switch (uniform(3)) {
      case 0: value = gen.IdNumber(), kind = kId, head = 2, tail = 3; break;
      case 1: value = gen.Mobile(), kind = kMobile, head = 3, tail = 4; break;
      default: value = gen.Card(), kind = kCard, tail = 4; break;
    }
    if (kind == kCard && value.size() == 18) continue;  // may be an ID number too
    // Random groups (2+ digits each, as the scanner requires of the weaker kinds), random
    // separator runs of 1-3, digits full-width at random.
    std::string written;
    size_t at = 0;
    while (at < value.size()) {
      size_t g = std::min(value.size() - at, 2 + uniform(6));
      if (value.size() - at - g == 1) ++g;
      if (at > 0) {
        const size_t run = 1 + uniform(3);
        for (size_t r = 0; r < run; ++r) written += kSeparators[uniform(kSeparators.size())];
      }
      const std::string part = value.substr(at, g);
      written += uniform(4) == 0 ? FullWidth(part) : part;
      at += g;
    }
    const std::string before = kText[uniform(std::size(kText))];
    const std::string after = kText[uniform(std::size(kText))];
    const std::string text = before + written + after;
    const std::vector<Finding> found = Find(text);
    ASSERT_EQ(found, One(written, kind)) << text;
    // Masked: only the kept digits of the value remain, in place.
    const std::string masked = Redacted(text);
    std::string visible;
    for (size_t p = before.size(); p < masked.size() - after.size();) {
      const auto c = static_cast<unsigned char>(masked[p]);
      if (c >= '0' && c <= '9') {
        visible += masked[p];
        ++p;
      } else if (c == 0xEF && masked.compare(p + 1, 1, "\xBC") == 0 &&
                 static_cast<unsigned char>(masked[p + 2]) >= 0x90 &&
                 static_cast<unsigned char>(masked[p + 2]) <= 0x99) {
        visible += static_cast<char>('0' + (static_cast<unsigned char>(masked[p + 2]) - 0x90));
        p += 3;
      } else if (c == 'X' || (c == 0xEF && masked.compare(p, 3, "\xEF\xBC\xB8") == 0)) {
        visible += 'X';
        p += c == 'X' ? 1 : 3;
      } else {
        ++p;
      }
    }
    // Where another reading of the same digits overlaps (random groups make cards out of IDs
    // now and then), fewer digits stay; never more, never others.
    const std::string policy = value.substr(0, head) + value.substr(value.size() - tail);
    if (visible != policy) {
      ++narrowed;
      size_t k = 0;
      for (char c : policy) k += k < visible.size() && visible[k] == c;
      ASSERT_EQ(k, visible.size()) << masked;
    }
    ++checked;
  }
  EXPECT_GT(checked, 15000u);
  EXPECT_LT(narrowed, checked / 50);
}

}  // namespace
}  // namespace gongshi
