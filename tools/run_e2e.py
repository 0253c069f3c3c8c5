#!/usr/bin/env python3
"""Runs the end-to-end tests, three modules at a time where that is safe.

Most end-to-end tests wait on a traced process for seconds, so three of
them share the 2 CPUs of a CI machine well (one at a time, the modules
took 22 minutes); the ones that time memtrace or the
target against a bound, count every BPF program on the machine, or count
machine-wide syscalls would see each other, and run alone, after the rest.
Each module's output is printed whole when it ends, then a table of times.
Exit status 1 when a module failed or none ran.

usage: run_e2e.py [--jobs N] [MODULE ...]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e")

# Run alone: they assert wall-clock bounds or ratios (fork holds, connection
# times, overhead, pause lengths, leak alert times), or read machine-wide
# state that another test's programs would change (bpftool's program list,
# every process's syscalls).
ALONE = {
    "test_core", "test_syscall_cost", "test_gc", "test_gc_waits", "test_leak", "test_leak_attach",
    "test_leak_window", "test_metrics", "test_otel_top10", "test_otel_usdt", "test_pymalloc",
    "test_probe_offset", "test_snapshots", "test_security_outputs",
}


def alone(name):
    return name in ALONE or name.startswith("test_follow")


def run(name, results, lock):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "unittest", "-v", name], cwd=E2E,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.monotonic() - t0
    with lock:
        sys.stdout.write("==== %s (%.0f s) %s\n%s" % (name, dt, "ok" if p.returncode == 0 else "FAILED", p.stdout))
        sys.stdout.flush()
        results.append((name, dt, p.returncode))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("modules", nargs="*")
    a = ap.parse_args()
    names = a.modules or sorted(f[:-3] for f in os.listdir(E2E) if f.startswith("test_") and f.endswith(".py"))
    shared = [n for n in names if not alone(n)]
    results, lock = [], threading.Lock()
    t0 = time.monotonic()

    todo = list(shared)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                name = todo.pop(0)
            run(name, results, lock)

    threads = [threading.Thread(target=worker) for _ in range(max(1, a.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in names:
        if alone(name):
            run(name, results, lock)

    failed = [n for n, _, rc in results if rc != 0]
    print("\n==== end-to-end: %d modules in %.0f s (%d shared, %d alone)"
          % (len(results), time.monotonic() - t0, len(shared), len(names) - len(shared)))
    for n, dt, rc in sorted(results, key=lambda r: -r[1]):
        print("%6.0f s  %-32s %s" % (dt, n, "ok" if rc == 0 else "FAILED"))
    if not results:
        print("no end-to-end test ran")
        return 1
    if failed:
        print("FAILED: " + " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
