#!/usr/bin/env python3
"""Check a bpftrace map dump of refgc probes (tests/refgc/probes.bt.in)
against refgc-bench's JSON output (--pauses).

usage: check_probes.py TRACE_LOG BENCH_JSON
Exit 0 when every probe fired once per cycle with the documented
arguments, and every pause the runtime recorded has exactly one
pause__start/pause__done pair around it whose duration matches the
recorded one within 5% or 20 us (at most 10% outliers: preemption on
the way back from a uprobe trap, which a busy machine makes likely),
and the assist and stall times between their probe pairs, per thread,
sum to the runtime's own totals (within 250 us + 1 us a wait, or 0.1%)."""
import json
import re
import sys
from collections import defaultdict

MAPS = ["gc_start_n", "gc_start_live", "gc_start_goal", "gc_start_trig", "gc_done_n", "gc_done_live",
        "gc_done_freed", "pause_start_n", "pause_start_ns", "pause_done_n", "pause_done_ns",
        "mark_start_n", "mark_done_n", "mark_done_bytes", "sweep_start_n", "sweep_done_n",
        "sweep_done_bytes", "assist_ns", "stall_ns"]


def fail(msg):
    print(f"probes: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


# Probe-to-probe time of assists and stalls, summed per thread as memtrace
# pairs them, must be the time the runtime counts: it takes each wait's
# start and end timestamps just before the probes, so both sides differ
# by the traps' jitter only. One trap more per wait (the end taken after
# the done probe) was 3-6 us an assist, 5-15% of assist time. Within
# 250 us (one trap preempted on its way in: 130 us seen on a stall) plus
# 1 us a wait, or within 0.1% (long stalls).
WAIT_REL = 0.001
WAIT_ABS_NS = 250000
WAIT_PER_NS = 1000


def check_wait_times(m, bench):
    out = []
    for w in ("assist", "stall"):
        n, ns = m[f"{w}_start_n"].get((0,), 0), m[f"{w}_ns"].get((0,), 0)
        rec = bench.get(w)
        if rec is None:
            if n:
                fail(f"the bench printed no {w} totals to compare {n} {w}s with")
            continue
        # The bench counts its timed run, the probes the whole process;
        # its fill runs with the collector off, so the two are the same.
        if n != rec["count"]:
            fail(f"{w}__start fired {n} times, the runtime counted {rec['count']} {w}s")
        if not n:
            continue
        d = ns - rec["total_ns"]
        if abs(d) > WAIT_ABS_NS + WAIT_PER_NS * n and abs(d) > WAIT_REL * rec["total_ns"]:
            fail(f"{w}s: probes {ns / 1e6:.3f} ms, runtime {rec['total_ns'] / 1e6:.3f} ms over {n} "
                 f"({d / n / 1000:+.2f} us a {w}): more than 250 us + 1 us a {w} and 0.1% apart")
        out.append(f"{w} time probes {ns / 1e6:.2f} ms, runtime {rec['total_ns'] / 1e6:.2f} ms "
                   f"({100.0 * d / rec['total_ns']:+.2f}%)")
    return ", ".join(out) or "no waits"


def main():
    log, bench = sys.argv[1], json.load(open(sys.argv[2]))
    pid, mode = bench["pid"], bench["mode"]
    m = defaultdict(dict)   # map name -> key tuple (without pid) -> value
    for line in open(log):
        r = re.match(r"@(\w+)\[([\d, ]+)\]: (\d+)$", line.strip())
        if not r:
            continue
        key = tuple(int(x) for x in r.group(2).split(","))
        if key[0] == pid:
            m[r.group(1)][key[1:]] = int(r.group(3))
    for name in ("gc_start_n", "gc_done_n", "pause_start_n", "pause_done_n",
                 "mark_start_n", "mark_done_n", "sweep_start_n", "sweep_done_n"):
        if not m[name]:
            fail(f"probe {name[:-2].replace('_', '__', 1)} never fired for pid {pid}")

    cycles = sorted(c for (c,) in m["gc_start_n"])
    if cycles != list(range(1, len(cycles) + 1)):
        fail(f"gc__start cycles are not 1..N: {cycles[:10]}")
    for name in ("gc_start_n", "gc_done_n", "mark_start_n", "mark_done_n",
                 "sweep_start_n", "sweep_done_n"):
        got = m[name]
        if sorted(c for (c,) in got) != cycles:
            fail(f"{name[:-2]}: fired for cycles {sorted(got)[:10]}..., want 1..{len(cycles)}")
        bad = [c for c, n in got.items() if n != 1]
        if bad:
            fail(f"{name[:-2]}: fired more than once for cycles {bad[:10]}")
    if any(m["gc_start_goal"][(c,)] == 0 for c in cycles):
        fail("gc__start: heap_goal_bytes is 0")
    # trigger_pm: the feedback's fraction (50..950 per mille) or 1000 (stw)
    trig = [m["gc_start_trig"].get((c,), -1) for c in cycles]
    ok = (lambda t: t == 1000) if mode == "stw" else (lambda t: 50 <= t <= 950)
    if not all(ok(t) for t in trig):
        fail(f"gc__start: trigger_pm out of range for {mode}: {trig[:10]}")
    if not any(v > 0 for v in m["mark_done_bytes"].values()):
        fail("mark__done: marked_bytes never > 0")
    if not any(v > 0 for v in m["gc_done_freed"].values()):
        fail("gc__done: freed_bytes never > 0")
    if not any(v > 0 for v in m["sweep_done_bytes"].values()):
        fail("sweep__done: swept_bytes never > 0")

    # mark__done's third and fourth arguments: bytes marked and slots
    # scanned inside termination; bounded in incremental mode.
    if mode != "stw":
        bound = 32768 + bench["procs"] * 513
        big = [(c, v) for (c,), v in m["mark_done_slots"].items() if v > bound * 4]
        if big:
            fail(f"mark__done: termination scanned {big[:3]} slots, bound {bound} per pause")
        if len(m["mark_done_term"]) != len(cycles):
            fail("mark__done: no termination bytes argument")
    # Assists and stalls: every start has its done.
    for w in ("assist", "stall"):
        st, dn = m[f"{w}_start_n"].get((0,), 0), m[f"{w}_done_n"].get((0,), 0)
        if st != dn:
            fail(f"{w}__start fired {st} times, {w}__done {dn}")
    if mode != "stw" and not m["assist_start_n"]:
        fail("assist__start never fired in incremental mode")
    waits = check_wait_times(m, bench)

    phases = {0} if mode == "stw" else {1, 2}
    keys = set(m["pause_start_n"])
    if keys != set(m["pause_done_n"]):
        fail("pause__start and pause__done do not pair up")
    if keys != {(c, p) for c in cycles for p in phases}:
        fail(f"pauses {sorted(keys)[:6]}... are not one per phase {sorted(phases)} per cycle")
    # Termination may resume concurrent marking: phase 2 then repeats in
    # its cycle, once per recorded pause.
    recorded = defaultdict(int)
    for p in bench["pauses"]:
        recorded[(p["cycle"], p["phase"])] += 1
    for k in keys:
        want = max(1, recorded.get(k, 1))
        if m["pause_start_n"][k] != want or m["pause_done_n"][k] != want:
            fail(f"pause {k}: start fired {m['pause_start_n'][k]}, "
                 f"done {m['pause_done_n'][k]} times, want {want}")

    # Probe-to-probe time must equal the recorded pause but for the uprobe
    # traps themselves (a few us); a rare scheduler preemption on the way
    # back from a trap shows up as an outlier, so a few are tolerated.
    diffs, outside = [], []
    last = {(p["cycle"], p["phase"]): i for i, p in enumerate(bench["pauses"])}
    for i, p in enumerate(bench["pauses"]):
        k = (p["cycle"], p["phase"])
        if k not in keys:
            fail(f"recorded pause {k} has no probe pair")
        if last[k] != i:
            continue  # the maps hold the last pause of a repeated phase
        pst, pdn, rec = m["pause_start_ns"][k], m["pause_done_ns"][k], p["duration_ns"]
        if not (pst <= p["start_ns"] and p["start_ns"] + rec <= pdn):
            fail(f"pause {k}: recorded pause is not inside its probe pair")
        d = (pdn - pst) - rec
        diffs.append(d)
        if d > max(20000, 0.05 * rec):
            outside.append(f"{k}: probes {pdn - pst} ns, runtime {rec} ns "
                           f"(start gap {p['start_ns'] - pst}, end gap {pdn - p['start_ns'] - rec})")
    if not diffs:
        fail("the bench recorded no pauses to compare")
    for o in outside:
        print(f"probes: note: outside 5%/20us: {o}")
    if len(outside) > max(1, len(diffs) // 10):
        fail(f"{len(outside)} of {len(diffs)} pauses outside 5% or 20 us")
    diffs.sort()
    print(f"probes: {mode}: {len(cycles)} cycles, {len(keys)} pauses traced, "
          f"{len(diffs)} compared; probe minus runtime: median "
          f"{diffs[len(diffs) // 2] / 1000:.1f} us, max {diffs[-1] / 1000:.1f} us; "
          f"assists {m['assist_start_n'].get((0,), 0)}, stalls {m['stall_start_n'].get((0,), 0)}; "
          f"{waits}; ok")


if __name__ == "__main__":
    main()
