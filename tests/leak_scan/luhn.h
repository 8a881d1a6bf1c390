// The Luhn check written out for the leak scan's tests, apart from pipeline/leak_scan's own (the
// tests build their cards and their near-cards with it, so a slip in the scanner's shows).
#pragma once

#include <string_view>

namespace gongshi::testing {

inline bool PassesLuhn(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int v = digits[i] - '0';
    if (twice) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

}  // namespace gongshi::testing
