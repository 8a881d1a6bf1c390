// gongshi: the command-line entry point. Each subcommand is a thin shell over the stages; the
// contract (names, flags, the one-line JSON summary) is the spec's "Interfaces" table.
#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <simdjson.h>
#include <unistd.h>

#include "pipeline/audit/audit_report.h"
#include "pipeline/calendar/calendar.h"
#include "pipeline/common/civil_date.h"
#include "pipeline/config/config.h"
#include "pipeline/generate/generator.h"
#include "pipeline/leak_scan/leak_scan.h"
#include "pipeline/redact/redactor.h"
#include "pipeline/replay/replay.h"
#include "pipeline/service/file_pass.h"
#include "pipeline/service/kafka_service.h"
#include "pipeline/sink/dead_letter.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/sink/http_delivery.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/source/embedded_broker.h"
#include "pipeline/source/kafka_range_reader.h"
#include "pipeline/state/state_store.h"

namespace gongshi {
namespace {

// SIGTERM/SIGINT: the first asks the service to stop fetching, flush, commit and close; a second
// exits at once (nothing is lost either way: uncommitted batches are read again next time).
std::atomic<int> g_stop{0};

void OnSignal(int) {
  if (g_stop.fetch_add(1) >= 1) ::_exit(130);
}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int Report(const Error& error) {
  std::fprintf(stderr, "gongshi: %s\n", error.message().c_str());
  return error.code() == ErrorCode::kInvalidConfig ? 2 : 1;
}

Result<Config> ConfigFrom(const std::string& path) {
  if (path.empty()) return Config{};
  return LoadConfig(path);
}

Result<SchemaSet> Schemas(const Config& config) {
  return SchemaSet::Load(config.schemas_dir.empty() ? SchemasDir() : config.schemas_dir);
}

int RunCommand(const std::string& input, const std::string& out, const std::string& state,
               const std::string& config_path, int exit_when_idle_ms = 0) {
  auto config = ConfigFrom(config_path);
  if (!config) return Report(config.error());
  if (input.empty()) {
    if (!config->kafka.enabled) {
      std::fprintf(stderr,
                   "gongshi run: give --input FILE for one pass, or --config FILE with a kafka "
                   "section for the service (see schemas/gongshi.example.yaml)\n");
      return 2;
    }
    if (!out.empty()) config->service.out_dir = out;
    InstallSignalHandlers();
    auto summary =
        RunKafkaService({.config = std::move(*config),
                         .state_dir = state,
                         .stop = &g_stop,
                         .exit_when_idle_ms = exit_when_idle_ms,
                         .on_listening = [](const std::string& address) {
                           std::fprintf(stderr, "gongshi: metrics on %s\n", address.c_str());
                         }});
    if (!summary) return Report(summary.error());
    std::printf("%s\n", summary->ToJson().c_str());
    return 0;
  }
  if (out.empty()) {
    std::fprintf(stderr, "gongshi run: --out DIR is required\n");
    return 2;
  }
  auto summary = RunFilePass(
      {.input = input, .out_dir = out, .state_dir = state, .config = std::move(*config)});
  if (!summary) return Report(summary.error());
  std::printf("%s\n", summary->ToJson().c_str());
  return 0;
}

int GenerateCommand(uint64_t count, GeneratorOptions options, const std::string& out_path,
                    const std::string& planted_path) {
  // The planted tokens' canonical values are personal data by construction: they go to a file of
  // their own, never to stdout (where the records may be going) or stderr.
  if (planted_path == "-") {
    std::fprintf(stderr,
                 "gongshi generate: --planted needs a file name (the tokens are not written to "
                 "stdout)\n");
    return 2;
  }
  if (!planted_path.empty() && !out_path.empty() && out_path != "-") {
    std::error_code planted_error, out_error;
    const auto planted_file = std::filesystem::weakly_canonical(planted_path, planted_error);
    const auto out_file = std::filesystem::weakly_canonical(out_path, out_error);
    if (!planted_error && !out_error && planted_file == out_file) {
      std::fprintf(stderr, "gongshi generate: --planted %s is the --out file\n",
                   planted_path.c_str());
      return 2;
    }
  }
  auto schemas = SchemaSet::Load(SchemasDir());
  if (!schemas) return Report(schemas.error());
  std::FILE* out = stdout;
  if (!out_path.empty() && out_path != "-") {
    out = std::fopen(out_path.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "gongshi generate: cannot write %s\n", out_path.c_str());
      return 1;
    }
  }
  std::FILE* planted = nullptr;
  if (!planted_path.empty()) {
    planted = std::fopen(planted_path.c_str(), "wb");
    if (planted == nullptr) {
      std::fprintf(stderr, "gongshi generate: cannot write %s\n", planted_path.c_str());
      if (out != stdout) std::fclose(out);
      return 1;
    }
  }
  auto summary = WriteRecords(*schemas, options, count, out, planted);
  if (out != stdout) std::fclose(out);
  if (planted != nullptr) std::fclose(planted);
  if (!summary) return Report(summary.error());
  if (out != stdout) {
    std::fprintf(stderr, "gongshi generate: %llu records, %llu bytes to %s\n",
                 static_cast<unsigned long long>(summary->lines),
                 static_cast<unsigned long long>(summary->bytes), out_path.c_str());
  }
  return 0;
}

int DeadlineCommand(const std::string& date, int working_days, const std::string& region,
                    const std::string& holidays_dir) {
  const auto day = ParseDate(date);
  if (!day) {
    std::fprintf(stderr, "gongshi calendar deadline: --date %s is not YYYY-MM-DD\n", date.c_str());
    return 2;
  }
  auto calendar = WorkingCalendar::Load(holidays_dir.empty() ? HolidaysDir() : holidays_dir);
  if (!calendar) return Report(calendar.error());
  if (!region.empty() && !calendar->HasRegion(region)) {
    std::string known;
    for (const std::string& r : calendar->Regions()) known += (known.empty() ? "" : ", ") + r;
    std::fprintf(stderr, "gongshi calendar deadline: no holiday data for region '%s' (known: %s)\n",
                 region.c_str(), known.c_str());
    return 2;
  }
  const Deadline deadline = calendar->AddWorkingDays(*day, working_days, region);
  std::printf("%s\n", FormatDate(deadline.day).c_str());
  if (deadline.provisional) {
    std::fprintf(stderr,
                 "gongshi calendar deadline: provisional: the holiday notice for a year this "
                 "deadline crosses is not loaded (%d..%d are)\n",
                 calendar->FirstKnownYear(), calendar->LastKnownYear());
    return 3;
  }
  return 0;
}

int CheckConfigCommand(const std::string& path) {
  auto config = LoadConfig(path);
  if (!config) return Report(config.error());
  auto schemas = Schemas(*config);
  if (!schemas) return Report(schemas.error());
  auto calendar =
      WorkingCalendar::Load(config->holidays_dir.empty() ? HolidaysDir() : config->holidays_dir);
  if (!calendar) return Report(calendar.error());
  if (!config->deadline.region.empty() && !calendar->HasRegion(config->deadline.region)) {
    std::fprintf(stderr, "gongshi: %s: deadline.region: no holiday data for '%s'\n", path.c_str(),
                 config->deadline.region.c_str());
    return 2;
  }
  auto redactor = Redactor::Create(*schemas, config->redaction);
  if (!redactor) return Report(redactor.error());
  if (!config->today.empty() && !ParseDate(config->today)) {
    std::fprintf(stderr, "gongshi: %s: today: '%s' is not YYYY-MM-DD\n", path.c_str(),
                 config->today.c_str());
    return 2;
  }
  std::printf("%s: ok (schemas %s, policy %s, holidays %d..%d)\n", path.c_str(),
              schemas->version().c_str(), config->redaction.policy_version.c_str(),
              calendar->FirstKnownYear(), calendar->LastKnownYear());
  return 0;
}

// The chain alone cannot show its newest batches removed: the state's chain heads can, so they
// are checked too when there is a state (OUT/state by default; read-only, beside a service).
int VerifyCommand(const std::string& out, const std::string& state_arg = "") {
  const std::string state = state_arg.empty() ? out + "/state" : state_arg;
  std::optional<std::array<ChainHead, 3>> heads;
  if (!state_arg.empty() || std::filesystem::exists(state + "/rocksdb")) {
    if (!std::filesystem::exists(state + "/rocksdb")) {
      std::fprintf(stderr, "gongshi verify-feeds: --state %s: no state there\n", state.c_str());
      return 2;
    }
    auto store = StateStore::Open({.dir = state + "/rocksdb", .read_only = true});
    if (!store) return Report(store.error());
    heads.emplace();
    for (RecordKind kind : {RecordKind::kLicense, RecordKind::kPenalty}) {
      auto head = (*store)->GetChain(kind);
      if (!head) return Report(head.error());
      (*heads)[static_cast<size_t>(kind)] = *head;
    }
  }
  auto checked = VerifyFeedChain(out, heads ? &*heads : nullptr);
  if (!checked) return Report(checked.error());
  std::printf("{\"manifests_verified\":%llu,\"chain\":\"intact\",\"state_heads\":%s}\n",
              static_cast<unsigned long long>(*checked), heads ? "\"match\"" : "null");
  return 0;
}

// The auditors' leak scan (pipeline/leak_scan): exit 1 on any finding, 0 when clean, 2 when the
// output, the state or the names dictionary cannot be read. Findings name where, never the value.
int ScanCommand(const std::string& out, const std::string& state = "",
                const std::string& format = "text", size_t max_findings = 20) {
  if (format != "text" && format != "json") {
    std::fprintf(stderr, "gongshi scan-leaks: --format %s: expected text or json\n",
                 format.c_str());
    return 2;
  }
  auto schemas = SchemaSet::Load(SchemasDir());
  if (!schemas) {
    std::fprintf(stderr, "gongshi scan-leaks: %s\n", schemas.error().message().c_str());
    return 2;
  }
  LeakScanOptions options;
  options.state_dir = state;
  options.max_findings = max_findings;
  auto report = ScanForLeaks(out, *schemas, options);
  if (!report) {
    std::fprintf(stderr, "gongshi scan-leaks: %s\n", report.error().message().c_str());
    return 2;
  }
  if (format == "json") {
    std::printf("%s\n", LeakReportJson(*report).c_str());
  } else {
    std::printf(
        "{\"files\":%llu,\"lines\":%llu,\"values\":%llu,\"state_entries\":%llu,"
        "\"id_number\":%llu,\"mobile\":%llu,\"bank_card\":%llu,\"email\":%llu,\"name\":%llu}\n",
        static_cast<unsigned long long>(report->files),
        static_cast<unsigned long long>(report->lines),
        static_cast<unsigned long long>(report->values),
        static_cast<unsigned long long>(report->state_entries),
        static_cast<unsigned long long>(report->count(LeakClass::kIdNumber)),
        static_cast<unsigned long long>(report->count(LeakClass::kMobile)),
        static_cast<unsigned long long>(report->count(LeakClass::kBankCard)),
        static_cast<unsigned long long>(report->count(LeakClass::kEmail)),
        static_cast<unsigned long long>(report->count(LeakClass::kName)));
    for (const LeakFinding& finding : report->first_findings) {
      const std::string kind(LeakClassName(finding.kind));
      if (!finding.column_family.empty()) {
        std::fprintf(stderr, "leak: state %s column family %s entry %lld key %s… %s: %s\n",
                     finding.file.c_str(), finding.column_family.c_str(),
                     static_cast<long long>(finding.line), finding.key_prefix.c_str(),
                     finding.field.c_str(), kind.c_str());
      } else {
        std::fprintf(stderr, "leak: %s:%lld key %s: %s\n", finding.file.c_str(),
                     static_cast<long long>(finding.line), finding.field.c_str(), kind.c_str());
      }
    }
    if (report->total() > report->first_findings.size()) {
      std::fprintf(stderr, "leak: … and %llu more (--max-findings)\n",
                   static_cast<unsigned long long>(report->total() - report->first_findings.size()));
    }
  }
  return report->total() == 0 ? 0 : 1;
}

// `gongshi dlq show`: a dead-letter file or the dead-letter topic, opened.
struct DeadLetterShowArgs {
  std::string file;
  std::string state;
  std::string config_path;
  std::string topic;
  int32_t partition = -1;
  int64_t from_offset = -1;
  int64_t count = -1;
  int timeout_ms = 10000;
};

// The dead-letter's seal key, from the HMAC key found as the service finds it. Never creates a
// key (a new one could open nothing): none found is nullopt, and only a sealed part needs one.
Result<std::optional<std::array<uint8_t, 32>>> DeadLetterSealKey(const Config& config,
                                                                 const std::string& state) {
  const char* env = std::getenv(config.state.hmac_key_env.c_str());
  if (config.state.hmac_key_file.empty() && (env == nullptr || *env == '\0') &&
      (state.empty() || !std::filesystem::exists(state + "/hmac.key"))) {
    return std::optional<std::array<uint8_t, 32>>();
  }
  bool generated = false;
  auto key = ResolveHmacKey(config.state, state, generated);
  if (!key) return Fail(key.error());
  auto hash = KeyedHash::Create(*key);
  if (!hash) return Fail(hash.error());
  return std::optional<std::array<uint8_t, 32>>((*hash)->DeriveKey(kDeadLetterSealKeyLabel));
}

void PrintLine(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
}

int DeadLetterShowCommand(const DeadLetterShowArgs& args) {
  if (args.file.empty() == args.topic.empty()) {
    std::fprintf(stderr, "gongshi dlq show: give a dead-letter FILE or --topic TOPIC\n");
    return 2;
  }
  if (!args.topic.empty() && args.config_path.empty()) {
    std::fprintf(stderr,
                 "gongshi dlq show --topic: --config FILE is needed (its kafka.properties)\n");
    return 2;
  }
  auto config = ConfigFrom(args.config_path);
  if (!config) return Report(config.error());
  const std::string state = !args.state.empty()                ? args.state
                            : !config->state.dir.empty()       ? config->state.dir
                            : !config->service.out_dir.empty() ? config->service.out_dir + "/state"
                                                               : std::string();
  auto seal_key = DeadLetterSealKey(*config, state);
  if (!seal_key) return Report(seal_key.error());
  DeadLetterReader reader(seal_key->has_value() ? &**seal_key : nullptr);
  // Names where the key was looked for when a sealed part met none.
  auto fail = [&](const std::string& where, const Error& error) {
    std::string hint;
    if (!seal_key->has_value() && error.message().find("no HMAC key") != std::string::npos) {
      hint = fmt::format(" (state.hmac_key_file, ${} or {}/hmac.key; --state DIR)",
                         config->state.hmac_key_env, state.empty() ? "<state>" : state);
    }
    std::fprintf(stderr, "gongshi dlq show: %s: %s%s\n", where.c_str(), error.message().c_str(),
                 hint.c_str());
    return error.code() == ErrorCode::kInvalidConfig ? 2 : 1;
  };

  if (!args.file.empty()) {
    std::ifstream in(args.file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "gongshi dlq show: cannot read %s\n", args.file.c_str());
      return 1;
    }
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      auto opened = reader.OpenLine(line);
      if (!opened) return fail(fmt::format("{}:{}", args.file, number), opened.error());
      PrintLine(opened->ToJson());
    }
    return 0;
  }

  if (!config->kafka.enabled) {
    std::fprintf(stderr, "gongshi dlq show --topic: %s has no kafka section\n",
                 args.config_path.c_str());
    return 2;
  }
  KafkaRangeOptions options;
  options.properties = config->kafka.properties;
  options.topic = args.topic;
  if (args.partition >= 0) options.partitions = {args.partition};
  options.from_offset = args.from_offset;
  // A dead-letter message is at most a sealed max_record_bytes: never cut one.
  options.max_record_bytes = size_t{1} << 30;
  options.timeout_ms = args.timeout_ms;
  options.what = "dlq show";
  auto range = KafkaRangeReader::Open(options);
  if (!range) return Report(range.error());
  RecordBatch batch;
  int64_t shown = 0;
  uint64_t foreign = 0;
  for (const PartitionRange& partition : (*range)->ranges()) {
    if (args.count >= 0 && shown >= args.count) break;
    if (auto sought = (*range)->Seek(partition.partition, partition.begin); !sought) {
      return Report(sought.error());
    }
    for (;;) {
      auto more = (*range)->Fill(batch, 500, 64 << 20, std::chrono::milliseconds(500));
      if (!more) return Report(more.error());
      if (!*more) break;
      for (const Record& message : batch.records) {
        if (args.count >= 0 && shown >= args.count) break;
        const std::string where = fmt::format("{}[{}]@{}", args.topic, message.position.partition,
                                              message.position.offset);
        auto opened = reader.OpenMessage(message);
        if (!opened) {
          if (opened.error().message().find("not a gongshi") == std::string::npos) {
            return fail(where, opened.error());
          }
          std::fprintf(stderr, "gongshi dlq show: %s: %s; skipped\n", where.c_str(),
                       opened.error().message().c_str());
          ++foreign;
          continue;
        }
        PrintLine(opened->ToJson());
        ++shown;
      }
      if (args.count >= 0 && shown >= args.count) break;
    }
  }
  return foreign == 0 ? 0 : 1;
}

