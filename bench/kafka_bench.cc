// The service through Kafka beside a bare consumer draining the same topics in the same run, on the
// embedded broker (librdkafka's mock cluster over TCP on loopback):
//   BM_Limit_BareConsumer    a librdkafka consumer-group member reading every message, nothing
//                            else; timed from its first message to its last
//   BM_KafkaService/A        RunKafkaService with batch.max_age_ms = A: consume, every stage,
//                            durable feeds, RocksDB commit, offset commit; timed from the first
//                            poll that returned messages to the commit of the last record
//   BM_KafkaLatencyHalfRate  records produced at half BM_KafkaService/0's rate with continuous
//                            flushing; p50/p99/max from the broker's append time to the commit
// The mock cluster keeps ~5 MiB per partition and serves one batch per fetch: a stand-in for a
// broker, not a throughput reference; the ratio of the service to the bare consumer is the figure.
// GONGSHI_BENCH_KAFKA_RECORDS sets the record count (default 2000, bench/run.sh: 20000).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/generate/generator.h"
#include "pipeline/service/kafka_service.h"
#include "pipeline/sink/kafka_producer.h"
#include "pipeline/source/embedded_broker.h"

namespace gongshi {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 8;  // per topic

size_t RecordCount() {
  const char* env = std::getenv("GONGSHI_BENCH_KAFKA_RECORDS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 2000;
}

struct Fixture {
  std::unique_ptr<EmbeddedBroker> broker;
  std::unique_ptr<SchemaSet> schemas;
  std::vector<std::pair<RecordKind, std::string>> lines;  // generated once
  size_t bytes = 0;
  int topics_made = 0;
};

Fixture& TheFixture() {
  static Fixture* f = [] {
    auto* fixture = new Fixture();
    fixture->broker = std::move(*EmbeddedBroker::Start(1));
    fixture->schemas = std::make_unique<SchemaSet>(std::move(*SchemaSet::Load(SchemasDir())));
    GeneratorOptions options;
    options.seed = 2026;
    Generator generator(*fixture->schemas, options);
    std::string line;
    for (size_t i = 0; i < RecordCount(); ++i) {
      const GeneratedRecord r = generator.Next(line);
      fixture->lines.emplace_back(r.kind, line);
      fixture->bytes += line.size();
    }
    return fixture;
  }();
  return *f;
}

// Fresh topics holding the generated records: `<prefix>.license` and `<prefix>.penalty`.
std::string MakeTopics(Fixture& f, const std::string& prefix, bool produce) {
  for (const char* kind : {"license", "penalty"}) {
    (void)f.broker->CreateTopic(prefix + "." + kind, kPartitions);
  }
  if (!produce) return prefix;
  auto producer = KafkaProducer::Create({{"bootstrap.servers", f.broker->bootstrap_servers()}});
  for (const auto& [kind, line] : f.lines) {
    const std::string topic = prefix + (kind == RecordKind::kLicense ? ".license" : ".penalty");
    (void)(*producer)->Produce(topic, -1, PartitionKey(*f.schemas, line, kind), line);
  }
  (void)(*producer)->Flush();
  return prefix;
}

Config ServiceConfig(const Fixture& f, const std::string& prefix, const std::string& out) {
  Config config;
  config.kafka.enabled = true;
  config.kafka.properties = {{"bootstrap.servers", f.broker->bootstrap_servers()},
                             {"group.id", prefix + ".group"}};
  config.kafka.topics = {prefix + ".license", prefix + ".penalty"};
  config.kafka.topic_kinds = {{prefix + ".license", "license"}, {prefix + ".penalty", "penalty"}};
  config.kafka.dead_letter_to = "file";
  config.kafka.max_wait_ms = 100;
  config.service.out_dir = out;
  config.service.metrics_address = "127.0.0.1:0";
  return config;
}

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("GONGSHI_BENCH_DIR");
  const std::string dir = std::string(base != nullptr ? base : "/tmp/gongshi-bench") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::atomic<int> g_round{0};

// Timed from the first delivery to the last, for the bare consumer and the service alike:
// joining the group (the broker's initial rebalance delay, ~3 s here) is not throughput.
void BM_Limit_BareConsumer(benchmark::State& state) {
  Fixture& f = TheFixture();
  for (auto _ : state) {
    const std::string prefix = MakeTopics(f, "bare" + std::to_string(g_round++), true);
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"bootstrap.servers", f.broker->bootstrap_servers()},
             {"group.id", prefix + ".group"},
             {"auto.offset.reset", "earliest"},
             {"enable.auto.commit", "false"},
             {"partition.assignment.strategy", "cooperative-sticky"}}) {
      rd_kafka_conf_set(conf, k.c_str(), v.c_str(), error, sizeof(error));
    }
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(2);
    for (const char* kind : {".license", ".penalty"}) {
      rd_kafka_topic_partition_list_add(topics, (prefix + kind).c_str(), RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_subscribe(consumer, topics);
    size_t received = 0;
    Clock::time_point first{};
    const auto until = Clock::now() + std::chrono::seconds(120);
    while (received < f.lines.size() && Clock::now() < until) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && ++received == 1) first = Clock::now();
      rd_kafka_message_destroy(m);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - first).count());
    if (received < f.lines.size()) state.SkipWithError("the bare consumer did not get everything");
    rd_kafka_topic_partition_list_destroy(topics);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * (f.lines.size() - 1)));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
}
BENCHMARK(BM_Limit_BareConsumer)->Unit(benchmark::kMillisecond)->Iterations(3)->UseManualTime();

