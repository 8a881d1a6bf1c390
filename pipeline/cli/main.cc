// gongshi: the command-line entry point. Each subcommand is a thin shell over the stages; the
// contract (names, flags, the one-line JSON summary) is the spec's "Interfaces" table.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <simdjson.h>
#include <unistd.h>

#include "pipeline/audit/audit_report.h"
#include "pipeline/calendar/calendar.h"
#include "pipeline/calendar/civil_date.h"
#include "pipeline/config/config.h"
#include "pipeline/dedupe/state_store.h"
#include "pipeline/generate/generator.h"
#include "pipeline/redact/leak_scan.h"
#include "pipeline/redact/redactor.h"
#include "pipeline/replay/replay.h"
#include "pipeline/service/file_pass.h"
#include "pipeline/service/http_delivery.h"
#include "pipeline/service/kafka_service.h"
#include "pipeline/sink/dead_letter.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/source/embedded_broker.h"

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

int GenerateCommand(uint64_t count, GeneratorOptions options, const std::string& out_path) {
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
  auto summary = WriteRecords(*schemas, options, count, out);
  if (out != stdout) std::fclose(out);
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

int VerifyCommand(const std::string& out) {
  auto checked = VerifyFeedChain(out);
  if (!checked) return Report(checked.error());
  std::printf("{\"manifests_verified\":%llu,\"chain\":\"intact\"}\n",
              static_cast<unsigned long long>(*checked));
  return 0;
}

int ScanCommand(const std::string& out) {
  auto schemas = SchemaSet::Load(SchemasDir());
  if (!schemas) return Report(schemas.error());
  auto report = ScanForLeaks(out, *schemas);
  if (!report) return Report(report.error());
  std::printf(
      "{\"files\":%llu,\"lines\":%llu,\"values\":%llu,\"id_number\":%llu,\"mobile\":%llu,"
      "\"bank_card\":%llu,\"email\":%llu}\n",
      static_cast<unsigned long long>(report->files),
      static_cast<unsigned long long>(report->lines),
      static_cast<unsigned long long>(report->values),
      static_cast<unsigned long long>(report->by_kind[0]),
      static_cast<unsigned long long>(report->by_kind[1]),
      static_cast<unsigned long long>(report->by_kind[2]),
      static_cast<unsigned long long>(report->by_kind[3]));
  for (const LeakFinding& finding : report->first_findings) {
    std::fprintf(stderr, "leak: %s:%lld key %s: %s\n", finding.file.c_str(),
                 static_cast<long long>(finding.line), finding.key.c_str(), finding.kind.c_str());
  }
  return report->total() == 0 ? 0 : 1;
}

int DeadLetterShowCommand(const std::string& file, const std::string& state,
                          const std::string& config_path) {
  auto config = ConfigFrom(config_path);
  if (!config) return Report(config.error());
  bool generated = false;
  // Never create a key here: a new key could not open anything.
  if (config->state.hmac_key_file.empty() && !std::filesystem::exists(state + "/hmac.key") &&
      std::getenv(config->state.hmac_key_env.c_str()) == nullptr) {
    std::fprintf(stderr,
                 "gongshi dlq show: no HMAC key (state.hmac_key_file, $%s or %s/hmac.key)\n",
                 config->state.hmac_key_env.c_str(), state.c_str());
    return 2;
  }
  auto key = ResolveHmacKey(config->state, state, generated);
  if (!key) return Report(key.error());
  auto hash = KeyedHash::Create(*key);
  if (!hash) return Report(hash.error());
  const auto seal_key = (*hash)->DeriveKey("gongshi dead-letter seal v1");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "gongshi dlq show: cannot read %s\n", file.c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element entry;
    std::string_view reason, sealed;
    if (parser.parse(line).get(entry) || entry["reason"].get(reason)) continue;
    std::string original = "(not kept)";
    if (!entry["original_sealed"].get(sealed)) {
      auto opened = DeadLetterWriter::Unseal(sealed, seal_key);
      if (!opened) return Report(opened.error());
      original = std::move(*opened);
    }
    std::printf("%.*s\t%s\n", static_cast<int>(reason.size()), reason.data(), original.c_str());
  }
  return 0;
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

int DemoCommand(const std::string& out, uint64_t count, uint64_t seed, bool keep_running) {
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
  GeneratorOptions options;
  options.seed = seed;
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

  std::string scan_out;
  CLI::App* scan =
      app.add_subcommand("scan-leaks", "scan every output file for personal data in clear");
  scan->add_option("out", scan_out, "the run's output directory")->required();

  CLI::App* dlq = app.add_subcommand("dlq", "dead-letter tools");
  dlq->require_subcommand(1);
  std::string dlq_file, dlq_state, dlq_config;
  CLI::App* dlq_show = dlq->add_subcommand("show", "print reason and original bytes of each entry");
  dlq_show->add_option("file", dlq_file)->required();
  dlq_show->add_option("--state", dlq_state, "the state directory holding hmac.key")->required();
  dlq_show->add_option("--config", dlq_config);

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
  CLI::App* demo = app.add_subcommand(
      "demo", "produce generated records into an embedded Kafka broker and run the service");
  demo->add_option("--out", demo_out, "output directory (default ./gongshi-demo)");
  demo->add_option("--count", demo_count, "records to generate");
  demo->add_option("--seed", demo_seed, "generator seed");
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
    return GenerateCommand(count, gen, generate_out);
  }
  if (*deadline) return DeadlineCommand(date, working_days, region, holidays_dir);
  if (*check) return CheckConfigCommand(check_path);
  if (*verify) return VerifyCommand(verify_out);
  if (*scan) return ScanCommand(scan_out);
  if (*dlq_show) return DeadLetterShowCommand(dlq_file, dlq_state, dlq_config);
  if (*audit) return AuditCommand(audit_state, audit_from, audit_to, audit_format, audit_out);
  if (*reconcile) {
    return ReconcileCommand(reconcile_config, reconcile_out, reconcile_state, reconcile_send);
  }
  if (*replay) return ReplayCommand(replay_args);
  if (*demo) return DemoCommand(demo_out, demo_count, demo_seed, keep_running);
  return 0;
}
