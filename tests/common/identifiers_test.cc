// Identifier checks against the test vectors of domain.md §4.4, plus the normalisation that has to
// run before them (lower case and full-width input are common in feeds).
#include "pipeline/common/identifiers.h"

#include <string>

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

std::string Normalized(std::string_view in) {
  std::string out(in.size(), '\0');
  const std::optional<size_t> n = NormalizeIdentifier(in, out.data(), out.size());
  EXPECT_TRUE(n.has_value());
  out.resize(n.value_or(0));
  return out;
}

std::string NormalizedDocumentNumber(std::string_view in) {
  std::string out(in.size(), '\0');
  const std::optional<size_t> n = NormalizeDocumentNumber(in, out.data(), out.size());
  EXPECT_TRUE(n.has_value());
  out.resize(n.value_or(0));
  return out;
}

TEST(IdentifiersTest, UsccVectorsFromTheStandardAndPublicSamplesAreValid) {
  for (std::string_view uscc :
       {"91350100M000100Y43", "91110000600037341L", "91230500MA1B3N1N2M", "11420000MB15291767"}) {
    EXPECT_TRUE(UsccWellFormed(uscc)) << uscc;
    EXPECT_TRUE(UsccValid(uscc)) << uscc;
    EXPECT_EQ(UsccCheckChar(uscc.substr(0, 17)), uscc[17]) << uscc;
  }
}

TEST(IdentifiersTest, UsccWithAlteredCheckCharIsInvalid) {
  EXPECT_TRUE(UsccWellFormed("91110000600037341M"));
  EXPECT_FALSE(UsccValid("91110000600037341M"));
  EXPECT_EQ(UsccCheckChar("91110000600037341"), 'L');
}

TEST(IdentifiersTest, UsccWithLetterOutsideTheAlphabetIsNotWellFormed) {
  EXPECT_FALSE(UsccWellFormed("91350100M000100Y4I"));
  EXPECT_FALSE(UsccValid("91350100M000100Y4I"));
  // I, O, S, V and Z are left out of GB 32100's alphabet.
  for (char c : std::string_view("IOSVZ")) {
    std::string body = "91350100M000100Y4";
    body[8] = c;
    EXPECT_EQ(UsccCheckChar(body), '\0') << c;
  }
}

TEST(IdentifiersTest, LowerCaseUsccIsValidOnlyAfterNormalising) {
  EXPECT_FALSE(UsccValid("91330000717613656p"));
  EXPECT_EQ(Normalized("91330000717613656p"), "91330000717613656P");
  EXPECT_TRUE(UsccValid(Normalized("91330000717613656p")));
}

TEST(IdentifiersTest, PlaceholderUsccFailsTheChecksum) {
  // 个体工商户 without a USCC use this placeholder; it must be special-cased (domain.md §2.4).
  EXPECT_TRUE(UsccWellFormed("00000000000000000X"));
  EXPECT_FALSE(UsccValid("00000000000000000X"));
  EXPECT_EQ(UsccCheckChar("00000000000000000"), '0');
}

TEST(IdentifiersTest, UsccOfWrongLengthIsRejected) {
  EXPECT_FALSE(UsccWellFormed(""));
  EXPECT_FALSE(UsccWellFormed("91350100M000100Y4"));
  EXPECT_FALSE(UsccValid("91350100M000100Y433"));
  EXPECT_EQ(UsccCheckChar("91350100M000100"), '\0');
}

TEST(IdentifiersTest, OrgCodeVectorsAreValidWithAndWithoutHyphen) {
  for (std::string_view code : {"M000100Y-4", "60003734-1", "MA1B3N1N-2", "D2143569-X"}) {
    EXPECT_TRUE(OrgCodeValid(code)) << code;
    std::string plain(code.substr(0, 8));
    plain += code[9];
    EXPECT_TRUE(OrgCodeValid(plain)) << plain;
  }
  EXPECT_EQ(OrgCodeCheckChar("D2143569"), 'X');
}

TEST(IdentifiersTest, OrgCodeWithWrongCheckIsInvalid) {
  EXPECT_FALSE(OrgCodeValid("12345678-9"));
  EXPECT_EQ(OrgCodeCheckChar("12345678"), '8');
  EXPECT_TRUE(OrgCodeValid("12345678-8"));
}

TEST(IdentifiersTest, OrgCodeMalformedIsRejected) {
  EXPECT_FALSE(OrgCodeValid("m000100y-4"));  // not normalised
  EXPECT_FALSE(OrgCodeValid("M000100Y_4"));
  EXPECT_FALSE(OrgCodeValid("M000100Y-"));
  EXPECT_FALSE(OrgCodeValid(""));
  EXPECT_EQ(OrgCodeCheckChar("M000100"), '\0');
  EXPECT_EQ(OrgCodeCheckChar("M000100#"), '\0');
}

TEST(IdentifiersTest, OrgCodeIsEmbeddedInValidUscc) {
  for (std::string_view uscc : {"91350100M000100Y43", "91110000600037341L", "91230500MA1B3N1N2M"}) {
    EXPECT_TRUE(OrgCodeValid(uscc.substr(8, 9))) << uscc;
  }
}

TEST(IdentifiersTest, IdNumberVectorsAreValid) {
  for (std::string_view id : {"11010519491231002X", "440524188001010014", "360426199101010071"}) {
    EXPECT_TRUE(IdChecksumValid(id)) << id;
    EXPECT_EQ(IdCheckChar(id.substr(0, 17)), id[17]) << id;
    EXPECT_TRUE(IdBirthDay(id).has_value()) << id;
  }
}

