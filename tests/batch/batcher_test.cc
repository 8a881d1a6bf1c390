// Tests of the Batcher: schedule parsing, when a held batch is due (limits, age, schedule slots,
// deadline urgency across holidays) and the deadline risk of what is held. Dates are 2025, whose
// State Council notice is loaded ($GONGSHI_DATA_DIR); weekdays and holidays checked by hand:
// 2025-11-17 is a Monday; National Day 2025 is off 10-01..10-08, Sunday 09-28 is worked.
#include "pipeline/batch/batcher.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "pipeline/common/civil_date.h"

namespace gongshi {
namespace {

const WorkingCalendar& Calendar() {
  static const WorkingCalendar* calendar = [] {
    const char* root = std::getenv("GONGSHI_DATA_DIR");
    if (root == nullptr) std::abort();
    auto loaded = WorkingCalendar::Load(std::string(root) + "/pipeline/calendar/holidays");
    if (!loaded) std::abort();
    return new WorkingCalendar(std::move(*loaded));
  }();
  return *calendar;
}

// Unix milliseconds of a Shanghai wall-clock time.
int64_t At(const char* date, int hour, int minute = 0) {
  const int32_t day = *ParseDate(date);
  return (static_cast<int64_t>(day) * 86400 + hour * 3600 + minute * 60 - 8 * 3600) * 1000;
}

int32_t Day(const char* date) { return *ParseDate(date); }

BatchPolicy TuesdayAndFriday() {
  BatchPolicy policy;
  policy.schedule = *ParseScheduleEntry("tue,fri 10:00");
  return policy;
}

HeldRecords Holding(int64_t since_ms, std::vector<int32_t> deadlines, uint64_t bytes = 1000) {
  HeldRecords held;
  held.Add(deadlines.empty() ? 1 : deadlines.size(), bytes, since_ms, deadlines);
  return held;
}

TEST(ScheduleTest, ParsesDaysAndTime) {
  auto slots = ParseScheduleEntry("tue,fri 10:00");
  ASSERT_TRUE(slots) << slots.error().message();
  EXPECT_EQ(*slots, (std::vector<ScheduleSlot>{{1, 600}, {4, 600}}));
  EXPECT_EQ(ParseScheduleEntry("weekdays 17:30")->size(), 5u);
  EXPECT_EQ(ParseScheduleEntry("daily 00:00")->size(), 7u);
  EXPECT_EQ(ParseScheduleEntry("sun  23:59")->front(), (ScheduleSlot{6, 23 * 60 + 59}));
}

TEST(ScheduleTest, MistakesAreNamed) {
  for (const char* bad : {"tue 25:00", "tue 10:60", "tue 1000", "10:00", "tue, 10:00",
                          "tuesday 10:00", "tue,fri 9:00"}) {
    auto slots = ParseScheduleEntry(bad);
    ASSERT_FALSE(slots) << bad;
    EXPECT_NE(slots.error().message().find(bad), std::string::npos) << slots.error().message();
  }
}

TEST(BatcherTest, NextSlotIsStrictlyLater) {
  Batcher batcher(TuesdayAndFriday(), Calendar(), -1);
  EXPECT_EQ(batcher.NextSlotMs(At("2025-11-17", 9)), At("2025-11-18", 10));
  EXPECT_EQ(batcher.NextSlotMs(At("2025-11-18", 10)), At("2025-11-21", 10));
  EXPECT_EQ(batcher.NextSlotMs(At("2025-11-21", 10, 30)), At("2025-11-25", 10));
  Batcher continuous(BatchPolicy{}, Calendar(), -1);
  EXPECT_EQ(continuous.NextSlotMs(At("2025-11-17", 9)), std::numeric_limits<int64_t>::max());
}

TEST(BatcherTest, ContinuousFeedIsDueAtOnce) {
  Batcher batcher(BatchPolicy{}, Calendar(), -1);
  EXPECT_FALSE(batcher.holds());
  EXPECT_EQ(batcher.Due(HeldRecords{}, At("2025-11-17", 9)), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(Holding(At("2025-11-17", 9), {Day("2025-11-26")}), At("2025-11-17", 9)),
            FlushCause::kAge);
}

TEST(BatcherTest, LimitsComeFirst) {
  BatchPolicy policy = TuesdayAndFriday();
  policy.max_records = 3;
  policy.max_bytes = 5000;
  Batcher batcher(policy, Calendar(), -1);
  const int64_t monday = At("2025-11-17", 9);
  const int32_t far = Day("2025-12-31");
  EXPECT_EQ(batcher.Due(Holding(monday, {far, far}), monday), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(Holding(monday, {far, far, far}), monday), FlushCause::kCount);
  EXPECT_EQ(batcher.Due(Holding(monday, {far}, 5000), monday), FlushCause::kBytes);
}

TEST(BatcherTest, AgeLimit) {
  BatchPolicy policy;
  policy.max_age_ms = 3600 * 1000;
  Batcher batcher(policy, Calendar(), -1);
  const HeldRecords held = Holding(At("2025-11-17", 9), {Day("2025-11-26")});
  EXPECT_EQ(batcher.Due(held, At("2025-11-17", 9, 59)), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(held, At("2025-11-17", 10)), FlushCause::kAge);
}

TEST(BatcherTest, ScheduleSlotAfterTheOldestRecord) {
  Batcher batcher(TuesdayAndFriday(), Calendar(), -1);
  // Received Monday 09:00, deadline nine days on: waits for Tuesday 10:00.
  const HeldRecords held = Holding(At("2025-11-17", 9), {Day("2025-11-26")});
  EXPECT_EQ(batcher.Due(held, At("2025-11-17", 23)), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(held, At("2025-11-18", 9, 59)), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(held, At("2025-11-18", 10)), FlushCause::kSchedule);
  EXPECT_EQ(batcher.RegularFlushMs(held), At("2025-11-18", 10));
}

TEST(BatcherTest, UrgentRecordGoesBeforeTheSlot) {
  Batcher batcher(TuesdayAndFriday(), Calendar(), -1);
  const int64_t wednesday = At("2025-11-19", 11);
  // Deadline Friday: the Friday 10:00 slot would leave 0 working days, fewer than the margin of 1.
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-21")}), wednesday), FlushCause::kDeadline);
  // Deadline the next Monday: Friday's slot leaves 1 working day, so it waits.
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-24")}), wednesday), FlushCause::kNone);
  // One urgent record among relaxed ones is enough.
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-28"), Day("2025-11-21")}), wednesday),
            FlushCause::kDeadline);
  // Already late (deadline passed): at once.
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-14")}), wednesday), FlushCause::kDeadline);
}

TEST(BatcherTest, RecordWithOnlyTheMarginLeftGoesNowEvenBeforeASlotThatDay) {
  BatchPolicy policy;
  policy.schedule = *ParseScheduleEntry("mon 10:00");
  Batcher batcher(policy, Calendar(), -1);
  // Monday 09:00, deadline Tuesday: the 10:00 slot would still leave 1 working day, but the
  // record has no more than the margin left now, so it does not wait.
  const int64_t monday = At("2025-11-17", 9);
  EXPECT_EQ(batcher.Due(Holding(monday, {Day("2025-11-18")}), monday), FlushCause::kDeadline);
  EXPECT_EQ(batcher.Due(Holding(monday, {Day("2025-11-19")}), monday), FlushCause::kNone);
}

TEST(BatcherTest, MarginZeroWaitsForASlotOnTheDeadlineDay) {
  BatchPolicy policy = TuesdayAndFriday();
  policy.deadline_margin_working_days = 0;
  Batcher batcher(policy, Calendar(), -1);
  const int64_t wednesday = At("2025-11-19", 11);
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-21")}), wednesday), FlushCause::kNone);
  EXPECT_EQ(batcher.Due(Holding(wednesday, {Day("2025-11-20")}), wednesday), FlushCause::kDeadline);
}

TEST(BatcherTest, UrgencyCountsWorkingDaysAcrossNationalDay) {
  Batcher batcher(TuesdayAndFriday(), Calendar(), -1);
  // Tuesday 2025-09-30 after the slot, deadline Thursday 10-09: nine calendar days away but only
  // one working day (10-01..10-08 are off), so it goes now.
  const int64_t tuesday = At("2025-09-30", 11);
  EXPECT_EQ(batcher.Due(Holding(tuesday, {Day("2025-10-09")}), tuesday), FlushCause::kDeadline);
  // Friday 2025-09-26 after the slot, deadline 10-10: Sunday 09-28 is worked, so the Tuesday
  // 09-30 slot leaves 2 working days (10-09, 10-10): it waits for the slot.
  const int64_t friday = At("2025-09-26", 11);
  EXPECT_EQ(batcher.Due(Holding(friday, {Day("2025-10-10")}), friday), FlushCause::kNone);
}

TEST(BatcherTest, RiskCountsDeadlinesWithinOneWorkingDay) {
  Batcher batcher(TuesdayAndFriday(), Calendar(), -1);
  const int64_t friday = At("2025-11-21", 12);
  DeadlineRisk risk;
  // Due today (Friday) and on Monday (the next working day) are at risk; Tuesday is not.
  batcher.AddRisk(Holding(friday, {Day("2025-11-21"), Day("2025-11-24"), Day("2025-11-25")}),
                  friday, risk);
  EXPECT_EQ(risk.at_risk, 2u);
  ASSERT_TRUE(risk.oldest_slack_working_days);
  EXPECT_EQ(*risk.oldest_slack_working_days, 0);
  // The next Monday the Friday deadline is one working day behind; totals add up over partitions.
  batcher.AddRisk(Holding(friday, {Day("2025-11-21")}), At("2025-11-24", 9), risk);
  EXPECT_EQ(risk.at_risk, 3u);
  EXPECT_EQ(*risk.oldest_slack_working_days, -1);
  DeadlineRisk none;
  batcher.AddRisk(HeldRecords{}, friday, none);
  EXPECT_EQ(none.at_risk, 0u);
  EXPECT_FALSE(none.oldest_slack_working_days);
}

TEST(BatcherTest, ShanghaiDayTurnsAtMidnightUtcPlus8) {
  EXPECT_EQ(ShanghaiDay(At("2025-11-17", 0)), Day("2025-11-17"));
  EXPECT_EQ(ShanghaiDay(At("2025-11-17", 23, 59)), Day("2025-11-17"));
  EXPECT_EQ(ShanghaiDay(At("2025-11-17", 0) - 1), Day("2025-11-16"));
}

}  // namespace
}  // namespace gongshi
