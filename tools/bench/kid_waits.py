#!/usr/bin/env python3
"""Where a forked child's life goes, from a `perf sched record` of a
fork-per-connection server (tools/bench/follow_conn.py runs one): for every
child the server forked, its time on a CPU, runnable but waiting for one,
sleeping, and stopped (ptrace), and, while it waited, which tasks held the
CPUs (by name and thread; memtrace's event loop is the thread whose id is
its process id).

  perf sched record -o perf.data -- COMMAND
  tools/bench/kid_waits.py perf.data [--server fork_server] [--client python3] [--top 12]

It also splits each connection's cycle, from one fork to the next: to the
child's answer (its first wake-up of the client), to the client's EOF (its
last), to the next fork, and what the server did between that EOF and the
next fork (under ptrace it sits in a signal-delivery stop for the child's
SIGCHLD until the tracer answers it).
"""
import argparse
import collections
import re
import statistics
import subprocess

LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")


def events(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,tid,cpu,time,event,trace"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            comm, tid, cpu, t, ev, rest = m.groups()
            yield comm, int(tid), int(cpu), float(t), ev.split(":")[-1], dict(FIELD.findall(rest))


def analyse(path, server):
    cur = {}            # cpu -> (tid, name, since)
    kids = {}           # tid -> {"state": s, "since": t, times..., "fork": t, "exit": t}
    waiting = set()     # kids runnable, not running
    stopped = set()     # kids in a ptrace stop
    held_by = collections.Counter()   # (name, tid) -> s of CPU while some kid waited
    stop_by = collections.Counter()   # the same while some kid was stopped
    names = {}
    last_t = None

    def charge(t):
        """Time since last_t: each CPU's task is charged when a kid waits."""
        if last_t is None or not (waiting or stopped):
            return
        for cpu, (tid, name, _) in cur.items():
            if tid not in kids or kids[tid]["state"] != "run":
                if waiting:
                    held_by[(name, tid)] += (t - last_t) * 1.0
                if stopped:
                    stop_by[(name, tid)] += (t - last_t) * 1.0

    def move(tid, state, t):
        k = kids[tid]
        k[k["state"]] += t - k["since"]
        k["state"], k["since"] = state, t
        if state == "wait":
            waiting.add(tid)
        else:
            waiting.discard(tid)
        if state == "stop":
            stopped.add(tid)
        else:
            stopped.discard(tid)

    for comm, tid, cpu, t, ev, f in events(path):
        charge(t)
        last_t = t
        if ev == "sched_process_fork":
            if comm == server or f.get("comm") == server:
                c = int(f["child_pid"])
                kids[c] = {"state": "new", "since": t, "fork": t, "run": 0.0, "wait": 0.0, "sleep": 0.0,
                           "stop": 0.0, "new": 0.0, "exit": None}
        elif ev in ("sched_wakeup", "sched_wakeup_new"):
            p = int(f["pid"])
            if p in kids and kids[p]["state"] != "run" and kids[p]["exit"] is None:
                move(p, "wait", t)
        elif ev == "sched_switch":
            prev, nxt = int(f["prev_pid"]), int(f["next_pid"])
            names[prev] = f["prev_comm"]
            names[nxt] = f["next_comm"]
            if prev in kids and kids[prev]["exit"] is None:
                st = f["prev_state"]
                move(prev, "wait" if st.startswith("R") else "stop" if st in ("t", "T") else
                     "gone" if st in ("X", "Z") else "sleep", t)
                if st in ("X", "Z"):
                    kids[prev]["exit"] = t
            if nxt in kids and kids[nxt]["exit"] is None:
                move(nxt, "run", t)
            cur[cpu] = (nxt, f["next_comm"], t)
    done = [k for k in kids.values() if k["exit"] is not None]
    return done, held_by, stop_by, names


def cycles(path, server, client):
    """Per connection (fork to next fork): ms to the child's first and last
    wake-up of the client, to the next fork; the server's states (ms)
    between that last wake-up and the next fork."""
    forks, wakes = [], collections.defaultdict(list)
    srv_state, srv_since, intervals, srv = "sleep", 0.0, [], None
    for comm, tid, cpu, t, ev, f in events(path):
        if ev == "sched_process_fork" and comm == server:
            forks.append((t, int(f["child_pid"])))
            srv = tid
        elif ev == "sched_waking" and f.get("comm") == client and any(c == tid for _, c in forks[-3:]):
            wakes[tid].append(t)
        if srv is None:
            continue
        if ev in ("sched_waking", "sched_wakeup") and int(f["pid"]) == srv and srv_state not in ("run", "wait"):
            intervals.append((srv_since, t, srv_state))
            srv_state, srv_since = "wait", t
        elif ev == "sched_switch":
            if int(f["prev_pid"]) == srv:
                st = f["prev_state"]
                intervals.append((srv_since, t, srv_state))
                srv_since = t
                srv_state = ("wait" if st.startswith("R") else "ptrace-stopped" if st in ("t", "T") else
                             "blocked" if st.startswith("D") else "sleep")
            if int(f["next_pid"]) == srv:
                intervals.append((srv_since, t, srv_state))
                srv_state, srv_since = "run", t
    rows, between = [], collections.Counter()
    for (t, c), (nxt, _) in zip(forks, forks[1:]):
        if not wakes[c]:
            continue
        rows.append(((wakes[c][0] - t) * 1e3, (wakes[c][-1] - t) * 1e3, (nxt - t) * 1e3))
        for a, b, st in intervals:
            o = min(b, nxt) - max(a, wakes[c][-1])
            if o > 0:
                between[st] += o * 1e3
    return rows, {k: v / len(rows) for k, v in between.items()} if rows else {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--server", default="fork_server")
    ap.add_argument("--client", default="python3", help="the client's task name (follow_conn.py's: python3)")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    done, held_by, stop_by, names = analyse(a.data, a.server)
    if not done:
        print("no child of %s seen" % a.server)
        return
    med = lambda key: statistics.median(k[key] for k in done) * 1e3
    tot = lambda key: sum(k[key] for k in done) * 1e3
    life = [(k["exit"] - k["fork"]) for k in done]
    print("%d children; median ms (sum ms): life %.2f (%.1f), on cpu %.2f (%.1f), runnable waiting %.2f (%.1f), "
          "ptrace-stopped %.2f (%.1f), sleeping %.2f (%.1f), before first run %.2f (%.1f)" %
          (len(done), statistics.median(life) * 1e3, sum(life) * 1e3, med("run"), tot("run"), med("wait"),
           tot("wait"), med("stop"), tot("stop"), med("sleep"), tot("sleep"), med("new"), tot("new")))
    for what, by in (("waited for a CPU", held_by), ("was ptrace-stopped", stop_by)):
        total = sum(by.values())
        print("while a child %s (%.1f CPU-ms over the CPUs), they ran:" % (what, total * 1e3))
        for (name, tid), s in by.most_common(a.top):
            print("  %8.1f ms  %5.1f%%  %s[%d]" % (s * 1e3, 100 * s / total if total else 0, name, tid))

    rows, between = cycles(a.data, a.server, a.client)
    if rows:
        med = lambda i: statistics.median(r[i] for r in rows)
        print("connection cycle, medians over %d: fork -> answer %.2f ms -> EOF %.2f ms -> next fork %.2f ms" %
              (len(rows), med(0), med(1), med(2)))
        print("server between EOF and the next fork, ms per connection: " +
              ", ".join("%s %.2f" % kv for kv in sorted(between.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
