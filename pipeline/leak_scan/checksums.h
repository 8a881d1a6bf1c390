// The leak scan's own reading of the national identifier standards. Written apart from the
// validate and redact stages on purpose: an auditors' check that shared their code would share
// their bugs (the leak scan links neither; the build proves it).
#pragma once

#include <string_view>

namespace gongshi::leak_scan {

// GB 11643-1999 citizen ID number, 18 characters: 17 digits and a check character ('0'-'9' or
// 'X', upper case) with weights 2^(17-i) mod 11 and "10X98765432"[sum mod 11]; characters 7-14
// a real date YYYYMMDD in 1850..2099.
bool Id18Valid(std::string_view id);

// The 15-digit ID of before 1999: all digits, the first (province) 1-8, characters 7-12 a real
// date 19YYMMDD. It has no check digit, so it is the weakest of the forms.
bool Id15Valid(std::string_view id);

// A mainland mobile number: 11 digits 1[3-9]xxxxxxxxx.
bool MobileValid(std::string_view digits);

// A bank card: 16-19 digits passing the Luhn (ISO/IEC 7812) check, starting as payment cards do
// (3, 4, 5, 6, 9, or 2221-2720 for 16 digits).
bool BankCardValid(std::string_view digits);
bool LuhnValid(std::string_view digits);

// GB 32100-2015 统一社会信用代码: 18 characters of 0123456789ABCDEFGHJKLMNPQRTUWXY (no I, O, S,
// V, Z), weights 3^(i-1) mod 31, check = alphabet[(31 - sum mod 31) mod 31].
bool UsccValid(std::string_view code);

// GB 11714-1997 组织机构代码: 8 characters of digits and upper-case letters plus a check character,
// weights 3 7 9 10 5 8 4 2, check 11 - sum mod 11 (10 -> 'X', 11 -> '0'). A hyphen before the
// check character ("12345678-9") is accepted.
bool OrgCodeValid(std::string_view code);

// A real Gregorian date.
bool RealDate(int year, int month, int day);

}  // namespace gongshi::leak_scan
