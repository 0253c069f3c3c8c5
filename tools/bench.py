#!/usr/bin/env python3
"""memtrace benchmark: the cost per allocator call (and per page fault) of
tracing with memtrace, next to no tracing, the bare cost of the uprobe traps
(--probe-floor) and the peers installed on this machine (heaptrack, a
bpftrace memleak-style script, bcc's memleak when usable).

Every workload (build/tools/bench_alloc) times its own loop after a warm-up,
so the tracers' start-up and tear-down never count; it prints one JSON line.
Runs are interleaved -- for each round, for each workload, for each config --
so drift hits every config alike; the tables give medians and min..max.

    tools/bench.sh [--rounds R] [--workloads loop1,mix] [--configs bare,memtrace]
                   [--scale F] [--out DIR]

Writes DIR/results.md (the tables printed on stdout) and DIR/results.json
(every run too); DIR defaults to build/bench.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build")
MEMTRACE = os.path.join(BUILD, "memtrace")
WORKLOAD = os.path.join(BUILD, "tools", "bench_alloc")
SAMPLER = os.path.join(BUILD, "libmemtrace-sampler.so")
MEMLEAK_BT = os.path.join(ROOT, "tools", "bench", "memleak.bt")
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"

# Workloads: argv after the binary (N substituted), what one op is, the
# uprobe traps per op of an entry probe on every allocator call plus a
# return probe on all but free (None: read "traps"/"ops" from the output),
# and the base N (scaled per config below so every run lasts ~0.3-2 s).
WORKLOADS = {
    "loop1": dict(args=["loop", "{n}", "1"], n=200_000, traps=3.0,
                  op="malloc(64)+free pair, 1 thread",
                  note="3 traps per pair: malloc entry, malloc return, free entry"),
    "loop2": dict(args=["loop", "{n}", "2"], n=150_000, traps=3.0,
                  op="malloc(64)+free pair, per thread, 2 threads at once",
                  note="3 traps per pair; ns/op is each thread's own loop time / its pairs "
                       "(per-thread cost, not throughput), averaged over the 2 threads"),
    "mix": dict(args=["mix", "{n}"], n=200_000, traps=None,
                op="allocator call (malloc/calloc/realloc/free), service-like mix",
                note="sizes 16..8192, 10% calloc, 10% realloc, ring of 1024 live blocks; "
                     "~1.53 traps per call (2 per malloc/calloc/realloc, 1 per free)"),
    "deep": dict(args=["deep", "{n}", "24"], n=200_000, traps=3.0,
                 op="malloc(64)+free pair, 24 calls deeper (frames of ~128 bytes)",
                 note="3 traps per pair; the stack walk takes ~28 frames over ~3 KiB of stack, "
                      "where loop1's takes 3"),
    # The same loop in bench_alloc built -O2 -fomit-frame-pointer (no frame
    # pointers, as distributions build): memtrace-dwarf walks it by its
    # .eh_frame rows, plain memtrace's frame-pointer walk stops at once.
    "deep-nofp": dict(args=["deep", "{n}", "24"], n=200_000, traps=3.0, exe="bench_alloc_nofp",
                      op="deep's malloc(64)+free pair in code without frame pointers",
                      note="3 traps per pair; memtrace-dwarf unwinds ~29 frames by table rows"),
    "pages": dict(args=["pages", "{n}"], n=200_000, traps=0.0,
                  op="fresh anonymous page touched (one minor fault; mmap/munmap per 1024 pages)",
                  note="no allocator calls in the timed loop: floor and --no-faults should sit "
                       "at bare (their differences are noise); --faults adds the page-fault "
                       "tracing; the peers trace no page faults and are not run"),
}

MT_ALLOC = ["-q", "--no-faults", "--gc", "off", "--"]


def bcc_memleak():
    """(argv prefix or None, why not)"""
    exe = shutil.which("memleak-bpfcc") or next(
        (p for p in ("/usr/share/bcc/tools/memleak",) if os.path.exists(p)), None)
    headers = os.path.exists("/lib/modules/%s/build" % platform.release())
    if not headers and not os.path.exists("/sys/kernel/kheaders.tar.xz"):
        return None, "not available: no kernel headers" + ("" if exe else " (and bcc not installed)")
    if not exe:
        return None, "not available: bcc tools not installed"
    return exe, None


# Configs: name -> dict(kind, argv prefix builder, N scale, workloads it runs on,
# availability).  "peer" rows get a ratio column of their own.
def make_configs(tmpdir):
    bcc_exe, bcc_why = bcc_memleak()
    return {
        "bare": dict(label="bare (no tracing)", scale={"*": 25, "pages": 1}, prefix=lambda: [],
                     why=None),
        "floor": dict(label="memtrace --probe-floor (empty BPF progs)", scale=1,
                      prefix=lambda: [MEMTRACE, "--probe-floor"] + MT_ALLOC,
                      why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        "memtrace": dict(label="memtrace (exact, --no-faults; --unwind auto)", scale=1,
                         prefix=lambda: [MEMTRACE] + MT_ALLOC,
                         why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        "memtrace-dwarf": dict(label="memtrace --unwind dwarf (table rows)", scale=1,
                               only=("loop1", "deep", "deep-nofp"),
                               prefix=lambda: [MEMTRACE, "--unwind", "dwarf"] + MT_ALLOC,
                               why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        "memtrace-fp": dict(label="memtrace --unwind fp (frame pointers)", scale=1,
                            only=("loop1", "deep", "deep-nofp"),
                            prefix=lambda: [MEMTRACE, "--unwind", "fp"] + MT_ALLOC,
                            why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        "memtrace-sampled": dict(label="memtrace --sample-bytes 524288", scale=1, skip=("pages",),
                                 prefix=lambda: [MEMTRACE, "--sample-bytes", "524288"] + MT_ALLOC,
                                 why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        # The otel_memory contract (issue 20): the sampler preloaded, idle
        # (no probe attached: one semaphore read per call) and with memtrace
        # attached through its USDT probes.  memtrace runs under the preload
        # too (its own calls pay the idle cost), so the workload it launches
        # inherits it without an exec in between.
        "sampler-idle": dict(label="libmemtrace-sampler idle (LD_PRELOAD)", scale={"*": 25, "pages": 1},
                             skip=("pages",), prefix=lambda: ["env", "LD_PRELOAD=" + SAMPLER],
                             why=None if os.access(SAMPLER, os.R_OK) else "not built: " + SAMPLER),
        "sampler-memtrace": dict(label="sampler + memtrace --source usdt (512 KiB)", scale={"*": 25, "pages": 1},
                                 skip=("pages",),
                                 prefix=lambda: ["env", "LD_PRELOAD=" + SAMPLER, MEMTRACE, "--source", "usdt"] + MT_ALLOC,
                                 why=None if os.access(SAMPLER, os.R_OK) else "not built: " + SAMPLER),
        # In-process samplers next to the contract, each over its own
        # allocator at the same 512 KiB mean period (and that allocator
        # bare, the row to subtract): jemalloc's heap profiling (Debian's
        # libjemalloc2 is built with --enable-prof) and tcmalloc's sampling.
        "jemalloc": dict(label="libjemalloc2 (LD_PRELOAD), no profiling", scale={"*": 25}, skip=("pages",),
                         prefix=lambda: ["env", "LD_PRELOAD=" + JEMALLOC],
                         why=None if os.access(JEMALLOC, os.R_OK) else "not available: libjemalloc2 not installed"),
        "jemalloc-prof": dict(label="jemalloc prof:true,lg_prof_sample:19 (512 KiB)", scale={"*": 25},
                              skip=("pages",),
                              prefix=lambda: ["env", "LD_PRELOAD=" + JEMALLOC,
                                              "MALLOC_CONF=prof:true,prof_active:true,lg_prof_sample:19"],
                              why=None if os.access(JEMALLOC, os.R_OK) else "not available: libjemalloc2 not installed"),
        "tcmalloc": dict(label="libtcmalloc_minimal (LD_PRELOAD), no sampling", scale={"*": 25}, skip=("pages",),
                         prefix=lambda: ["env", "LD_PRELOAD=" + TCMALLOC, "TCMALLOC_SAMPLE_PARAMETER=0"],
                         why=None if os.access(TCMALLOC, os.R_OK) else "not available: libtcmalloc-minimal4 not installed"),
        "tcmalloc-sampled": dict(label="tcmalloc TCMALLOC_SAMPLE_PARAMETER=524288", scale={"*": 25}, skip=("pages",),
                                 prefix=lambda: ["env", "LD_PRELOAD=" + TCMALLOC, "TCMALLOC_SAMPLE_PARAMETER=524288"],
                                 why=None if os.access(TCMALLOC, os.R_OK) else "not available: libtcmalloc-minimal4 not installed"),
        "memtrace-faults": dict(label="memtrace --faults", scale=1, only=("pages",),
                                prefix=lambda: [MEMTRACE, "-q", "--faults", "--gc", "off", "--"],
                                why=None if os.access(MEMTRACE, os.X_OK) else "not built: build/memtrace"),
        "heaptrack": dict(label="heaptrack (LD_PRELOAD)", scale=2, peer=True, skip=("pages",),
                          prefix=lambda: ["heaptrack", "-o",
                                          os.path.join(tmpdir, "ht-%d" % time.monotonic_ns())],
                          why=None if shutil.which("heaptrack") else "not available: not installed"),
        "bpftrace": dict(label="bpftrace memleak.bt", scale=0.25, peer=True, skip=("pages",),
                         prefix=None,  # special: -c 'CMD'
                         why=None if shutil.which("bpftrace") else "not available: not installed"),
        "bcc-memleak": dict(label="bcc memleak", scale=0.25, peer=True, skip=("pages",),
                            prefix=lambda: [bcc_exe, "-c"], joined=True,
                            why=bcc_why),
    }


def applies(cfg, wl):
    if "only" in cfg and wl not in cfg["only"]:
        return False
    return wl not in cfg.get("skip", ())


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""


def first_line(text):
    return (text.splitlines() or ["?"])[0]


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mt_rev = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    if mt_rev and sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]):
        mt_rev += "+dirty"
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu,
        "glibc": platform.libc_ver()[1],
        "memtrace_rev": mt_rev,
        "memtrace_built": datetime.datetime.fromtimestamp(os.path.getmtime(MEMTRACE)).isoformat(
            timespec="seconds") if os.path.exists(MEMTRACE) else None,
        "heaptrack": first_line(sh(["heaptrack", "--version"])) if shutil.which("heaptrack") else None,
        "bpftrace": first_line(sh(["bpftrace", "--version"])) if shutil.which("bpftrace") else None,
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "0 0 0"


def parse_result(stdout):
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith('{"mode"'):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


def memtrace_counts(stdout):
    """calls and drops from memtrace's text report, to check it saw the workload"""
    out = {}
    num = lambda g: int(g.replace(",", ""))
    m = re.search(r"allocated: .* in ([\d,]+) calls; freed: .* in ([\d,]+) calls", stdout)
    if m:
        out["alloc_calls"], out["free_calls"] = num(m.group(1)), num(m.group(2))
    m = re.search(r"dropped: ([\d,]+)", stdout)
    if m:
        out["dropped"] = num(m.group(1))
    return out


