#!/usr/bin/env python3
"""Connection time of a fork-per-connection server untraced and under
memtrace --follow, side by side (issue 23's goal: median <= 2x untraced over
20 connections).

Each round runs the server once untraced and once traced (alternating which
goes first), CONNS sequential connections each, and prints both medians and
their ratio; the summary gives the median ratio over the rounds and its
range, with the load average.  With --sched, bpftrace records for every
server child at its exit its CPU time, its time waiting on a run queue, its
life from fork to exit, its minor faults and context switches, and for
memtrace its CPU (all threads): where a connection's time goes.

  tools/bench/follow_conn.py [--rounds 5] [--conns 20] [--k K] [--server fork_server|python]
                             [--memtrace BIN [--memtrace BIN2...]] [--sched] [-- MEMTRACE-ARGS]

Run it with nice on a shared machine; it needs root (BPF, bpftrace).
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The servers and the answer reader the --follow tests use.
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from test_follow_python import SERVER as PY_SERVER  # noqa: E402
from test_follow_tree import read_to_eof  # noqa: E402
FORK_PROBES = ["--alloc", "palloc:size=arg2", "--free", "pfree:ptr=arg2"]

# Per exiting task, at its last switch off a CPU (its CPU time is then
# complete; at sched_process_exit the running slice is not yet counted): a
# server child (its parent has the server's name) or a memtrace thread (a
# binary named memtrace or mt-*, for copies of builds compared).
# nsecs and start_time are CLOCK_MONOTONIC; a task may be switched out more
# than once after exit_notify, the last line counts.
SCHED_BT = r"""
tracepoint:sched:sched_switch
/curtask->exit_state != 0 && curtask->real_parent->comm == str($1) && comm == str($1)/
{
    printf("kid %d %lld %lld %lld %lld %lld %lld %lld\n", pid, nsecs, curtask->se.sum_exec_runtime,
           curtask->sched_info.run_delay, nsecs - curtask->start_time, curtask->min_flt,
           curtask->nvcsw, curtask->nivcsw);
}
tracepoint:sched:sched_switch
/curtask->exit_state != 0 &&
 (curtask->group_leader->comm == "memtrace" || strncmp(curtask->group_leader->comm, "mt-", 3) == 0)/
{
    printf("mt %d %lld %lld %lld\n", tid, nsecs, curtask->se.sum_exec_runtime, curtask->sched_info.run_delay);
}
"""


def server_cmd(kind, tmp, conns):
    if kind == "fork_server":
        return [os.path.join(ROOT, "build", "tools", "fork_server"), str(conns)], "fork_server"
    script = os.path.join(tmp, "server.py")
    with open(script, "w") as f:
        f.write(PY_SERVER)
    return ["/usr/bin/python3", script, str(conns)], "python3"


def one_run(cmd, conns, k=None):
    """Connection times (s) and the run's [start, end] monotonic ns; connection i
    asks for k allocations (10 + i without k)."""
    t_start = time.monotonic_ns()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = p.stdout.readline()
        if not line.startswith("port "):
            err.seek(0)
            raise RuntimeError("server did not start: %r %s" % (line, err.read().decode()[-2000:]))
        port = int(line.split()[1])
        times = []
        for i in range(conns):
            t0 = time.monotonic()
            c = socket.create_connection(("127.0.0.1", port), timeout=60)
            n = 10 + i if k is None else k
            c.sendall(b"%d\n" % n)
            data = read_to_eof(c)
            c.close()
            if data.split()[:2] != [b"ok", b"%d" % n]:
                raise RuntimeError("bad answer %r" % data)
            times.append(time.monotonic() - t0)
        rc = p.wait(timeout=300)
        if rc:
            err.seek(0)
            raise RuntimeError("rc %d: %s" % (rc, err.read().decode()[-2000:]))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        err.close()
    return times, (t_start, time.monotonic_ns())


class Sched:
    """bpftrace's per-exit lines, kept with their timestamps."""

    def __init__(self, comm):
        self.lines = []
        self.p = subprocess.Popen(["bpftrace", "-e", SCHED_BT, comm], stdout=subprocess.PIPE, text=True,
                                  stderr=subprocess.DEVNULL)
        first = self.p.stdout.readline()  # "Attaching N probes..."
        if not first.startswith("Attaching"):
            raise RuntimeError("bpftrace: %r" % first)
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        for line in self.p.stdout:
            self.lines.append(line.split())

    def close(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=30)
        self.t.join(timeout=5)

    def window(self, span):
        last = {}
        for f in self.lines:
            if len(f) > 2 and span[0] <= int(f[2]) <= span[1]:
                last[(f[0], f[1])] = list(map(int, f[1:]))
        return ([v for (kind, _), v in last.items() if kind == "kid"],
                [v for (kind, _), v in last.items() if kind == "mt"])


