// The record path stage by stage on the generator's records (~1.2 KB, both kinds, the realistic
// mix of duplicates, updates and invalid records), each beside its limit measured on the same
// bytes in the same run:
//   BM_Limit_SimdjsonIterateMany   raw simdjson On-Demand over the same NDJSON, every field read
//   BM_ParseValidate               gongshi's parse + validate        (ratio to the line above)
//   BM_Limit_RocksDbMultiGet/K     StateStore::Lookup (RocksDB MultiGet) of the batch's identities
//   BM_Dedupe/K                    identity HMAC + fingerprint + lookup + decision, K keys stored
//   BM_Limit_RocksDbWriteBatch     a batch's state written in one unsynced WriteBatch
//   BM_Redact/names:1              the redaction stage (structured fields, free-text scan, names;
//                                  names:0 without the names)
//   BM_Serialise                   feed lines of the published records
// bench/run.sh runs them with JSON output and prints each stage as a ratio to its limit.
// GONGSHI_BENCH_KEYS (comma-separated, default 100000) sets the warm store sizes; the stores are
// built once under GONGSHI_BENCH_DIR (default /tmp/gongshi-bench) and kept for later runs.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/config/config.h"
#include "pipeline/dedupe/deduper.h"
#include "pipeline/generate/generator.h"
#include "pipeline/parse/json_parser.h"
#include "pipeline/redact/redactor.h"
#include "pipeline/sink/feed_writer.h"
#include "pipeline/validate/validator.h"

namespace gongshi {
namespace {

constexpr size_t kBatch = 16384;  // batch.max_records
const int32_t kToday = DaysFromCivil(2026, 11, 30);
constexpr char kKey[] = "benchmark-key-0123456789abcdef";

const SchemaSet& Schemas() {
  static const SchemaSet schemas = std::move(*SchemaSet::Load(SchemasDir()));
  return schemas;
}

// One batch of generated records, as the sources hand them over (padded, views into the bytes).
struct Corpus {
  std::string ndjson;  // the same records, newline-delimited, for the limit
  RecordBatch batch;
  size_t bytes = 0;
};

const Corpus& TheCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    GeneratorOptions options;
    options.seed = 2026;
    options.today = kToday;
    // Valid JSON only: simdjson's document stream (the limit) stops at the first broken one.
    // Records invalid by the standard (checksums, dates, ...) are still in the mix.
    options.invalid_share = 0;
    Generator generator(Schemas(), options);
    std::string line;
    std::vector<size_t> at, sizes;
    for (size_t i = 0; i < kBatch; ++i) {
      generator.Next(line);
      c->ndjson.append(line).push_back('\n');
      at.push_back(c->batch.bytes.size());
      sizes.push_back(line.size());
      c->batch.bytes.insert(c->batch.bytes.end(), line.begin(), line.end());
      c->batch.bytes.insert(c->batch.bytes.end(), simdjson::SIMDJSON_PADDING, ' ');
      c->bytes += line.size();
    }
    c->batch.records.resize(kBatch);
    for (size_t i = 0; i < kBatch; ++i) {
      Record& r = c->batch.records[i];
      r.position.line = static_cast<int64_t>(i + 1);
      r.raw = std::string_view(c->batch.bytes.data() + at[i], sizes[i]);
      r.json = r.raw;
    }
    return c;
  }();
  return *corpus;
}

// A private copy of the corpus batch (the stages rewrite records in place).
void CopyBatch(RecordBatch& out) {
  const RecordBatch& in = TheCorpus().batch;
  out.Clear();
  out.bytes = in.bytes;
  out.records.resize(in.records.size());
  for (size_t i = 0; i < in.records.size(); ++i) {
    out.records[i].Clear();
    out.records[i].position = in.records[i].position;
    const size_t offset = static_cast<size_t>(in.records[i].raw.data() - in.bytes.data());
    out.records[i].raw = std::string_view(out.bytes.data() + offset, in.records[i].raw.size());
    out.records[i].json = out.records[i].raw;
  }
}

// 16 random bytes, as an identity or a fingerprint is.
Digest128 RandomDigest(std::mt19937_64& random) {
  Digest128 d;
  const uint64_t a = random(), b = random();
  std::memcpy(d.data(), &a, 8);
  std::memcpy(d.data() + 8, &b, 8);
  return d;
}

// A private copy of the corpus batch, parsed and validated: what dedupe and the later stages take.
void ValidatedBatch(RecordBatch& out) {
  CopyBatch(out);
  JsonParser parser(Schemas(), ParserOptions{});
  Validator validator(Schemas(), ValidatorOptions{.today = kToday});
  parser.Process(out);
  validator.Process(out);
}

void Finish(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TheCorpus().bytes));
}

