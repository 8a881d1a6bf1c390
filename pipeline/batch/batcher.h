// Batcher: when a feed batch is due, and why. The service holds the records (messages of one
// partition, not yet committed in Kafka) and tells the batcher how many, how big, since when and
// with which deadlines; the batcher answers with the first cause that applies: the count or byte
// limit, the age limit, a slot of a schedule-driven feed ("tue,fri 10:00"), or deadline urgency:
// a record that would miss its deadline (less a safety margin) if it waited for the next regular
// flush goes out now. It also reports what held records are at risk, for the metrics.
//
// Times are milliseconds since the Unix epoch; days and weekdays are Asia/Shanghai's, the zone
// the deadlines are counted in. Nothing here reads a clock: the caller passes `now`, so the
// service and the simulated-clock tests run the same code.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "pipeline/calendar/calendar.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/record/error.h"
#include "pipeline/record/flush_cause.h"

namespace gongshi {

// One weekly slot of a schedule-driven feed, Asia/Shanghai time.
struct ScheduleSlot {
  int weekday = 0;        // 0 = Monday ... 6 = Sunday
  int minute_of_day = 0;  // 0 .. 1439
  bool operator==(const ScheduleSlot&) const = default;
};

// Parses one schedule entry: "<days> HH:MM", days a comma-separated list of mon tue wed thu fri
// sat sun, or "daily" or "weekdays" (mon..fri). "tue,fri 10:00" gives two slots. The message of
// an error names the entry and what is wrong.
Result<std::vector<ScheduleSlot>> ParseScheduleEntry(std::string_view entry);

struct BatchPolicy {
  uint64_t max_records = 16384;
  uint64_t max_bytes = 32ull << 20;
  // 0: no holding, what a poll returns is published at once (a continuous feed). Otherwise
  // records wait until the oldest is this old (unless the schedule or a limit comes first).
  int64_t max_age_ms = 0;
  std::vector<ScheduleSlot> schedule;  // empty: no schedule
  // A held record goes out at once when fewer than this many working days would be left before
  // its deadline at the next regular flush, or when it has this many or fewer left now.
  int deadline_margin_working_days = 1;
};

// What one partition holds, without the records: counts, size, age and deadlines.
class HeldRecords {
 public:
  // `deadline_days` are the publication deadlines of the records among them that will be
  // published (rejects have none).
  void Add(uint64_t records, uint64_t bytes, int64_t received_ms,
           std::span<const int32_t> deadline_days);
  void Clear();
  bool empty() const { return records_ == 0; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  int64_t oldest_ms() const { return oldest_ms_; }
  std::optional<int32_t> earliest_deadline() const;
  // Records whose deadline is on or before `day`.
  uint64_t DueBy(int32_t day) const;

 private:
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  int64_t oldest_ms_ = 0;
  // deadline day -> records. A held set spans a few days of decisions, so this stays small; it
  // changes once per poll, not per record.
  std::map<int32_t, uint64_t> deadlines_;
};

// Deadline risk over everything not yet published.
struct DeadlineRisk {
  uint64_t at_risk = 0;  // deadline within 1 working day (today or the next working day)
  // Working days left before the earliest deadline (negative once it has passed).
  std::optional<int> oldest_slack_working_days;
};

class Batcher {
 public:
  // Borrows `calendar`, which must outlive the batcher.
  Batcher(BatchPolicy policy, const WorkingCalendar& calendar, int region_index);

  // Whether records are held between polls (an age limit or a schedule); if not, every poll's
  // records are due at once.
  bool holds() const { return policy_.max_age_ms > 0 || !policy_.schedule.empty(); }
  const BatchPolicy& policy() const { return policy_; }

  FlushCause Due(const HeldRecords& held, int64_t now_ms) const;
  // When what is held would be flushed without urgency: the oldest record's age limit or the
  // first schedule slot after it arrived, whichever is first. INT64_MAX when neither applies.
  int64_t RegularFlushMs(const HeldRecords& held) const;
  // The first schedule slot strictly after `after_ms`, or INT64_MAX without a schedule.
  int64_t NextSlotMs(int64_t after_ms) const;

  // Adds what `held` contributes to `risk` at `now_ms`.
  void AddRisk(const HeldRecords& held, int64_t now_ms, DeadlineRisk& risk) const;

 private:
  // Working days from `from` to `deadline`, negative when the deadline is behind.
  int SlackWorkingDays(int32_t from, int32_t deadline) const;

  BatchPolicy policy_;
  const WorkingCalendar& calendar_;
  int region_index_;
};

}  // namespace gongshi