int AuditCommand(const std::string& state, const std::string& from, const std::string& to,
                 const std::string& format, const std::string& out_path) {
  AuditFilter filter;
  for (auto [text, day] : {std::pair{&from, &filter.from_day}, std::pair{&to, &filter.to_day}}) {
    if (text->empty()) continue;
    const auto parsed = ParseDate(*text);
    if (!parsed) {
      std::fprintf(stderr, "gongshi audit: %s is not YYYY-MM-DD\n", text->c_str());
      return 2;
    }
    *day = *parsed;
  }
  if (format != "csv" && format != "json" && format != "html") {
    std::fprintf(stderr, "gongshi audit: --format must be csv, json or html\n");
    return 2;
  }
  // Read-only: the audit can run beside the service that owns the state.
  auto store = StateStore::Open({.dir = state + "/rocksdb", .read_only = true});
  if (!store) return Report(store.error());
  AuditReport report(filter);
  if (auto scanned = (*store)->ForEachAudit(filter.from_day, filter.to_day,
                                            [&](const AuditEvent& event) { report.Add(event); });
      !scanned) {
    return Report(scanned.error());
  }
  const std::string text = format == "csv"    ? report.Csv()
                           : format == "json" ? report.Json()
                                              : report.Html();
  if (out_path.empty() || out_path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "gongshi audit: cannot write %s\n", out_path.c_str());
    return 1;
  }
  std::fwrite(text.data(), 1, text.size(), out);
  std::fclose(out);
  std::fprintf(stderr, "gongshi audit: report written to %s\n", out_path.c_str());
  return 0;
}