def run_one(name, cfg, wl, n, timeout):
    exe = os.path.join(BUILD, "tools", WORKLOADS[wl]["exe"]) if "exe" in WORKLOADS[wl] else WORKLOAD
    argv = [exe] + [a.format(n=n) for a in WORKLOADS[wl]["args"]]
    if name == "bpftrace":
        full = ["bpftrace", MEMLEAK_BT, "-c", shlex.join(argv)]
    elif cfg.get("joined"):
        full = cfg["prefix"]() + [shlex.join(argv)]
    else:
        full = cfg["prefix"]() + argv
    t0 = time.monotonic()
    rec = {"config": name, "workload": wl, "n": n, "argv": full}
    env = dict(os.environ, LC_ALL="C")
    if name == "bpftrace":
        env.setdefault("BPFTRACE_MAP_KEYS_MAX", "65536")
    try:
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        rec.update(ok=False, error="timeout after %ds" % timeout)
        return rec
    except OSError as e:
        rec.update(ok=False, error=str(e))
        return rec
    rec["wall_s"] = round(time.monotonic() - t0, 3)
    rec["rc"] = p.returncode
    res = parse_result(p.stdout)
    if p.returncode != 0 or res is None:
        err = (p.stderr.strip().splitlines() or [""])[-1][:200]
        rec.update(ok=False, error="exit %d%s: %s" % (p.returncode, "" if res else ", no result", err))
        return rec
    rec.update(ok=True, result=res, ns_per_op=res["ns_per_op"])
    if name.startswith("memtrace"):
        rec["memtrace"] = memtrace_counts(p.stdout)
    return rec


