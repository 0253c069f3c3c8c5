#!/usr/bin/env python3
"""How much CPU refgc's threads got against how long they wanted it.

usage: gc_sched.py BENCH [refgc-bench args...]
Runs BENCH (refgc-bench) with the given arguments and reads every thread's
/proc/PID/task/TID/schedstat (time on a CPU, time runnable on a run queue,
in ns) and comm every 50 ms until it exits. Per thread name (refgc-coord,
refgc-mark, refgc-sweep; others: the mutators) it prints the CPU time, the
run-queue wait and their ratio: got = cpu / (cpu + wait) is the share of a
CPU the thread had while it was runnable. A mark worker that needs C ns of
CPU for a mark takes C / got of wall time. The bench's JSON line goes to
stdout unchanged first; the table is one JSON object per line after it.
Environment (REFGC_*) passes through."""
import json
import subprocess
import sys
import time

from schedstat import sample


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gc_sched.py BENCH [args...]")
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
    seen = {}
    t0 = time.monotonic()
    while p.poll() is None:
        sample(p.pid, seen)
        time.sleep(0.05)
    wall = time.monotonic() - t0
    out = p.stdout.read()
    sys.stdout.write(out)
    if p.returncode:
        sys.exit(f"gc_sched: {sys.argv[1]} exited {p.returncode}")
    by = {}
    for comm, cpu, wait in seen.values():
        name = comm if comm in ("refgc-coord", "refgc-mark", "refgc-sweep") else "mutator"
        a = by.setdefault(name, [0, 0, 0])
        a[0] += cpu
        a[1] += wait
        a[2] += 1
    for name, (cpu, wait, n) in sorted(by.items()):
        print(json.dumps({"threads": name, "n": n, "cpu_ms": round(cpu / 1e6, 1),
                          "runq_wait_ms": round(wait / 1e6, 1),
                          "got": round(cpu / (cpu + wait), 3) if cpu + wait else None,
                          "wall_s": round(wall, 2),
                          "load": float(open("/proc/loadavg").read().split()[0])}))


if __name__ == "__main__":
    main()
