#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each from its checked-in corpus for a while:
# the fuzz step of `deploy/setup.sh test` (CI), and how a developer fuzzes longer.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   SECONDS defaults to $GONGSHI_FUZZ_SECONDS, else 60
# Builds into $GONGSHI_FUZZ_BUILD_DIR (default build/fuzz). The targets run side by side (the
# step takes SECONDS, not SECONDS per target), each with a scratch directory FIRST and the corpus
# second: libFuzzer writes what it finds into its first directory, so the checked-in corpus is
# only read. Exits 1 if any target crashed, leaked, timed out or broke an invariant, and prints
# where the reproducer is and how to replay it.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-${GONGSHI_FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(pii_scanner_fuzz json_parser_fuzz validator_fuzz)
build_dir=${GONGSHI_FUZZ_BUILD_DIR:-build/fuzz}

if [ -f "$build_dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$build_dir/CMakeCache.txt"; then
  echo "fuzz: $build_dir was configured with another compiler; remove it or set GONGSHI_FUZZ_BUILD_DIR" >&2
  exit 2
fi
start=$SECONDS
# RelWithDebInfo: optimised like production (what libFuzzer should explore), with line numbers in
# the stacks. No -Werror here: clang warns about things g++ 12 (the project's compiler) does not.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGONGSHI_FUZZ=ON -DGONGSHI_BUILD_TESTS=OFF -DGONGSHI_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)" --target "${targets[@]}"
built=$SECONDS

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
pids=()
for t in "${targets[@]}"; do
  scratch="$build_dir/fuzz-scratch/$t"
  artifacts="$build_dir/fuzz-artifacts/$t"
  rm -rf "$scratch" "$artifacts"
  mkdir -p "$scratch" "$artifacts"
  # -timeout: one input taking 10 s is a hang (they take microseconds); -rss_limit_mb: 2 GB is a
  # blow-up (the targets stay near 0.5 GB, most of it ASan's quarantine).
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  "$build_dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$scratch" "tests/fuzz/corpus/$t" >"$build_dir/fuzz-$t.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  log="$build_dir/fuzz-$t.log"
  status=0
  wait "${pids[$i]}" || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if ((status == 0)); then
    echo "fuzz: $t: ${runs:-?} inputs, ${rate:-?}/s, no failure ($(ls "$build_dir/fuzz-scratch/$t" | wc -l) new inputs in $build_dir/fuzz-scratch/$t)"
    continue
  fi
  failed=1
  echo "fuzz: $t FAILED (exit $status); its log, $log, ends:" >&2
  grep -v -E '^#[0-9]+ ' "$log" | tail -n 60 >&2
  for reproducer in "$build_dir/fuzz-artifacts/$t"/*; do
    [ -e "$reproducer" ] || continue
    echo "fuzz: $t reproducer: $reproducer" >&2
    echo "fuzz:   replay it: $build_dir/tests/fuzz/$t $reproducer" >&2
    echo "fuzz:   keep it (ctest replays it): mkdir -p tests/fuzz/crashes/$t && cp $reproducer tests/fuzz/crashes/$t/" >&2
  done
done
echo "fuzz: build $((built - start)) s, runs $((SECONDS - built)) s"
exit $failed
