// Corpus: the word lists and case templates the record generator writes its Chinese text from:
// places with their GB/T 2260 area codes, names, the departments that decide 双公示 records, and
// penalty and license cases. All text is written for this project; laws are cited by real names.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace gongshi::corpus {

struct District {
  std::string_view name;  // 西湖区
  std::string_view code;  // 330106, GB/T 2260
};

struct City {
  std::string_view province;  // 浙江 (the municipality itself for 北京, 上海, 天津, 重庆)
  std::string_view province_abbr;  // 浙: licence-number and plate prefix
  std::string_view name;           // 杭州市
  std::string_view abbr;   // 杭: document-number prefix (文号 "杭市监处罚〔2024〕12号")
  std::string_view plate;  // 浙A
  std::string_view code;   // 330100
  std::span<const District> districts;
};

// 处罚类别 as the 2021 行政处罚法 (Art. 9) names them, in the order of the penalty schema's
// items.enum; the generator maps them to the schema by name, not by this order.
enum PenaltyCategory : uint8_t {
  kWarning,
  kCriticism,
  kFine,
  kConfiscateIncome,
  kConfiscateProperty,
  kSuspendLicense,
  kLowerQualification,
  kRevokeLicense,
  kRestrictBusiness,
  kStopProduction,
  kClose,
  kRestrictEmployment,
  kDetention,
  kOther,
  kPenaltyCategoryCount,
};
constexpr uint16_t Bit(PenaltyCategory category) { return uint16_t{1} << category; }
constexpr uint16_t kConfiscation = Bit(kConfiscateIncome) | Bit(kConfiscateProperty);
constexpr uint16_t kLicenceAction = Bit(kSuspendLicense) | Bit(kRevokeLicense);
constexpr uint16_t kWarningOnly = Bit(kWarning) | Bit(kCriticism);
std::string_view PenaltyCategoryName(PenaltyCategory category);
// The clause penalty_content uses for a category, with the generator's slots (see below).
std::string_view PenaltyCategoryClause(PenaltyCategory category);

// Which kinds of 行政相对人 a case applies to.
enum SubjectKinds : uint8_t {
  kOrganisation = 1,        // 法人及非法人组织
  kIndividualBusiness = 2,  // 个体工商户
  kNaturalPerson = 4,       // 自然人
};

// A department that decides records. Name templates: $c city, $d district.
struct Department {
  std::string_view city_name;      // "$c市场监督管理局"
  std::string_view district_name;  // "$c$d市场监督管理局"; empty: city level only
  // Document numbers: $a authority abbreviation, $y year, $n the authority's counter. The
  // brackets 〔〕 are swapped per authority for the variants agencies type.
  std::string_view penalty_doc;
  std::string_view license_doc;
};

// Text templates use one-letter slots after '$':
//   $R 当事人 (the first time for a natural person: name plus ID, address, phone)
//   $S subject name        $E legal representative (or the subject)   $M another person
//   $A business address    $C city    $Q district   $B another company   $K vehicle plate
//   $T a date before the decision, in Chinese (later uses move forward)   $H a time of day
//   $G the case's item (one per record, from its '|' list)   $N a count   $D days
//   $V a value in 元       $I illegal income (the confiscated amount)    $F the fine
//   $L the licence 暂扣/吊销 names                            $P natural-person details
//   $X licence number      $U subject USCC                   $Y years of validity
struct PenaltyCase {
  uint8_t department;
  uint8_t subjects;  // SubjectKinds
  std::string_view violation_type;
  std::string_view facts;
  std::string_view basis;
  std::string_view items;  // '|'-separated choices for $G
  // Category sets the case is decided with (0 ends the list). Bit(PenaltyCategory).
  std::array<uint16_t, 4> categories;
  int32_t fine_min_yuan;
  int32_t fine_max_yuan;
  std::string_view licence;  // what 暂扣/吊销 names; empty: "许可证"
};

struct LicenseCase {
  uint8_t department;
  uint8_t subjects;
  std::string_view doc_title;  // 行政许可决定文书名称, at most 64 characters once expanded
  std::string_view category;   // 许可类别: 普通 特许 认可 核准 登记, or "其他-…"
  std::string_view certificate;  // 许可证书名称; empty if none
  // 许可编号: $z area code, $q 7 digits, $w 4 digits, $u USCC, $y year, $p province, $a city.
  // Empty: no licence number.
  std::string_view number;
  std::string_view content;
  std::string_view items;
  int32_t valid_years;  // 0: long-term (2099-12-31)
};

std::span<const City> Cities();
std::span<const Department> Departments();
std::span<const PenaltyCase> PenaltyCases();
std::span<const LicenseCase> LicenseCases();