double g_service_rate = 0;  // records/s of the last BM_KafkaService run

struct ServiceRun {
  double seconds = 0;  // from the first poll that returned messages to the last batch's commit
  size_t timed = 0;    // records committed
};

// Runs the service until `expected` records are committed; `on_batch` sees each batch.
// `max_age_ms` is batch.max_age_ms: 0 publishes what each poll returns at once (continuous
// flushing), more holds a partition's records until the oldest is that old.
Result<ServiceRun> RunService(Fixture& f, const std::string& prefix, size_t expected,
                              uint64_t max_age_ms,
                              const std::function<void(const RecordBatch&)>& on_batch = {},
                              uint64_t threads = 0) {
  const std::string out = BenchDir(prefix);
  std::atomic<int> stop{0};
  bool done = false;
  Clock::time_point first{};
  ServiceRun run;
  Config config = ServiceConfig(f, prefix, out);
  config.batch.max_age_ms = max_age_ms;
  config.service.threads = threads;
  auto summary =
      RunKafkaService({.config = config,
                       .state_dir = out + "/state",
                       .stop = &stop,
                       // Caught up, nothing new for 20 s and the last record not read: the
                       // broker dropped some (the mock cluster keeps ~5 MiB per partition).
                       .exit_when_idle_ms = 20000,
                       .on_published =
                           [&](const RecordBatch& batch, const RunCounts& totals) {
                             if (on_batch) on_batch(batch);
                             if (!done && totals.read() >= expected) {
                               run.seconds =
                                   std::chrono::duration<double>(Clock::now() - first).count();
                               run.timed = totals.read();
                               done = true;
                               stop = 1;
                             }
                           },
                       .on_polled =
                           [&] {
                             if (first == Clock::time_point{}) first = Clock::now();
                           }});
  if (!summary) return Fail(summary.error());
  if (!done) {
    return Fail(ErrorCode::kInternal,
                "the service caught up without reading everything (did the broker drop records? "
                "the embedded broker keeps ~5 MiB per partition)");
  }
  return run;
}