// A replay time: YYYY-MM-DD (its 00:00) or YYYY-MM-DDTHH:MM[:SS], Asia/Shanghai, as Unix ms.
std::optional<int64_t> ParseShanghaiTime(std::string_view text) {
  const auto day = ParseDate(text.substr(0, 10));
  if (!day) return std::nullopt;
  int64_t seconds = 0;
  if (text.size() > 10) {
    int h = 0, m = 0, sec = 0;
    const std::string rest(text.substr(10));
    const int n = std::sscanf(rest.c_str(), "T%2d:%2d:%2d", &h, &m, &sec);
    const size_t expected = n == 3 ? 9 : 6;
    if (n < 2 || rest.size() != expected || h > 23 || m > 59 || sec > 59) return std::nullopt;
    seconds = h * 3600 + m * 60 + sec;
  }
  return ShanghaiDayStartMs(*day) + seconds * 1000;
}

struct ReplayArgs {
  std::string config_path, out, state, input, topic, from_time, to_time;
  std::vector<int32_t> partitions;
  int64_t from_line = 1, to_line = 0, from_offset = -1, to_offset = -1;
  double rate = 0;
  bool queue = false;
};

// Re-publishes a range under the config's redaction policy, as corrections, at --rate.
int ReplayCommand(const ReplayArgs& args) {
  auto config = ConfigFrom(args.config_path);
  if (!config) return Report(config.error());
  ReplayOptions options;
  options.out_dir = !args.out.empty() ? args.out : config->service.out_dir;
  if (options.out_dir.empty()) {
    std::fprintf(stderr, "gongshi replay: give --out DIR (or service.out_dir)\n");
    return 2;
  }
  options.state_dir = args.state;
  ReplayRange& range = options.range;
  range.input = args.input;
  range.from_line = args.from_line;
  range.to_line = args.to_line;
  range.topic = args.topic;
  range.partitions = args.partitions;
  range.from_offset = args.from_offset;
  range.to_offset = args.to_offset;
  range.rate = args.rate;
  for (const auto& [text, out] :
       {std::pair{&args.from_time, &range.from_ms}, std::pair{&args.to_time, &range.to_ms}}) {
    if (text->empty()) continue;
    const auto ms = ParseShanghaiTime(*text);
    if (!ms) {
      std::fprintf(stderr,
                   "gongshi replay: %s is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] "
                   "(Asia/Shanghai)\n",
                   text->c_str());
      return 2;
    }
    *out = *ms;
  }
  if (!range.topic.empty() && !config->kafka.enabled) {
    std::fprintf(stderr, "gongshi replay: --topic needs a config with a kafka section\n");
    return 2;
  }
  options.queue = args.queue;
  options.config = std::move(*config);
  auto summary = RunReplay(options);
  if (!summary) return Report(summary.error());
  std::printf("%s\n", summary->ToJson().c_str());
  return 0;
}

