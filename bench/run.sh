#!/usr/bin/env bash
# The release engineers' benchmark run: every bench/*_bench binary with JSON output, an end-to-end
# file pass over generated records, the machine's description beside the figures, each stage as a
# ratio to its limit, and the change against a saved baseline.
#
#   bench/run.sh [--baseline FILE] [--records N] [--keys K1,K2,...] [--kafka-records N]
#                [--cache-mb MB] [--out DIR]
#
# Defaults: 1000000 records end to end, warm stores of 1000000 keys, results in bench-results/<utc>/
# (results.json = everything; save one as bench/baseline.json to compare later runs against).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${GONGSHI_BUILD_DIR:-build/release}"
baseline=""
records=1000000
keys=1000000
# The embedded broker keeps ~5 MiB per partition (16 partitions here): 50000 records already
# lost the oldest of the busiest partition, which BM_KafkaService reports as an error.
kafka_records=30000
cache_mb=""  # state.block_cache_mb for the dedupe stores (default the product's, 256)
out="bench-results/$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --kafka-records) kafka_records="$2"; shift 2 ;;
    --cache-mb) cache_mb="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$build_dir/pipeline/gongshi" ] || { echo "bench/run.sh: build first (./deploy/setup.sh build)" >&2; exit 2; }
mkdir -p "$out"
work="${GONGSHI_BENCH_DIR:-/tmp/gongshi-bench}"
mkdir -p "$work"

# The machine, as the figures need it said.
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
machine="$(nproc) x ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "machine: $machine; commit $commit"

for bin in "$build_dir"/bench/*_bench; do
  name="$(basename "$bin")"
  echo "== $name"
  # Dirty pages of the last run (GBs after an end-to-end pass or a store build) are written back
  # by kernel threads that take a core from the next benchmark: 30-50% off its figures here.
  sync
  GONGSHI_BENCH_KEYS="$keys" GONGSHI_BENCH_DIR="$work" GONGSHI_DATA_DIR="$PWD" \
    GONGSHI_BENCH_CACHE_MB="$cache_mb" \
    GONGSHI_BENCH_KAFKA_RECORDS="$kafka_records" "$bin" \
    --benchmark_format=console --benchmark_out_format=json --benchmark_out="$out/$name.json" \
    --benchmark_context="machine=${machine//,/;},commit=$commit"
done

# End to end: `gongshi run --input` over generated records (cached by count), synced commits.
input="$work/records-$records.ndjson"
if [ ! -s "$input" ]; then
  "$build_dir/pipeline/gongshi" generate --count "$records" --seed 2026 --today 2026-11-30 --out "$input"
fi
# Twice: every core (service.threads 0, the default) and one (1: every stage on one thread, as
# before the worker pool), so the scaling is read in the same run. JSON e2e.json / e2e-1thread.json.
for threads in 0 1; do
  name="E2E_FilePass"
  file="$out/e2e.json"
  if [ "$threads" = 1 ]; then name="E2E_FilePass1Thread"; file="$out/e2e-1thread.json"; fi
  rm -rf "$work/e2e-out"
  printf 'today: 2026-11-30\nservice: {threads: %s}\n' "$threads" > "$work/e2e.yaml"
  echo "== gongshi run --input ($records records, service.threads $threads)"
  sync
  /usr/bin/time -f '%e %M' -o "$work/e2e.time" \
    "$build_dir/pipeline/gongshi" run --config "$work/e2e.yaml" --input "$input" --out "$work/e2e-out" \
    > "$work/e2e.summary"
  cat "$work/e2e.summary"
  read -r seconds rss_kb < "$work/e2e.time"
  bytes="$(stat -c %s "$input")"
  python3 - "$file" "$name" "$records" "$bytes" "$seconds" "$rss_kb" "$machine" "$commit" <<'PY'
import json, sys
path, name, records, nbytes, seconds, rss_kb, machine, commit = sys.argv[1:]
records, nbytes, seconds, rss_kb = int(records), int(nbytes), float(seconds), int(rss_kb)
json.dump({"context": {"machine": machine, "commit": commit},
           "benchmarks": [{"name": f"{name}/{records}", "run_type": "iteration",
                           "real_time": seconds, "time_unit": "s",
                           "items_per_second": records / seconds,
                           "bytes_per_second": nbytes / seconds,
                           "peak_rss_bytes": rss_kb * 1024}]}, open(path, "w"), indent=1)
PY
done

python3 bench/compare.py "$out" ${baseline:+--baseline "$baseline"} | tee "$out/report.txt"
echo "results: $out/results.json"