def fmt(x, nd=1):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return "%.0f" % x
    return ("%%.%df" % nd) % x


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def summarize(runs, configs, wls):
    summary = {}
    for wl in wls:
        rows = {}
        for name, cfg in configs.items():
            if not applies(cfg, wl):
                continue
            rs = [r for r in runs if r["workload"] == wl and r["config"] == name]
            ok = [r["ns_per_op"] for r in rs if r.get("ok")]
            row = {"label": cfg["label"], "runs": len(rs), "ok_runs": len(ok),
                   "n": rs[0]["n"] if rs else None}
            if cfg["why"]:
                row["status"] = cfg["why"]
            elif not ok:
                row["status"] = "failed: " + (rs[0].get("error", "?")[:120] if rs else "not run")
            else:
                row.update(status="ok" if len(ok) == len(rs) else "%d/%d runs failed" % (
                    len(rs) - len(ok), len(rs)),
                    median=statistics.median(ok), min=min(ok), max=max(ok))
                res = [r["result"] for r in rs if r.get("ok")]
                cpu = [x["cpu_ns_per_op"] for x in res if "cpu_ns_per_op" in x]
                if cpu:
                    row["cpu_median"] = statistics.median(cpu)
                tr = WORKLOADS[wl]["traps"]
                if tr is None:
                    tr = statistics.median(x["traps"] / x["ops"] for x in res)
                row["traps_per_op"] = tr
                if wl == "pages":
                    row["faults_per_op"] = statistics.median(x["faults"] / x["ops"] for x in res)
                row["ops_median"] = statistics.median(x["ops"] for x in res)
                mt = [r["memtrace"] for r in rs if r.get("ok") and r.get("memtrace")]
                if mt:
                    row["memtrace_dropped_max"] = max(m.get("dropped", 0) for m in mt)
                    if name != "floor":
                        row["memtrace_calls_median"] = statistics.median(
                            m.get("alloc_calls", 0) + m.get("free_calls", 0) for m in mt)
            rows[name] = row
        bare = rows.get("bare", {}).get("median")
        bare_cpu = rows.get("bare", {}).get("cpu_median")
        for row in rows.values():
            if "cpu_median" in row and bare_cpu is not None:
                row["cpu_overhead"] = row["cpu_median"] - bare_cpu
            if "median" in row and bare is not None:
                row["overhead"] = row["median"] - bare
                row["overhead_min"] = row["min"] - bare
                row["overhead_max"] = row["max"] - bare
        floor = rows.get("floor", {}).get("overhead")
        # Paired: each round's overhead over that round's floor overhead, then the
        # median. The configs of one round run back to back, so a slow drift of
        # the host's load cancels out, where the median of each column does not.
        by_round = {}
        for r in runs:
            if r["workload"] == wl and r.get("ok"):
                by_round.setdefault(r["round"], {})[r["config"]] = r["ns_per_op"]
        for name, row in rows.items():
            paired = [ratio(rd[name] - rd["bare"], rd["floor"] - rd["bare"])
                      for rd in by_round.values() if {name, "bare", "floor"} <= rd.keys()]
            paired = [x for x in paired if x is not None]
            if paired and name not in ("bare", "floor") and wl != "pages":
                row["ratio_to_floor_paired"] = statistics.median(paired)
            # The unwinders against the frame-pointer walk, paired the same way.
            paired = [ratio(rd[name] - rd["bare"], rd["memtrace-fp"] - rd["bare"])
                      for rd in by_round.values() if {name, "bare", "memtrace-fp"} <= rd.keys()]
            paired = [x for x in paired if x is not None]
            if paired and name in ("memtrace", "memtrace-dwarf"):
                row["ratio_to_fp_paired"] = statistics.median(paired)
        peers = [k for k, c in configs.items() if c.get("peer") and "overhead" in rows.get(k, {})]
        for name, row in rows.items():
            if name == "bare" or "overhead" not in row:
                continue
            if wl != "pages":
                row["ratio_to_floor"] = ratio(row["overhead"], floor)
                if row.get("traps_per_op"):
                    row["overhead_per_trap"] = row["overhead"] / row["traps_per_op"]
            row["peer_ratio"] = {p: ratio(rows[p].get("overhead"), row["overhead"])
                                 for p in peers if "overhead" in rows[p]}
        summary[wl] = {"op": WORKLOADS[wl]["op"], "note": WORKLOADS[wl]["note"], "rows": rows,
                       "peers": peers}
    return summary


