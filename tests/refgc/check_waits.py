#!/usr/bin/env python3
"""Regression test: mutators wait little for the incremental collector at
the default GC percent (the pacer: runtime/pacer_trigger.c's feedback
trigger and runtime/assist_credit.c's background credit).

usage: check_waits.py BENCH [RUNS [SECONDS]]
Runs refgc-bench's latency workload in incremental mode, 1 mutator thread,
64 MiB live, GC percent 100 (the default), RUNS times (default 3) for
SECONDS each (default 3), and takes the median of the runs' wait fraction
((assist + stall time) / run time). Fails when
 - the median is over BOUND (see below), or
 - fewer than 3 cycles ran in a run (nothing was tested).
BOUND 30%: on the project's 2-CPU VM at load 6-7, the old pacer (trigger
fixed at 70% of the runway, assists marking their whole debt whatever the
background worker had already done) waited 36.0-40.6% of the run (median
36.2%, this test; refgc-tune's 4 s runs of the same setting at load 9-15:
30-43%), the new one 17.5-25.0% (median 22.4%). The waits are what the
one background mark worker cannot do in its share of a loaded CPU, so
they grow with load for both; 30% keeps the new pacer clear of a loaded
CI machine and fails the old one. The issue's goal (5%) is not asserted:
it is not met on this machine (runtime/README.md). About 25 s."""
import json
import os
import subprocess
import sys

BOUND = 0.30


def fail(msg):
    print(f"waits: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(bench, secs):
    env = dict(os.environ, REFGC_MODE="incremental")
    for k in ("REFGC_GCPERCENT", "REFGC_MEMLIMIT", "REFGC_PRESET", "REFGC_PROCS"):
        env.pop(k, None)
    p = subprocess.run([bench, "--workload", "latency", "--live-mib", "64", "--seconds", secs],
                       env=env, capture_output=True, text=True, timeout=300)
    if p.returncode:
        fail(f"refgc-bench exited {p.returncode}: {p.stderr.strip()[-500:]}")
    r = json.loads(p.stdout)
    if "wait_fraction" not in r:
        fail("refgc-bench reports no wait fraction: mutator waits are invisible")
    if r["gc_count"] < 3:
        fail(f"only {r['gc_count']} cycles in {secs} s; nothing was tested")
    return r


def main():
    bench = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    secs = sys.argv[3] if len(sys.argv) > 3 else "3"
    res = [run(bench, secs) for _ in range(runs)]
    fr = sorted(r["wait_fraction"] for r in res)
    med = fr[len(fr) // 2]
    for r in res:
        print(f"waits: {r['gc_count']} cycles, {r['ops_per_s']:.0f} ops/s, waits "
              f"{r['wait_fraction']:.1%} (assists {r['assist']['count']} / "
              f"{r['assist']['total_ns'] / 1e6:.0f} ms, stalls {r['stall']['count']} / "
              f"{r['stall']['total_ns'] / 1e6:.0f} ms), max pause "
              f"{r['pause_ns']['max'] / 1e3:.0f} us, peak heap {r['peak_heap_bytes'] >> 20} MiB")
    if med > BOUND:
        fail(f"median wait fraction {med:.1%} of run time over {runs} runs, over {BOUND:.0%}")
    print(f"waits: median {med:.1%} over {runs} runs (bound {BOUND:.0%}); ok")


if __name__ == "__main__":
    main()
