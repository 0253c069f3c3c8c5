#!/usr/bin/env python3
"""Throughput of a real server under its own benchmark client (issue 20):
Debian's redis-server (over its libjemalloc) driven by redis-benchmark, in
four configurations, interleaved round by round, medians side by side:
bare; libmemtrace-sampler preloaded, idle; the same with memtrace -p
attached through the otel_memory USDT contract; no preload, memtrace -p
on the allocator uprobes (exact).

    tools/bench_server.py [--rounds R] [--requests N]

Needs redis-server and redis-tools (tools/setup-deps.sh bench)."""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
MEMTRACE = os.path.join(BUILD, "memtrace")
SAMPLER = os.path.join(BUILD, "libmemtrace-sampler.so")
PORT = 6391
CONFIGS = [
    ("bare", "bare (no tracing)", False, False),
    ("idle", "sampler preloaded, idle", True, False),
    ("usdt", "sampler + memtrace -p (otel_memory USDT, 512 KiB)", True, True),
    ("uprobes", "memtrace -p (allocator uprobes, exact)", False, True),
]


def run_one(preload, trace, requests):
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = SAMPLER
    srv = subprocess.Popen(["redis-server", "--port", str(PORT), "--save", "", "--appendonly", "no"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    mt = None
    try:
        time.sleep(0.5)
        if trace:
            mt = subprocess.Popen([MEMTRACE, "-q", "--no-faults", "--gc", "off", "-p", str(srv.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(2.0)
        out = subprocess.run(["redis-benchmark", "-p", str(PORT), "-t", "set,get", "-n", str(requests),
                              "-d", "256", "-q"], capture_output=True, text=True, timeout=300).stdout
        rps = {m.group(1): float(m.group(2))
               for m in re.finditer(r"(SET|GET): ([0-9.]+) requests per second", out.replace("\r", "\n"))}
        line = ""
        if mt:
            mt.send_signal(signal.SIGINT)
            err = mt.communicate(timeout=60)[1].splitlines()
            line = err[0] if err else ""
        return rps, line
    finally:
        if mt and mt.poll() is None:
            mt.kill()
            mt.wait()
        srv.terminate()
        srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=100000)
    a = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            print("bench_server: %s is not installed (tools/setup-deps.sh bench): skipped" % tool)
            return 0
    res = {c[0]: {"SET": [], "GET": []} for c in CONFIGS}
    for r in range(a.rounds):
        for key, label, preload, trace in CONFIGS:
            rps, line = run_one(preload, trace, a.requests)
            for op in ("SET", "GET"):
                if op in rps:
                    res[key][op].append(rps[op])
            print("  round %d %-8s SET %s GET %s %s" % (r + 1, key, rps.get("SET"), rps.get("GET"),
                                                       ("| " + line[:90]) if line else ""), flush=True)
    print("\n| config | SET req/s median | GET req/s median | GET vs bare |\n|---|---|---|---|")
    bare = statistics.median(res["bare"]["GET"]) if res["bare"]["GET"] else None
    for key, label, _, _ in CONFIGS:
        s = statistics.median(res[key]["SET"]) if res[key]["SET"] else float("nan")
        g = statistics.median(res[key]["GET"]) if res[key]["GET"] else float("nan")
        print("| %s | %.0f | %.0f | %s |" % (label, s, g, "%.2f×" % (g / bare) if bare else "—"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