// Names.
std::span<const std::string_view> Surnames();
std::span<const std::string_view> CompoundSurnames();  // 欧阳 司马 诸葛…
std::span<const std::string_view> GivenNameChars();
std::span<const std::string_view> TradeNameChars();  // 字号 characters: 鑫 恒 盛…
std::span<const std::string_view> Industries();      // 网络科技 餐饮管理…
std::span<const std::string_view> CompanyForms();    // 有限公司 股份有限公司…
std::span<const std::string_view> ShopTypes();       // 个体工商户: 便利店 面馆…
std::span<const std::string_view> CooperativeTypes();
// 事业单位 name templates: $c city, $d district, $n a Chinese ordinal digit.
std::span<const std::string_view> PublicInstitutions();
std::span<const std::string_view> SocialOrganisations();
std::span<const std::string_view> Roads();
std::span<const std::string_view> SourceUnits();  // 数据来源单位 other than the authority: "$c…"

// Sentences around a case's facts.
std::span<const std::string_view> FactOpenings();
std::span<const std::string_view> EvidenceSentences();
std::span<const std::string_view> MitigationSentences();
std::span<const std::string_view> NoticeSentences();
std::span<const std::string_view> DecisionLeads();  // penalty_content lead-ins
std::span<const std::string_view> PaymentNotes();
std::span<const std::string_view> PenaltyRemarks();
std::span<const std::string_view> LicenseRemarks();
// Natural persons' contact lines in 备注: $m mobile, $e e-mail, $i ID number, $b bank card, $k its
// last four digits, $M another person.
std::span<const std::string_view> PersonalRemarks();
std::span<const std::string_view> UpdateNotes();  // why a published record was corrected
std::span<const std::string_view> PenaltyWithdrawReasons();
std::span<const std::string_view> LicenseWithdrawReasons();
std::span<const std::string_view> MitigationBases();  // cited with a mitigated penalty

// Identifiers and contact details.
std::span<const std::string_view> MobilePrefixes();  // 3 digits, 1[3-9]x
std::span<const std::string_view> CardPrefixes();    // bank card BINs
std::span<const std::string_view> EmailDomains();

// ---- Adversarial PII forms (GeneratorOptions::pii_forms) ----
// Every surname here, and in Surnames() and CompoundSurnames(), is in schemas/names.json, the
// dictionary redaction reads (a test checks it).
// Surnames beyond the hundred common ones, many of them characters that also begin ordinary words
// (于 向 明 安 成 时…): what makes a name after a role word hard to tell from 当事人于当日.
std::span<const std::string_view> ExtraSurnames();
std::span<const std::string_view> ExtraCompoundSurnames();  // 轩辕 钟离 万俟 单于…
// Role words after which clerks name the record's own person (in a penalty, in a license), and
// other people (all in names.json "roles").
std::span<const std::string_view> OwnRoles();
std::span<const std::string_view> LicenseOwnRoles();
std::span<const std::string_view> OtherRoles();
// What follows a name: each starts with a character that ends a name (names.json
// "not_given_name") or with punctuation, so that where the name stops is never a guess.
std::span<const std::string_view> NameFollowers();
// Words that begin with a surname character but are not names after a role word (names.json
// "common_words"): 当事人明知…, 申请人申请….
std::span<const std::string_view> RoleCommonWords();
// Labels before identifiers in free text.
std::span<const std::string_view> IdLabels();
std::span<const std::string_view> OldIdLabels();  // the 15-digit number issued before 1999
std::span<const std::string_view> MobileLabels();
std::span<const std::string_view> CardLabels();
std::span<const std::string_view> EmailLabels();
// ASCII labels glued to what follows (Tel13812345678), by class.
std::span<const std::string_view> AsciiMobileLabels();
std::span<const std::string_view> AsciiIdLabels();
std::span<const std::string_view> AsciiCardLabels();
// ASCII letters glued after an identifier (13812345678abc).
std::span<const std::string_view> AsciiTrailers();
// Labels before numbers that are not personal data: order, receipt and report numbers.
std::span<const std::string_view> NumberLabels();
// Card BINs of UnionPay (62…), Visa (4…) and Mastercard (5…) cards issued in China.
std::span<const std::string_view> AdversarialCardPrefixes();
std::span<const std::string_view> AdversarialEmailDomains();
std::span<const std::string_view> EmailLocalWords();    // pinyin syllables: zhang wei li na…
std::span<const std::string_view> LandlineAreaCodes();  // 010 0571 0755…

// Values that fail validation, for invalid records.
std::span<const std::string_view> BadSubjectCategories();  // 公司, 企业…
std::span<const std::string_view> BadLicenseCategories();
std::span<const std::string_view> BadPenaltyCategories();  // 罚金, 记过…
// Dates in formats the standard does not allow: $y year, $m/$d month/day, $M/$D the same with two
// digits.
std::span<const std::string_view> BadDates();

}  // namespace gongshi::corpus