// The HTTP sink's books: batches sent but not acknowledged (and not sent yet) from the outbox,
// the receipts' totals; --send delivers what waits (dry run by default).
int ReconcileCommand(const std::string& config_path, std::string out, std::string state,
                     bool send) {
  auto config = ConfigFrom(config_path);
  if (!config) return Report(config.error());
  if (!config->http.enabled) {
    std::fprintf(stderr, "gongshi reconcile: %s has no http section\n", config_path.c_str());
    return 2;
  }
  if (out.empty()) out = config->service.out_dir;
  if (out.empty()) {
    std::fprintf(stderr, "gongshi reconcile: give --out DIR (or service.out_dir)\n");
    return 2;
  }
  if (state.empty()) state = !config->state.dir.empty() ? config->state.dir : out + "/state";
  auto store = StateStore::Open(
      {.dir = state + "/rocksdb", .block_cache_bytes = 8 << 20, .read_only = !send});
  if (!store) return Report(store.error());
  std::vector<OutboxEntry> waiting;
  if (auto listed = (*store)->ListOutbox(SIZE_MAX, waiting); !listed) return Report(listed.error());
  uint64_t acknowledged = 0, refused = 0;
  if (auto counted = (*store)->ForEachReceipt([&](const Receipt& receipt) {
        (receipt.status >= 200 && receipt.status < 300 ? acknowledged : refused) += 1;
      });
      !counted) {
    return Report(counted.error());
  }
  for (const OutboxEntry& entry : waiting) {
    std::printf("%010llu %s records=%llu %s attempts=%u%s%s\n",
                static_cast<unsigned long long>(entry.sequence), entry.batch_id.c_str(),
                static_cast<unsigned long long>(entry.records),
                entry.attempts > 0 ? "sent-not-acknowledged" : "not-sent", entry.attempts,
                entry.last_error.empty() ? "" : " last_error=", entry.last_error.c_str());
  }
  std::printf("acknowledged=%llu refused=%llu waiting=%zu\n",
              static_cast<unsigned long long>(acknowledged),
              static_cast<unsigned long long>(refused), waiting.size());
  if (!send) {
    if (!waiting.empty()) std::printf("dry run: --send delivers the waiting batches\n");
    return 0;
  }
  auto delivery = HttpDelivery::Create(config->http, **store, out);
  if (!delivery) return Report(delivery.error());
  auto left = (*delivery)->Drain(
      std::chrono::milliseconds(config->http.drain_timeout_ms), [](const DeliveryStep& step) {
        std::printf("%010llu %s %s%s%s\n", static_cast<unsigned long long>(step.sequence),
                    step.batch_id.c_str(),
                    step.what == DeliveryStep::What::kAcknowledged ? "acknowledged"
                    : step.what == DeliveryStep::What::kRefused    ? "refused (dlq/http/)"
                                                                   : "retry",
                    step.error.empty() ? "" : ": ", step.error.c_str());
      });
  if (!left) return Report(left.error());
  std::printf("waiting=%llu\n", static_cast<unsigned long long>(*left));
  return *left == 0 ? 0 : 1;
}

