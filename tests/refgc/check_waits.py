#!/usr/bin/env python3
"""Regression test: mutators wait little for the incremental collector at
the default GC percent (the pacer: runtime/pacer_trigger.c's feedback
trigger and runtime/assist_credit.c's background credit).

usage: check_waits.py BENCH [RUNS [SECONDS]]
Runs refgc-bench's latency workload in incremental mode, 1 mutator thread,
256 MiB live (issue 22's setting), GC percent 100 (the default), RUNS
times (default 3) for SECONDS each (default 8), and takes the median of the
runs' wait fraction ((assist + stall time) / run time). Fails when
 - the median is over BOUND (see below), or
 - any run is over RUN_BOUND, issue 22's goal (5% of run time), or
 - fewer than 3 cycles ran in a run (nothing was tested).
BOUND 3%: with the hard goal widened by the last mark's black allocation
(runtime/pacer.c, pacer_floating), 10 runs of 8 s at load 5.7-6.9 waited
0.2-2.6% (median 0.8%) against 4.0-10.2% (median 7.8%) without
(repeat.py, alternating); 10 of 10 tests passed at load 4.9-9.5 (medians
0.5-1.0%, single runs 0.2-1.2%); the runtime before that change fails at
load 4.4 (5.0, 8.7, 11.6%; see runtime/README.md). Before, BOUND was 12%: on the 2-CPU VM
at load 4-5, 8 s runs waited 6.5-25.1% (median 17.8%) with one background
mark worker, and 2.4-8.5% (median 5.2%) with an idle-P worker beside it
(collector.c, background_workers). At 64 MiB live, the setting this test
used before (bound 30%), the two overlap (5.4-18.1% against 2.8-11.4%
medians of 3) and the test could not tell them apart; at 256 MiB one
worker cannot mark the heap within the runway on a loaded machine and the
mutator assists. At this load the old runtime's median can pass the
bound too (3.1% and 7.9% at load 7-8 against the old 12%; 0.7-3.7% medians
at load 7-8.8 for the idle-P runtime: the mutator gets no more CPU than
the worker), so the test also fails when
 - the mark helper threads (refgc-mark) used under HELPER_SHARE of the
   coordinator's CPU (/proc/PID/task/TID/schedstat), median of the runs:
   the idle P did not mark.
About 35 s."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime", "bench"))
from schedstat import sample  # noqa: E402

BOUND = 0.03
RUN_BOUND = 0.05
# With one mutator on 2 or more CPUs the idle P marks too: the helper
# threads' CPU against the coordinator's, median of the runs. Measured
# 0.58-1.28 in 30 runs at load 7-8; the old runtime's helpers: 2 ms
# against the coordinator's 1461-1892 ms (0.00).
HELPER_SHARE = 0.25


def fail(msg):
    print(f"waits: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(bench, secs):
    env = dict(os.environ, REFGC_MODE="incremental")
    for k in ("REFGC_GCPERCENT", "REFGC_MEMLIMIT", "REFGC_PRESET", "REFGC_PROCS",
              "REFGC_MAXPROCS"):
        env.pop(k, None)
    p = subprocess.Popen([bench, "--workload", "latency", "--live-mib", "256", "--seconds", secs],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = {}
    while p.poll() is None:
        sample(p.pid, seen)
        time.sleep(0.05)
    out, err = p.communicate()
    if p.returncode:
        fail(f"refgc-bench exited {p.returncode}: {err.strip()[-500:]}")
    r = json.loads(out)
    if "wait_fraction" not in r:
        fail("refgc-bench reports no wait fraction: mutator waits are invisible")
    if r["gc_count"] < 3:
        fail(f"only {r['gc_count']} cycles in {secs} s; nothing was tested")
    r["coord_ms"] = sum(c for n, c, _ in seen.values() if n == "refgc-coord") / 1e6
    r["mark_ms"] = sum(c for n, c, _ in seen.values() if n == "refgc-mark") / 1e6
    return r


def main():
    bench = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    secs = sys.argv[3] if len(sys.argv) > 3 else "8"
    res = [run(bench, secs) for _ in range(runs)]
    fr = sorted(r["wait_fraction"] for r in res)
    med = fr[len(fr) // 2]
    for r in res:
        print(f"waits: {r['gc_count']} cycles, {r['ops_per_s']:.0f} ops/s, waits "
              f"{r['wait_fraction']:.1%} (assists {r['assist']['count']} / "
              f"{r['assist']['total_ns'] / 1e6:.0f} ms, stalls {r['stall']['count']} / "
              f"{r['stall']['total_ns'] / 1e6:.0f} ms), max pause "
              f"{r['pause_ns']['max'] / 1e3:.0f} us, peak heap {r['peak_heap_bytes'] >> 20} MiB, "
              f"CPU coordinator {r['coord_ms']:.0f} ms, mark helpers {r['mark_ms']:.0f} ms")
    idle = sorted(r["mark_ms"] / r["coord_ms"] if r["coord_ms"] else 0 for r in res)
    if os.cpu_count() >= 2 and idle[len(idle) // 2] < HELPER_SHARE:
        fail(f"mark helpers used {idle[len(idle) // 2]:.2f}x the coordinator's CPU (median): "
             f"the P the one mutator leaves idle did no background marking")
    if fr[-1] > RUN_BOUND:
        fail(f"a run waited {fr[-1]:.1%} of its time, over issue 22's {RUN_BOUND:.0%}")
    if med > BOUND:
        fail(f"median wait fraction {med:.1%} of run time over {runs} runs, over {BOUND:.0%}")
    print(f"waits: median {med:.1%} over {runs} runs (bound {BOUND:.0%}); ok")


if __name__ == "__main__":
    main()
