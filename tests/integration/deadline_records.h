// Records of the deadline tests (the file pass's and the one through the mock cluster): one
// decision of each kind on a given date, told apart by its 文号.
#pragma once

#include <string>

#include "tests/support/test_support.h"

namespace gongshi::testing {

// `period_end`: the source's 公示截止期 and the penalty's end, after every `today` of the test,
// so the publication period never ends inside it (an ended one would be withheld, not timed).
inline std::string PenaltyOn(const std::string& date, const std::string& doc_no,
                             const std::string& period_end) {
  std::string json = Fixture("penalty_valid.json");
  json = With(json, "decision_date", Quoted(date));
  json = With(json, "decision_doc_no", Quoted(doc_no));
  json = With(json, "penalty_valid_to", Quoted(period_end));
  return With(json, "publish_until", Quoted(period_end));
}

inline std::string LicenseOn(const std::string& date, const std::string& doc_no) {
  std::string json = Fixture("license_valid.json");
  json = With(json, "XK_JDRQ", Quoted(date));
  json = With(json, "XK_YXQZ", Quoted(date));
  json = With(json, "XK_WSH", Quoted(doc_no));
  return With(json, "XK_XKBH", Quoted("XK-" + doc_no));
}

}  // namespace gongshi::testing