def markdown(meta, summary, args):
    out = ["# memtrace benchmark", "",
           "- date: %s" % meta["date"],
           "- machine: %s CPUs, %s, kernel %s, glibc %s" % (meta["nproc"], meta["cpu"],
                                                           meta["kernel"], meta["glibc"]),
           "- memtrace: %s (binary built %s); %s; %s" % (meta["memtrace_rev"], meta["memtrace_built"],
                                                        meta["heaptrack"], meta["bpftrace"]),
           "- %d rounds, interleaved (round → workload → config); medians, min..max over rounds" % args.rounds,
           "- ns/op is timed by the workload itself around its loop (after a warm-up): "
           "tracer start-up/tear-down are excluded",
           "- overhead = median ns/op − median bare ns/op; ×floor = overhead / floor overhead; "
           "×floor paired = median over rounds of that round's overhead / that round's floor "
           "overhead (robust to the host's load drifting between rounds); "
           "peer ÷ this = that peer's overhead / this row's overhead (all from wall-clock ns/op)",
           "- CPU ns/op: the timed thread's own CPU time (user+system, traps included) per op, "
           "a cross-check that holds when other work shares the CPUs",
           "- load average: %s at start, %s at end%s" % (
               meta["loadavg_start"], meta.get("loadavg_end"),
               " — the machine was busy: expect noise" if meta["busy"] else ""),
           ""]
    for wl, s in summary.items():
        rows, peers = s["rows"], s["peers"]
        out.append("## %s — one op = %s" % (wl, s["op"]))
        out.append("")
        out.append(s["note"] + ".")
        out.append("")
        head = ["config", "N", "ns/op median", "min..max", "overhead ns/op"]
        if wl != "pages":
            head += ["overhead ns/trap", "×floor", "×floor paired"]
        else:
            head += ["faults/op"]
        head += ["%s ÷ this" % p for p in peers]
        head += ["CPU ns/op", "CPU overhead"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for name, row in rows.items():
            if "median" not in row:
                cells = [row["label"], "", row["status"]] + [""] * (len(head) - 3)
                out.append("| " + " | ".join(cells) + " |")
                continue
            cells = [row["label"] + ("" if row["status"] == "ok" else " (%s)" % row["status"]),
                     str(row["n"]), fmt(row["median"]),
                     "%s..%s" % (fmt(row["min"]), fmt(row["max"])),
                     "—" if name == "bare" else fmt(row.get("overhead"))]
            if wl != "pages":
                cells += ["—" if name == "bare" else fmt(row.get("overhead_per_trap")),
                          "—" if name == "bare" else fmt(row.get("ratio_to_floor"), 2),
                          fmt(row.get("ratio_to_floor_paired"), 2) if "ratio_to_floor_paired" in row else "—"]
            else:
                cells += [fmt(row.get("faults_per_op"), 2)]
            for p in peers:
                cells.append("—" if name == "bare" else fmt(row.get("peer_ratio", {}).get(p), 2))
            cells += [fmt(row.get("cpu_median")),
                      "—" if name == "bare" else fmt(row.get("cpu_overhead"))]
            out.append("| " + " | ".join(cells) + " |")
        notes = []
        to_fp = ["%s %s" % (name, fmt(row["ratio_to_fp_paired"], 2)) for name, row in rows.items()
                 if "ratio_to_fp_paired" in row]
        if to_fp:
            notes.append("overhead over memtrace --unwind fp's, paired by round: " + ", ".join(to_fp))
        b = rows.get("bare", {})
        if wl != "pages" and b.get("median", 0) > 150:
            notes.append("bare is slow (%.0f ns/op): is another tracer's uprobe on this libc "
                         "trapping every process?" % b["median"])
        for name, row in rows.items():
            if (wl != "pages" and "memtrace_calls_median" in row
                    and row["memtrace_calls_median"] < row["ops_median"]):
                notes.append("%s counted %d allocator calls, fewer than the %d the workload "
                             "timed" % (name, row["memtrace_calls_median"], row["ops_median"]))
            if row.get("memtrace_dropped_max"):
                notes.append("%s dropped up to %d events in a run" % (name, row["memtrace_dropped_max"]))
        if notes:
            out.append("")
            out.append("Note: " + "; ".join(notes) + ".")
        out.append("")
    out.append("Traps: memtrace (and its floor) put an entry uprobe on every allocator function and a "
               "return uprobe on all but free, so a malloc/free pair costs 3 traps (malloc entry, "
               "malloc return, free entry); the floor row is the cost of those 3 traps with empty "
               "programs. bpftrace memleak.bt probes the same libc with the same 3 traps per pair "
               "(its probes sit at offset 0, memtrace's past the leading single-stepped instructions); "
               "heaptrack takes no trap (LD_PRELOAD). N is scaled per config (bare ×25, heaptrack ×2, "
               "bpftrace ×¼ of the memtrace N; pages: the same N everywhere) so each run lasts "
               "~0.1–2 s. memtrace --faults spends ~0.7 s starting (before the workload runs, so "
               "not in ns/op).")
    out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--configs", default=None, help="comma list (default: all)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every N (e.g. 0.2 for a quick look)")
    ap.add_argument("--timeout", type=int, default=90)
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    args = ap.parse_args()

    if not os.access(WORKLOAD, os.X_OK):
        sys.exit("bench: %s is not built (make all, or make %s)" % (WORKLOAD, os.path.relpath(WORKLOAD, ROOT)))
    wls = [w for w in args.workloads.split(",") if w]
    for w in wls:
        if w not in WORKLOADS:
            sys.exit("bench: unknown workload %s (have %s)" % (w, ", ".join(WORKLOADS)))
    if os.geteuid() != 0:
        print("bench: not root: the BPF configs will fail", file=sys.stderr)

    meta = machine()
    tmpdir = tempfile.mkdtemp(prefix="memtrace-bench-")
    configs = make_configs(tmpdir)
    if args.configs:
        want = args.configs.split(",")
        for c in want:
            if c not in configs:
                shutil.rmtree(tmpdir, ignore_errors=True)
                sys.exit("bench: unknown config %s (have %s)" % (c, ", ".join(configs)))
        if "bare" not in want:
            want.insert(0, "bare")
        configs = {k: v for k, v in configs.items() if k in want}
    meta["loadavg_start"] = loadavg()
    meta["busy"] = float(meta["loadavg_start"].split()[0]) > 0.5 * (os.cpu_count() or 1)
    print("memtrace bench: %s, %s CPUs, %s, kernel %s" % (meta["date"], meta["nproc"], meta["cpu"],
                                                         meta["kernel"]), file=sys.stderr)
    runs = []
    t_start = time.monotonic()
    try:
        for rnd in range(1, args.rounds + 1):
            for wl in wls:
                for name, cfg in configs.items():
                    if not applies(cfg, wl) or cfg["why"]:
                        continue
                    sc = cfg["scale"]
                    if isinstance(sc, dict):
                        sc = sc.get(wl, sc["*"])
                    n = max(1, int(WORKLOADS[wl]["n"] * sc * args.scale))
                    rec = run_one(name, cfg, wl, n, args.timeout)
                    if not rec.get("ok"):
                        # one retry: a transient failure (a concurrent BPF
                        # load, a rebuild in progress) should not cost the row
                        time.sleep(1)
                        first = rec
                        rec = run_one(name, cfg, wl, n, args.timeout)
                        rec["retry_of"] = first
                    rec["round"] = rnd
                    runs.append(rec)
                    print("  round %d %-6s %-16s %s" % (
                        rnd, wl, name,
                        "%.1f ns/op (%.2f s)" % (rec["ns_per_op"], rec["wall_s"]) if rec.get("ok")
                        else "FAILED: " + rec.get("error", "?")), file=sys.stderr)
                    # heaptrack leaves its data file behind: not needed
                    for f in os.listdir(tmpdir):
                        try:
                            os.unlink(os.path.join(tmpdir, f))
                        except OSError:
                            pass
    except KeyboardInterrupt:
        print("bench: interrupted, reporting what ran", file=sys.stderr)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    meta["loadavg_end"] = loadavg()
    meta["busy"] = meta["busy"] or float(meta["loadavg_end"].split()[0]) > 0.5 * (os.cpu_count() or 1)

    summary = summarize(runs, configs, wls)
    md = markdown(meta, summary, args)
    print(md)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"machine": meta, "rounds": args.rounds, "scale": args.scale,
                   "workloads": {w: {k: v for k, v in WORKLOADS[w].items()} for w in wls},
                   "summary": summary, "runs": runs}, f, indent=1)
    print("bench: %.0f s; wrote %s/results.md and results.json" % (meta["elapsed_s"], args.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
