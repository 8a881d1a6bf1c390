// PiiScanner throughput on ~1 KB free-text fields of mostly Chinese text (3-byte UTF-8), the shape
// of 违法事实/处罚内容. Target: >= 1 GB/s per core for Scan on text without PII.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "pipeline/record/arena.h"
#include "pipeline/redact/pii_scanner.h"

namespace gongshi {
namespace {

// A fixed LCG instead of <random> distributions, whose output differs between standard libraries:
// the same seed gives the same texts everywhere.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  size_t Next(size_t n) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((state_ >> 33) % n);
  }

 private:
  uint64_t state_;
};

// Phrases of penalty decisions, with the numbers such text always has (dates, amounts, 文号,
// article numbers) and full-width punctuation, which shares the 0xEF lead byte of full-width
// digits.
constexpr const char* kPhrases[] = {
    "经查，",
    "当事人",
    "于2023年5月12日",
    "在未取得食品经营许可证的情况下，",
    "擅自从事食品经营活动，",
    "违反了《中华人民共和国食品安全法》第三十五条第一款的规定。",
    "依据《中华人民共和国行政处罚法》第二十八条、第三十二条，",
    "责令改正，",
    "并处罚款人民币50000元，",
    "没收违法所得1234.56元。",
    "本机关于2024-01-15作出行政处罚决定（京市监罚〔2024〕123号），",
    "当事人在规定期限内未提出陈述、申辩意见。",
    "现场检查发现其经营场所存放过期食品共计37箱，",
    "货值金额合计人民币8650元；",
    "以上事实有现场笔录、询问笔录、照片等证据为证。",
    "决定给予警告，",
    "并处没收违法所得及罚款。",
    "执法人员出示执法证件（编号：35010021），",
    "告知其依法享有的权利。",
};

// A valid ID number, mobile, card and address, in the spellings the scanner handles.
constexpr const char* kPii[] = {
    "身份证号350102199003071234，",
    "联系电话138 1234 5678，",
    "收款账户6228480012345671，",
    "电子邮箱zhangsan@example.com，",
    "身份证号１１０１０５１９４９１２３１００２Ｘ，",
    "手机+86-139-1234-5678，",
};

std::string MakeText(Lcg& rng, size_t target_bytes, size_t pii_count) {
  std::string text;
  std::vector<size_t> pii_at;
  for (size_t i = 0; i < pii_count; ++i) pii_at.push_back(rng.Next(target_bytes));
  while (text.size() < target_bytes) {
    for (size_t& at : pii_at) {
      if (at != SIZE_MAX && text.size() >= at) {
        text += kPii[rng.Next(std::size(kPii))];
        at = SIZE_MAX;
      }
    }
    text += kPhrases[rng.Next(std::size(kPhrases))];
  }
  for (size_t at : pii_at) {
    if (at != SIZE_MAX) text += kPii[rng.Next(std::size(kPii))];
  }
  return text;
}

struct Corpus {
  std::vector<std::string> texts;
  size_t bytes = 0;
  size_t findings = 0;
};

// 256 texts of ~1 KB: enough different inputs that branch predictors do not learn one.
Corpus MakeCorpus(size_t pii_per_text) {
  Lcg rng(20240501 + pii_per_text);
  Corpus corpus;
  std::vector<PiiSpan> spans;
  const PiiScanner scanner;
  for (int i = 0; i < 256; ++i) {
    corpus.texts.push_back(MakeText(rng, 1024, pii_per_text));
    corpus.bytes += corpus.texts.back().size();
    scanner.Scan(corpus.texts.back(), spans);
    corpus.findings += spans.size();
  }
  return corpus;
}

void BM_PiiScannerScan(benchmark::State& state) {
  const size_t pii_per_text = static_cast<size_t>(state.range(0));
  const Corpus corpus = MakeCorpus(pii_per_text);
  // Check before timing: a scanner that finds nothing is fast and useless.
  if (corpus.findings != pii_per_text * corpus.texts.size()) {
    state.SkipWithError("the scanner missed or invented findings in the synthetic corpus");
    return;
  }
  const PiiScanner scanner;
  std::vector<PiiSpan> spans;
  spans.reserve(64);
  for (auto _ : state) {
    for (const std::string& text : corpus.texts) {
      scanner.Scan(text, spans);
      benchmark::DoNotOptimize(spans.data());
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.texts.size()));
  state.counters["bytes_per_text"] =
      static_cast<double>(corpus.bytes) / static_cast<double>(corpus.texts.size());
}
BENCHMARK(BM_PiiScannerScan)->ArgName("pii_per_text")->Arg(0)->Arg(1)->Arg(4);

void BM_PiiScannerRedact(benchmark::State& state) {
  const size_t pii_per_text = static_cast<size_t>(state.range(0));
  const Corpus corpus = MakeCorpus(pii_per_text);
  if (corpus.findings != pii_per_text * corpus.texts.size()) {
    state.SkipWithError("the scanner missed or invented findings in the synthetic corpus");
    return;
  }
  const PiiScanner scanner;
  Arena arena(1 << 20);
  PiiCounts counts;
  std::vector<PiiSpan> scratch;
  scratch.reserve(64);
  for (auto _ : state) {
    // One corpus pass stands for one batch: the stage resets its arena per batch.
    arena.Reset();
    for (const std::string& text : corpus.texts) {
      benchmark::DoNotOptimize(scanner.Redact(text, arena, counts, scratch).data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.texts.size()));
}
BENCHMARK(BM_PiiScannerRedact)->ArgName("pii_per_text")->Arg(0)->Arg(4);

}  // namespace
}  // namespace gongshi

int main(int argc, char** argv) {
  // The skip loop's width is fixed at compile time (the project builds for haswell).
#if defined(__AVX2__)
  benchmark::AddCustomContext("pii_scanner_skip_loop", "avx2");
#elif defined(__SSE2__)
  benchmark::AddCustomContext("pii_scanner_skip_loop", "sse2");
#else
  benchmark::AddCustomContext("pii_scanner_skip_loop", "swar");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
