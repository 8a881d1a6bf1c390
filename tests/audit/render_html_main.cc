// Writes a small, fixed audit report page for render_html_test.sh to open in a headless browser.
// The figures the script looks for are worked out in the comments below.
#include <cstdio>
#include <fstream>
#include <string>

#include "pipeline/audit/audit_report.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/record/reject_reason.h"

namespace {

gongshi::AuditEvent Event(const char* uscc, const char* name, int32_t decision_day) {
  gongshi::AuditEvent event;
  event.authority_uscc = uscc;
  event.authority_name = name;
  event.kind = gongshi::RecordKind::kPenalty;
  event.decision_day = decision_day;
  event.arrival_day = decision_day + 1;
  return event;
}

gongshi::AuditEvent Published(gongshi::AuditEvent event, gongshi::Lateness lateness,
                              int32_t latency) {
  event.outcome = gongshi::Outcome::kPublished;
  event.lateness = lateness;
  event.latency_working_days = latency;
  event.published_day = event.arrival_day + 1;
  return event;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.html\n", argv[0]);
    return 2;
  }
  using gongshi::Lateness;
  const int32_t march = gongshi::DaysFromCivil(2024, 3, 12);
  const int32_t april = gongshi::DaysFromCivil(2024, 4, 2);
  const char* kBing = "11330100000000001X";
  const char* kDing = "11330200000000002Y";
  gongshi::AuditReport report({.from_day = gongshi::DaysFromCivil(2024, 3, 1),
                               .to_day = gongshi::DaysFromCivil(2024, 4, 30)});
  report.set_generated_for("浙江省 丙市 (browser test)");
  // 丙 in 2024-03: 42 received, 40 published: 37 on time, 2 source-late, 1 pipeline-late, 2
  // rejected -> 合规率 95.24%, 及时率 92.50%, 迟报率 7.50%.
  for (int i = 0; i < 37; ++i) {
    report.Add(Published(Event(kBing, "丙市市场监督管理局", march), Lateness::kOnTime, 1 + i % 6));
  }
  report.Add(Published(Event(kBing, "丙市市场监督管理局", march), Lateness::kSourceLate, 9));
  report.Add(Published(Event(kBing, "丙市市场监督管理局", march), Lateness::kSourceLate, 12));
  report.Add(Published(Event(kBing, "丙市市场监督管理局", march), Lateness::kPipelineLate, 8));
  for (int i = 0; i < 2; ++i) {
    gongshi::AuditEvent rejected = Event(kBing, "丙市市场监督管理局", march);
    rejected.outcome = gongshi::Outcome::kRejected;
    rejected.reason = static_cast<uint8_t>(gongshi::RejectReason::kUsccChecksum);
    report.Add(rejected);
  }
  // 丁, whose name tries to inject a script, in 2024-04: 4 on time. Totals: 46 received, 44
  // published, 41 on time -> 合规率 95.65%, 及时率 93.18%, 迟报率 6.82%.
  for (int i = 0; i < 4; ++i) {
    report.Add(
        Published(Event(kDing, "<script>document.title='pwned'</script>丁区交通运输局", april),
                  Lateness::kOnTime, 2));
  }
  // Outside the filter: must not be counted.
  report.Add(Published(Event(kBing, "丙市市场监督管理局", gongshi::DaysFromCivil(2024, 5, 6)),
                       Lateness::kPipelineLate, 30));

  std::ofstream out(argv[1], std::ios::binary);
  out << report.Html();
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
