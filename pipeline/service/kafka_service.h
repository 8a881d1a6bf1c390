// RunKafkaService: `gongshi run --config FILE`, the continuous service. A consumer-group member
// reads the configured topics, runs each partition's batches through the Pipeline (which commits
// state and offsets to RocksDB in one write after the feed files are durable), then commits the
// offsets to Kafka. Partitions seek to the RocksDB offset on every assignment; revoked ones are
// committed before release; lost ones are dropped without committing.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "pipeline/config/config.h"
#include "pipeline/service/file_pass.h"

namespace gongshi {

struct KafkaServiceOptions {
  Config config;
  std::string state_dir;  // default: config.state.dir, else <service.out_dir>/state
  // Set by the signal handler: 1 = stop fetching, flush, commit, close; 2 = exit now (nothing is
  // lost either way: uncommitted batches are re-read on the next start).
  const std::atomic<int>* stop = nullptr;
  // Demo and tests: return once every assigned partition is caught up and nothing arrived for
  // this long (0 = run until stopped).
  int exit_when_idle_ms = 0;
  // Called once the metrics endpoint listens, with its address.
  std::function<void(const std::string&)> on_listening = {};
  // Benchmarks: called on the service's thread after each partition batch is committed, with the
  // batch and the totals so far (keep it cheap: it runs between batches).
  std::function<void(const RecordBatch&, const RunCounts&)> on_published = {};
  // Benchmarks: called on the service's thread after each poll that returned messages (the
  // service's rate is timed from the first, as a bare consumer's is).
  std::function<void()> on_polled = {};
};

Result<RunSummary> RunKafkaService(const KafkaServiceOptions& options);

}  // namespace gongshi