// The limit of parsing: simdjson's own NDJSON path over the same bytes, touching every value of
// every object (what the parser must at least do).
void BM_Limit_SimdjsonIterateMany(benchmark::State& state) {
  const Corpus& corpus = TheCorpus();
  simdjson::padded_string json(corpus.ndjson);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson::ondemand::document_stream docs;
    if (parser.iterate_many(json).get(docs)) {
      state.SkipWithError("iterate_many");
      return;
    }
    size_t fields = 0;
    for (auto doc : docs) {
      simdjson::ondemand::object object;
      if (doc.get_object().get(object)) continue;  // the corpus's invalid records
      for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key)) break;
        std::string_view raw = field.value().raw_json_token();
        fields += key.size() + raw.size();
      }
    }
    benchmark::DoNotOptimize(fields);
  }
  Finish(state);
}
BENCHMARK(BM_Limit_SimdjsonIterateMany)->Unit(benchmark::kMillisecond);

void BM_ParseValidate(benchmark::State& state) {
  JsonParser parser(Schemas(), ParserOptions{});
  Validator validator(Schemas(), ValidatorOptions{.today = kToday});
  RecordBatch batch;
  CopyBatch(batch);
  for (auto _ : state) {
    batch.ResetOutcomes();
    batch.arena.Reset();
    parser.Process(batch);
    validator.Process(batch);
    benchmark::DoNotOptimize(batch.records.data());
  }
  Finish(state);
}
BENCHMARK(BM_ParseValidate)->Unit(benchmark::kMillisecond);

// A state store with `keys` identities: the corpus's own (so every lookup hits, the expensive
// case) and random others. Built once per size and kept.
std::string WarmStore(size_t keys, KeyedHash& hash) {
  const char* base = std::getenv("GONGSHI_BENCH_DIR");
  const std::string dir = std::string(base != nullptr ? base : "/tmp/gongshi-bench") +
                          "/state-v5-" + std::to_string(keys);
  if (std::filesystem::exists(dir + "/complete")) return dir;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = StateStore::Open({.dir = dir});
  if (!store) return "";
  RecordBatch batch;
  ValidatedBatch(batch);
  Deduper deduper(Schemas(), **store, hash, "bench");
  if (!deduper.Process(batch)) return "";
  StateStore::Transaction first;
  deduper.Remember(batch, 1, first);
  if (!(*store)->Commit(first)) return "";
  std::mt19937_64 random(keys);
  // As the product writes them: a fingerprint (random bytes, as a digest is), one in ten with an
  // earlier version, the days, the batch and the policy.
  RecordState state;
  state.state = PublicationState::kPublished;
  state.kind = RecordKind::kPenalty;
  state.policy = PolicyTag("bench");
  for (size_t written = batch.records.size(); written < keys;) {
    StateStore::Transaction transaction;
    for (size_t i = 0; i < 100000 && written < keys; ++i, ++written) {
      state.fingerprint = RandomDigest(random);
      state.earlier[0] = written % 10 == 0 ? RandomDigest(random) : Digest128{};
      state.decision_day = kToday - static_cast<int32_t>(random() % 1500);
      state.deadline_day = state.decision_day + 9;
      state.publication_end_day = state.decision_day + 1095;
      state.batch_sequence = written / 16384;
      transaction.PutRecord(RandomDigest(random), state);
    }
    if (!(*store)->Commit(transaction)) return "";
  }
  std::FILE* done = std::fopen((dir + "/complete").c_str(), "w");
  if (done != nullptr) std::fclose(done);
  return dir;
}

// The warm store of state.range(0) keys, open, with the key its identities were made with.
struct Warm {
  std::unique_ptr<KeyedHash> hash;
  std::unique_ptr<StateStore> store;
};

std::optional<Warm> OpenWarm(benchmark::State& state) {
  auto hash = KeyedHash::Create(kKey);
  if (!hash) {
    state.SkipWithError("hash key");
    return std::nullopt;
  }
  const std::string dir = WarmStore(static_cast<size_t>(state.range(0)), **hash);
  if (dir.empty()) {
    state.SkipWithError("cannot build the warm store");
    return std::nullopt;
  }
  // GONGSHI_BENCH_CACHE_MB: state.block_cache_mb of the run (default the product's, 256).
  const char* cache_mb = std::getenv("GONGSHI_BENCH_CACHE_MB");
  StateOptions options{.dir = dir};
  if (cache_mb != nullptr && *cache_mb != 0) {
    options.block_cache_bytes = std::stoull(cache_mb) << 20;
  }
  state.counters["cache_mib"] = static_cast<double>(options.block_cache_bytes >> 20);
  auto store = StateStore::Open(options);
  if (!store) {
    state.SkipWithError(store.error().ToString().c_str());
    return std::nullopt;
  }
  return Warm{std::move(*hash), std::move(*store)};
}

void BM_Dedupe(benchmark::State& state) {
  auto warm = OpenWarm(state);
  if (!warm) return;
  Deduper deduper(Schemas(), *warm->store, *warm->hash, "bench");
  RecordBatch batch;
  ValidatedBatch(batch);
  std::vector<Outcome> outcomes;
  for (const Record& r : batch.records) outcomes.push_back(r.outcome);
  // Untimed, as in BM_Limit_RocksDbMultiGet: the tables are opened by the first lookup.
  if (!deduper.Process(batch)) state.SkipWithError("dedupe");
  for (auto _ : state) {
    for (size_t i = 0; i < batch.records.size(); ++i) batch.records[i].outcome = outcomes[i];
    if (!deduper.Process(batch)) state.SkipWithError("dedupe");
  }
  Finish(state);
  state.counters["keys"] = static_cast<double>(state.range(0));
  // The process's peak: the store's block cache (cache_mib) and memtables dominate it.
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_mib"] = static_cast<double>(usage.ru_maxrss) / 1024;
}

