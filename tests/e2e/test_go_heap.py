"""Go's heap, end to end: memtrace's entry probe on runtime.mallocgc against
the runtime's own allocation profile (runtime.MemProfileRate = 1,
pprof.Lookup("allocs")), for a static and a cgo binary built here with
Debian's go, under "-- CMD" and attached with -p mid-run.

Go's profile and memtrace agree exactly per function, counts and bytes
(both charge Go's size class: 1000 bytes asked take 1024), except for tiny
allocations (< 16 bytes without pointers): Go packs them into 16-byte
blocks and profiles only the calls that start a new block, as 16 bytes,
where memtrace counts every call with the bytes it asked for.  So for
allocTiny (8-byte objects) Go has about half the calls, each 16 bytes."""
import os
import re
import signal
import subprocess
import unittest

import mt

SRC = os.path.join(mt.ROOT, "tools", "goalloc")
ROUNDS = 5
# Per round (tools/goalloc/main.go): calls and the bytes Go charges each.
PER_ROUND = {
    "main.allocNodes": (3000, 32),
    "main.allocBufs": (2000, 1024),
    "main.allocLarge": (50, 40960),
    "main.allocOdd": (700, 1024),
    # The closure of each go statement; its g is allocated on the system
    # stack, which Go's profile (and so memtrace) charges to the runtime.
    "main.allocGoroutines": (100, 16),
}
TINY, TINY_PER_ROUND = "main.allocTiny", 4000
TRACING_GO = r"(?m)^Tracing PID %d \(goalloc[^)]*\): .*Go 1\.\d+ heap and GC"


def build(out, cgo, ldflags=()):
    env = dict(os.environ, GOCACHE="/tmp/memtrace-gocache", HOME=os.environ.get("HOME", "/tmp"),
               GO111MODULE="off", CGO_ENABLED="1" if cgo else "0")
    files = [os.path.join(SRC, f) for f in sorted(os.listdir(SRC)) if f.endswith(".go")]
    try:
        subprocess.run(["go", "build", *ldflags, "-o", out] + files, env=env, check=True, capture_output=True,
                       text=True, timeout=600)
    except (FileNotFoundError, subprocess.CalledProcessError) as e:
        return None, str(e)
    return out, None


def go_profile(path):
    """Go's allocs profile (debug=1 text): {function: [objects, bytes]}, each
    record charged to its innermost main.alloc* frame."""
    out = {}
    rec = None
    with open(path) as f:
        for line in f:
            m = re.match(r"^\d+: \d+ \[(\d+): (\d+)\] @", line)
            if m:
                rec = [int(m.group(1)), int(m.group(2)), False]
                continue
            m = re.match(r"^#\s+0x[0-9a-f]+\s+(\S+?)\+0x", line)
            if m and rec and not rec[2] and m.group(1).startswith("main.alloc"):
                rec[2] = True
                a = out.setdefault(m.group(1), [0, 0])
                a[0] += rec[0]
                a[1] += rec[1]
    return out


def memtrace_profile(report):
    """memtrace's sites the same way: {function: [calls, bytes]}."""
    out = {}
    for s in report["sites"]:
        fn = next((f["function"] for f in s["frames"] if (f["function"] or "").startswith("main.alloc")), None)
        if fn:
            a = out.setdefault(fn, [0, 0])
            a[0] += s["alloc_count"]
            a[1] += s["alloc_bytes"]
    return out


def minus(a, b):
    return {k: [v[0] - b.get(k, [0, 0])[0], v[1] - b.get(k, [0, 0])[1]] for k, v in a.items()}


