#include "pipeline/runtime/run_summary.h"

#include "pipeline/common/json_out.h"

namespace gongshi {
namespace {

void AppendCounts(std::string& out, std::string_view key, const std::vector<uint64_t>& counts,
                  auto name_of) {
  AppendJsonKey(out, key);
  out.push_back('{');
  bool first = true;
  for (size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    AppendJsonKey(out, name_of(i), first);
    AppendJsonUint(out, counts[i]);
    first = false;
  }
  out.push_back('}');
}

}  // namespace

std::string RunSummary::ToJson() const {
  std::string out = "{";
  AppendJsonKey(out, "read", true);
  AppendJsonUint(out, counts.read());
  for (Outcome o : {Outcome::kPublished, Outcome::kUpdated, Outcome::kDuplicate,
                    Outcome::kWithdrawn, Outcome::kWithheld, Outcome::kRejected}) {
    AppendJsonKey(out, OutcomeName(o));
    AppendJsonUint(out, counts.outcomes[static_cast<size_t>(o)]);
  }
  AppendCounts(out, "reject_reasons", counts.reject_reasons,
               [](size_t i) { return RejectReasonCode(static_cast<RejectReason>(i)); });
  AppendCounts(out, "withheld_reasons", counts.withhold_reasons,
               [](size_t i) { return WithholdReasonCode(static_cast<WithholdReason>(i)); });
  AppendJsonKey(out, "redacted_in_free_text");
  out.push_back('{');
  const char* kinds[] = {"id_number", "mobile", "bank_card", "email", "name"};
  static_assert(std::size(kinds) == std::tuple_size_v<decltype(counts.redactions)>);
  for (size_t i = 0; i < std::size(kinds); ++i) {
    AppendJsonKey(out, kinds[i], i == 0);
    AppendJsonUint(out, counts.redactions[i]);
  }
  out.push_back('}');
  AppendJsonKey(out, "batches");
  AppendJsonUint(out, counts.batches);
  // Not input records, so not part of read = published + ... + rejected.
  AppendJsonKey(out, "expiry_withdrawals");
  AppendJsonUint(out, expiry_withdrawals);
  if (http) {
    AppendJsonKey(out, "http_pending");
    AppendJsonUint(out, http_pending);
  }
  if (generation > 0) {  // a file pass (the service has no passes)
    AppendJsonKey(out, "resumed");
    out.append(resumed ? "true" : "false");
    if (resumed) {
      AppendJsonKey(out, "resumed_from_line");
      AppendJsonInt(out, resumed_from_line);
    }
    AppendJsonKey(out, "pass");
    AppendJsonUint(out, generation);
  }
  AppendJsonKey(out, "feeds");
  AppendJsonString(out, out_dir + "/feeds");
  AppendJsonKey(out, "dead_letter");
  AppendJsonString(out, out_dir + "/dlq");
  AppendJsonKey(out, "withheld_ledger");
  AppendJsonString(out, out_dir + "/withheld");
  AppendJsonKey(out, "state");
  AppendJsonString(out, state_dir);
  AppendJsonKey(out, "seconds");
  out.append(fmt::format("{:.3f}", seconds));
  AppendJsonKey(out, "records_per_second");
  AppendJsonUint(out, seconds > 0 ? static_cast<uint64_t>(counts.read() / seconds) : 0);
  out.push_back('}');
  return out;
}

}  // namespace gongshi
