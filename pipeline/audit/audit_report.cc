// AuditReport: aggregation of the ledger's AuditEvents per authority and month, and the CSV, JSON
// and HTML renderings auditors read. Renderers only ever see the aggregated rows.
#include "pipeline/audit/audit_report.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/common/json_out.h"
#include "pipeline/common/utf8.h"
#include "pipeline/record/reject_reason.h"

namespace gongshi {

namespace {

// The ledger stores the reason as a byte; a value from a newer build must not index past the table.
std::string RejectCode(uint8_t reason) {
  if (reason <= AllRejectReasons().size()) {
    return std::string(RejectReasonCode(static_cast<RejectReason>(reason)));
  }
  return fmt::format("unknown_{}", reason);
}

constexpr WithholdReason kWithholdReasons[] = {
    WithholdReason::kMinor, WithholdReason::kConfidential, WithholdReason::kWarningOnly,
    WithholdReason::kPeriodEnded};

std::string WithholdCode(uint8_t reason) {
  if (reason <= static_cast<uint8_t>(WithholdReason::kPeriodEnded)) {
    return std::string(WithholdReasonCode(static_cast<WithholdReason>(reason)));
  }
  return fmt::format("unknown_{}", reason);
}

std::string MonthLabel(int32_t month) {
  if (month == INT32_MAX) return "unknown";
  const int year = month >= 0 ? month / 12 : (month - 11) / 12;
  return fmt::format("{:04d}-{:02d}", year, month - year * 12 + 1);
}

// Value at 1-based `rank` of a sorted histogram.
double ValueAtRank(const std::vector<std::pair<int32_t, uint64_t>>& histogram, uint64_t rank) {
  uint64_t seen = 0;
  for (const auto& [value, count] : histogram) {
    seen += count;
    if (seen >= rank) return value;
  }
  return histogram.empty() ? 0 : histogram.back().first;
}

void SetLatencies(const std::vector<std::pair<int32_t, uint64_t>>& histogram, AuditRow& row) {
  uint64_t n = 0;
  for (const auto& entry : histogram) n += entry.second;
  row.latency_samples = n;
  if (n == 0) return;  // stays NaN
  row.median_latency_working_days =
      n % 2 == 1 ? ValueAtRank(histogram, (n + 1) / 2)
                 : (ValueAtRank(histogram, n / 2) + ValueAtRank(histogram, n / 2 + 1)) / 2;
  // Nearest rank: the smallest value with at least 95% of the samples at or below it.
  row.p95_latency_working_days = ValueAtRank(histogram, (95 * n + 99) / 100);
}

std::optional<double> Ratio(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Replaces bytes that are not UTF-8 with U+FFFD: an authority name is source data, and one bad
// byte must not make the JSON unparsable or the CSV unreadable.
std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    uint32_t code = length == 0 ? 0 : c & (0x7F >> length);
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    valid = valid && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// ---- CSV ----

std::string CsvCell(std::string_view text) {
  std::string value = ValidUtf8(text);
  // OWASP CSV injection: a leading = + - @ (or tab/CR, which some spreadsheets strip first)
  // makes the cell a formula.
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                         value[0] == '\t' || value[0] == '\r')) {
    value.insert(0, 1, '\'');
  }
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string FormatRate(std::optional<double> rate, int decimals) {
  return rate ? fmt::format("{:.{}f}", *rate, decimals) : std::string();
}

std::string FormatLatency(double value) {
  return std::isnan(value) ? std::string() : fmt::format("{}", value);
}

// ---- JSON ----

void JsonString(std::string_view text, std::string& out) {
  AppendJsonString(out, ValidUtf8(text));  // names from a reject may not be valid UTF-8
}

void JsonNumber(std::optional<double> value, std::string& out) {
  if (!value || std::isnan(*value)) {
    out += "null";
  } else {
    out += fmt::format("{}", *value);
  }
}

void JsonCounts(const std::map<std::string, uint64_t>& counts, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [code, count] : counts) {
    if (!first) out += ',';
    first = false;
    JsonString(code, out);
    out += fmt::format(":{}", count);
  }
  out += '}';
}

void JsonRow(const AuditRow& row, bool with_authority, std::string& out) {
  out += '{';
  if (with_authority) {
    out += "\"month\":";
    JsonString(row.month, out);
    out += ",\"authority_uscc\":";
    JsonString(row.authority_uscc, out);
    out += ",\"authority_name\":";
    JsonString(row.authority_name, out);
    out += ',';
  }
  out += fmt::format(
      "\"received\":{},\"published\":{},\"on_time\":{},\"source_late\":{},\"pipeline_late\":{},"
      "\"latency_samples\":{},",
      row.received, row.published, row.on_time, row.source_late, row.pipeline_late,
      row.latency_samples);
  out += "\"median_latency_working_days\":";
  JsonNumber(row.median_latency_working_days, out);
  out += ",\"p95_latency_working_days\":";
  JsonNumber(row.p95_latency_working_days, out);
  out += fmt::format(",\"withheld\":{},\"withheld_by_reason\":", row.withheld());
  JsonCounts(row.withheld_by_reason, out);
  out += fmt::format(",\"rejected\":{},\"rejected_by_reason\":", row.rejected());
  JsonCounts(row.rejected_by_reason, out);
  out += fmt::format(",\"withdrawals\":{},\"provisional_deadlines\":{}", row.withdrawals,
                     row.provisional_deadlines);
  out += ",\"compliance_rate\":";
  JsonNumber(ComplianceRate(row), out);
  out += ",\"timeliness_rate\":";
  JsonNumber(TimelinessRate(row), out);
  out += ",\"late_rate\":";
  JsonNumber(LateRate(row), out);
  out += '}';
}

// ---- HTML ----

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : ValidUtf8(text)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Percent(std::optional<double> rate) {
  return rate ? fmt::format("{:.2f}%", *rate * 100) : std::string("—");
}

std::string HtmlLatency(double value) {
  return std::isnan(value) ? std::string("—") : fmt::format("{}", value);
}

// At most `max_chars` code points, with an ellipsis: long agency names would run out of a chart's
// label column. The full name is in the bar's <title> and in the table.
std::string Truncate(const std::string& text, size_t max_chars) {
  const size_t bytes = Utf8PrefixBytes(text, max_chars);
  return bytes == text.size() ? text : text.substr(0, bytes) + "…";
}

std::string DisplayName(const AuditRow& row) {
  if (!row.authority_name.empty()) return row.authority_name;
  if (!row.authority_uscc.empty()) return row.authority_uscc;
  return "未知机关 / unknown authority";
}

// A round axis maximum: four grid steps of 1, 2 or 5 times a power of ten, so that every grid
// line's label is exact.
uint64_t NiceCeiling(uint64_t value) {
  uint64_t power = 1;
  while (true) {
    for (uint64_t step : {1, 2, 5}) {
      if (4 * step * power >= value) return 4 * step * power;
    }
    power *= 10;
  }
}

constexpr const char* kOnTimeColour = "#2e7d32";
constexpr const char* kSourceLateColour = "#f9a825";
constexpr const char* kPipelineLateColour = "#c62828";
constexpr const char* kLatencyColour = "#1565c0";

// Horizontal grid lines with their values for a chart area [top, top + height) scaled to `max`.
void YAxis(std::string& out, int left, int top, int width, int height, uint64_t max) {
  for (int tick = 0; tick <= 4; ++tick) {
    const double y = top + height - height * tick / 4.0;
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
        left, y, left + width, y, left - 4, y + 4, max * tick / 4);
  }
}