TEST(IdentifiersTest, IdNumbersExpectingXAreInvalid) {
  for (std::string_view id : {"110105194912310021", "110101199003073871"}) {
    EXPECT_FALSE(IdChecksumValid(id)) << id;
    EXPECT_EQ(IdCheckChar(id.substr(0, 17)), 'X') << id;
  }
}

TEST(IdentifiersTest, IdCheckCharXMustBeUpperCase) {
  EXPECT_FALSE(IdChecksumValid("11010519491231002x"));
  EXPECT_TRUE(IdChecksumValid(Normalized("11010519491231002x")));
}

TEST(IdentifiersTest, IdNumberMalformedIsRejected) {
  EXPECT_FALSE(IdChecksumValid("1101051949123100X2"));
  EXPECT_FALSE(IdChecksumValid("11010519491231002"));
  EXPECT_FALSE(IdChecksumValid("11010519491231002XX"));
  EXPECT_EQ(IdCheckChar("1101051949123100X"), '\0');
  EXPECT_EQ(IdCheckChar("110105194912310"), '\0');
}

TEST(IdentifiersTest, IdBirthDayReadsEighteenAndFifteenDigitForms) {
  EXPECT_EQ(IdBirthDay("11010519491231002X"), DaysFromCivil(1949, 12, 31));
  EXPECT_EQ(IdBirthDay("440524188001010014"), DaysFromCivil(1880, 1, 1));
  // 15-digit numbers carry 19YYMMDD in characters 7-12.
  EXPECT_EQ(IdBirthDay("110105491231002"), DaysFromCivil(1949, 12, 31));
  EXPECT_EQ(IdBirthDay("130503670401001"), DaysFromCivil(1967, 4, 1));
}

TEST(IdentifiersTest, IdBirthDayRejectsImpossibleDates) {
  EXPECT_EQ(IdBirthDay("110105194902310026"), std::nullopt);  // right checksum, 1949-02-31
  EXPECT_TRUE(IdChecksumValid("110105194902310026"));
  EXPECT_EQ(IdBirthDay("110105190002291239"), std::nullopt);  // 1900 is not a leap year
  EXPECT_TRUE(IdBirthDay("110105200002291235").has_value());  // 2000 is
  EXPECT_EQ(IdBirthDay("110105199013010012"), std::nullopt);
  EXPECT_EQ(IdBirthDay("110105199000010012"), std::nullopt);
  EXPECT_EQ(IdBirthDay("110105000001010012"), std::nullopt);  // year 0
  EXPECT_EQ(IdBirthDay("110105490229002"), std::nullopt);     // 1949 not a leap year
  EXPECT_EQ(IdBirthDay("1101054912A1002"), std::nullopt);
  EXPECT_EQ(IdBirthDay("1101051949123"), std::nullopt);
  EXPECT_EQ(IdBirthDay(""), std::nullopt);
}

TEST(IdentifiersTest, LuhnAcceptsKnownCardNumbersOnly) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("6222021234567890128"));
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_FALSE(LuhnValid("4111 1111 1111 1111"));
}

TEST(IdentifiersTest, NormalizeMapsFullWidthRemovesSpacesAndUpperCases) {
  // "９１３５０１００ｍ０００１００ｙ４３" with an ideographic space and ASCII spaces.
  EXPECT_EQ(Normalized("\xEF\xBC\x99\xEF\xBC\x91\xE3\x80\x80 350100\xEF\xBD\x8D 000100y\t43\r\n"),
            "91350100M000100Y43");
  EXPECT_TRUE(UsccValid(Normalized("９１３５０１００Ｍ０００１００Ｙ４３")));
  EXPECT_TRUE(IdChecksumValid(Normalized("１１０１０５ １９４９１２３１ ００２ｘ")));
  EXPECT_EQ(Normalized("！～"), "!~");  // the ends of the full-width block
}

TEST(IdentifiersTest, NormalizeCopiesOtherUtf8Unchanged) {
  EXPECT_EQ(Normalized("京卫罚〔2024〕12号"), "京卫罚〔2024〕12号");
  EXPECT_EQ(Normalized("（M000100Y－4）"), "(M000100Y-4)");
  EXPECT_EQ(Normalized(""), "");
}

TEST(IdentifiersTest, NormalizeReportsTooSmallBuffer) {
  char out[4];
  EXPECT_EQ(NormalizeIdentifier("abcde", out, sizeof out), std::nullopt);
  EXPECT_EQ(NormalizeIdentifier("ab cd", out, sizeof out), 4u);
  EXPECT_EQ(std::string_view(out, 4), "ABCD");
  // Full-width input shrinks: 12 bytes in, 4 out.
  EXPECT_EQ(NormalizeIdentifier("ａｂｃｄ", out, sizeof out), 4u);
  EXPECT_EQ(NormalizeIdentifier("x", nullptr, 0), std::nullopt);
  EXPECT_EQ(NormalizeIdentifier("", nullptr, 0), 0u);
}

TEST(IdentifiersTest, NormalizeDocumentNumberUnifiesBrackets) {
  const std::string expected = "京卫罚[2024]12号";
  for (std::string_view doc :
       {"京卫罚〔2024〕12号", "京卫罚［2024］12号", "京卫罚【2024】12号", "京卫罚（2024）12号",
        "京卫罚(2024)12号", "京卫罚[2024]12号", "京卫罚 〔２０２４〕　１２号"}) {
    EXPECT_EQ(NormalizedDocumentNumber(doc), expected) << doc;
  }
  // Plain identifier normalisation leaves the brackets alone apart from full-width forms.
  EXPECT_EQ(Normalized("〔2024〕【1】"), "〔2024〕【1】");
  EXPECT_EQ(Normalized("（1）［2］"), "(1)[2]");
}

}  // namespace
}  // namespace gongshi