int DemoCommand(const std::string& out, uint64_t count, uint64_t seed, bool keep_running,
                PiiForms pii_forms) {
  std::error_code error;
  for (const char* sub : {"state", "feeds", "dlq", "withheld"}) {
    std::filesystem::remove_all(out + "/" + sub, error);
  }
  std::filesystem::create_directories(out, error);
  auto schemas = SchemaSet::Load(SchemasDir());
  if (!schemas) return Report(schemas.error());

  auto broker = EmbeddedBroker::Start(3);
  if (!broker) return Report(broker.error());
  const std::string servers = (*broker)->bootstrap_servers();
  const std::string license_topic = "gongshi.license", penalty_topic = "gongshi.penalty",
                    dead_letter_topic = "gongshi.dead-letter";
  for (const auto& [topic, partitions] : {std::pair{license_topic, 3}, std::pair{penalty_topic, 3},
                                          std::pair{dead_letter_topic, 1}}) {
    if (auto made = (*broker)->CreateTopic(topic, partitions); !made) return Report(made.error());
  }
  std::printf("gongshi demo: embedded Kafka broker (librdkafka mock cluster, 3 brokers) on %s\n",
              servers.c_str());

  // Produce generated records with a real producer over TCP, licenses and penalties to their
  // topics (records the generator broke beyond telling the kind go to the penalty topic).
  // Personal data in every form clerks type (adversarial) by default: the demo's leak scan then
  // shows the redaction holding on the hard cases, not the tidy ones.
  GeneratorOptions options;
  options.seed = seed;
  options.pii_forms = pii_forms;
  auto generator = Generator::Create(*schemas, options);
  if (!generator) return Report(generator.error());
  auto producer = KafkaProducer::Create({{"bootstrap.servers", servers}});
  if (!producer) return Report(producer.error());
  std::string line;
  for (uint64_t i = 0; i < count; ++i) {
    const GeneratedRecord record = generator->Next(line);
    const std::string key = PartitionKey(*schemas, line, record.kind);
    const std::string& topic = record.kind == RecordKind::kLicense ? license_topic : penalty_topic;
    if (auto queued = (*producer)->Produce(topic, -1, key, line); !queued) {
      return Report(queued.error());
    }
  }
  if (auto flushed = (*producer)->Flush(); !flushed) return Report(flushed.error());
  std::printf("gongshi demo: produced %llu generated records to %s and %s\n",
              static_cast<unsigned long long>(count), license_topic.c_str(), penalty_topic.c_str());

  Config config;
  config.kafka.enabled = true;
  config.kafka.properties = {{"bootstrap.servers", servers}, {"group.id", "gongshi-demo"}};
  config.kafka.topics = {license_topic, penalty_topic};
  config.kafka.topic_kinds = {{license_topic, "license"}, {penalty_topic, "penalty"}};
  config.kafka.dead_letter_to = "both";
  config.kafka.dead_letter_topic = dead_letter_topic;
  config.kafka.max_wait_ms = 500;
  config.service.out_dir = out;
  config.service.metrics_address = "127.0.0.1:9464";
  config.batch.max_records = 2000;
  InstallSignalHandlers();
  std::printf("gongshi demo: running the service (consumer group gongshi-demo)%s\n",
              keep_running ? "; Ctrl-C stops it" : "");
  std::fflush(stdout);
  auto summary = RunKafkaService({.config = config,
                                  .state_dir = out + "/state",
                                  .stop = &g_stop,
                                  .exit_when_idle_ms = keep_running ? 0 : 3000,
                                  .on_listening = [](const std::string& address) {
                                    std::printf(
                                        "gongshi demo: metrics on %s (also /healthz, "
                                        "/readyz)\n",
                                        address.c_str());
                                    std::fflush(stdout);
                                  }});
  if (!summary) return Report(summary.error());
  std::printf("%s\n", summary->ToJson().c_str());
  std::printf("gongshi demo: manifest chain: ");
  std::fflush(stdout);
  if (int rc = VerifyCommand(out); rc != 0) return rc;
  std::printf("gongshi demo: personal-data scan of every output file: ");
  std::fflush(stdout);
  if (int rc = ScanCommand(out); rc != 0) return rc;
  std::fflush(stdout);
  if (int rc = AuditCommand(out + "/state", "", "", "html", out + "/audit.html"); rc != 0) {
    return rc;
  }
  std::printf(
      "gongshi demo: feeds in %s/feeds/{license,penalty}/, dead-letter in %s/dlq/ and topic %s, "
      "withheld ledger in %s/withheld/, state in %s/state, audit report %s/audit.html\n",
      out.c_str(), out.c_str(), dead_letter_topic.c_str(), out.c_str(), out.c_str(), out.c_str());
  return 0;
}

}  // namespace
}  // namespace gongshi