class GoHeap(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        tmp = mt.tempdir(cls, "mt-goheap-")
        cls.static, why = build(os.path.join(tmp, "goalloc-static"), False)
        if not cls.static:
            if mt.CI:
                raise AssertionError("cannot build a Go program (tools/setup-deps.sh installs golang-go): " + why)
            raise unittest.SkipTest("cannot build a Go program: " + why)
        cls.cgo, why = build(os.path.join(tmp, "goalloc-cgo"), True)
        cls.cgo_why = why
        cls.tmp = tmp

    def check_against_go(self, ours, theirs, rounds):
        for fn, (n, size) in PER_ROUND.items():
            # Go's own profile first: the workload did what it says.
            self.assertGreaterEqual(theirs.get(fn, [0, 0])[0], n * rounds, (fn, theirs))
            self.assertEqual(ours.get(fn), theirs.get(fn), "%s: memtrace %s, Go's profile %s" %
                             (fn, ours.get(fn), theirs.get(fn)))
        # Tiny: every call, at the bytes asked for, against Go's 16-byte blocks.
        calls = TINY_PER_ROUND * rounds
        self.assertEqual(ours[TINY], [calls, 8 * calls], ours)
        go_n, go_b = theirs[TINY]
        self.assertEqual(go_b, 16 * go_n, theirs)
        self.assertLessEqual(abs(go_n - calls // 2), calls // 100, "Go's tiny blocks: %d for %d calls" % (go_n, calls))

    def launch(self, exe, args=()):
        prof = os.path.join(self.tmp, os.path.basename(exe) + ".prof")
        r = mt.run(list(args), [exe, "-rounds", str(ROUNDS), "-profile", prof])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r, go_profile(prof)

    def test_static_launched(self):
        """-- CMD on a static Go binary (no malloc anywhere): Go's counts per function."""
        r, theirs = self.launch(self.static)
        pid = int(re.search(r"(?m)^Tracing PID (\d+)", r.stderr).group(1))
        self.assertRegex(r.stderr, TRACING_GO % pid)
        self.assertNotIn("allocator functions", r.stderr.split("Tracing", 1)[1].splitlines()[0])
        self.check_against_go(memtrace_profile(r.report), theirs, ROUNDS)
        go = r.report["go_heap"]
        self.assertEqual(go["missed"], 0)
        self.assertGreaterEqual(go["calls"], sum(n for n, _ in PER_ROUND.values()) * ROUNDS)
        # Go's in-use is not per stack: nothing is left in use at a Go site.
        self.assertEqual(r.report["totals"]["inuse_bytes"], 0)

    def test_cgo_launched(self):
        """A cgo binary: Go's heap through mallocgc and C's through malloc, both."""
        if not self.cgo:
            if mt.CI:
                self.fail("cannot build a cgo program: " + self.cgo_why)
            self.skipTest("cannot build a cgo program: " + self.cgo_why)
        r, theirs = self.launch(self.cgo)
        pid = int(re.search(r"(?m)^Tracing PID (\d+)", r.stderr).group(1))
        self.assertRegex(r.stderr, TRACING_GO % pid)
        self.assertRegex(r.stderr, r"(?m)^Tracing PID \d+ .*allocator functions in \S*libc")
        self.check_against_go(memtrace_profile(r.report), theirs, ROUNDS)
        c = mt.by_function(r.report, "goalloc_c_alloc")
        self.assertEqual((c["alloc_count"], c["alloc_bytes"], c["inuse_count"]), (500 * ROUNDS, 200 * 500 * ROUNDS, 0))

    def test_attach_mid_run(self):
        """-p on a running static Go program: its allocations from attach on,
        against the difference of Go's profile before and after."""
        prof = os.path.join(self.tmp, "attach.prof")
        out = os.path.join(self.tmp, "attach.json")
        err_path = os.path.join(self.tmp, "attach.err")
        wl = subprocess.Popen([self.static, "-rounds", str(ROUNDS), "-profile", prof, "-wait"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        m = None
        try:
            self.assertEqual(wl.stdout.readline().strip(), "ready")
            with open(err_path, "w") as err:
                m = subprocess.Popen([mt.MEMTRACE, "-q", "--json", out, "-p", str(wl.pid)],
                                     stdout=subprocess.DEVNULL, stderr=err)
            self.assertTrue(mt.wait_for_line(err_path, "Tracing PID %d" % wl.pid, timeout=30),
                            mt.read_text(err_path))
            self.assertRegex(mt.read_text(err_path), TRACING_GO % wl.pid)
            wl.stdin.write("go\n")
            wl.stdin.flush()
            self.assertEqual(wl.stdout.readline().strip(), "done")
            m.send_signal(signal.SIGINT)
            self.assertEqual(m.wait(timeout=30), 0, mt.read_text(err_path))
            wl.stdin.close()
            wl.wait(timeout=10)
        finally:
            for p in (wl, m):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
        theirs = minus(go_profile(prof), go_profile(prof + ".before"))
        ours = memtrace_profile(mt.load_json(out))
        self.check_against_go(ours, theirs, ROUNDS)

    def test_sample_bytes(self):
        """--sample-bytes samples Go's allocations as malloc's: estimates near the exact counts."""
        r, theirs = self.launch(self.static, ["--sample-bytes", "4096"])
        ours = memtrace_profile(r.report)
        for fn in ("main.allocBufs", "main.allocLarge"):
            self.assertLess(abs(ours[fn][1] - theirs[fn][1]), 0.15 * theirs[fn][1], (fn, ours[fn], theirs[fn]))
        # Sampled: far fewer stacks walked than calls made, yet every call is in the totals.
        self.assertGreaterEqual(r.report["go_heap"]["calls"], sum(n for n, _ in PER_ROUND.values()) * ROUNDS)

    def test_heap_live_per_cycle(self):
        """Go's in-use is not per stack; the heap live after each cycle (what
        mark termination hands the pacer) is on the GC timeline, equal to
        gctrace's live-after figure (its third heap number, in MB)."""
        svg = os.path.join(self.tmp, "gc.svg")
        env = dict(os.environ, GODEBUG="gctrace=1")
        prof = os.path.join(self.tmp, "live.prof")
        full = [mt.MEMTRACE, "-q", "--json", os.path.join(self.tmp, "live.json"), "--gc-svg", svg, "--",
                self.static, "-rounds", str(ROUNDS), "-profile", prof]
        p = subprocess.run(full, capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        trace = {int(n): int(live) for n, live in re.findall(r"(?m)^gc (\d+) @.* \d+->\d+->(\d+) MB", p.stderr)}
        self.assertGreater(len(trace), 2, p.stderr[-2000:])
        cycles = mt.load_json(os.path.join(self.tmp, "live.json"))["gc"]["cycle_list"]
        ours = {c["cycle"]: c.get("heap_after") for c in cycles}
        self.assertEqual({n: None if ours.get(n) is None else ours[n] >> 20 for n in trace}, trace)
        with open(svg) as f:
            self.assertIn('class="heap"', f.read())


if __name__ == "__main__":
    unittest.main()
