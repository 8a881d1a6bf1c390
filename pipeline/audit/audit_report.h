// AuditReport: what `gongshi audit` shows auditors. It folds the ledger's stream of AuditEvents
// into one row per authority and month of decision (published on time, source-late, pipeline-late,
// withheld and rejected by reason) and renders the rows as CSV, JSON or a self-contained HTML page.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/state/audit_event.h"

namespace gongshi {

// Which events a report covers, by decision date (day numbers, both ends inclusive; 0 = open).
// An event without a decision date is placed, and filtered, by its arrival date; one with neither
// is only in a report whose filter is open at both ends (its month is "unknown").
struct AuditFilter {
  int32_t from_day = 0;
  int32_t to_day = 0;
};

// One authority and month (YYYY-MM of the decision date), or the totals over all rows.
struct AuditRow {
  std::string authority_uscc;  // "" when unknown (rejected before the field was readable)
  std::string authority_name;  // the latest non-empty name seen for the USCC
  std::string month;           // "YYYY-MM", "unknown", or "" in Totals()
  uint64_t received = 0;       // records read, duplicates excluded
  uint64_t published = 0;      // published + updated (withdrawals are counted apart)
  // Lateness of the published records; a published record whose lateness the ledger did not
  // know (kNotPublished) is in `published` but in none of these three.
  uint64_t on_time = 0;
  uint64_t source_late = 0;
  uint64_t pipeline_late = 0;
  // Over published records with a known latency (`latency_samples` of them); NaN when there are
  // none. The median of an even count is the mean of the two middle values; p95 is nearest-rank.
  uint64_t latency_samples = 0;
  double median_latency_working_days = std::numeric_limits<double>::quiet_NaN();
  double p95_latency_working_days = std::numeric_limits<double>::quiet_NaN();
  std::map<std::string, uint64_t> withheld_by_reason;  // WithholdReasonCode -> count
  std::map<std::string, uint64_t> rejected_by_reason;  // RejectReasonCode -> count
  uint64_t withdrawals = 0;
  uint64_t provisional_deadlines = 0;  // deadline counted over a year without a holiday notice

  uint64_t withheld() const;
  uint64_t rejected() const;
};

// The rates the provincial evaluations use (domain.md §6); nullopt when the denominator is 0, so
// that "no records" never reads as 0% or 100%.
// 合规率 (data compliance rate) = (received - rejected) / received.
std::optional<double> ComplianceRate(const AuditRow& row);
// 及时率 (timeliness rate) = on_time / published.
std::optional<double> TimelinessRate(const AuditRow& row);
// 迟报率 (late rate) = (source_late + pipeline_late) / published.
std::optional<double> LateRate(const AuditRow& row);

class AuditReport {
 public:
  explicit AuditReport(AuditFilter filter = {});

  // O(1) amortised. Memory grows with authorities x months (and distinct latencies), not events.
  void Add(const AuditEvent& event);

  // Shown as "generated_for" in the JSON and as the HTML page's subtitle (e.g. the site or the
  // province the report is for). Default: a description of the filter's period.
  void set_generated_for(std::string text) { generated_for_ = std::move(text); }
  std::string generated_for() const;

  std::vector<AuditRow> Rows() const;  // sorted by month, then authority USCC
  AuditRow Totals() const;
  // Published records by latency in working days, over all rows (the HTML histogram's data).
  std::map<int32_t, uint64_t> LatencyHistogram() const;

  // UTF-8 with a BOM (so that Excel reads it as UTF-8), CRLF lines, every field quoted, a
  // bilingual header, one line per row and a totals line. Text cells starting with = + - @ (or a
  // tab / CR) get a leading ' so that a spreadsheet does not run them as formulas.
  std::string Csv() const;
  // {"from","to","generated_for","rows":[...],"totals":{...}}; dates "YYYY-MM-DD" or null, rates
  // and latencies null where there is no denominator.
  std::string Json() const;
  // One self-contained page (no network, no script): inline SVG charts, the table of rows with
  // the rates, and what the terms mean in Chinese and English. Every text is HTML-escaped.
  std::string Html() const;

 private:
  // Latencies up to this many working days are counted in a flat array, the rare longer ones
  // (backfills of old decisions) in a map, so a row stays small however old its records are.
  static constexpr int32_t kDenseLatencyDays = 32;

  struct Accumulator {
    uint32_t authority = 0;  // index into authorities_
    int32_t month = 0;       // year * 12 + month - 1, or kUnknownMonth
    uint64_t received = 0, published = 0, on_time = 0, source_late = 0, pipeline_late = 0;
    uint64_t withdrawals = 0, provisional_deadlines = 0;
    std::vector<uint64_t> dense_latency;             // index = working days < kDenseLatencyDays
    std::map<int32_t, uint64_t> sparse_latency;      // working days >= kDenseLatencyDays
    std::map<uint8_t, uint64_t> withheld, rejected;  // by reason value
  };
  struct Authority {
    std::string uscc;
    std::string name;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  static constexpr int32_t kUnknownMonth = INT32_MAX;

  AuditRow ToRow(const Accumulator& accumulator) const;
  std::vector<const Accumulator*> Sorted() const;

  AuditFilter filter_;
  std::optional<std::string> generated_for_;
  std::vector<Authority> authorities_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> authority_index_;
  // Key: month in the high 32 bits, authority index in the low 32.
  std::unordered_map<uint64_t, Accumulator> rows_;
};

}  // namespace gongshi