struct MonthBar {
  std::string month;
  uint64_t on_time = 0, source_late = 0, pipeline_late = 0;
};

void MonthlyChart(const std::vector<AuditRow>& rows, std::string& out) {
  std::vector<MonthBar> bars;
  for (const AuditRow& row : rows) {  // sorted by month
    if (bars.empty() || bars.back().month != row.month) bars.push_back({row.month});
    bars.back().on_time += row.on_time;
    bars.back().source_late += row.source_late;
    bars.back().pipeline_late += row.pipeline_late;
  }
  uint64_t max = 0;
  for (const MonthBar& bar : bars) {
    max = std::max(max, bar.on_time + bar.source_late + bar.pipeline_late);
  }
  max = NiceCeiling(max);
  constexpr int kLeft = 60, kTop = 30, kHeight = 200, kSlot = 44;
  const int width = std::max(560, kLeft + 20 + kSlot * static_cast<int>(bars.size()));
  const int plot_width = width - kLeft - 20;
  out += fmt::format(
      "<svg id=\"chart-monthly\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"按月公示时效 publications by month\">",
      width, kTop + kHeight + 60, width, kTop + kHeight + 60);
  out += fmt::format(
      "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>"
      "<text x=\"{}\" y=\"16\" font-size=\"12\">按时 on time</text>"
      "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>"
      "<text x=\"{}\" y=\"16\" font-size=\"12\">源头迟报 source-late</text>"
      "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>"
      "<text x=\"{}\" y=\"16\" font-size=\"12\">系统迟报 pipeline-late</text>",
      kLeft, kOnTimeColour, kLeft + 16, kLeft + 110, kSourceLateColour, kLeft + 126, kLeft + 270,
      kPipelineLateColour, kLeft + 286);
  YAxis(out, kLeft, kTop, plot_width, kHeight, max);
  if (bars.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\">无数据 / no data</text>",
                       kLeft + 20, kTop + kHeight / 2);
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const MonthBar& bar = bars[i];
    const int x = kLeft + 8 + kSlot * static_cast<int>(i);
    double y = kTop + kHeight;
    const std::pair<uint64_t, const char*> segments[] = {{bar.on_time, kOnTimeColour},
                                                         {bar.source_late, kSourceLateColour},
                                                         {bar.pipeline_late, kPipelineLateColour}};
    const char* names[] = {"按时 on time", "源头迟报 source-late", "系统迟报 pipeline-late"};
    for (size_t s = 0; s < 3; ++s) {
      if (segments[s].first == 0) continue;
      const double h = kHeight * static_cast<double>(segments[s].first) / max;
      y -= h;
      out += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{:.2f}\" width=\"{}\" height=\"{:.2f}\" fill=\"{}\">"
          "<title>{} {}: {}</title></rect>",
          x, y, kSlot - 14, h, segments[s].second, HtmlEscape(bar.month), names[s],
          segments[s].first);
    }
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" "
        "transform=\"rotate(-45 {} {})\">{}</text>",
        x + (kSlot - 14) / 2, kTop + kHeight + 14, x + (kSlot - 14) / 2, kTop + kHeight + 14,
        HtmlEscape(bar.month));
  }
  out += "</svg>";
}

