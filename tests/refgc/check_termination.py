#!/usr/bin/env python3
"""Regression test: mark termination never marks the heap in the pause.

usage: check_termination.py BENCH [SECONDS [THREADS]]
Runs refgc-bench's latency workload in incremental mode at GC percent 0
with 8 threads (default) and a 64 MiB live set for 10 s (default): the
reproducer of a mutator assist taking the roots' grey buffer right after
mark start, after which the old collector marked the whole live heap,
single-threaded, in the termination pause (22-137 ms). With 4 threads and
6 s the old collector showed it in 1 run of 4; with 8 threads and 10 s in
2 of 3 (14 and 162 such pauses), the third failing on the missing
per-pause fields. About 14 s. Fails when
 - a termination pause did more than 15 ms of work (duration minus time to
   safepoint: a descheduled mutator is not termination work; the bound is
   ~50x the budget's worth, so a loaded machine does not flake it), or
 - a cycle's termination pauses scanned more pointer slots than the
   runtime's budget allows per pause (REFGC_TERM_BUDGET 32768 plus
   procs x 513, one item of overshoot per worker), or
 - one pause marked more than 8 MiB (an eighth of the live set), or
 - fewer than 20 cycles ran (nothing was tested)."""
import json
import os
import subprocess
import sys

BUDGET, ITEM = 32768, 513
WORK_MAX_NS = 15_000_000
MARKED_MAX = 8 << 20


def fail(msg):
    print(f"termination: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    bench = sys.argv[1]
    secs = sys.argv[2] if len(sys.argv) > 2 else "10"
    threads = sys.argv[3] if len(sys.argv) > 3 else "8"
    env = dict(os.environ, REFGC_MODE="incremental", REFGC_GCPERCENT="0")
    out = subprocess.run([bench, "--workload", "latency", "--threads", threads, "--live-mib", "64",
                          "--seconds", secs, "--pauses"], env=env, capture_output=True,
                         text=True, timeout=300)
    if out.returncode:
        fail(f"refgc-bench exited {out.returncode}: {out.stderr.strip()}")
    d = json.loads(out.stdout)
    term = [p for p in d["pauses"] if p["phase"] == 2]
    cycles = {p["cycle"] for p in term}
    if len(cycles) < 20:
        fail(f"only {len(cycles)} cycles with a termination pause; nothing was tested")
    work = sorted(p["duration_ns"] - p.get("ttsp_ns", 0) for p in term)
    slow = [p for p in term if p["duration_ns"] - p.get("ttsp_ns", 0) > WORK_MAX_NS]
    if slow:
        fail(f"{len(slow)} of {len(term)} termination pauses did more than "
             f"{WORK_MAX_NS / 1e6:.0f} ms of work, longest "
             f"{work[-1] / 1e6:.1f} ms (cycle {slow[0]['cycle']}: "
             f"{slow[0]['duration_ns'] / 1e6:.1f} ms)")
    per_pause = BUDGET + d["procs"] * ITEM
    for p in term:
        if p["scan_slots"] > per_pause:
            fail(f"cycle {p['cycle']}: {p['scan_slots']} slots scanned in one termination "
                 f"pause, bound {per_pause}")
        if p["marked_bytes"] > MARKED_MAX:
            fail(f"cycle {p['cycle']}: {p['marked_bytes']} bytes marked in one termination "
                 f"pause, bound {MARKED_MAX}")
    print(f"termination: {len(cycles)} cycles, {len(term)} termination pauses "
          f"({d['term_retries']} resumed concurrent marking); work per pause median "
          f"{work[len(work) // 2] / 1e3:.0f} us, max {work[-1] / 1e3:.0f} us; per cycle at most "
          f"{d['term_scan_slots_max']} slots scanned, {d['term_marked_bytes_max']} bytes marked "
          f"(bound {per_pause} slots per pause); pause max {d['pause_ns']['max'] / 1e3:.0f} us "
          f"of which ttsp up to {d['ttsp_ns']['max'] / 1e3:.0f} us; ok")


if __name__ == "__main__":
    main()
