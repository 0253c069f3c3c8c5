#!/usr/bin/env python3
"""Runs refgc-bench builds N times each, alternating, and prints medians and
worst of the figures issue 22 asks for (JSON lines, then a table).

usage: repeat.py N NAME=BENCH[;VAR=VALUE...] [...] -- refgc-bench args
Environment (REFGC_*) passes through; VAR=VALUE after a build's path is
set for that build's runs only. Per run: max pause, pause work
(duration - ttsp, max), ttsp max, total pause, wait fraction, ops/s,
peak heap, load average at the start."""
import json
import os
import subprocess
import sys


def run(spec, args):
    bench, *env = spec.split(";")
    load = open("/proc/loadavg").read().split()[0]
    r = subprocess.run(["nice", bench, "--pauses"] + args, capture_output=True, text=True,
                       env={**os.environ, **dict(e.split("=", 1) for e in env)})
    if r.returncode:
        sys.exit(f"repeat: {bench} failed: {r.stderr}")
    d = json.loads(r.stdout)
    ps = d["pauses"]
    return {"max_pause_us": d["pause_ns"]["max"] / 1e3,
            "max_work_us": max((p["duration_ns"] - p["ttsp_ns"] for p in ps), default=0) / 1e3,
            "max_ttsp_us": d["ttsp_ns"]["max"] / 1e3,
            "total_pause_ms": d["pause_ns"]["total"] / 1e6,
            "pauses": len(ps), "cycles": d["gc_count"],
            "wait_pct": 100 * d["wait_fraction"],
            "assist_ms": d["assist"]["total_ns"] / 1e6, "stall_ms": d["stall"]["total_ns"] / 1e6,
            "ops_per_s": d["ops_per_s"], "peak_mib": d["peak_heap_bytes"] / 2**20,
            "trigger": d.get("trigger_fraction", {}).get("last"), "load": float(load)}


def main():
    n = int(sys.argv[1])
    i = sys.argv.index("--")
    builds = [a.split("=", 1) for a in sys.argv[2:i]]
    args = sys.argv[i + 1:]
    res = {name: [] for name, _ in builds}
    for k in range(n):
        for name, bench in builds:
            r = run(bench, args)
            res[name].append(r)
            print(json.dumps({"build": name, "run": k, **r}), flush=True)
    keys = ["max_pause_us", "max_work_us", "max_ttsp_us", "total_pause_ms", "wait_pct",
            "assist_ms", "stall_ms", "ops_per_s", "peak_mib", "cycles", "load"]
    print("build      figure            median      worst (max; ops/s: min)    runs")
    for name, _ in builds:
        for key in keys:
            v = sorted(r[key] for r in res[name])
            worst = v[0] if key == "ops_per_s" else v[-1]
            print(f"{name:10s} {key:16s} {v[len(v) // 2]:10.1f} {worst:10.1f}    "
                  + ", ".join(f"{x:.1f}" for x in (r[key] for r in res[name])))
        over = sum(1 for r in res[name] if r["max_pause_us"] > 1000)
        print(f"{name:10s} runs with a pause over 1 ms: {over} of {n}")


if __name__ == "__main__":
    main()