void LatencyChart(const std::map<int32_t, uint64_t>& histogram, std::string& out) {
  // One bar per working day up to 30; the long tail (backfills) shares one last bar.
  constexpr int kMaxBucket = 30;
  std::vector<uint64_t> buckets;
  for (const auto& [days, count] : histogram) {
    const size_t bucket = static_cast<size_t>(std::min(days, kMaxBucket + 1));
    if (buckets.size() <= bucket) buckets.resize(bucket + 1);
    buckets[bucket] += count;
  }
  if (buckets.size() < 11) buckets.resize(11);  // at least 0..10, so a chart is never one bar
  uint64_t max = 0;
  for (uint64_t count : buckets) max = std::max(max, count);
  max = NiceCeiling(max);
  constexpr int kLeft = 60, kTop = 20, kHeight = 180, kSlot = 18;
  const int width = std::max(560, kLeft + 20 + kSlot * static_cast<int>(buckets.size()));
  out += fmt::format(
      "<svg id=\"chart-latency\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"时延分布 latency distribution\">",
      width, kTop + kHeight + 44, width, kTop + kHeight + 44);
  YAxis(out, kLeft, kTop, width - kLeft - 20, kHeight, max);
  if (histogram.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\">无数据 / no data</text>",
                       kLeft + 20, kTop + kHeight / 2);
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    const int x = kLeft + 4 + kSlot * static_cast<int>(i);
    const std::string label =
        static_cast<int>(i) > kMaxBucket ? fmt::format(">{}", kMaxBucket) : fmt::format("{}", i);
    if (buckets[i] > 0) {
      const double h = kHeight * static_cast<double>(buckets[i]) / max;
      out += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{:.2f}\" width=\"{}\" height=\"{:.2f}\" fill=\"{}\">"
          "<title>{} 个工作日 working days: {}</title></rect>",
          x, kTop + kHeight - h, kSlot - 4, h, kLatencyColour, HtmlEscape(label), buckets[i]);
    }
    if (i % 5 == 0 || static_cast<int>(i) > kMaxBucket) {
      out +=
          fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                      x + (kSlot - 4) / 2, kTop + kHeight + 14, HtmlEscape(label));
    }
  }
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">"
      "决定至公示的工作日数 working days from decision to publication</text>",
      width / 2, kTop + kHeight + 36);
  out += "</svg>";
}

