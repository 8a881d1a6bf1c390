// AuditEvent: what the auditors' ledger in the state store keeps of every record: who decided it,
// when it was decided, arrived and was published, its deadline and whether it was late and why. No
// personal data: the authority is an organisation, the record only its keyed identity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/record/lateness.h"
#include "pipeline/record/record.h"

namespace gongshi {

struct AuditEvent {
  std::string authority_uscc;  // "" when unknown (a reject before the field was readable)
  std::string authority_name;
  RecordKind kind = RecordKind::kUnknown;
  Outcome outcome = Outcome::kPending;
  uint8_t reason = 0;         // RejectReason (rejected) or WithholdReason (withheld)
  int32_t decision_day = 0;   // days since 1970-01-01; 0 = unknown
  int32_t arrival_day = 0;    // the day gongshi read it (Asia/Shanghai)
  int32_t published_day = 0;  // the day its feed batch was committed; 0 = not published
  int32_t deadline_day = 0;   // decision + N working days; 0 = unknown
  bool deadline_provisional = false;
  int32_t latency_working_days = -1;  // decision -> published, in working days; -1 = n/a
  Lateness lateness = Lateness::kNotPublished;
};

}  // namespace gongshi
