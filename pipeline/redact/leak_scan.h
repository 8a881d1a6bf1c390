// Leak scan: the auditors' check that no personal data left in clear. Reads every NDJSON/JSON file
// under an output directory and runs the redaction scanner over every string value, except the
// values that are by construction not personal: organisation codes that validate as such, and
// gongshi's own hex ids, hashes and sealed bytes.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "pipeline/record/error.h"
#include "pipeline/schema/schema.h"

namespace gongshi {

struct LeakFinding {
  std::string file;
  int64_t line = 0;
  std::string key;
  std::string kind;  // id_number, mobile, bank_card, email
};

struct LeakReport {
  uint64_t files = 0;
  uint64_t lines = 0;
  uint64_t values = 0;
  std::array<uint64_t, 4> by_kind{};        // id_number, mobile, bank_card, email
  std::vector<LeakFinding> first_findings;  // up to 20, for the report; no values
  uint64_t total() const { return by_kind[0] + by_kind[1] + by_kind[2] + by_kind[3]; }
};

// Scans OUT/feeds, OUT/dlq and OUT/withheld (not the state directory).
Result<LeakReport> ScanForLeaks(const std::string& out_dir, const SchemaSet& schemas);

}  // namespace gongshi
