#include "pipeline/record/reject_reason.h"

#include <array>

namespace gongshi {
namespace {

struct ReasonInfo {
  std::string_view code;
  std::string_view text;
};

constexpr std::array kReasons = {
#define GONGSHI_REJECT_INFO(name, code, text) ReasonInfo{code, text},
    GONGSHI_REJECT_REASONS(GONGSHI_REJECT_INFO)
#undef GONGSHI_REJECT_INFO
};

constexpr auto kAll = [] {
  std::array<RejectReason, kReasons.size() - 1> all{};
  for (size_t i = 1; i < kReasons.size(); ++i) all[i - 1] = static_cast<RejectReason>(i);
  return all;
}();

}  // namespace

std::string_view RejectReasonCode(RejectReason reason) {
  return kReasons[static_cast<size_t>(reason)].code;
}
std::string_view RejectReasonText(RejectReason reason) {
  return kReasons[static_cast<size_t>(reason)].text;
}
std::optional<RejectReason> RejectReasonFromCode(std::string_view code) {
  for (size_t i = 0; i < kReasons.size(); ++i) {
    if (kReasons[i].code == code) return static_cast<RejectReason>(i);
  }
  return std::nullopt;
}
std::span<const RejectReason> AllRejectReasons() { return kAll; }

}  // namespace gongshi
