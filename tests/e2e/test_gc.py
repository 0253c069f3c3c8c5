"""GC pause timelines, end to end: memtrace's pauses against each runtime's
own account of them (refgc-bench --pauses, Go's gctrace)."""
import json
import os
import re
import subprocess
import unittest

import mt

BENCH = os.path.join(mt.BUILD, "refgc-bench")
GCPROG = mt.tool("gcprog")
PHASES = {0: "stw", 1: "mark start", 2: "mark termination"}


def require_gc(test):
    mt.require_bpf(test)
    out = subprocess.run([mt.MEMTRACE, "--help"], capture_output=True, text=True).stdout
    if "--gc" not in out:
        raise unittest.SkipTest("build/memtrace has no GC tracing (--gc) yet")


def build_go(out, extra=()):
    """Builds tools/gcprog/main.go with Debian's go into out; None when go is missing."""
    if os.path.exists(out) and not extra:
        return out
    env = dict(os.environ, GOCACHE="/tmp/memtrace-gocache", HOME=os.environ.get("HOME", "/tmp"),
               GO111MODULE="off", CGO_ENABLED="0")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    try:
        subprocess.run(["go", "build", *extra, "-o", out, os.path.join(mt.ROOT, "tools", "gcprog", "main.go")],
                       env=env, check=True, capture_output=True, text=True, timeout=300)
    except (FileNotFoundError, subprocess.CalledProcessError):
        return None
    return out


def run_with_env(env, args, cmd, **kw):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return mt.run(args, cmd, **kw)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def bench_json(stdout):
    for line in stdout.splitlines():
        if line.startswith('{"workload"'):
            return json.loads(line)
    raise AssertionError("refgc-bench printed no JSON:\n" + stdout[:2000])


def within(ours, theirs, rel, absolute):
    return abs(ours - theirs) <= max(rel * theirs, absolute)