void TopLateChart(const std::vector<AuditRow>& rows, std::string& out) {
  std::map<std::string, AuditRow> by_authority;
  for (const AuditRow& row : rows) {
    AuditRow& total = by_authority[row.authority_uscc];
    total.authority_uscc = row.authority_uscc;
    if (!row.authority_name.empty()) total.authority_name = row.authority_name;
    total.published += row.published;
    total.source_late += row.source_late;
    total.pipeline_late += row.pipeline_late;
  }
  std::vector<AuditRow> late;
  for (auto& [uscc, row] : by_authority) {
    if (row.source_late + row.pipeline_late > 0) late.push_back(std::move(row));
  }
  // Pipeline-late first: those are the pipeline's own failures, which should be zero.
  std::sort(late.begin(), late.end(), [](const AuditRow& a, const AuditRow& b) {
    if (a.pipeline_late != b.pipeline_late) return a.pipeline_late > b.pipeline_late;
    const uint64_t a_late = a.source_late + a.pipeline_late;
    const uint64_t b_late = b.source_late + b.pipeline_late;
    if (a_late != b_late) return a_late > b_late;
    return a.authority_uscc < b.authority_uscc;
  });
  if (late.size() > 10) late.resize(10);
  uint64_t max = 0;
  for (const AuditRow& row : late) max = std::max(max, row.source_late + row.pipeline_late);
  max = NiceCeiling(max);
  constexpr int kLabel = 250, kTop = 26, kRow = 24, kPlot = 360;
  const int height = kTop + kRow * std::max<int>(1, static_cast<int>(late.size())) + 10;
  out += fmt::format(
      "<svg id=\"chart-top-late\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"迟报最多的机关 authorities with the most late publications\">",
      kLabel + kPlot + 140, height, kLabel + kPlot + 140, height);
  out += fmt::format(
      "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>"
      "<text x=\"{}\" y=\"16\" font-size=\"12\">系统迟报 pipeline-late</text>"
      "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{}\"/>"
      "<text x=\"{}\" y=\"16\" font-size=\"12\">源头迟报 source-late</text>",
      kLabel, kPipelineLateColour, kLabel + 16, kLabel + 160, kSourceLateColour, kLabel + 176);
  if (late.empty()) {
    out += fmt::format(
        "<text x=\"10\" y=\"{}\" font-size=\"14\">没有迟报 / no late publications</text>",
        kTop + 16);
  }
  for (size_t i = 0; i < late.size(); ++i) {
    const AuditRow& row = late[i];
    const int y = kTop + kRow * static_cast<int>(i);
    const std::string name = DisplayName(row);
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}<title>{} {}</title>"
        "</text>",
        kLabel - 6, y + 15, HtmlEscape(Truncate(name, 18)), HtmlEscape(name),
        HtmlEscape(row.authority_uscc));
    double x = kLabel;
    const std::pair<uint64_t, const char*> segments[] = {{row.pipeline_late, kPipelineLateColour},
                                                         {row.source_late, kSourceLateColour}};
    const char* names[] = {"系统迟报 pipeline-late", "源头迟报 source-late"};
    for (size_t s = 0; s < 2; ++s) {
      if (segments[s].first == 0) continue;
      const double w = kPlot * static_cast<double>(segments[s].first) / max;
      out += fmt::format(
          "<rect class=\"bar\" x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\">"
          "<title>{} {}: {}</title></rect>",
          x, y + 3, w, kRow - 6, segments[s].second, HtmlEscape(name), names[s], segments[s].first);
      x += w;
    }
    out +=
        fmt::format("<text x=\"{:.2f}\" y=\"{}\" font-size=\"12\">{} ({} 迟报率 late rate)</text>",
                    x + 6, y + 15, row.source_late + row.pipeline_late, Percent(LateRate(row)));
  }
  out += "</svg>";
}

std::string ReasonList(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [code, count] : counts) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} {}", HtmlEscape(code), count);
  }
  return out;
}

void TableRow(const AuditRow& row, bool totals, std::string& out) {
  out += totals ? "<tr class=\"totals\">" : "<tr>";
  if (totals) {
    out += "<th colspan=\"2\">合计 Total</th>";
  } else {
    out += fmt::format("<td>{}</td><td>{}<br><span class=\"uscc\">{}</span></td>",
                       HtmlEscape(row.month), HtmlEscape(DisplayName(row)),
                       HtmlEscape(row.authority_uscc));
  }
  const auto number = [&out](uint64_t value, bool bad = false) {
    out += fmt::format("<td class=\"num{}\">{}</td>", bad ? " bad" : "", value);
  };
  number(row.received);
  number(row.published);
  number(row.on_time);
  number(row.source_late);
  number(row.pipeline_late, row.pipeline_late > 0);
  out += fmt::format("<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                     Percent(ComplianceRate(row)), Percent(TimelinessRate(row)),
                     Percent(LateRate(row)));
  out += fmt::format("<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                     HtmlLatency(row.median_latency_working_days),
                     HtmlLatency(row.p95_latency_working_days));
  out += fmt::format("<td class=\"num\">{}<br><span class=\"reasons\">{}</span></td>",
                     row.withheld(), ReasonList(row.withheld_by_reason));
  out += fmt::format("<td class=\"num\">{}<br><span class=\"reasons\">{}</span></td>",
                     row.rejected(), ReasonList(row.rejected_by_reason));
  number(row.withdrawals);
  number(row.provisional_deadlines);
  out += "</tr>\n";
}

