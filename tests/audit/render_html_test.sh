#!/bin/sh
# Renders the audit report page in headless Chromium and checks the DOM it built (figures, SVG
# charts, the escaped authority name, no script) and that a screenshot is more than a blank page.
# Usage: render_html_test.sh AUDIT_RENDER_HTML WORK_DIR. Exits 77 (ctest: skipped) without chromium.
set -eu

helper=$1
work=$2
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not installed (Debian package: chromium)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
page="$work/report.html"
"$helper" "$page"

# The flags keep Chromium off the network and out of the user's profile: the page must render
# from the file alone.
run_chromium() {
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" "$@" 2>>"$work/chromium.log"
}

run_chromium --dump-dom "file://$page" >"$work/dom.html"

fail=0
expect() {
  if ! grep -qF -- "$1" "$work/dom.html"; then
    echo "FAIL: the rendered DOM lacks: $1"
    fail=1
  fi
}
reject() {
  if grep -qiF -- "$1" "$work/dom.html"; then
    echo "FAIL: the rendered DOM contains: $1"
    fail=1
  fi
}

expect '<svg id="chart-monthly"'
expect '<svg id="chart-latency"'
expect '<svg id="chart-top-late"'
expect '<rect class="bar"'
expect '<title>双公示时效审计报告 Publication deadline audit</title>'
expect '浙江省 丙市 (browser test)'
expect '丙市市场监督管理局'
expect '&lt;script&gt;document.title='
expect '95.24%'
expect '92.50%'
expect '7.50%'
expect '95.65%'
expect '93.18%'
expect '6.82%'
expect 'id="total-received"><div class="value">46<'
expect 'id="total-pipeline-late"><div class="value bad">1<'
expect 'uscc_checksum 2'
expect '2024-03'
expect '2024-04'
reject '<script'
reject 'pwned</title>'
reject '2024-05'

svgs=$(grep -o '<svg ' "$work/dom.html" | wc -l)
if [ "$svgs" -lt 3 ]; then
  echo "FAIL: expected 3 svg charts, the DOM has $svgs"
  fail=1
fi

# A screenshot of a page with three charts and a table compresses to far more than a blank one
# (about 5 KB at this size).
run_chromium --window-size=1280,1800 --screenshot="$work/report.png" "file://$page" >/dev/null
if [ ! -s "$work/report.png" ]; then
  echo "FAIL: no screenshot"
  fail=1
else
  magic=$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')
  size=$(wc -c <"$work/report.png")
  if [ "$magic" != "89504e470d0a1a0a" ]; then
    echo "FAIL: the screenshot is not a PNG ($magic)"
    fail=1
  elif [ "$size" -lt 40000 ]; then
    echo "FAIL: the screenshot is only $size bytes: is the page blank?"
    fail=1
  fi
fi

if [ "$fail" -ne 0 ]; then
  echo "chromium log: $work/chromium.log; DOM: $work/dom.html"
  exit 1
fi
echo "OK: $svgs svg charts, screenshot $size bytes ($work/report.png)"