class Refgc(unittest.TestCase):
    """memtrace -- refgc-bench: every pause the runtime recorded, with its duration."""

    def check_mode(self, mode):
        # 16 MiB live: enough cycles in 3 s to compare on a loaded 2-CPU
        # machine (the default 64 MiB gave 1-5 pauses at load 13, with the
        # old runtime too, and then one pause off was already 10%).
        r = run_with_env({"REFGC_MODE": mode}, [],
                         [BENCH, "--workload", "latency", "--seconds", "3", "--live-mib", "16", "--pauses"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"(?m)^Tracing PID \d+.*refgc")
        bench = bench_json(r.stdout)
        gc = r.report["gc"]
        self.assertEqual(gc["runtime"], "refgc")
        self.assertEqual(bench["pauses_lost"], 0)
        self.assertEqual(gc["lost_events"], 0)
        theirs = bench["pauses"]
        self.assertGreater(len(theirs), 5, "the bench made too few pauses to compare")
        # The bench counts pauses from the end of its warm-up to its last
        # stats read: count ours over the same cycles and time.
        first = min(p["cycle"] for p in theirs)
        last_end = max(p["start_ns"] + p["duration_ns"] for p in theirs)
        ours = [p for p in gc["pauses"] if p["cycle"] >= first and p["start_ns"] <= last_end]
        self.assertEqual(len(ours), bench["pause_count"], "pause count")
        by_key = {(p["cycle"], p["phase"]): p for p in ours}
        late = []
        for p in theirs:
            m = by_key.get((p["cycle"], PHASES[p["phase"]]))
            self.assertIsNotNone(m, "pause %r not seen" % p)
            if not within(m["duration_ns"], p["duration_ns"], 0.05, 20000):
                late.append((p, m))
        # The collector thread can be descheduled (or trap) between a probe
        # and the runtime's own clock read: then our window holds the
        # runtime's and is longer by the delay.  Tolerate that for at most
        # 10% of pauses (at least one) per run, as refgc's own probe check
        # does; any other mismatch fails.  At 2% the old collector itself
        # failed 1 run in 4 on this 2-CPU VM (up to 6 of 132 mark-start
        # pauses 18-25 us late: the return from pause__start's trap).
        for p, m in late:
            holds = m["start_ns"] <= p["start_ns"] + 2000 and \
                m["start_ns"] + m["duration_ns"] >= p["start_ns"] + p["duration_ns"] - 2000
            self.assertTrue(holds, "%s: pause %r measured %r" % (mode, p, m))
        self.assertLessEqual(len(late), max(1, len(theirs) // 10),
                             "%s: %d of %d pauses off: %r" % (mode, len(late), len(theirs), late[:3]))
        self.assertEqual(gc["pause_ns"]["max"] >= max(p["duration_ns"] for p in theirs), True)
        for k in ("1ms", "10ms", "100ms"):
            self.assertGreaterEqual(gc["mmu"][k], 0.0)
            self.assertLessEqual(gc["mmu"][k], 1.0)
        return gc

    @classmethod
    def setUpClass(cls):
        require_gc(cls)
        if not os.path.exists(BENCH):
            if mt.CI:
                raise AssertionError("build/refgc-bench is not built")
            raise unittest.SkipTest("build/refgc-bench is not built")

    def test_incremental(self):
        gc = self.check_mode("incremental")
        phases = {p["phase"] for p in gc["pauses"]}
        self.assertEqual(phases, {"mark start", "mark termination"})
        cyc = [c for c in gc["cycle_list"] if c["end_ns"]]
        self.assertTrue(cyc and all("heap_before" in c for c in cyc))

    def test_stw(self):
        gc = self.check_mode("stw")
        self.assertEqual({p["phase"] for p in gc["pauses"]}, {"stw"})

    def test_gc_off(self):
        r = mt.run(["--gc", "off"], [BENCH, "--workload", "latency", "--seconds", "1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("gc", r.report)

    def test_svg(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            svg = os.path.join(tmp, "gc.svg")
            r = mt.run(["--gc-svg", svg], [BENCH, "--workload", "latency", "--seconds", "1"])
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(svg) as f:
                text = f.read()
            self.assertTrue(text.startswith("<?xml"))
            self.assertIn("<svg xmlns=\"http://www.w3.org/2000/svg\"", text)
            self.assertIn("class=\"heap\"", text)


GCTRACE = re.compile(r"^gc (\d+) @\S+ \S+ ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock", re.M)


class Go(unittest.TestCase):
    """memtrace -- gcprog (GODEBUG=gctrace=1): per-cycle STW pauses against gctrace."""

    @classmethod
    def setUpClass(cls):
        require_gc(cls)
        if not build_go(GCPROG):
            if mt.CI:
                raise AssertionError("go is not installed (tools/setup-deps.sh installs golang-go)")
            raise unittest.SkipTest("go is not installed")

    def test_pauses_match_gctrace(self):
        # Pauses alone: a trap on every allocation would slow the program
        # to too few cycles on a loaded machine.
        r = run_with_env({"GODEBUG": "gctrace=1"}, ["--no-go-heap"], [GCPROG, "-seconds", "3"])
        self.assertEqual(r.returncode, 0, r.stderr)
        gc = r.report["gc"]
        self.assertEqual(gc["runtime"], "go")
        trace = [(int(c), float(a) * 1e6, float(m) * 1e6) for c, a, _, m in GCTRACE.findall(r.stderr)]
        self.assertGreater(len(trace), 10, "too few GC cycles to compare")
        done = [c for c in gc["cycle_list"] if c["end_ns"]]
        self.assertEqual(len(done), len(trace), "completed cycles")
        per = {}
        for p in gc["pauses"]:
            per.setdefault(p["cycle"], {}).setdefault(p["phase"], []).append(p["duration_ns"])
        agree = 0
        for cycle, sweep_term, mark_term in trace:
            got = per.get(cycle, {})
            st = got.get("sweep termination", [None])[0]
            mt_ = got.get("mark termination", [None])[-1]
            if st is not None and mt_ is not None and within(st, sweep_term, 0.2, 20000) \
                    and within(mt_, mark_term, 0.2, 20000):
                agree += 1
        self.assertGreaterEqual(agree / len(trace), 0.9, "%d of %d cycles agree" % (agree, len(trace)))

    def test_stripped_binary_is_traced(self):
        # No .symtab: the probes are found through .gopclntab (test_go_stripped).
        stripped = build_go(os.path.join(mt.TOOLS, "gcprog-stripped"), ["-ldflags=-s -w"])
        if not stripped:
            self.skipTest("cannot build a stripped Go binary")
        r = mt.run([], [stripped, "-seconds", "0.5"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stderr, r"(?m)^memtrace: .*(no symbol table|not traced)")
        self.assertEqual(r.report["gc"]["runtime"], "go")
        self.assertGreater(len(r.report["gc"]["cycle_list"]), 0)
        self.assertGreater(r.report["go_heap"]["calls"], 0)


XLOG_PAUSE = re.compile(r"\[gc\s*\] GC\((\d+)\) (Pause [^\n]*?) ([\d.]+)ms$", re.M)


class HotSpot(unittest.TestCase):
    """java -Xlog:gc: the JVM's own pause log against memtrace's hotspot probes."""

    @classmethod
    def setUpClass(cls):
        require_gc(cls)
        if not os.path.exists("/usr/bin/java"):
            if mt.CI:
                raise AssertionError("java is not installed (tools/setup-deps.sh installs openjdk-17)")
            raise unittest.SkipTest("java is not installed")

    def test_pauses_match_xlog(self):
        r = mt.run(["--no-faults"], ["/usr/bin/java", "-Xlog:gc", "-Xmx256m", "-XX:+UseG1GC",
                                     os.path.join(mt.ROOT, "tools", "GcJava.java"), "3"], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        logged = [float(ms) * 1e6 for _, _, ms in XLOG_PAUSE.findall(r.stdout)]
        self.assertGreater(len(logged), 10, r.stdout[-2000:])
        gc = r.report["gc"]
        self.assertEqual(gc["runtime"], "hotspot")
        ours = [p["duration_ns"] for p in sorted(gc["pauses"], key=lambda p: p["start_ns"])]
        self.assertEqual(len(ours), len(logged))
        agree = sum(within(o, t, 0.10, 100000) for o, t in zip(ours, logged))
        # A 2-CPU VM deschedules the VM thread inside a pause now and then.
        self.assertGreaterEqual(agree / len(logged), 0.95, "%d of %d pauses agree" % (agree, len(logged)))


class CPython(unittest.TestCase):
    """python3 here has gc__start/gc__done USDT probes: one pause per collection."""

    @classmethod
    def setUpClass(cls):
        require_gc(cls)

    def test_collections_counted(self):
        code = ("import gc\n"
                "for i in range(200000):\n"
                "    a = []; a.append(a)\n"
                "print('collections', sum(s['collections'] for s in gc.get_stats()))\n")
        r = mt.run([], ["/usr/bin/python3", "-c", code])
        self.assertEqual(r.returncode, 0, r.stderr)
        gc = r.report.get("gc")
        if gc is None:
            self.assertRegex(r.stderr, r"(?m)^memtrace: .*CPython.*no gc__start")
            return
        self.assertEqual(gc["runtime"], "cpython")
        n = int(re.search(r"collections (\d+)", r.stdout).group(1))
        # Collections at interpreter exit come after the print.
        self.assertGreaterEqual(gc["pause_count"], n)
        self.assertLessEqual(gc["pause_count"], n + 5)


if __name__ == "__main__":
    unittest.main()


class TuneMeasure(unittest.TestCase):
    """refgc-tune --measure memtrace: every setting measured from the outside too."""

    def test_measured_column(self):
        require_gc(self)
        tune = os.path.join(mt.BUILD, "refgc-tune")
        p = subprocess.run([tune, "--workload", "latency", "--seconds", "0.3", "--repeat", "1",
                            "--measure", "memtrace"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        rows = [l.split() for l in p.stdout.splitlines() if l.split() and l.split()[0] in ("stw", "incremental")]
        self.assertGreater(len(rows), 4, p.stdout)
        for r in rows:
            # The last column is memtrace's p99 pause in us: a number for every setting.
            self.assertGreater(float(r[-1]), 0, r)
        self.assertIn("measure=memtrace", p.stdout)
