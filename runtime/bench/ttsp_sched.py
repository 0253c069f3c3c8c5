#!/usr/bin/env python3
"""Time to safepoint against the kernel's run queues.

Runs refgc-bench (--pauses) under bpftrace (ttsp_sched.bt.in) and, for
every pause the runtime recorded, sets its ttsp_ns beside what the kernel
saw: when the last mutator thread reached its safepoint, and how long that
thread waited on a run queue for a CPU inside the pause. Also the run-queue
wait, inside the pause, of the thread that ran it (a mutator or the
coordinator preempted mid-pause). A pause whose time
to safepoint is mostly run-queue wait was spent by a mutator that the OS
did not run, not by a mutator that failed to poll.

usage: ttsp_sched.py BUILD_DIR [refgc-bench args...]   (root, bpftrace)
Prints one JSON object: per-pause rows and a summary."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict


def main():
    build, args = sys.argv[1], sys.argv[2:]
    lib = os.path.realpath(os.path.join(build, "librefgc.so"))
    bench = os.path.join(build, "refgc-bench")
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        bt = os.path.join(tmp, "t.bt")
        src = open(os.path.join(here, "ttsp_sched.bt.in")).read()
        open(bt, "w").write(src.replace("@LIB@", lib).replace("@COMM@", "refgc-bench"))
        log = open(os.path.join(tmp, "trace"), "w+")
        bp = subprocess.Popen(["bpftrace", "-B", "line", bt], stdout=log,
                              stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):
                log.seek(0)
                if "READY" in log.read():
                    break
                if bp.poll() is not None:
                    sys.exit("ttsp_sched: bpftrace failed: " + bp.stderr.read())
                time.sleep(0.1)
            r = subprocess.run([bench, "--pauses"] + args, capture_output=True, text=True)
        finally:
            bp.send_signal(signal.SIGINT)
            bp.wait(timeout=60)
        if r.returncode:
            sys.exit("ttsp_sched: refgc-bench failed: " + r.stderr)
        res = json.loads(r.stdout)
        log.seek(0)
        m = defaultdict(dict)
        preempt = defaultdict(dict)  # pause -> comm that took the runner's CPU -> times
        for line in log:
            g = re.match(r"@(\w+)\[([\d, ]+)\]: (\d+)$", line.strip())
            if g:
                m[g.group(1)][tuple(int(x) for x in g.group(2).split(","))] = int(g.group(3))
    # The n-th traced pause of (cycle, phase) is the n-th recorded one.
    traced = defaultdict(list)
    for (gen,), cyc in sorted(m["cyc"].items()):
        traced[(cyc, m["phase"].get((gen,), -1))].append(gen)
    arrive = defaultdict(dict)
    for (gen, tid), ns in m["arrive"].items():
        arrive[gen][tid] = (ns, m["rqarr"].get((gen, tid), 0))
    rows, seen = [], defaultdict(int)
    for p in res["pauses"]:
        k = (p["cycle"], p["phase"])
        gens = traced.get(k, [])
        i = seen[k]
        seen[k] += 1
        if i >= len(gens):
            continue
        a = arrive.get(gens[i], {})
        last_ns, last_rq = max(a.values()) if a else (0, 0)
        runner = m["runner"].get((gens[i],), -1)
        run_rq = m["rqwin"].get((gens[i], runner), 0)
        rows.append({"cycle": p["cycle"], "phase": p["phase"], "duration_ns": p["duration_ns"],
                     "ttsp_ns": p["ttsp_ns"], "threads_polled": len(a),
                     "last_arrival_ns": last_ns, "last_rq_wait_ns": last_rq,
                     # the pause's own thread, queued without a CPU inside it
                     "runner_rq_wait_ns": run_rq, "runner_preempted_by": preempt.get(gens[i], {})})
    long_ = [x for x in rows if x["ttsp_ns"] > 1000000]
    share = sorted(x["last_rq_wait_ns"] / x["last_arrival_ns"] for x in long_ if x["last_arrival_ns"])
    summary = {"pauses": len(res["pauses"]), "joined": len(rows),
               "ttsp_over_1ms": len(long_),
               "max_ttsp_ns": max((x["ttsp_ns"] for x in rows), default=0),
               "max_work_ns": max((x["duration_ns"] - x["ttsp_ns"] for x in rows), default=0),
               # of the pauses with ttsp > 1 ms: the last thread's run-queue
               # wait over its time to arrive, min and median
               "rq_share_min": share[0] if share else None,
               "rq_share_median": share[len(share) // 2] if share else None,
               "max_runner_rq_wait_ns": max((x["runner_rq_wait_ns"] for x in rows), default=0),
               # pauses over 1 ms whose runner waited on a run queue for
               # all but 1 ms of it
               "over_1ms_explained": sum(1 for x in rows if x["duration_ns"] > 1000000 and
                                         x["duration_ns"] - x["runner_rq_wait_ns"]
                                         - x["last_rq_wait_ns"] <= 1000000),
               "over_1ms": sum(1 for x in rows if x["duration_ns"] > 1000000),
               # time the last thread ran (not queued) before it polled
               "max_running_before_poll_ns": max((x["last_arrival_ns"] - x["last_rq_wait_ns"]
                                                  for x in rows), default=0),
               "loadavg": open("/proc/loadavg").read().split()[:3]}
    print(json.dumps({"summary": summary, "bench": {k: res[k] for k in
          ("ops_per_s", "gc_count", "pause_ns", "ttsp_ns", "wait_fraction")}, "rows": rows}))


if __name__ == "__main__":
    main()
