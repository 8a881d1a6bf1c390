#!/usr/bin/env bash
# gongshi set-up on Debian 12: installs the missing Debian packages, builds, then
#   deploy/setup.sh demo    runs `gongshi demo`
#   deploy/setup.sh test    runs every test (what .ci/run and CI run)
#   deploy/setup.sh build   only builds
# The build goes to build/release (override with GONGSHI_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libsimdjson-dev librocksdb-dev librdkafka-dev prometheus-cpp-dev libexpected-dev libfmt-dev
  libspdlog-dev libcli11-dev libyaml-cpp-dev libxxhash-dev libssl-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcivetweb-dev prometheus
  chromium fonts-wqy-microhei
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
fi

build_dir=${GONGSHI_BUILD_DIR:-build/release}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGONGSHI_WERROR=$werror >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)"

case "${1:-build}" in
  demo) shift; exec "$build_dir/pipeline/gongshi" demo "$@" ;;
  test) exec ctest --test-dir "$build_dir" --output-on-failure --parallel "$(nproc)" --timeout 900 ;;
  build) ;;
  *) echo "usage: deploy/setup.sh demo|test|build" >&2; exit 2 ;;
esac
