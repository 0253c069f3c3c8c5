#!/usr/bin/env python3
"""Throughput of a real server under its own benchmark client (issue 20):
Debian's redis-server (over its libjemalloc) driven by redis-benchmark.

Two servers run side by side for the whole measurement (with --pin, on
CPU 0 and the client on CPU 1; on a machine other work shares, the
scheduler does better unpinned): one bare, one with libmemtrace-sampler
preloaded.
Each round benchmarks, in an order that rotates round by round:
  bare       the bare server
  idle       the preloaded server, no profiler attached
  usdt       the preloaded server with memtrace -p attached through the
             otel_memory USDT contract (512 KiB), detached after
  uprobes    the bare server with memtrace -p on the allocator uprobes
             (exact), detached after
so usdt/idle and uprobes/bare are ratios of the same process minutes
apart, and a drift of the machine's load hits every config alike.  The
tables give each config's median requests/s and the server's CPU time per
request (its main thread's, from /proc/PID/schedstat: what tracing adds to
the work of serving a request, steady where requests/s follow whatever
else the machine runs), and each ratio's median and min..max over rounds.

    tools/bench_server.py [--rounds R] [--requests N] [--pipeline P] [--pin]
                          [--configs bare,idle,usdt,uprobes]

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
PORTS = {"bare": 6391, "pre": 6392}
CONFIGS = [
    ("bare", "bare (no tracing)", "bare", None),
    ("idle", "sampler preloaded, idle", "pre", None),
    ("usdt", "sampler + memtrace -p (otel_memory USDT, 512 KiB)", "pre", "usdt"),
    ("uprobes", "memtrace -p (allocator uprobes, exact)", "bare", "uprobes"),
]
RATIOS = [("idle", "bare", "idle ÷ bare (two processes)"),
          ("usdt", "idle", "usdt ÷ idle (same process)"),
          ("usdt", "bare", "usdt ÷ bare (two processes)"),
          ("uprobes", "bare", "uprobes ÷ bare (same process)")]
PIN = None


def pinned(cpu, argv):
    return PIN + [str(cpu)] + argv if PIN else argv


def start_server(key):
    env = dict(os.environ)
    if key == "pre":
        env["LD_PRELOAD"] = SAMPLER
    return subprocess.Popen(pinned(0, ["redis-server", "--port", str(PORTS[key]), "--save", "",
                                       "--appendonly", "no"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def cpu_ns(pid):
    """The server's main thread's CPU time (ns, /proc/PID/schedstat): the
    thread that serves every request, with the wrappers and the traps
    taken in it.  Unlike requests/s, it does not move when other work
    takes the CPUs."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def bench(port, requests, pipeline, pid):
    c0 = cpu_ns(pid)
    out = subprocess.run(pinned(1, ["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", str(requests),
                                    "-d", "256", "-P", str(pipeline), "-q"]),
                         capture_output=True, text=True, timeout=600).stdout
    rps = {m.group(1): float(m.group(2))
           for m in re.finditer(r"(SET|GET): ([0-9.]+) requests per second", out.replace("\r", "\n"))}
    rps["cpu"] = (cpu_ns(pid) - c0) / (2.0 * requests)
    return rps


def attach(pid, source, err_path):
    err = open(err_path, "w")
    m = subprocess.Popen([MEMTRACE, "-q", "--no-faults", "--gc", "off", "--source", source, "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(err_path) as f:
            text = f.read()
        if "Tracing PID" in text:
            return m, text.splitlines()[0]
        if m.poll() is not None:
            raise RuntimeError("memtrace exited: " + text[-300:])
        time.sleep(0.1)
    m.kill()
    raise RuntimeError("memtrace did not attach in 60 s")


def detach(m):
    m.send_signal(signal.SIGINT)
    try:
        m.wait(timeout=120)
    except subprocess.TimeoutExpired:
        m.kill()
        m.wait()


def spread(xs):
    return "%.3f (%.3f..%.3f)" % (statistics.median(xs), min(xs), max(xs)) if xs else "—"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--requests", type=int, default=30000)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS),
                    help="the configs to run (uprobes takes ~15x as long as the others)")
    ap.add_argument("--pin", action="store_true", help="servers on CPU 0, the client on CPU 1 (taskset)")
    a = ap.parse_args()
    global PIN
    if a.pin and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        PIN = ["taskset", "-c"]
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            print("bench_server: %s is not installed (tools/setup-deps.sh bench): skipped" % tool)
            return 0
    configs = [c for c in CONFIGS if c[0] in a.configs.split(",")]
    srv = {k: start_server(k) for k in PORTS}
    res = {c[0]: {"SET": [], "GET": [], "cpu": []} for c in CONFIGS}
    err_path = "/tmp/bench_server.%d.err" % os.getpid()
    lines = {}
    try:
        time.sleep(1.0)
        for k in PORTS:  # warm-up: the first run fills the allocator's caches
            bench(PORTS[k], a.requests // 4, a.pipeline, srv[k].pid)
        for r in range(a.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for key, label, server, source in order:
                m = None
                if source:
                    m, lines[key] = attach(srv[server].pid, source, err_path)
                try:
                    rps = bench(PORTS[server], a.requests, a.pipeline, srv[server].pid)
                finally:
                    if m:
                        detach(m)
                for op in ("SET", "GET", "cpu"):
                    if op in rps:
                        res[key][op].append(rps[op])
                print("  round %d %-8s SET %s GET %s, server CPU %.0f ns/request" % (
                    r + 1, key, rps.get("SET"), rps.get("GET"), rps["cpu"]), flush=True)
    finally:
        for p in srv.values():
            p.terminate()
            p.wait()
        if os.path.exists(err_path):
            os.unlink(err_path)
    print("\nredis-benchmark -t set,get -n %d -d 256 -P %d, %d rounds%s\n" % (
        a.requests, a.pipeline, a.rounds, ", server on CPU 0, client on CPU 1" if PIN else ""))
    for key, line in lines.items():
        print("  %s: %s" % (key, line))
    print("\n| config | SET req/s median | GET req/s median | server CPU ns/request median |\n|---|---|---|---|")
    for key, label, _, _ in configs:
        med = lambda op: statistics.median(res[key][op]) if res[key][op] else float("nan")
        print("| %s | %.0f | %.0f | %.0f |" % (label, med("SET"), med("GET"), med("cpu")))
    print("\nRatios of round-by-round pairs (requests/s: < 1 is a loss; server CPU per request: > 1 is a cost):")
    print("\n| ratio, per round | SET req/s median (min..max) | GET req/s median (min..max) | "
          "server CPU/request median (min..max) |\n|---|---|---|---|")
    for num, den, label in RATIOS:
        if not (res[num]["cpu"] and res[den]["cpu"]):
            continue
        cell = []
        for op in ("SET", "GET", "cpu"):
            xs = [x / y for x, y in zip(res[num][op], res[den][op]) if y]
            cell.append(spread(xs))
        print("| %s | %s | %s | %s |" % (label, cell[0], cell[1], cell[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
