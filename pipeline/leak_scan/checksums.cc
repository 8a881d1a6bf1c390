// Checksums and date rules of the identifiers the leak scan looks for (see checksums.h).
#include "pipeline/leak_scan/checksums.h"

#include <array>

namespace gongshi::leak_scan {
namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int UsccValue(char c) {
  const size_t at = kUsccAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

bool RealDate(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int last = month == 2 && leap ? 29 : kDays[month - 1];
  return day <= last;
}

bool Id18Valid(std::string_view id) {
  if (id.size() != 18 || !AllDigits(id.substr(0, 17))) return false;
  int sum = 0;
  int weight = 1;  // 2^(17-i) mod 11, built from the right
  for (int i = 16; i >= 0; --i) {
    weight = weight * 2 % 11;
    sum += (id[i] - '0') * weight;
  }
  static constexpr std::string_view kCheck = "10X98765432";
  if (id[17] != kCheck[sum % 11]) return false;
  const int year = Number(id.substr(6, 4));
  return year >= 1850 && year <= 2099 &&
         RealDate(year, Number(id.substr(10, 2)), Number(id.substr(12, 2)));
}

bool Id15Valid(std::string_view id) {
  if (id.size() != 15 || !AllDigits(id) || id[0] < '1' || id[0] > '8') return false;
  return RealDate(1900 + Number(id.substr(6, 2)), Number(id.substr(8, 2)),
                  Number(id.substr(10, 2)));
}

bool MobileValid(std::string_view digits) {
  return digits.size() == 11 && AllDigits(digits) && digits[0] == '1' && digits[1] >= '3';
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty() || !AllDigits(digits)) return false;
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool BankCardValid(std::string_view digits) {
  if (digits.size() < 16 || digits.size() > 19 || !LuhnValid(digits)) return false;
  // ISO/IEC 7812: the first digit names the industry; payment cards are 3 (JCB, Amex), 4 (Visa),
  // 5 and 2221-2720 (Mastercard), 6 (UnionPay) and 9 (China's older domestic cards, 95…). A
  // 17-digit run from 1 is an organisation's code before its check letter (11510106019598049N,
  // kept in the audit ledger for a reject), not a card.
  const char first = digits[0];
  if (first == '3' || first == '4' || first == '5' || first == '6' || first == '9') return true;
  if (first == '2' && digits.size() == 16) {
    const int prefix = (digits[0] - '0') * 1000 + (digits[1] - '0') * 100 + (digits[2] - '0') * 10 +
                       (digits[3] - '0');
    return prefix >= 2221 && prefix <= 2720;
  }
  return false;
}

bool UsccValid(std::string_view code) {
  if (code.size() != 18) return false;
  int sum = 0;
  int weight = 1;  // 3^(i-1) mod 31
  for (size_t i = 0; i < 17; ++i) {
    const int value = UsccValue(code[i]);
    if (value < 0) return false;
    sum += value * weight;
    weight = weight * 3 % 31;
  }
  return code[17] == kUsccAlphabet[(31 - sum % 31) % 31];
}

bool OrgCodeValid(std::string_view code) {
  if (code.size() == 10 && code[8] == '-') {
    const char check = code[9];
    char joined[9];
    for (size_t i = 0; i < 8; ++i) joined[i] = code[i];
    joined[8] = check;
    return OrgCodeValid(std::string_view(joined, 9));
  }
  if (code.size() != 9) return false;
  static constexpr std::array<int, 8> kWeights = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (size_t i = 0; i < 8; ++i) {
    const char c = code[i];
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    if (c >= 'A' && c <= 'Z') value = c - 'A' + 10;
    if (value < 0) return false;
    sum += value * kWeights[i];
  }
  const int check = 11 - sum % 11;
  const char expected = check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
  return code[8] == expected;
}

}  // namespace gongshi::leak_scan
