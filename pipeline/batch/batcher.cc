#include "pipeline/batch/batcher.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

tl::unexpected<Error> ScheduleError(std::string_view entry, std::string_view what) {
  return Fail(
      ErrorCode::kInvalidConfig,
      fmt::format("schedule entry '{}': {} (expected e.g. \"tue,fri 10:00\", days mon..sun, "
                  "daily or weekdays)",
                  entry, what));
}

}  // namespace

Result<std::vector<ScheduleSlot>> ParseScheduleEntry(std::string_view entry) {
  const size_t space = entry.find(' ');
  if (space == std::string_view::npos) return ScheduleError(entry, "no time");
  std::string_view days = entry.substr(0, space);
  std::string_view time = entry.substr(space + 1);
  while (!time.empty() && time.front() == ' ') time.remove_prefix(1);
  int hour = -1, minute = -1;
  if (time.size() != 5 || time[2] != ':' ||
      std::from_chars(time.data(), time.data() + 2, hour).ptr != time.data() + 2 ||
      std::from_chars(time.data() + 3, time.data() + 5, minute).ptr != time.data() + 5 ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return ScheduleError(entry, "the time must be HH:MM, 00:00 to 23:59");
  }
  static constexpr std::array<std::string_view, 7> kNames = {"mon", "tue", "wed", "thu",
                                                             "fri", "sat", "sun"};
  std::array<bool, 7> chosen{};
  if (days == "daily") {
    chosen.fill(true);
  } else if (days == "weekdays") {
    for (int d = 0; d < 5; ++d) chosen[d] = true;
  } else {
    while (!days.empty()) {
      const size_t comma = days.find(',');
      const std::string_view name = days.substr(0, comma);
      const auto it = std::find(kNames.begin(), kNames.end(), name);
      if (it == kNames.end()) return ScheduleError(entry, fmt::format("unknown day '{}'", name));
      chosen[static_cast<size_t>(it - kNames.begin())] = true;
      if (comma == std::string_view::npos) break;
      days.remove_prefix(comma + 1);
      if (days.empty()) return ScheduleError(entry, "a trailing comma");
    }
  }
  std::vector<ScheduleSlot> slots;
  for (int d = 0; d < 7; ++d) {
    if (chosen[static_cast<size_t>(d)]) slots.push_back({d, hour * 60 + minute});
  }
  if (slots.empty()) return ScheduleError(entry, "no day");
  return slots;
}

void HeldRecords::Add(uint64_t records, uint64_t bytes, int64_t received_ms,
                      std::span<const int32_t> deadline_days) {
  if (records == 0) return;
  if (records_ == 0 || received_ms < oldest_ms_) oldest_ms_ = received_ms;
  records_ += records;
  bytes_ += bytes;
  for (int32_t day : deadline_days) ++deadlines_[day];
}

void HeldRecords::Clear() {
  records_ = 0;
  bytes_ = 0;
  oldest_ms_ = 0;
  deadlines_.clear();
}

std::optional<int32_t> HeldRecords::earliest_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

uint64_t HeldRecords::DueBy(int32_t day) const {
  uint64_t n = 0;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= day; ++it) {
    n += it->second;
  }
  return n;
}

Batcher::Batcher(BatchPolicy policy, const WorkingCalendar& calendar, int region_index)
    : policy_(std::move(policy)), calendar_(calendar), region_index_(region_index) {
  std::sort(policy_.schedule.begin(), policy_.schedule.end(), [](const auto& a, const auto& b) {
    return a.weekday != b.weekday ? a.weekday < b.weekday : a.minute_of_day < b.minute_of_day;
  });
}

int64_t Batcher::NextSlotMs(int64_t after_ms) const {
  if (policy_.schedule.empty()) return kNever;
  const int32_t today = ShanghaiDay(after_ms);
  // Eight days ahead always reaches a weekly slot.
  for (int32_t day = today; day <= today + 8; ++day) {
    const int weekday = Weekday(day);
    for (const ScheduleSlot& slot : policy_.schedule) {
      if (slot.weekday != weekday) continue;
      const int64_t at = ShanghaiDayStartMs(day) + slot.minute_of_day * 60000LL;
      if (at > after_ms) return at;
    }
  }
  return kNever;
}

int64_t Batcher::RegularFlushMs(const HeldRecords& held) const {
  if (held.empty()) return kNever;
  int64_t at = kNever;
  if (policy_.max_age_ms > 0) at = held.oldest_ms() + policy_.max_age_ms;
  return std::min(at, NextSlotMs(held.oldest_ms()));
}

int Batcher::SlackWorkingDays(int32_t from, int32_t deadline) const {
  return deadline >= from ? calendar_.WorkingDaysBetween(from, deadline, region_index_)
                          : -calendar_.WorkingDaysBetween(deadline, from, region_index_);
}

FlushCause Batcher::Due(const HeldRecords& held, int64_t now_ms) const {
  if (held.empty()) return FlushCause::kNone;
  if (held.records() >= policy_.max_records) return FlushCause::kCount;
  if (held.bytes() >= policy_.max_bytes) return FlushCause::kBytes;
  if (!holds()) return FlushCause::kAge;  // a continuous feed: due as soon as it is polled
  if (policy_.max_age_ms > 0 && now_ms >= held.oldest_ms() + policy_.max_age_ms) {
    return FlushCause::kAge;
  }
  if (NextSlotMs(held.oldest_ms()) <= now_ms) return FlushCause::kSchedule;
  if (const auto deadline = held.earliest_deadline()) {
    const int margin = policy_.deadline_margin_working_days;
    const int32_t today = ShanghaiDay(now_ms);
    const int64_t regular = RegularFlushMs(held);
    // Waiting for the regular flush must leave `margin` working days before the deadline; a
    // record that already has no more than that left goes now.
    if (SlackWorkingDays(today, *deadline) <= margin) return FlushCause::kDeadline;
    if (regular == kNever || SlackWorkingDays(ShanghaiDay(regular), *deadline) < margin) {
      return FlushCause::kDeadline;
    }
  }
  return FlushCause::kNone;
}

void Batcher::AddRisk(const HeldRecords& held, int64_t now_ms, DeadlineRisk& risk) const {
  const auto deadline = held.earliest_deadline();
  if (!deadline) return;
  const int32_t today = ShanghaiDay(now_ms);
  // "Within 1 working day": due today, or on the next working day (whatever lies between).
  const int32_t horizon = calendar_.AddWorkingDays(today, 1, region_index_).day;
  risk.at_risk += held.DueBy(horizon);
  const int slack = SlackWorkingDays(today, *deadline);
  if (!risk.oldest_slack_working_days || slack < *risk.oldest_slack_working_days) {
    risk.oldest_slack_working_days = slack;
  }
}

}  // namespace gongshi
