#!/usr/bin/env python3
"""Regression test: a memory limit below the live heap does not take the
machine (the GC CPU cap, runtime/cpu_limit.c).

usage: check_cpu_cap.py BENCH [SECONDS]
Runs refgc-bench's memory workload (stw, 32 MiB live) under
REFGC_MEMLIMIT=16MiB for 3 s (default). Without a cap every cycle is
limit-driven and wanted at once: mutators stalled for most of the run (the
issue measured 83%), and nothing said so. Fails when
 - the bench does not report GC time (collector CPU or pauses x CPUs,
   plus assists and stalls) as a fraction of CPU time,
 - the cap never engaged, or
 - GC time exceeded 75% of CPU time: the cap is 50%, applied after each
   cycle for the next, so the first cycle runs uncapped and a stall inside
   a pause is counted twice (as pause and as stall); 75% leaves room for
   that, not for a GC that takes the machine."""
import json
import os
import subprocess
import sys

LIMIT = 0.75


def fail(msg):
    print(f"cpucap: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    bench = sys.argv[1]
    secs = sys.argv[2] if len(sys.argv) > 2 else "3"
    env = dict(os.environ, REFGC_MEMLIMIT="16MiB")
    env.pop("REFGC_MODE", None)
    p = subprocess.run([bench, "--workload", "memory", "--live-mib", "32", "--seconds", secs],
                       env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail(f"refgc-bench exited {p.returncode}: {p.stderr[-500:]}")
    r = next((json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")), None)
    if r is None:
        fail("refgc-bench printed no JSON")
    if "gc_time_fraction" not in r or "cpu_capped" not in r:
        fail("refgc-bench reports no GC time fraction or GC CPU cap: GC time is invisible")
    frac, capped = r["gc_time_fraction"], r["cpu_capped"]
    stall_ms = r["stall"]["total_ns"] / 1e6 if "stall" in r else -1
    print(f"cpucap: limit 16 MiB, live 32 MiB, {r['seconds']} s: GC time {frac:.1%} of CPU time "
          f"(pauses {r['pause_ns']['total'] / 1e6:.0f} ms, stalls {stall_ms:.0f} ms), "
          f"capped {capped['count']} times for {capped['total_ns'] / 1e6:.0f} ms, "
          f"peak heap {r['peak_heap_bytes'] >> 20} MiB, {r['ops_per_s']:.0f} ops/s")
    if capped["count"] < 1:
        fail("the GC CPU cap never engaged")
    if frac > LIMIT:
        fail(f"GC time {frac:.1%} of CPU time, over {LIMIT:.0%}")
    print("cpucap: ok")


if __name__ == "__main__":
    main()