void BM_Limit_RocksDbMultiGet(benchmark::State& state) {
  auto warm = OpenWarm(state);
  if (!warm) return;
  // The identities of the corpus, as dedupe computes them.
  RecordBatch batch;
  ValidatedBatch(batch);
  Deduper deduper(Schemas(), *warm->store, *warm->hash, "bench");
  std::vector<Digest128> ids;
  for (Record& r : batch.records) {
    if (!r.pending()) continue;
    deduper.Identify(r);
    ids.push_back(r.identity);
  }
  std::vector<RecordState> found;
  // Untimed: the first lookup opens every table and loads its filter and index (seconds at
  // 100 M keys), which a running service did once at start.
  if (!warm->store->Lookup(ids, found)) state.SkipWithError("lookup");
  for (auto _ : state) {
    if (!warm->store->Lookup(ids, found)) state.SkipWithError("lookup");
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
  state.counters["keys"] = static_cast<double>(state.range(0));
}

void KeySizes(benchmark::internal::Benchmark* b) {
  const char* env = std::getenv("GONGSHI_BENCH_KEYS");
  std::string sizes = env != nullptr ? env : "100000";
  size_t start = 0;
  while (start < sizes.size()) {
    const size_t comma = sizes.find(',', start);
    b->Arg(std::stoll(sizes.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}
BENCHMARK(BM_Limit_RocksDbMultiGet)->Apply(KeySizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dedupe)->Apply(KeySizes)->Unit(benchmark::kMillisecond);

// What a batch commit writes for its records, unsynced (the synced commit adds one fsync per
// batch, which the file pass figures include).
void BM_Limit_RocksDbWriteBatch(benchmark::State& state) {
  const char* base = std::getenv("GONGSHI_BENCH_DIR");
  const std::string dir = std::string(base != nullptr ? base : "/tmp/gongshi-bench") + "/writes";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = StateStore::Open({.dir = dir});
  if (!store) {
    state.SkipWithError("open");
    return;
  }
  std::mt19937_64 random(7);
  RecordState record;
  record.state = PublicationState::kPublished;
  for (auto _ : state) {
    StateStore::Transaction transaction;
    for (size_t i = 0; i < kBatch; ++i) {
      transaction.PutRecord(RandomDigest(random), record);
    }
    if (!(*store)->Commit(transaction)) state.SkipWithError("commit");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_Limit_RocksDbWriteBatch)->Unit(benchmark::kMillisecond);

// The corpus after parse, validate and dedupe (against an empty store: most records are
// published), ready for the later stages.
RecordBatch& PreparedBatch() {
  static RecordBatch* batch = [] {
    auto* b = new RecordBatch();
    ValidatedBatch(*b);
    const std::string dir = "/tmp/gongshi-bench-prepared-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    {
      auto store = StateStore::Open({.dir = dir});
      auto hash = KeyedHash::Create(kKey);
      Deduper deduper(Schemas(), **store, **hash, "bench");
      (void)deduper.Process(*b);
    }
    std::filesystem::remove_all(dir);
    return b;
  }();
  return *batch;
}

// Arg: 1 with names of natural persons masked in free text (the default policy), 0 without, so
// that their share of the stage shows.
void BM_Redact(benchmark::State& state) {
  Config config;
  config.redaction.names.free_text = state.range(0) != 0;
  auto redactor = Redactor::Create(Schemas(), config.redaction);
  if (!redactor) {
    state.SkipWithError(redactor.error().ToString().c_str());
    return;
  }
  const RecordBatch& prepared = PreparedBatch();
  RecordBatch batch;
  for (auto _ : state) {
    state.PauseTiming();
    // The redactor rewrites fields into the arena: start each round from the prepared records.
    batch.records = prepared.records;
    batch.arena.Reset();
    state.ResumeTiming();
    RedactionCounts counts;
    (*redactor)->Process(batch, counts);
    benchmark::DoNotOptimize(counts);
  }
  Finish(state);
}
BENCHMARK(BM_Redact)->ArgName("names")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_Serialise(benchmark::State& state) {
  FeedWriter writer(Schemas(), "/nonexistent");
  const RecordBatch& batch = PreparedBatch();
  std::string out;
  size_t lines = 0;
  for (auto _ : state) {
    out.clear();
    lines = 0;
    for (const Record& record : batch.records) {
      if (record.outcome != Outcome::kPublished && record.outcome != Outcome::kUpdated &&
          record.outcome != Outcome::kWithdrawn) {
        continue;
      }
      writer.AppendLine(record, out);
      ++lines;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_Serialise)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gongshi

BENCHMARK_MAIN();