def sched_summary(kids, mts):
    if not kids:
        return "no children seen"
    med = lambda i: statistics.median(k[i] for k in kids) / 1e6
    mt_cpu = sum(m[2] for m in mts) / 1e6
    return ("child median: cpu %.2f ms, run-queue wait %.2f ms, fork to exit %.2f ms, min faults %d, "
            "switches %d+%d; memtrace cpu %.0f ms" % (med(2), med(3), med(4), statistics.median(k[5] for k in kids),
                                                      statistics.median(k[6] for k in kids),
                                                      statistics.median(k[7] for k in kids), mt_cpu))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=20)
    ap.add_argument("--server", choices=["fork_server", "python"], default="fork_server")
    ap.add_argument("--memtrace", action="append",
                    help="memtrace binary (default build/memtrace), or 'BIN|OPTIONS' with its own options; "
                    "given twice or more, each is a traced variant")
    ap.add_argument("--k", type=int, help="allocations per connection (default 10 + its number)")
    ap.add_argument("--sched", action="store_true", help="per-child CPU and run-queue times (bpftrace)")
    ap.add_argument("mtargs", nargs="*", help="memtrace's options (after --)")
    a = ap.parse_args()
    bins = a.memtrace or [os.path.join(ROOT, "build", "memtrace")]
    tmp = tempfile.mkdtemp(prefix="follow-conn-")
    cmd, comm = server_cmd(a.server, tmp, a.conns)
    mtargs = a.mtargs or (["-q", "--no-faults", "--follow"] + (FORK_PROBES if a.server == "fork_server" else
                                                                 ["--gc=off"]))
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    runs = {"untraced": cmd}
    for i, b in enumerate(bins):
        # "BIN|ARGS": this variant's memtrace options instead of the common ones.
        b, _, own = b.partition("|")
        runs["traced" if len(bins) == 1 else "traced%d" % i] = \
            [b] + (own.split() if own else mtargs) + ["--json", os.path.join(out, "r.json"), "--"] + cmd
    names = list(runs)
    sched = Sched(comm) if a.sched else None
    ratios = {n: [] for n in names[1:]}
    all_meds = {n: [] for n in names}
    print("load %.1f %.1f %.1f; memtrace %s" % (os.getloadavg() + (" ".join(mtargs),)))
    for i, b in enumerate(bins):
        print("  %s: %s" % (names[i + 1], b))
    try:
        for r in range(a.rounds):
            res = {}
            # Each variant first, second... in turn.
            for which in names[r % len(names):] + names[:r % len(names)]:
                times, span = one_run(runs[which], a.conns, a.k)
                res[which] = (statistics.median(times), span)
                all_meds[which].append(res[which][0])
                for n in os.listdir(out):
                    os.unlink(os.path.join(out, n))
                time.sleep(0.3)
            line = "round %d: untraced %.2f ms" % (r, res["untraced"][0] * 1e3)
            for n in names[1:]:
                ratios[n].append(res[n][0] / res["untraced"][0])
                line += ", %s %.2f ms (%.2fx)" % (n, res[n][0] * 1e3, ratios[n][-1])
            print(line + " (load %.1f)" % os.getloadavg()[0])
            if sched:
                time.sleep(1)  # bpftrace's last lines
                for n in names:
                    print("  %-8s %s" % (n, sched_summary(*sched.window(res[n][1]))))
            sys.stdout.flush()
    finally:
        if sched:
            sched.close()
        subprocess.run(["rm", "-rf", tmp])
    for n in names[1:]:
        print("%s: median connection %.2f ms against %.2f ms untraced (medians of the rounds' medians)" %
              (n, statistics.median(all_meds[n]) * 1e3, statistics.median(all_meds["untraced"]) * 1e3))
        print("%s: ratio median %.2f (%.2f-%.2f) over %d rounds; load %.1f" %
              (n, statistics.median(ratios[n]), min(ratios[n]), max(ratios[n]), len(ratios[n]), os.getloadavg()[0]))


if __name__ == "__main__":
    main()
