// Identifier checks of the national standards, after normalisation: 统一社会信用代码 (GB 32100),
// 组织机构代码 (GB 11714) and 居民身份证号码 (GB 11643). Test vectors: domain.md §4.4.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gongshi {

// Writes into `out` (capacity `capacity` bytes) the normalised form of an identifier as agencies
// type it: full-width ASCII (U+FF01..U+FF5E) to ASCII, ASCII and ideographic spaces (U+3000)
// removed, lower case to upper case. Returns the number of bytes written, or nullopt if `out` is
// too small. Other bytes (including non-ASCII UTF-8) are copied unchanged.
std::optional<size_t> NormalizeIdentifier(std::string_view in, char* out, size_t capacity);

// Normalises a document number (文号) for identity: NormalizeIdentifier plus the brackets
// 〔〕［］【】〖〗﹝﹞（）()[] unified to '[' and ']'. Same contract as NormalizeIdentifier.
std::optional<size_t> NormalizeDocumentNumber(std::string_view in, char* out, size_t capacity);

// GB 32100: the 18th character of a USCC from its first 17, or '\0' if a character is outside the
// alphabet 0123456789ABCDEFGHJKLMNPQRTUWXY.
char UsccCheckChar(std::string_view first17);
// True for an 18-character normalised USCC whose characters are in the alphabet.
bool UsccWellFormed(std::string_view uscc);
// True for a well-formed USCC with the right check character.
bool UsccValid(std::string_view uscc);

// GB 11714: the check character of an 8-character body ('0'-'9' or 'X'), or '\0' if a character
// is not a digit or upper-case letter.
char OrgCodeCheckChar(std::string_view body8);
// Accepts "XXXXXXXXC" and "XXXXXXXX-C", normalised.
bool OrgCodeValid(std::string_view code);

// GB 11643: the check character of the first 17 digits ('0'-'9' or 'X'), '\0' if not digits.
char IdCheckChar(std::string_view first17);
// 18 characters, 17 digits and a right check character ('X' upper case).
bool IdChecksumValid(std::string_view id18);
// The birth date an ID number carries, as days since 1970-01-01: characters 7-14 of an 18-digit
// number, or 19YYMMDD from characters 7-12 of a 15-digit one. nullopt if it is not a real date.
std::optional<int32_t> IdBirthDay(std::string_view id);

// Luhn (ISO/IEC 7812) over a string of ASCII digits.
bool LuhnValid(std::string_view digits);

}  // namespace gongshi
