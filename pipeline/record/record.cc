#include "pipeline/record/record.h"

#include <cstring>

namespace gongshi {

std::string_view RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kLicense: return "license";
    case RecordKind::kPenalty: return "penalty";
    case RecordKind::kUnknown: break;
  }
  return "unknown";
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kPublished: return "published";
    case Outcome::kUpdated: return "updated";
    case Outcome::kDuplicate: return "duplicate";
    case Outcome::kWithdrawn: return "withdrawn";
    case Outcome::kWithheld: return "withheld";
    case Outcome::kRejected: return "rejected";
  }
  return "pending";
}

std::string_view WithholdReasonCode(WithholdReason reason) {
  switch (reason) {
    case WithholdReason::kNone: return "none";
    case WithholdReason::kMinor: return "minor";
    case WithholdReason::kConfidential: return "confidential";
    case WithholdReason::kWarningOnly: return "warning_only";
    case WithholdReason::kPeriodEnded: return "period_ended";
  }
  return "none";
}

std::string HexEncode(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

char* Arena::Allocate(size_t n) {
  while (current_ < blocks_.size() && used_ + n > blocks_[current_].size) {
    ++current_;
    used_ = 0;
  }
  if (current_ == blocks_.size()) {
    const size_t size = n > block_bytes_ ? n : block_bytes_;
    blocks_.push_back(Block{std::make_unique<char[]>(size), size});
    used_ = 0;
  }
  char* out = blocks_[current_].data.get() + used_;
  used_ += n;
  return out;
}

std::string_view Arena::Copy(std::string_view text) {
  if (text.empty()) return {};
  char* out = Allocate(text.size());
  std::memcpy(out, text.data(), text.size());
  return {out, text.size()};
}

size_t Arena::bytes_reserved() const {
  size_t total = 0;
  for (const Block& block : blocks_) total += block.size;
  return total;
}

}  // namespace gongshi
