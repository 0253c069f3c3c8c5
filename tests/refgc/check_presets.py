#!/usr/bin/env python3
"""Each preset does what its name says, measured against "balanced".

usage: check_presets.py BENCH [RUNS [SECONDS]]
Runs refgc-bench's latency workload (32 MiB live, one thread) under each
REFGC_PRESET, RUNS times (default 3, alternating presets) for SECONDS
(default 3), and compares medians (cycles and pause time per GiB: totals
over the runs) with balanced (stw, GC 100%):
 - low-latency (incremental): median pause and pause time per GiB
   allocated both under a tenth of balanced's (stw marks the whole heap
   in the pause: 15-65 ms here; incremental pauses are ~0.1 ms of work).
   Not its p99: with 30-70 pauses per run that is the longest, and at load
   6.5 two runs in three had a pause whose own thread the kernel held off
   a CPU for 9 ms (1 failure in 7 runs of this check when it asserted
   p99 < balanced's median / 5);
 - high-throughput (stw, GC 200%): at most 3/4 of balanced's cycles per
   GiB allocated (a goal of 3x the live heap, not 2x) and less pause time
   per GiB allocated;
 - memory-constrained (incremental, GC 20%): the most heap in objects
   during the run (heap_alloc; not the build of the live set) at most
   0.95 of balanced's (when the first runs miss it, over twice as many
   runs). Run alone it holds 0.72-0.80 of balanced's; in `make test`,
   right after the 64 MiB checks, 0.91-0.93 (56-60 MiB against 65: the
   incremental mark runs slower there and the next cycle starts with more
   floating garbage; stw's peak does not move). As stw at GC 20% it held
   more than balanced (76-86 MiB against 68-69 MiB), which this check
   caught.
Per-GiB and per-heap figures, not requests per second: those swing 4x run
to run on a shared 2-CPU machine. Prints one line per preset."""
import json
import os
import subprocess
import sys

PRESETS = ["balanced", "low-latency", "high-throughput", "memory-constrained"]


def fail(msg):
    print(f"presets: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(bench, preset, secs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFGC_")}
    env["REFGC_PRESET"] = preset
    out = subprocess.run([bench, "--workload", "latency", "--live-mib", "32", "--seconds", secs],
                         env=env, capture_output=True, text=True, timeout=300)
    if out.returncode:
        fail(f"{preset}: refgc-bench exited {out.returncode}: {out.stderr.strip()}")
    d = json.loads(out.stdout)
    gib = d["total_alloc_bytes"] / 2**30
    # high-throughput made 1-2 cycles in 2 s runs at load 7: one cycle is
    # still a measurement, summed over the runs below.
    if d["gc_count"] < 1 or gib <= 0:
        fail(f"{preset}: only {d['gc_count']} cycles; nothing was measured")
    return {"mode": d["mode"], "p50_ms": d["pause_ns"]["p50"] / 1e6,
            "p99_ms": d["pause_ns"]["p99"] / 1e6, "max_ms": d["pause_ns"]["max"] / 1e6,
            "cycles": d["gc_count"], "gib": gib, "pause_ms": d["pause_ns"]["total"] / 1e6,
            "peak_mib": d["run_heap_alloc_max_bytes"] / 2**20, "wait_pct": 100 * d["wait_fraction"],
            "ops_per_s": d["ops_per_s"]}


def median(runs, key):
    v = sorted(r[key] for r in runs)
    return v[len(v) // 2]


def main():
    bench = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    secs = sys.argv[3] if len(sys.argv) > 3 else "3"
    res = {p: [] for p in PRESETS}
    for _ in range(n):
        for p in PRESETS:
            res[p].append(run(bench, p, secs))
    m = {p: {k: median(res[p], k) for k in res[p][0] if k not in ("mode", "cycles", "gib", "pause_ms")}
         for p in PRESETS}
    for p in PRESETS:
        gib = sum(r["gib"] for r in res[p])
        m[p]["cycles_per_gib"] = sum(r["cycles"] for r in res[p]) / gib
        m[p]["pause_ms_per_gib"] = sum(r["pause_ms"] for r in res[p]) / gib
    for p in PRESETS:
        print(f"presets: {p:18s} {res[p][0]['mode']:11s} " +
              " ".join(f"{k} {v:.2f}" for k, v in m[p].items()))
    b, ll, ht, mc = (m[p] for p in PRESETS)
    if not ll["p50_ms"] < b["p50_ms"] / 10:
        fail(f"low-latency: median pause {ll['p50_ms']:.2f} ms, not under a tenth of "
             f"balanced's {b['p50_ms']:.2f} ms")
    if not ll["pause_ms_per_gib"] < b["pause_ms_per_gib"] / 10:
        fail(f"low-latency: {ll['pause_ms_per_gib']:.1f} ms of pauses per GiB, not under a "
             f"tenth of balanced's {b['pause_ms_per_gib']:.1f}")
    if not ht["cycles_per_gib"] <= 0.75 * b["cycles_per_gib"]:
        fail(f"high-throughput: {ht['cycles_per_gib']:.1f} cycles per GiB allocated, "
             f"balanced {b['cycles_per_gib']:.1f}")
    if not ht["pause_ms_per_gib"] < b["pause_ms_per_gib"]:
        fail(f"high-throughput: {ht['pause_ms_per_gib']:.1f} ms of pauses per GiB, "
             f"balanced {b['pause_ms_per_gib']:.1f}")
    if not mc["peak_mib"] <= 0.95 * b["peak_mib"]:
        # n more of each, alternating, and the median of all decides (stw
        # at GC 20% held 76-86 MiB, which still fails).
        print(f"presets: memory-constrained peak {mc['peak_mib']:.1f} MiB against balanced's "
              f"{b['peak_mib']:.1f}: measuring {n} more of each", file=sys.stderr)
        for _ in range(n):
            for p in ("balanced", "memory-constrained"):
                res[p].append(run(bench, p, secs))
        bp, mp = median(res["balanced"], "peak_mib"), median(res["memory-constrained"], "peak_mib")
        print(f"presets: peaks over {2 * n} runs: balanced {bp:.1f} MiB, memory-constrained {mp:.1f} MiB",
              file=sys.stderr)
        if not mp <= 0.95 * bp:
            fail(f"memory-constrained: peak heap {mp:.0f} MiB, balanced {bp:.0f} MiB (median of {2 * n} runs)")
    print("presets: ok")


if __name__ == "__main__":
    main()
