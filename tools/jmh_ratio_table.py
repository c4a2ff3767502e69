#!/usr/bin/env python3
"""Turns a JMH JSON result of RecordProtectionBenchmark into the Markdown table of docs/BENCHMARKS.md:
SDP's record layer next to raw JCE in the same run, as a ratio, with allocation per operation.
Usage: python3 tools/jmh_ratio_table.py bench-results/record-protection.json"""
import json, sys

rows = {}
for r in json.load(open(sys.argv[1])):
    method = r["benchmark"].rsplit(".", 1)[1]
    key = (r["params"]["suite"], int(r["params"]["size"]))
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    rows.setdefault(key, {})[method] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], alloc)

print("| suite | record | SDP seal+open (ns) | raw JCE (ns) | ratio | SDP B/op | raw JCE B/op |")
print("|---|---|---|---|---|---|---|")
for (suite, size), m in sorted(rows.items()):
    s, r = m["sdpSealOpen"], m["rawJceSealOpen"]
    alloc = lambda x: "n/a" if x[2] is None else f"{x[2]:.0f}"
    print(f"| {suite} | {size} B | {s[0]:.0f} ± {s[1]:.0f} | {r[0]:.0f} ± {r[1]:.0f} | {s[0] / r[0]:.2f} | {alloc(s)} | {alloc(r)} |")