// Arg: batch.max_age_ms. 0 (continuous flushing: every poll's records are a batch of their own,
// one synced commit each) is the latency setting; a few hundred ms lets a partition's batch
// fill, which is how a service that must keep up with a backlog is configured.
void BM_KafkaService(benchmark::State& state) {
  Fixture& f = TheFixture();
  size_t timed = 0;
  for (auto _ : state) {
    const std::string prefix = MakeTopics(f, "svc" + std::to_string(g_round++), true);
    auto run = RunService(f, prefix, f.lines.size(), static_cast<uint64_t>(state.range(0)));
    if (!run) {
      state.SkipWithError(run.error().message().c_str());
      return;
    }
    state.SetIterationTime(run->seconds);
    timed += run->timed;
    if (state.range(0) == 0) g_service_rate = static_cast<double>(run->timed) / run->seconds;
  }
  state.SetItemsProcessed(static_cast<int64_t>(timed));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
  state.counters["max_age_ms"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_KafkaService)
    ->Arg(0)
    ->Arg(250)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseManualTime();

// Arg: service.threads, with continuous flushing: 1 is the service as it was before the pool
// (every stage on the consumer's thread), 2 parses, validates, redacts and renders on two cores.
void BM_KafkaServiceThreads(benchmark::State& state) {
  Fixture& f = TheFixture();
  size_t timed = 0;
  for (auto _ : state) {
    const std::string prefix = MakeTopics(f, "thr" + std::to_string(g_round++), true);
    auto run = RunService(f, prefix, f.lines.size(), 0, {}, static_cast<uint64_t>(state.range(0)));
    if (!run) {
      state.SkipWithError(run.error().message().c_str());
      return;
    }
    state.SetIterationTime(run->seconds);
    timed += run->timed;
  }
  state.SetItemsProcessed(static_cast<int64_t>(timed));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.bytes));
  state.counters["threads"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_KafkaServiceThreads)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseManualTime();

void BM_KafkaLatencyHalfRate(benchmark::State& state) {
  Fixture& f = TheFixture();
  const double rate = g_service_rate > 0 ? g_service_rate / 2 : 2000;
  std::vector<double> latencies;
  for (auto _ : state) {
    const std::string prefix = MakeTopics(f, "lat" + std::to_string(g_round++), false);
    // One record first; once the service has committed it (the group is joined) the rest at
    // `rate`. Only those are measured.
    std::atomic<bool> joined{false};
    std::jthread producer([&] {
      auto p = KafkaProducer::Create(
          {{"bootstrap.servers", f.broker->bootstrap_servers()}, {"linger.ms", "1"}});
      auto send = [&](size_t i) {
        const auto& [kind, line] = f.lines[i];
        const std::string topic = prefix + (kind == RecordKind::kLicense ? ".license" : ".penalty");
        (void)(*p)->Produce(topic, -1, PartitionKey(*f.schemas, line, kind), line);
      };
      send(0);
      (void)(*p)->Flush();
      while (!joined) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      const auto start = Clock::now();
      for (size_t i = 1; i < f.lines.size(); ++i) {
        std::this_thread::sleep_until(
            start + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(i) / rate)));
        send(i);
      }
      (void)(*p)->Flush();
    });
    auto run = RunService(f, prefix, f.lines.size(), 0, [&](const RecordBatch& batch) {
      if (!joined) {
        joined = true;  // the first record's batch
        return;
      }
      const int64_t now = UnixMillisNow();
      for (const Record& r : batch.records) {
        if (r.position.timestamp_ms > 0) {
          latencies.push_back(static_cast<double>(now - r.position.timestamp_ms) / 1000.0);
        }
      }
    });
    if (!run) {
      state.SkipWithError(run.error().message().c_str());
      return;
    }
    state.SetIterationTime(run->seconds);
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(q * (latencies.size() - 1))];
  };
  state.counters["rate_per_s"] = rate;
  state.counters["p50_s"] = at(0.50);
  state.counters["p99_s"] = at(0.99);
  state.counters["max_s"] = at(1.0);
  state.SetItemsProcessed(static_cast<int64_t>(latencies.size()));
}
BENCHMARK(BM_KafkaLatencyHalfRate)->Unit(benchmark::kMillisecond)->Iterations(1)->UseManualTime();

}  // namespace
}  // namespace gongshi

BENCHMARK_MAIN();
