#!/usr/bin/env python3
"""How long a reachability scan stops a process holding 1 GiB of live heap.

Runs tools/workload_bigheap (1 GiB in blocks of 64 B .. 1 MiB, chained, 1 in
100 lost) under `memtrace -- CMD` (the scan at the exit stop) and under
`memtrace -p PID --reachability` (seize, scan, detach), REPEAT times each,
and prints the median pause, the estimate made before stopping, and
memtrace's peak RSS.  Run it niced on a quiet machine: the pause is CPU
and memory bandwidth.

usage: tools/bench_reach.py [--mib 1024] [--repeat 3] [--sizes 1024,4096,1048576]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MEMTRACE = os.path.join(ROOT, "build", "memtrace")
BIGHEAP = os.path.join(ROOT, "build", "tools", "workload_bigheap")


def at_exit(mib, size, out):
    subprocess.run([MEMTRACE, "-q", "--no-faults", "--json", out, "--", BIGHEAP, str(mib), str(size), "100", "0"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)


def attached(mib, size, out):
    wl = subprocess.Popen([BIGHEAP, str(mib), str(size), "100", "3600"], stdout=subprocess.PIPE, text=True)
    try:
        wl.stdout.readline()  # "built": the heap is there, allocated before the trace
        m = subprocess.Popen([MEMTRACE, "-q", "--no-faults", "--json", out, "-p", str(wl.pid), "--reachability",
                              "-d", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        m.wait(1800)
    finally:
        wl.kill()
        wl.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="1024,4096,1048576")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reach-") as tmp:
        run(a, os.path.join(tmp, "r.json"))


def run(a, out):
    print("%-10s %-7s %9s %12s %12s %10s" % ("mode", "block", "blocks", "pause ms", "estimate ms", "lost"))
    for size in [int(s) for s in a.sizes.split(",")]:
        pauses, estimates = [], []
        for _ in range(a.repeat):
            at_exit(a.mib, size, out)
            with open(out) as f:
                r = json.load(f)["reachability"]
            pauses.append(r["pause_ns"] / 1e6)
            estimates.append(r["estimate_ns"] / 1e6)
        print("%-10s %-7d %9d %12.1f %12.1f %10d" % ("exit", size, r["blocks"], statistics.median(pauses),
                                                      statistics.median(estimates), r["definitely_lost_count"]))
    # Under -p the blocks were allocated before the trace: memtrace does not
    # know them, so this measures the stop itself and the pre-trace memory
    # read as roots (the whole heap, 1 GiB).
    pauses = []
    for _ in range(a.repeat):
        attached(a.mib, 4096, out)
        with open(out) as f:
            r = json.load(f)["reachability"]
        pauses.append(r["pause_ns"] / 1e6)
    print("%-10s %-7s %9d %12.1f %12.1f %10s   (roots %.0f MiB)" % ("-p", "-", r["blocks"], statistics.median(pauses),
                                                                   r["estimate_ns"] / 1e6, "-", r["root_bytes"] / 2**20))
    print("memtrace peak RSS: %.0f MiB (children's maximum, the 1 GiB workload included)" %
          (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))


if __name__ == "__main__":
    sys.exit(main())
