// Cost of the per-record calendar calls (deadline, working-day test, latency) on the real
// holiday data; each record pays one AddWorkingDays and one WorkingDaysBetween.
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include <benchmark/benchmark.h>

#include "pipeline/calendar/calendar.h"

namespace gongshi {
namespace {

const WorkingCalendar* Calendar() {
  static const std::optional<WorkingCalendar> calendar = []() -> std::optional<WorkingCalendar> {
    const char* root = std::getenv("GONGSHI_DATA_DIR");
    if (root == nullptr) return std::nullopt;
    Result<WorkingCalendar> loaded =
        WorkingCalendar::Load(std::string(root) + "/pipeline/calendar/holidays");
    if (!loaded) return std::nullopt;
    return std::move(*loaded);
  }();
  return calendar ? &*calendar : nullptr;
}

// Decision dates cycle over 2024-2025, so the holiday weeks are hit in proportion.
constexpr int32_t kFirstDecision = DaysFromCivil(2024, 1, 1);
constexpr int32_t kDecisionSpan = 731;

void BM_AddWorkingDays(benchmark::State& state) {
  const WorkingCalendar* calendar = Calendar();
  if (calendar == nullptr) {
    state.SkipWithError("GONGSHI_DATA_DIR unset or holiday data failed to load");
    return;
  }
  const int region = state.range(0) == 0 ? -1 : calendar->RegionIndex("guangxi");
  int32_t offset = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar->AddWorkingDays(kFirstDecision + offset, 7, region));
    offset = offset + 1 == kDecisionSpan ? 0 : offset + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddWorkingDays)->Arg(0)->Arg(1)->ArgName("guangxi");

void BM_WorkingDaysBetween(benchmark::State& state) {
  const WorkingCalendar* calendar = Calendar();
  if (calendar == nullptr) {
    state.SkipWithError("GONGSHI_DATA_DIR unset or holiday data failed to load");
    return;
  }
  int32_t offset = 0;
  for (auto _ : state) {
    // Latency of a record that arrived 40 days after its decision.
    benchmark::DoNotOptimize(
        calendar->WorkingDaysBetween(kFirstDecision + offset, kFirstDecision + offset + 40, -1));
    offset = offset + 1 == kDecisionSpan ? 0 : offset + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkingDaysBetween);

}  // namespace
}  // namespace gongshi

BENCHMARK_MAIN();
