// PiiKind: the kinds of a natural person's data that redaction masks. The free-text scanner
// (redact/pii_scanner.h) finds the first four; names are the name masker's. Here, below the
// stages, because the metrics' gongshi_redactions_total{kind} counts by it and metrics/ may not
// include redact/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gongshi {

enum class PiiKind : uint8_t { kIdNumber, kMobile, kBankCard, kEmail, kName };
inline constexpr size_t kPiiKindCount = static_cast<size_t>(PiiKind::kName) + 1;

// Stable snake_case name, for metrics labels and audit logs: "id_number", "mobile", "bank_card",
// "email", "name".
constexpr std::string_view PiiKindName(PiiKind kind) {
  switch (kind) {
    case PiiKind::kIdNumber: return "id_number";
    case PiiKind::kMobile: return "mobile";
    case PiiKind::kBankCard: return "bank_card";
    case PiiKind::kEmail: return "email";
    case PiiKind::kName: return "name";
  }
  return "unknown";
}

}  // namespace gongshi
