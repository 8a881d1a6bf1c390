#!/usr/bin/env python3
"""Merges a bench/run.sh result directory into results.json, prints every stage beside its limit
(the ratio the release checklist reads) and, with --baseline, the change of every figure.

Google Benchmark's tools/compare.py is not packaged in Debian 12; this does the part we use:
items/s per benchmark, new against old, with the machine of each run named.
"""
import argparse
import glob
import json
import os
import re
import sys

# stage -> its limit, measured in the same run on the same data (bench/stages_bench.cc).
# {k}: the rest of the name, shared by both; {a}: the stage's own argument (the limit has none).
LIMITS = {
    "BM_ParseValidate": "BM_Limit_SimdjsonIterateMany",
    "BM_Dedupe/{k}": "BM_Limit_RocksDbMultiGet/{k}",
    # bench/kafka_bench.cc: BM_KafkaService/<batch.max_age_ms>/iterations:3/manual_time
    "BM_KafkaService/{a}/{k}": "BM_Limit_BareConsumer/{k}",
    # BM_KafkaServiceThreads/<service.threads>/...: the same, one core against two
    "BM_KafkaServiceThreads/{a}/{k}": "BM_Limit_BareConsumer/{k}",
}
# stage -> (the stage it is measured against, the least ratio): dedupe at 100 M keys keeps 0.7x
# of its rate at 10 M.
RELATIVE_TARGETS = {"BM_Dedupe/100000000": ("BM_Dedupe/10000000", 0.7)}
RATIO_TARGETS = {"BM_KafkaService": 0.8}  # of the bare consumer's rate
P99_TARGET_S = 1.0  # BM_KafkaLatencyHalfRate: broker append -> committed feed
TARGETS = {  # issue 6, on a 2-core machine; items/s unless noted
    "BM_ParseValidate": 1.5e6,
    "BM_Dedupe/10000000": 5e5,
    "E2E_FilePass": 5e5,
}


def load(directory):
    merged = {"context": {}, "benchmarks": []}
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        if os.path.basename(path) == "results.json":
            continue
        with open(path) as f:
            data = json.load(f)
        merged["context"].update(data.get("context", {}))
        merged["benchmarks"].extend(
            b for b in data.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration")
    return merged


# Benchmarks renamed since a baseline was saved: the new name -> the old one, so that the change
# is still shown. BM_Redact gained the names of natural persons (issue #12) and an argument.
RENAMED = {"BM_Redact/names:1": "BM_Redact"}


def limit_of(name):
    """The limit measured beside `name`, by the LIMITS patterns, or ""."""
    for stage, limit in LIMITS.items():
        pattern = "^" + re.escape(stage).replace(r"\{a\}", "[^/]+").replace(r"\{k\}", "(?P<k>.+)") + "$"
        m = re.match(pattern, name)
        if m:
            return limit.format(k=m.groupdict().get("k", ""))
    return ""


def rate(b):
    return b.get("items_per_second") or 0.0


def fmt(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f}{unit}"
    return f"{x:.0f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--baseline")
    args = parser.parse_args()
    results = load(args.results)
    with open(os.path.join(args.results, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    by_name = {b["name"]: b for b in results["benchmarks"]}
    print(f"machine: {results['context'].get('machine', '?')}  commit: "
          f"{results['context'].get('commit', '?')}")
    print(f"{'benchmark':45} {'items/s':>10} {'bytes/s':>10} {'limit items/s':>14} {'ratio':>6}"
          f" {'target':>8}")
    for name, b in by_name.items():
        base = name.partition("/")[0]
        limit = by_name.get(limit_of(name))
        ratio = f"{rate(b) / rate(limit):.2f}" if limit and rate(limit) else ""
        target = TARGETS.get(name) or TARGETS.get(base)
        met = "" if target is None else ("ok" if rate(b) >= target else f"<{fmt(target)}")
        if base in RATIO_TARGETS and ratio:
            met = "ok" if float(ratio) >= RATIO_TARGETS[base] else f"<{RATIO_TARGETS[base]}x"
        if name in RELATIVE_TARGETS and by_name.get(RELATIVE_TARGETS[name][0]):
            against, least = RELATIVE_TARGETS[name]
            relative = rate(b) / rate(by_name[against])
            met = "ok" if relative >= least else f"<{least}x"
            extra_relative = f"  {relative:.2f}x of {against}"
        else:
            extra_relative = ""
        extra = ""
        if "peak_rss_bytes" in b:
            extra = f"  peak RSS {b['peak_rss_bytes'] / 2**20:.0f} MiB"
        if "p99_s" in b:
            met = "ok" if b["p99_s"] <= P99_TARGET_S else f">{P99_TARGET_S}s"
            extra = (f"  at {fmt(b.get('rate_per_s', 0))}/s: p50 {b['p50_s']:.3f} s, "
                     f"p99 {b['p99_s']:.3f} s, max {b['max_s']:.3f} s")
        print(f"{name:45} {fmt(rate(b)):>10} {fmt(b.get('bytes_per_second') or 0):>10} "
              f"{fmt(rate(limit)) if limit else '':>14} {ratio:>6} {met:>8}{extra}"
              f"{extra_relative}")
    if args.baseline:
        with open(args.baseline) as f:
            old = json.load(f)
        old_by_name = {b["name"]: b for b in old.get("benchmarks", [])}
        print(f"\nagainst {args.baseline} (machine: {old.get('context', {}).get('machine', '?')},"
              f" commit {old.get('context', {}).get('commit', '?')})")
        worse = 0
        for name, b in by_name.items():
            o = old_by_name.get(name) or old_by_name.get(RENAMED.get(name, ""))
            if not o or not rate(o):
                continue
            change = rate(b) / rate(o) - 1
            worse += change < -0.10
            print(f"{name:45} {fmt(rate(o)):>10} -> {fmt(rate(b)):>10} {change:+7.1%}")
        if worse:
            print(f"{worse} benchmark(s) more than 10% slower than the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
