#!/usr/bin/env python3
"""memtrace collector benchmark: what the userspace side costs, apart from
the probes (tools/bench.py times those).

- attach: `memtrace -p PID` to a process with 100 shared libraries (copies
  of build/tools/libmtplugin.so, each a distinct object), from start to the
  `Tracing` line, that is until every probe is live;
- symbolize: 16,384 distinct stacks (build/tools/workload_stacks 14), cold
  (first use of each object) and warm, as `memtrace -v` reports them;
- steady CPU: memtrace's own CPU time (user + system) while 16,384 sites
  stay live and it reads them once a second, in % of one core;
- memory: memtrace's peak RSS tracing a C++ program (build/tools/
  workload_templates) whose frames are named from DWARF: libc's (libc6-dbg),
  libstdc++'s (its unstripped build from libstdc++6-12-dbg, through
  LD_LIBRARY_PATH, when installed) and the program's.

    tools/bench_collector.py [--runs R] [--out DIR]

Writes DIR/collector.md (also printed) and DIR/collector.json; DIR defaults
to build/bench.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build")
MEMTRACE = os.path.join(BUILD, "memtrace")
TOOLS = os.path.join(BUILD, "tools")
NLIBS = 100
DEPTH = 14  # 2^14 = 16,384 stacks
HOLD_S = 8  # the steady-state window, after the sites are made


def attach_once(libs):
    """Seconds from starting `memtrace -p` to its Tracing line."""
    wl = subprocess.Popen([os.path.join(TOOLS, "workload_libs")] + libs, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    mt = None
    try:
        if wl.stdout.readline().strip() != "ready":
            raise RuntimeError("workload_libs did not start")
        t0 = time.monotonic()
        mt = subprocess.Popen([MEMTRACE, "-q", "-p", str(wl.pid)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        for line in mt.stderr:
            if line.startswith("Tracing"):
                return time.monotonic() - t0
            if line.startswith("memtrace:"):
                raise RuntimeError(line.strip())
        raise RuntimeError("memtrace exited before tracing")
    finally:
        if mt:
            mt.send_signal(signal.SIGINT)
            mt.communicate(timeout=60)
        wl.communicate("\n", timeout=60)


def symbolize_once():
    """(cold ms, warm ms) for the 16,384 stacks, from memtrace -v."""
    p = subprocess.run([MEMTRACE, "-v", "-q", "--no-faults", "--",
                        os.path.join(TOOLS, "workload_stacks"), str(DEPTH)],
                       capture_output=True, text=True, timeout=120)
    cold = re.search(r"symbolized (\d+) stacks at exit in ([\d.]+) ms \(cold", p.stderr)
    warm = re.search(r"symbolized (\d+) stacks in ([\d.]+) ms", p.stderr)
    if not cold or not warm or int(cold.group(1)) != 1 << DEPTH:
        raise RuntimeError("no symbolization figures in memtrace -v output:\n" + p.stderr[-2000:])
    return float(cold.group(2)), float(warm.group(2))


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steady_once():
    """memtrace's CPU over HOLD_S - 2 seconds while 16,384 sites are live, % of a core."""
    mt = subprocess.Popen([MEMTRACE, "-q", "--no-faults", "--",
                           os.path.join(TOOLS, "workload_stacks"), str(DEPTH), str(HOLD_S)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in mt.stderr:
            if line.startswith("Tracing"):
                break
        time.sleep(1.5)  # the sites are made and read once
        c0, t0 = cpu_s(mt.pid), time.monotonic()
        time.sleep(HOLD_S - 3)
        c1, t1 = cpu_s(mt.pid), time.monotonic()
    finally:
        mt.communicate(timeout=120)
    return 100.0 * (c1 - c0) / (t1 - t0)


LIBSTDCXX_DEBUG = "/usr/lib/x86_64-linux-gnu/debug"


def memory_once():
    """memtrace's peak RSS in MiB, symbolizing a C++ program with DWARF for libc and libstdc++."""
    env = dict(os.environ)
    if os.path.exists(os.path.join(LIBSTDCXX_DEBUG, "libstdc++.so.6")):
        env["LD_LIBRARY_PATH"] = LIBSTDCXX_DEBUG
    p = subprocess.Popen([MEMTRACE, "-q", "--no-faults", "--", os.path.join(TOOLS, "workload_templates")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError("memtrace on workload_templates exited %d" % p.returncode)
    return usage.ru_maxrss / 1024.0


def median_of(fn, runs):
    vals = [fn() for _ in range(runs)]
    return statistics.median(vals), vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    args = ap.parse_args()
    for b in (MEMTRACE, os.path.join(TOOLS, "workload_libs"), os.path.join(TOOLS, "workload_stacks"),
              os.path.join(TOOLS, "workload_templates")):
        if not os.access(b, os.X_OK):
            sys.exit("bench_collector: %s is not built (make all)" % b)

    tmp = tempfile.mkdtemp(prefix="memtrace-libs-")
    try:
        libs = []
        for i in range(NLIBS):
            libs.append(os.path.join(tmp, "libmtcopy%03d.so" % i))
            shutil.copy(os.path.join(TOOLS, "libmtplugin.so"), libs[-1])
        attach, attach_runs = median_of(lambda: attach_once(libs), args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sym_runs = [symbolize_once() for _ in range(args.runs)]
    cold = statistics.median(r[0] for r in sym_runs)
    warm = statistics.median(r[1] for r in sym_runs)
    steady, steady_runs = median_of(steady_once, max(3, args.runs // 2))
    mem, mem_runs = median_of(memory_once, args.runs)

    rows = [
        ("attach to a process with %d shared libraries, to the Tracing line" % NLIBS,
         "%.2f s" % attach, "%.2f..%.2f s" % (min(attach_runs), max(attach_runs))),
        ("symbolize %d distinct stacks, cold" % (1 << DEPTH), "%.0f ms" % cold,
         "%.0f..%.0f ms" % (min(r[0] for r in sym_runs), max(r[0] for r in sym_runs))),
        ("symbolize %d distinct stacks, warm" % (1 << DEPTH), "%.0f ms" % warm,
         "%.0f..%.0f ms" % (min(r[1] for r in sym_runs), max(r[1] for r in sym_runs))),
        ("collector CPU with %d live sites, read each second" % (1 << DEPTH), "%.1f%% of a core" % steady,
         "%.1f..%.1f%%" % (min(steady_runs), max(steady_runs))),
        ("collector peak RSS naming a C++ program from libc + libstdc++ DWARF", "%.1f MiB" % mem,
         "%.1f..%.1f MiB" % (min(mem_runs), max(mem_runs))),
    ]
    md = ["## collector — medians of %d runs" % args.runs, "",
          "| what | median | min..max |", "|---|---|---|"]
    md += ["| %s | %s | %s |" % r for r in rows]
    md = "\n".join(md) + "\n"
    print(md)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "collector.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "collector.json"), "w") as f:
        json.dump({"attach_s": attach_runs, "symbolize_ms": sym_runs, "steady_cpu_pct": steady_runs,
                   "peak_rss_mib": mem_runs},
                  f, indent=1)


if __name__ == "__main__":
    main()