constexpr std::string_view kStyle = R"(
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin-bottom:4px}
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
.sub{color:#555;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ccc;border-radius:4px;padding:8px 14px;min-width:120px}
.card .value{font-size:20px;font-weight:bold}
.card .label{font-size:12px;color:#555}
.bad{color:#c62828;font-weight:bold}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f2f2f2}
td.num{text-align:right}
tr.totals td,tr.totals th{background:#f7f7f7;font-weight:bold}
.uscc,.reasons{font-size:11px;color:#666}
dt{font-weight:bold;margin-top:8px}
svg{display:block;margin:8px 0}
)";

}  // namespace

uint64_t AuditRow::withheld() const {
  uint64_t total = 0;
  for (const auto& entry : withheld_by_reason) total += entry.second;
  return total;
}

uint64_t AuditRow::rejected() const {
  uint64_t total = 0;
  for (const auto& entry : rejected_by_reason) total += entry.second;
  return total;
}

std::optional<double> ComplianceRate(const AuditRow& row) {
  const uint64_t rejected = std::min(row.rejected(), row.received);
  return Ratio(row.received - rejected, row.received);
}

std::optional<double> TimelinessRate(const AuditRow& row) {
  return Ratio(row.on_time, row.published);
}

std::optional<double> LateRate(const AuditRow& row) {
  return Ratio(row.source_late + row.pipeline_late, row.published);
}

AuditReport::AuditReport(AuditFilter filter) : filter_(filter) {}

void AuditReport::Add(const AuditEvent& event) {
  // A duplicate is the same decision read again: counting it would inflate every denominator.
  if (event.outcome == Outcome::kDuplicate) return;
  const int32_t day = event.decision_day != 0 ? event.decision_day : event.arrival_day;
  if (day == 0) {
    if (filter_.from_day != 0 || filter_.to_day != 0) return;
  } else if ((filter_.from_day != 0 && day < filter_.from_day) ||
             (filter_.to_day != 0 && day > filter_.to_day)) {
    return;
  }
  int32_t month = kUnknownMonth;
  if (day != 0) {
    const CivilDate date = CivilFromDays(day);
    month = date.year * 12 + date.month - 1;
  }

  auto found = authority_index_.find(std::string_view(event.authority_uscc));
  if (found == authority_index_.end()) {
    found =
        authority_index_.emplace(event.authority_uscc, static_cast<uint32_t>(authorities_.size()))
            .first;
    authorities_.push_back({event.authority_uscc, {}});
  }
  const uint32_t authority = found->second;
  if (!event.authority_name.empty() && authorities_[authority].name != event.authority_name) {
    authorities_[authority].name = event.authority_name;
  }

  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(month)) << 32) | authority;
  Accumulator& row = rows_[key];
  row.authority = authority;
  row.month = month;
  ++row.received;
  if (event.deadline_provisional) ++row.provisional_deadlines;
  switch (event.outcome) {
    case Outcome::kPublished:
    case Outcome::kUpdated:
      ++row.published;
      switch (event.lateness) {
        case Lateness::kOnTime: ++row.on_time; break;
        case Lateness::kSourceLate: ++row.source_late; break;
        case Lateness::kPipelineLate: ++row.pipeline_late; break;
        case Lateness::kNotPublished: break;
      }
      if (event.latency_working_days >= 0) {
        if (event.latency_working_days < kDenseLatencyDays) {
          const auto index = static_cast<size_t>(event.latency_working_days);
          if (row.dense_latency.size() <= index) row.dense_latency.resize(index + 1);
          ++row.dense_latency[index];
        } else {
          ++row.sparse_latency[event.latency_working_days];
        }
      }
      break;
    case Outcome::kWithdrawn: ++row.withdrawals; break;
    case Outcome::kWithheld: ++row.withheld[event.reason]; break;
    case Outcome::kRejected: ++row.rejected[event.reason]; break;
    case Outcome::kDuplicate:
    case Outcome::kPending: break;
  }
}

std::string AuditReport::generated_for() const {
  if (generated_for_) return *generated_for_;
  if (filter_.from_day == 0 && filter_.to_day == 0) return "all decision dates";
  if (filter_.to_day == 0) return "decision dates from " + FormatDate(filter_.from_day);
  if (filter_.from_day == 0) return "decision dates up to " + FormatDate(filter_.to_day);
  return "decision dates " + FormatDate(filter_.from_day) + " to " + FormatDate(filter_.to_day);
}

std::vector<const AuditReport::Accumulator*> AuditReport::Sorted() const {
  std::vector<const Accumulator*> sorted;
  sorted.reserve(rows_.size());
  for (const auto& entry : rows_) sorted.push_back(&entry.second);
  std::sort(sorted.begin(), sorted.end(), [this](const Accumulator* a, const Accumulator* b) {
    if (a->month != b->month) return a->month < b->month;
    return authorities_[a->authority].uscc < authorities_[b->authority].uscc;
  });
  return sorted;
}

AuditRow AuditReport::ToRow(const Accumulator& accumulator) const {
  AuditRow row;
  row.authority_uscc = authorities_[accumulator.authority].uscc;
  row.authority_name = authorities_[accumulator.authority].name;
  row.month = MonthLabel(accumulator.month);
  row.received = accumulator.received;
  row.published = accumulator.published;
  row.on_time = accumulator.on_time;
  row.source_late = accumulator.source_late;
  row.pipeline_late = accumulator.pipeline_late;
  row.withdrawals = accumulator.withdrawals;
  row.provisional_deadlines = accumulator.provisional_deadlines;
  for (const auto& [reason, count] : accumulator.withheld) {
    row.withheld_by_reason[WithholdCode(reason)] += count;
  }
  for (const auto& [reason, count] : accumulator.rejected) {
    row.rejected_by_reason[RejectCode(reason)] += count;
  }
  std::vector<std::pair<int32_t, uint64_t>> histogram;
  for (size_t days = 0; days < accumulator.dense_latency.size(); ++days) {
    if (accumulator.dense_latency[days] != 0) {
      histogram.emplace_back(static_cast<int32_t>(days), accumulator.dense_latency[days]);
    }
  }
  histogram.insert(histogram.end(), accumulator.sparse_latency.begin(),
                   accumulator.sparse_latency.end());
  SetLatencies(histogram, row);
  return row;
}

std::vector<AuditRow> AuditReport::Rows() const {
  std::vector<AuditRow> rows;
  rows.reserve(rows_.size());
  for (const Accumulator* accumulator : Sorted()) rows.push_back(ToRow(*accumulator));
  return rows;
}

std::map<int32_t, uint64_t> AuditReport::LatencyHistogram() const {
  std::map<int32_t, uint64_t> histogram;
  for (const auto& [key, row] : rows_) {
    for (size_t days = 0; days < row.dense_latency.size(); ++days) {
      if (row.dense_latency[days] != 0) {
        histogram[static_cast<int32_t>(days)] += row.dense_latency[days];
      }
    }
    for (const auto& [days, count] : row.sparse_latency) histogram[days] += count;
  }
  return histogram;
}

AuditRow AuditReport::Totals() const {
  AuditRow totals;
  for (const auto& [key, accumulator] : rows_) {
    totals.received += accumulator.received;
    totals.published += accumulator.published;
    totals.on_time += accumulator.on_time;
    totals.source_late += accumulator.source_late;
    totals.pipeline_late += accumulator.pipeline_late;
    totals.withdrawals += accumulator.withdrawals;
    totals.provisional_deadlines += accumulator.provisional_deadlines;
    for (const auto& [reason, count] : accumulator.withheld) {
      totals.withheld_by_reason[WithholdCode(reason)] += count;
    }
    for (const auto& [reason, count] : accumulator.rejected) {
      totals.rejected_by_reason[RejectCode(reason)] += count;
    }
  }
  const std::map<int32_t, uint64_t> histogram = LatencyHistogram();
  SetLatencies({histogram.begin(), histogram.end()}, totals);
  return totals;
}

std::string AuditReport::Csv() const {
  const std::vector<AuditRow> rows = Rows();
  const AuditRow totals = Totals();
  // Fixed reason columns (every known code, in declaration order) so that reports of different
  // months line up in a spreadsheet; a code this build does not know is appended after them.
  std::vector<std::string> withheld_codes, rejected_codes;
  for (WithholdReason reason : kWithholdReasons) {
    withheld_codes.emplace_back(WithholdReasonCode(reason));
  }
  for (RejectReason reason : AllRejectReasons()) {
    rejected_codes.emplace_back(RejectReasonCode(reason));
  }
  for (const auto& [code, count] : totals.withheld_by_reason) {
    if (std::find(withheld_codes.begin(), withheld_codes.end(), code) == withheld_codes.end()) {
      withheld_codes.push_back(code);
    }
  }
  for (const auto& [code, count] : totals.rejected_by_reason) {
    if (std::find(rejected_codes.begin(), rejected_codes.end(), code) == rejected_codes.end()) {
      rejected_codes.push_back(code);
    }
  }

  std::string out = "\xEF\xBB\xBF";
  const char* header[] = {"月份 month",
                          "机关统一社会信用代码 authority_uscc",
                          "机关名称 authority_name",
                          "收到 received",
                          "公示 published",
                          "按时 on_time",
                          "源头迟报 source_late",
                          "系统迟报 pipeline_late",
                          "合规率 compliance_rate",
                          "及时率 timeliness_rate",
                          "迟报率 late_rate",
                          "时延中位数(工作日) median_latency_working_days",
                          "时延P95(工作日) p95_latency_working_days",
                          "不予公示 withheld",
                          "不合规退回 rejected",
                          "撤销公示 withdrawals",
                          "暂定期限 provisional_deadlines"};
  bool first = true;
  for (const char* name : header) {
    if (!first) out += ',';
    first = false;
    out += CsvCell(name);
  }
  for (const std::string& code : withheld_codes) {
    out += ',' + CsvCell("不予公示:" + code + " withheld:" + code);
  }
  for (const std::string& code : rejected_codes) {
    out += ',' + CsvCell("不合规退回:" + code + " rejected:" + code);
  }
  out += "\r\n";

  const auto line = [&](const AuditRow& row, std::string_view month) {
    const std::string cells[] = {std::string(month),
                                 row.authority_uscc,
                                 row.authority_name,
                                 fmt::format("{}", row.received),
                                 fmt::format("{}", row.published),
                                 fmt::format("{}", row.on_time),
                                 fmt::format("{}", row.source_late),
                                 fmt::format("{}", row.pipeline_late),
                                 FormatRate(ComplianceRate(row), 6),
                                 FormatRate(TimelinessRate(row), 6),
                                 FormatRate(LateRate(row), 6),
                                 FormatLatency(row.median_latency_working_days),
                                 FormatLatency(row.p95_latency_working_days),
                                 fmt::format("{}", row.withheld()),
                                 fmt::format("{}", row.rejected()),
                                 fmt::format("{}", row.withdrawals),
                                 fmt::format("{}", row.provisional_deadlines)};
    bool first_cell = true;
    for (const std::string& cell : cells) {
      if (!first_cell) out += ',';
      first_cell = false;
      out += CsvCell(cell);
    }
    const auto count_of = [](const std::map<std::string, uint64_t>& counts,
                             const std::string& code) {
      const auto it = counts.find(code);
      return it == counts.end() ? uint64_t{0} : it->second;
    };
    for (const std::string& code : withheld_codes) {
      out += ',' + CsvCell(fmt::format("{}", count_of(row.withheld_by_reason, code)));
    }
    for (const std::string& code : rejected_codes) {
      out += ',' + CsvCell(fmt::format("{}", count_of(row.rejected_by_reason, code)));
    }
    out += "\r\n";
  };
  for (const AuditRow& row : rows) line(row, row.month);
  line(totals, "合计 total");
  return out;
}

std::string AuditReport::Json() const {
  std::string out = "{\"from\":";
  if (filter_.from_day != 0) {
    JsonString(FormatDate(filter_.from_day), out);
  } else {
    out += "null";
  }
  out += ",\"to\":";
  if (filter_.to_day != 0) {
    JsonString(FormatDate(filter_.to_day), out);
  } else {
    out += "null";
  }
  out += ",\"generated_for\":";
  JsonString(generated_for(), out);
  out += ",\"rows\":[";
  bool first = true;
  for (const AuditRow& row : Rows()) {
    if (!first) out += ',';
    first = false;
    out += '\n';
    JsonRow(row, true, out);
  }
  out += "],\n\"totals\":";
  JsonRow(Totals(), false, out);
  out += "}\n";
  return out;
}

std::string AuditReport::Html() const {
  const std::vector<AuditRow> rows = Rows();
  const AuditRow totals = Totals();
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // No script and no remote resource may run: the page is evidence an auditor opens offline.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<title>双公示时效审计报告 Publication deadline audit</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  out += "<h1>双公示时效审计报告 / Publication deadline audit</h1>\n";
  const std::string from = filter_.from_day != 0 ? FormatDate(filter_.from_day) : "…";
  const std::string to = filter_.to_day != 0 ? FormatDate(filter_.to_day) : "…";
  out += fmt::format(
      "<p class=\"sub\" id=\"generated-for\">{}</p>\n"
      "<p class=\"sub\">决定日期 decision dates: <span id=\"from\">{}</span> — "
      "<span id=\"to\">{}</span></p>\n",
      HtmlEscape(generated_for()), HtmlEscape(from), HtmlEscape(to));

  out += "<section id=\"summary\"><h2>合计 / Totals</h2><div class=\"cards\">\n";
  const auto card = [&out](std::string_view id, std::string_view label, const std::string& value,
                           bool bad = false) {
    out += fmt::format(
        "<div class=\"card\" id=\"{}\"><div class=\"value{}\">{}</div>"
        "<div class=\"label\">{}</div></div>\n",
        id, bad ? " bad" : "", HtmlEscape(value), HtmlEscape(label));
  };
  card("total-received", "收到 received", fmt::format("{}", totals.received));
  card("total-published", "公示 published", fmt::format("{}", totals.published));
  card("total-compliance", "合规率 compliance rate", Percent(ComplianceRate(totals)));
  card("total-timeliness", "及时率 timeliness rate", Percent(TimelinessRate(totals)));
  card("total-late", "迟报率 late rate", Percent(LateRate(totals)));
  card("total-source-late", "源头迟报 source-late", fmt::format("{}", totals.source_late));
  card("total-pipeline-late", "系统迟报 pipeline-late", fmt::format("{}", totals.pipeline_late),
       totals.pipeline_late > 0);
  card("total-median", "时延中位数 median latency (working days)",
       HtmlLatency(totals.median_latency_working_days));
  card("total-p95", "时延P95 p95 latency (working days)",
       HtmlLatency(totals.p95_latency_working_days));
  card("total-provisional", "暂定期限 provisional deadlines",
       fmt::format("{}", totals.provisional_deadlines), totals.provisional_deadlines > 0);
  out += "</div></section>\n";

  out += "<section id=\"monthly\"><h2>按月公示时效 / Publications by month and lateness</h2>\n";
  MonthlyChart(rows, out);
  out += "\n</section>\n<section id=\"latency\"><h2>时延分布 / Latency distribution</h2>\n";
  LatencyChart(LatencyHistogram(), out);
  out +=
      "\n</section>\n<section id=\"top-late\"><h2>迟报最多的机关 / Authorities with the most "
      "late publications</h2>\n";
  TopLateChart(rows, out);
  out += "\n</section>\n";

  out +=
      "<section id=\"rows\"><h2>明细 / Rows by authority and month</h2>\n<table "
      "id=\"rows-table\">\n";
  out +=
      "<thead><tr><th>月份<br>month</th><th>机关<br>authority</th><th>收到<br>received</th>"
      "<th>公示<br>published</th><th>按时<br>on time</th><th>源头迟报<br>source-late</th>"
      "<th>系统迟报<br>pipeline-late</th><th>合规率<br>compliance</th><th>及时率<br>timeliness</th>"
      "<th>迟报率<br>late rate</th><th>时延中位数<br>median</th><th>时延P95<br>p95</th>"
      "<th>不予公示<br>withheld</th><th>不合规退回<br>rejected</th><th>撤销公示<br>withdrawals</th>"
      "<th>暂定期限<br>provisional</th></tr></thead>\n<tbody>\n";
  for (const AuditRow& row : rows) TableRow(row, false, out);
  out += "</tbody>\n<tfoot>\n";
  TableRow(totals, true, out);
  out += "</tfoot>\n</table>\n</section>\n";

  out += R"(<section id="terms"><h2>术语 / Terms</h2>
<dl>
<dt>收到 received</dt><dd>读入的记录数, 不含重复记录。Records read, duplicates excluded.</dd>
<dt>公示 published</dt><dd>新公示与更正公示的记录数 (撤销公示另计)。Records published or corrected (withdrawals are counted apart).</dd>
<dt>按时 on time</dt><dd>在决定日期后第 N 个工作日 (通常 7 个工作日) 24:00 (北京时间) 前公示。Published by 24:00 Asia/Shanghai on the Nth working day after the decision date (usually 7); the decision date itself does not count.</dd>
<dt>源头迟报 source-late</dt><dd>记录送达本系统时已超过期限, 或剩余时间不足以处理。The record reached the pipeline after its deadline, or with less time left than the pipeline needs: the lateness lies with the source agency.</dd>
<dt>系统迟报 pipeline-late</dt><dd>记录按时送达, 但本系统未能按时公示; 目标为零。The record arrived in time and the pipeline missed the deadline; the goal is zero.</dd>
<dt>合规率 compliance rate</dt><dd>(收到 − 不合规退回) ÷ 收到。(received − rejected) ÷ received.</dd>
<dt>及时率 timeliness rate</dt><dd>按时 ÷ 公示。on time ÷ published.</dd>
<dt>迟报率 late rate</dt><dd>(源头迟报 + 系统迟报) ÷ 公示。(source-late + pipeline-late) ÷ published.</dd>
<dt>时延 latency</dt><dd>从决定日期到公示的工作日数; 中位数, 以及按最近秩法计算的第 95 百分位数。Working days from the decision date to publication: the median, and the 95th percentile by nearest rank.</dd>
<dt>不予公示 withheld</dt><dd>有效但依规不公示 (未成年人、涉密、仅警告等), 按原因统计。Valid but not for publication (minor, confidential, warning only), by reason.</dd>
<dt>不合规退回 rejected</dt><dd>未通过校验、转入死信队列的记录, 按原因统计。Records that failed validation and went to the dead-letter, by reason.</dd>
<dt>撤销公示 withdrawals</dt><dd>撤销、信用修复或公示期满后发布的撤下记录。Withdrawals published on revocation, credit repair or the end of the publication period.</dd>
<dt>暂定期限 provisional deadlines</dt><dd>期限所在年份的国务院节假日安排尚未载入, 期限为暂定。The deadline falls in a year whose State Council holiday notice was not loaded, so it is provisional.</dd>
</dl>
<p>月份按决定日期; 无决定日期的记录按送达日期计。分母为零的比率显示为 “—”。Months are by decision date; records without one are placed by their arrival date. A rate whose denominator is zero is shown as “—”.</p>
</section>
</body>
</html>
)";
  return out;
}

}  // namespace gongshi
