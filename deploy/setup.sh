#!/usr/bin/env bash
# gongshi set-up on Debian 12: installs the missing Debian packages, builds, then
#   deploy/setup.sh demo    runs `gongshi demo`
#   deploy/setup.sh test    runs every test, then again under ASan+UBSan, then each libFuzzer
#                           target for ${GONGSHI_FUZZ_SECONDS:-60} s (what .ci/run and CI run)
#   deploy/setup.sh build   only builds
# The build goes to build/release (override with GONGSHI_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libsimdjson-dev librocksdb-dev librdkafka-dev prometheus-cpp-dev libexpected-dev libfmt-dev
  libspdlog-dev libcli11-dev libyaml-cpp-dev libxxhash-dev libssl-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcivetweb-dev prometheus nginx
  chromium fonts-wqy-microhei
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  # prometheus and nginx are here for promtool and for the tests' own loopback servers. On a host
  # with systemd their packages start system services (ports 9090 and 80): stop the ones this
  # script has just installed, leave any that were there before alone.
  for service in prometheus nginx; do
    if [[ " ${missing[*]} " == *" $service "* ]] && command -v systemctl >/dev/null 2>&1 &&
      systemctl is-active --quiet "$service" 2>/dev/null; then
      $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
fi

build_dir=${GONGSHI_BUILD_DIR:-build/release}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGONGSHI_WERROR=$werror >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)"

case "${1:-build}" in
  demo) shift; exec "$build_dir/pipeline/gongshi" demo "$@" ;;
  test)
    ctest --test-dir "$build_dir" --output-on-failure --parallel "$(nproc)" --timeout 900
    # The same tests again under ASan+UBSan. Left out there: the 1M-record run (slow under ASan),
    # the memory test (ASan's shadow memory is not the program's), and the deploy and browser
    # checks (they look at the release binary and the HTML, not at memory safety).
    asan_dir=${GONGSHI_ASAN_BUILD_DIR:-build/asan}
    cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGONGSHI_SANITIZER=address \
      -DGONGSHI_BUILD_BENCH=OFF >/dev/null
    cmake --build "$asan_dir" --parallel "$(nproc)"
    asan_status=0
    ctest --test-dir "$asan_dir" --output-on-failure --parallel "$(nproc)" --timeout 900 \
      -LE 'large|deploy|browser' -E 'MemoryDoesNotGrowWithTheInput' || asan_status=$?
    # The runtime's concurrency under ThreadSanitizer: the worker pool, and file passes (reader,
    # decider and committer threads; 1, 2 and 4 pool threads; killed and resumed) through the real
    # binary, RocksDB included. Only these: TSan cannot follow Debian's librdkafka (its threads
    # start through C11 thrd_create), so nothing here starts a Kafka client. The suppressions
    # name RocksDB's own frames only (see the file).
    tsan_dir=${GONGSHI_TSAN_BUILD_DIR:-build/tsan}
    cmake -S . -B "$tsan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGONGSHI_SANITIZER=thread \
      -DGONGSHI_BUILD_BENCH=OFF >/dev/null
    cmake --build "$tsan_dir" --parallel "$(nproc)" --target worker_pool_test file_pass_test gongshi
    tsan_status=0
    TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/runtime/tsan_suppressions.txt ${TSAN_OPTIONS:-}" \
      ctest --test-dir "$tsan_dir" --output-on-failure --timeout 900 \
      -R '^(WorkerPoolTest|FilePassTest[.](AnyNumberOfThreads|Killed))' || tsan_status=$?
    # Then each libFuzzer target for GONGSHI_FUZZ_SECONDS from its corpus (a clang build of its
    # own, build/fuzz); it runs even after an ASan or TSan failure so one run reports all, and
    # the ASan result decides the exit status first, then TSan's.
    fuzz_status=0
    tests/fuzz/run.sh "${GONGSHI_FUZZ_SECONDS:-60}" || fuzz_status=$?
    ((asan_status == 0)) || exit "$asan_status"
    ((tsan_status == 0)) || exit "$tsan_status"
    exit "$fuzz_status"
    ;;
  build) ;;
  *) echo "usage: deploy/setup.sh demo|test|build" >&2; exit 2 ;;
esac
