#!/usr/bin/env bash
# The deploy tests: one check per run, as registered in tests/deploy/CMakeLists.txt. Exit 77 means
# skipped (a tool or the built binary is missing here); ctest shows it as skipped, not passed.
#   check_deploy.sh CHECK SOURCE_DIR DEPLOY_CHECK_BIN GONGSHI_BIN BUILD_DIR
set -euo pipefail
check=$1 src=$2 deploy_check=$3 gongshi=$4 build=$5
deploy=$src/deploy
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

need_gongshi() {
  if [ ! -x "$gongshi" ]; then
    echo "skip: $gongshi is not built (build the gongshi target first)"
    exit 77
  fi
}

case "$check" in
  prometheus_config)
    # promtool comes with Debian's prometheus package, which deploy/setup.sh installs.
    command -v promtool >/dev/null || { echo "promtool not found: run deploy/setup.sh" >&2; exit 1; }
    promtool check config "$deploy/prometheus/prometheus.yml"
    ;;

  prometheus_alerts)
    command -v promtool >/dev/null || { echo "promtool not found: run deploy/setup.sh" >&2; exit 1; }
    promtool check rules "$deploy/prometheus/alerts.yml"
    "$deploy_check" alerts "$deploy/prometheus/alerts.yml"
    # The unit tests feed series to every alert and assert when it fires and when it must not
    # (promtool finds alerts.yml relative to each test file).
    promtool test rules "$deploy/prometheus/alerts_test.yml" \
      "$deploy/prometheus/alerts_calendar_test.yml"
    ;;

  metrics_exposition)
    command -v promtool >/dev/null || { echo "promtool not found: run deploy/setup.sh" >&2; exit 1; }
    "$deploy_check" exposition >"$scratch/metrics.txt"
    promtool check metrics <"$scratch/metrics.txt"
    echo "promtool check metrics: $(grep -c '^# TYPE ' "$scratch/metrics.txt") families, no findings"
    ;;

  grafana_dashboard)
    "$deploy_check" dashboard "$deploy/grafana/dashboards/gongshi.json"
    ;;

  yaml)
    "$deploy_check" yaml "$deploy/compose.yaml" "$deploy"/prometheus/*.yml \
      "$deploy"/grafana/provisioning/*/*.yaml
    # Compose reads the dashboard mount and the Prometheus config relative to deploy/.
    for path in prometheus/prometheus.yml grafana/provisioning grafana/dashboards/gongshi.json; do
      [ -e "$deploy/$path" ] || { echo "compose.yaml mounts ./$path, which is missing" >&2; exit 1; }
    done
    ;;

  systemd_unit)
    command -v systemd-analyze >/dev/null || { echo "skip: no systemd-analyze"; exit 77; }
    # verify insists that ExecStart exists; point it at a binary that does. Unknown keys and bad
    # values are only warnings (exit 0), so any output at all fails the check.
    sed 's#/usr/local/bin/gongshi#/bin/true#g' "$deploy/gongshi.service" >"$scratch/gongshi.service"
    if ! out=$(cd "$scratch" && systemd-analyze verify ./gongshi.service 2>&1) || [ -n "$out" ]; then
      echo "$out" >&2
      exit 1
    fi
    echo "systemd-analyze verify: no findings"
    systemd-analyze security --offline=yes --threshold=30 "$scratch/gongshi.service" | tail -n 1
    ;;

  image_packages)
    need_gongshi
    # Every shared library the binary loads must come from a package the runtime stage installs.
    runtime=$(awk '/^FROM /{n++} n==2' "$deploy/Dockerfile")
    missing=0
    while read -r lib; do
      owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null \
        || dpkg -S "${lib#/usr}" 2>/dev/null || true)
      package=${owner%%:*}
      if [ -z "$package" ]; then
        echo "no Debian package owns $lib" >&2; missing=1; continue
      fi
      if ! grep -qwF -- "$package" <<<"$runtime"; then
        echo "Dockerfile runtime stage lacks $package (for $lib)" >&2; missing=1
      fi
    done < <(ldd "$gongshi" | awk '/=> \//{print $3}')
    [ "$missing" -eq 0 ]
    echo "every library of $(basename "$gongshi") is in the runtime stage's packages"
    ;;

  install_layout)
    need_gongshi
    # What the Dockerfile's `cmake --install` produces, and where the binary looks for its data.
    cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
    for path in bin/gongshi share/gongshi/schemas/penalty.schema.json \
                share/gongshi/schemas/license.schema.json share/gongshi/holidays/2024.json; do
      [ -e "$scratch/prefix/$path" ] || { echo "install lacks $path" >&2; exit 1; }
    done
    echo "install layout: bin/gongshi, share/gongshi/{schemas,holidays}"
    ;;

  compose_gongshi_config)
    need_gongshi
    "$deploy_check" compose-config "$deploy/compose.yaml" "$scratch/gongshi.yaml"
    "$gongshi" check-config "$scratch/gongshi.yaml"
    ;;

  *)
    echo "unknown check: $check" >&2
    exit 2
    ;;
esac