int main(int argc, char** argv) {
  using namespace gongshi;
  CLI::App app{
      "gongshi: publishes 双公示 records (administrative licenses and penalties) to the "
      "credit-disclosure sites, redacted, deduplicated and on time"};
  app.require_subcommand(1);

  std::string input, out, state, config_path;
  CLI::App* run = app.add_subcommand("run", "run the pipeline over an NDJSON file (or stdin)");
  run->add_option("--input", input, "NDJSON input file, - for stdin");
  run->add_option("--out", out, "output directory (feeds/, dlq/, withheld/)");
  run->add_option("--state", state, "state directory (default: config state.dir, else OUT/state)");
  run->add_option("--config", config_path, "YAML config (see schemas/gongshi.example.yaml)");
  int exit_when_idle_ms = 0;
  run->add_option("--exit-when-idle", exit_when_idle_ms,
                  "service: exit once caught up and idle for this many ms (batch jobs, tests)");

  uint64_t count = 1000;
  std::string generate_out;
  GeneratorOptions gen;
  std::string today;
  CLI::App* generate =
      app.add_subcommand("generate", "write realistic synthetic records as NDJSON");
  generate->add_option("--count", count, "number of records")->required();
  generate->add_option("--seed", gen.seed, "random seed (same seed, same output)")->required();
  generate->add_option("--out", generate_out, "output file (default stdout)");
  generate->add_option("--duplicate-share", gen.duplicate_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--update-share", gen.update_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--withdraw-share", gen.withdraw_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--withheld-share", gen.withheld_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--invalid-share", gen.invalid_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--natural-person-share", gen.natural_person_share)
      ->check(CLI::Range(0.0, 1.0));
  generate->add_option("--exchange-code-share", gen.exchange_code_share)
      ->check(CLI::Range(0.0, 1.0));
  generate->add_option("--penalty-share", gen.penalty_share)->check(CLI::Range(0.0, 1.0));
  generate->add_option("--max-record-bytes", gen.max_record_bytes,
                       "record_too_large rejects are made just over this");
  generate->add_option("--encoding", gen.encoding, "utf-8 or gb18030");
  generate->add_option("--today", today, "YYYY-MM-DD: decisions fall in the two years before it");
  std::string pii_forms = "realistic";
  std::string planted_path;
  generate->add_option("--pii-forms", pii_forms,
                       "realistic (the tidy forms) or adversarial (every form clerks type, and "
                       "negative controls)");
  generate->add_option("--planted", planted_path,
                       "write the tokens planted in each line's free text to FILE (JSON lines)");

  CLI::App* calendar = app.add_subcommand("calendar", "the working-day calendar");
  calendar->require_subcommand(1);
  std::string date, region, holidays_dir;
  int working_days = 7;
  CLI::App* deadline = calendar->add_subcommand("deadline", "N working days after a decision");
  deadline->add_option("--date", date, "decision date YYYY-MM-DD")->required();
  deadline->add_option("--working-days", working_days, "N")->required()->check(CLI::Range(0, 3650));
  deadline->add_option("--region", region, "regional holidays, e.g. guangxi");
  deadline->add_option("--holidays-dir", holidays_dir, "holiday data (default: built-in)");

  std::string check_path;
  CLI::App* check =
      app.add_subcommand("check-config", "check a config file, exit non-zero if wrong");
  check->add_option("file", check_path)->required();

  std::string verify_out;
  CLI::App* verify =
      app.add_subcommand("verify-feeds", "check feed files against the manifest chain");
  verify->add_option("out", verify_out, "the run's output directory")->required();
  std::string verify_state;
  verify->add_option("--state", verify_state,
                     "the state whose chain heads the feeds must reach (default OUT/state if it "
                     "exists)");

  std::string scan_out, scan_state, scan_format = "text";
  size_t scan_max_findings = 20;
  CLI::App* scan = app.add_subcommand(
      "scan-leaks", "scan every output file and the state for personal data in clear");
  scan->add_option("out", scan_out, "the run's output directory")->required();
  scan->add_option("--state", scan_state, "the state directory (default OUT/state if it exists)");
  scan->add_option("--format", scan_format, "text (default) or json");
  scan->add_option("--max-findings", scan_max_findings, "findings listed (default 20)");

  CLI::App* dlq = app.add_subcommand("dlq", "dead-letter tools");
  dlq->require_subcommand(1);
  DeadLetterShowArgs dlq_args;
  CLI::App* dlq_show = dlq->add_subcommand(
      "show",
      "print each dead-letter entry (a file's, or the topic's) as JSON: reason, source position, "
      "and the original key, headers and bytes, unsealed with the HMAC key");
  dlq_show->add_option("file", dlq_args.file, "a file of OUT/dlq/");
  dlq_show->add_option("--state", dlq_args.state,
                       "the state directory holding hmac.key (default state.dir, OUT/state)");
  dlq_show->add_option("--config", dlq_args.config_path,
                       "the config (state.hmac_key_file; with --topic, kafka.properties)");
  dlq_show->add_option("--topic", dlq_args.topic, "the dead-letter topic, read without a group");
  dlq_show->add_option("--partition", dlq_args.partition, "one partition (default all)");
  dlq_show->add_option("--from-offset", dlq_args.from_offset, "first offset (default earliest)");
  dlq_show->add_option("--count", dlq_args.count, "at most this many messages");
  dlq_show->add_option("--timeout-ms", dlq_args.timeout_ms,
                       "how long to wait for the brokers (default 10000)");

  std::string audit_state, audit_from, audit_to, audit_format = "csv", audit_out;
  CLI::App* audit = app.add_subcommand(
      "audit", "deadline compliance per authority and month (合规率, 迟报率, 及时率)");
  audit->add_option("--state", audit_state, "the state directory of a run or the service")
      ->required();
  audit->add_option("--from", audit_from, "first decision date YYYY-MM-DD");
  audit->add_option("--to", audit_to, "last decision date YYYY-MM-DD");
  audit->add_option("--format", audit_format, "csv (default), json or html");
  audit->add_option("--out", audit_out, "output file (default stdout)");

  std::string reconcile_config, reconcile_out, reconcile_state;
  bool reconcile_send = false;
  CLI::App* reconcile = app.add_subcommand(
      "reconcile", "list feed batches the site has not acknowledged; --send delivers them");
  reconcile->add_option("--config", reconcile_config, "the config with the http section")
      ->required();
  reconcile->add_option("--out", reconcile_out, "the output directory (default service.out_dir)");
  reconcile->add_option("--state", reconcile_state, "the state directory (default OUT/state)");
  reconcile->add_flag("--send", reconcile_send, "send them now (default: dry run)");

  ReplayArgs replay_args;
  CLI::App* replay = app.add_subcommand(
      "replay",
      "re-publish a range (file lines, topic offsets or times) under the config's redaction "
      "policy, as corrections, rate-limited; queued for the running service if it holds the "
      "state");
  replay->add_option("--config", replay_args.config_path, "the config with the new policy")
      ->required();
  replay->add_option("--out", replay_args.out, "the output directory (default service.out_dir)");
  replay->add_option("--state", replay_args.state, "the state directory (default OUT/state)");
  replay->add_option("--input", replay_args.input, "an NDJSON file");
  replay->add_option("--from-line", replay_args.from_line, "first line (default 1)");
  replay->add_option("--to-line", replay_args.to_line, "last line (default: the end)");
  replay->add_option("--topic", replay_args.topic, "a topic (kafka section of the config)");
  replay->add_option("--partition", replay_args.partitions,
                     "a partition (repeatable; default all)");
  replay->add_option("--from-offset", replay_args.from_offset, "first offset (default earliest)");
  replay->add_option("--to-offset", replay_args.to_offset,
                     "offset after the range (default: the end when the replay starts)");
  replay->add_option("--from-time", replay_args.from_time,
                     "broker time, YYYY-MM-DD[THH:MM[:SS]] Asia/Shanghai");
  replay->add_option("--to-time", replay_args.to_time, "broker time the range ends before");
  replay->add_option("--rate", replay_args.rate, "records per second (default: unlimited)");
  replay->add_flag("--queue", replay_args.queue,
                   "leave it in OUT/replay/pending/ for the running service");

  std::string demo_out = "gongshi-demo";
  uint64_t demo_count = 10000;
  bool keep_running = false;
  uint64_t demo_seed = 2026;
  std::string demo_pii_forms = "adversarial";
  CLI::App* demo = app.add_subcommand(
      "demo", "produce generated records into an embedded Kafka broker and run the service");
  demo->add_option("--out", demo_out, "output directory (default ./gongshi-demo)");
  demo->add_option("--count", demo_count, "records to generate");
  demo->add_option("--seed", demo_seed, "generator seed");
  demo->add_option("--pii-forms", demo_pii_forms,
                   "adversarial (default: personal data in every form clerks type) or realistic");
  demo->add_flag("--keep-running", keep_running,
                 "keep the service running after the records are published (look at the metrics)");

  CLI11_PARSE(app, argc, argv);

  if (*run) return RunCommand(input, out, state, config_path, exit_when_idle_ms);
  if (*generate) {
    if (!today.empty()) {
      const auto day = ParseDate(today);
      if (!day) {
        std::fprintf(stderr, "gongshi generate: --today %s is not YYYY-MM-DD\n", today.c_str());
        return 2;
      }
      gen.today = *day;
    }
    const auto forms = PiiFormsFromName(pii_forms);
    if (!forms) {
      std::fprintf(stderr, "gongshi generate: --pii-forms %s is not realistic or adversarial\n",
                   pii_forms.c_str());
      return 2;
    }
    gen.pii_forms = *forms;
    return GenerateCommand(count, gen, generate_out, planted_path);
  }
  if (*deadline) return DeadlineCommand(date, working_days, region, holidays_dir);
  if (*check) return CheckConfigCommand(check_path);
  if (*verify) return VerifyCommand(verify_out, verify_state);
  if (*scan) return ScanCommand(scan_out, scan_state, scan_format, scan_max_findings);
  if (*dlq_show) return DeadLetterShowCommand(dlq_args);
  if (*audit) return AuditCommand(audit_state, audit_from, audit_to, audit_format, audit_out);
  if (*reconcile) {
    return ReconcileCommand(reconcile_config, reconcile_out, reconcile_state, reconcile_send);
  }
  if (*replay) return ReplayCommand(replay_args);
  if (*demo) {
    const std::optional<PiiForms> forms = PiiFormsFromName(demo_pii_forms);
    if (!forms) {
      std::fprintf(stderr, "gongshi demo: --pii-forms: '%s' is not realistic or adversarial\n",
                   demo_pii_forms.c_str());
      return 2;
    }
    return DemoCommand(demo_out, demo_count, demo_seed, keep_running, *forms);
  }
  return 0;
}
