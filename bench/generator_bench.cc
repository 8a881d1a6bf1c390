// Generator throughput: how fast `gongshi generate` (and every benchmark that prepares its data
// with it) produces realistic ~1 KB NDJSON records, in UTF-8 and transcoded to GB18030.
#include <string>

#include <benchmark/benchmark.h>

#include "pipeline/common/civil_date.h"
#include "pipeline/generate/generator.h"

namespace gongshi {
namespace {

void BM_GeneratorNext(benchmark::State& state) {
  auto schemas = SchemaSet::Load(SchemasDir());
  if (!schemas) {
    state.SkipWithError(schemas.error().ToString().c_str());
    return;
  }
  GeneratorOptions options;
  options.seed = 1;
  options.today = DaysFromCivil(2025, 6, 1);  // fixed, so every run times the same records
  options.encoding = state.range(0) == 0 ? "utf-8" : "gb18030";
  Generator generator(*schemas, options);
  std::string line;
  int64_t bytes = 0;
  for (auto _ : state) {
    generator.Next(line);
    bytes += static_cast<int64_t>(line.size()) + 1;
    benchmark::DoNotOptimize(line.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.SetLabel(options.encoding);
}
// Default shares: 2% invalid records, one in 50 of them a 256 KiB record_too_large line.
BENCHMARK(BM_GeneratorNext)->Arg(0)->Arg(1);

}  // namespace
}  // namespace gongshi

BENCHMARK_MAIN();
