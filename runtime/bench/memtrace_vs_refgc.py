#!/usr/bin/env python3
"""memtrace's outside view of refgc-bench against refgc's own records.

usage: memtrace_vs_refgc.py BUILD_DIR RUNS [refgc-bench args...]
Runs `memtrace -q --json R -- refgc-bench --pauses ARGS` RUNS times and
prints, per run, one JSON line: the bench's pauses (timed run) matched to
memtrace's by (cycle, phase, order), the largest difference of a matched
pause's duration, both max pauses, both counts of assists and stalls
(memtrace counts the whole process, the bench its timed run), memtrace's
MMU with and without the waits, and the load average. refgc's time to
safepoint has no probe of its own: it is in refgc's records only (and
in the kernel's view, ttsp_sched.py)."""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

PHASES = {0: "stw", 1: "mark start", 2: "mark termination"}


def one(build, args):
    with tempfile.TemporaryDirectory() as tmp:
        rep = os.path.join(tmp, "r.json")
        load = open("/proc/loadavg").read().split()[0]
        p = subprocess.run([os.path.join(build, "memtrace"), "-q", "--json", rep, "--",
                            os.path.join(build, "refgc-bench"), "--pauses"] + args,
                           capture_output=True, text=True)
        if p.returncode:
            sys.exit(f"memtrace_vs_refgc: rc {p.returncode}: {p.stderr[-2000:]}")
        bench = next(json.loads(l) for l in p.stdout.splitlines() if l.startswith('{"workload"'))
        gc = json.load(open(rep))["gc"]
    ours = defaultdict(list)
    for q in gc["pauses"]:
        ours[(q["cycle"], q["phase"])].append(q)
    seen, diffs, missing = defaultdict(int), [], 0
    for q in bench["pauses"]:
        k = (q["cycle"], PHASES[q["phase"]])
        i = seen[k]
        seen[k] += 1
        if i >= len(ours[k]):
            missing += 1
            continue
        diffs.append(ours[k][i]["duration_ns"] - q["duration_ns"])
    first = min((q["cycle"] for q in bench["pauses"]), default=0)
    mt_max = max((q["duration_ns"] for q in gc["pauses"] if q["cycle"] >= first), default=0)
    w = gc["waits"]
    return {"load": float(load), "refgc_pauses": len(bench["pauses"]), "matched": len(diffs),
            "missing": missing,
            "diff_us_median": sorted(diffs)[len(diffs) // 2] / 1e3 if diffs else None,
            "diff_us_max": max(diffs, key=abs) / 1e3 if diffs else None,
            "refgc_max_pause_us": bench["pause_ns"]["max"] / 1e3,
            "refgc_max_ttsp_us": bench["ttsp_ns"]["max"] / 1e3,
            "memtrace_max_pause_us": mt_max / 1e3,
            "refgc_assists": bench["assist"]["count"], "memtrace_assists": w["assists"]["count"],
            "refgc_assist_ms": bench["assist"]["total_ns"] / 1e6,
            "memtrace_assist_ms": w["assists"]["total_ns"] / 1e6,
            "refgc_stalls": bench["stall"]["count"], "memtrace_stalls": w["stalls"]["count"],
            "refgc_stall_ms": bench["stall"]["total_ns"] / 1e6,
            "memtrace_stall_ms": w["stalls"]["total_ns"] / 1e6,
            "refgc_wait_pct": 100 * bench["wait_fraction"],
            "memtrace_mmu": gc["mmu"], "memtrace_mmu_pauses_only": w["mmu_pauses_only"],
            "lost_events": gc["lost_events"], "unpaired_waits": w["unpaired"]}


def main():
    build, n, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for _ in range(n):
        print(json.dumps(one(build, args)), flush=True)


if __name__ == "__main__":
    main()
