"""Page faults and mmap/brk/madvise tracing, end to end: exact counts per
function on real processes (tools/workload_faults.c, tools/workload_mmap.c).

The CLI classes run `memtrace -q --faults --json OUT -- CMD`; they skip while
memtrace does not know --faults yet.  The Driver classes run the collector
directly through build/faults_driver (tests/faults/build.sh) and skip when it
is not built."""
import json
import os
import subprocess
import unittest

import mt

FAULTS = {
    # function: (faults, region)
    "touch_heap_pages": (64, "heap"),
    "touch_mmap_pages": (100, "anon"),
    "touch_file_pages": (24, "file"),
    "touch_stack_pages": (32, "stack"),
}
REGIONS = ("heap", "anon", "stack", "file", "other")
PAGE = 4096

MMAP_KEYS = ("mmap_count", "mmap_bytes", "munmap_count", "munmap_bytes", "mremap_count",
             "mremap_grow_bytes", "mremap_shrink_bytes", "brk_count", "brk_bytes",
             "brk_shrink_bytes", "madvise_count", "madvise_bytes")
MMAP = {
    # function (frames[1], below the libc wrapper): its exact counters
    "map_anon": {"mmap_count": 3, "mmap_bytes": 3 * 10 * PAGE},
    "unmap_anon": {"munmap_count": 3, "munmap_bytes": 3 * 10 * PAGE},
    "map_odd_length": {"mmap_count": 1, "mmap_bytes": 2 * PAGE},
    "remap_grow_shrink": {"mremap_count": 2, "mremap_grow_bytes": 12 * PAGE,
                          "mremap_shrink_bytes": 14 * PAGE},
    "brk_grow": {"brk_count": 1, "brk_bytes": 8 * PAGE},
    "brk_shrink": {"brk_count": 1, "brk_shrink_bytes": 6 * PAGE},
    "give_back": {"madvise_count": 2, "madvise_bytes": 12 * PAGE},
}

DRIVER = os.path.join(mt.BUILD, "faults_driver")


def fault_sites(report, name):
    """Sums the fault sites whose frames[0] is function `name`."""
    agg = {"count": 0, "bytes": 0, "sites": 0}
    agg.update({r: 0 for r in REGIONS})
    for s in report["faults"]["sites"]:
        if s["frames"] and s["frames"][0]["function"] == name:
            agg["count"] += s["count"]
            agg["bytes"] += s["bytes"]
            agg["sites"] += 1
            for r in REGIONS:
                agg[r] += s["regions"][r]
    return agg


def mmap_sites(report, name, depth=1):
    """Sums the mapping sites whose code frame at `depth` is `name`: frames
    of functions inlined there (libc's, when its debug info is installed)
    do not count as a depth of their own."""
    agg = {k: 0 for k in MMAP_KEYS}
    for s in report["mmap"]["sites"]:
        frames = [f for f in s["frames"] if not f.get("inlined")]
        if len(frames) > depth and frames[depth]["function"] == name:
            for k in MMAP_KEYS:
                agg[k] += s[k]
    return agg


class FaultChecks:
    """Shared assertions; subclasses set cls.faults and cls.mmap (reports)."""

    def test_fault_counts_exact_per_function(self):
        for name, (count, region) in FAULTS.items():
            with self.subTest(function=name):
                f = fault_sites(self.faults, name)
                self.assertEqual(f["count"], count, f)
                self.assertEqual(f["bytes"], count * PAGE, f)
                self.assertEqual(f[region], count, f)
                for other in REGIONS:
                    if other != region:
                        self.assertEqual(f[other], 0, (other, f))

    def test_fault_frames_innermost_first(self):
        site = next(s for s in self.faults["faults"]["sites"]
                    if s["frames"] and s["frames"][0]["function"] == "touch_heap_pages")
        self.assertEqual([fr["function"] for fr in site["frames"][:2]], ["touch_heap_pages", "main"])
        self.assertTrue(site["frames"][0]["module"].endswith("workload_faults"))
        for k in ("address", "offset"):
            self.assertTrue(site["frames"][0][k].startswith("0x"))

    def test_fault_totals_and_order(self):
        f = self.faults["faults"]
        sites = f["sites"]
        self.assertEqual(f["count"], sum(s["count"] for s in sites))
        self.assertEqual(f["bytes"], sum(s["bytes"] for s in sites))
        self.assertEqual(sorted((s["bytes"] for s in sites), reverse=True), [s["bytes"] for s in sites])
        for r in REGIONS:
            self.assertEqual(f["regions"][r], sum(s["regions"][r] for s in sites))
        self.assertEqual(f["drops"]["stack_unknown"], 0)

    def test_mmap_exact_per_function(self):
        for name, want in MMAP.items():
            with self.subTest(function=name):
                got = mmap_sites(self.mmap, name)
                expect = {k: want.get(k, 0) for k in MMAP_KEYS}
                self.assertEqual(got, expect)

    def test_mmap_totals(self):
        m = self.mmap["mmap"]
        for k in MMAP_KEYS:
            self.assertEqual(m[k], sum(s[k] for s in m["sites"]), k)


def run_cli(cmd):
    r = mt.run(["--faults"], cmd, check=False)
    if r.returncode != 0 and "--faults" in r.stderr and ("unrecognized" in r.stderr or "unknown" in r.stderr):
        raise unittest.SkipTest("memtrace has no --faults yet")
    if r.report is None:
        raise AssertionError("memtrace wrote no report: rc=%d\n%s" % (r.returncode, r.stderr))
    return r


class CLI(FaultChecks, unittest.TestCase):
    """memtrace -q --faults --json OUT -- CMD"""

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.rf = run_cli([mt.tool("workload_faults")])
        cls.rm = run_cli([mt.tool("workload_mmap")])
        cls.faults = cls.rf.report
        cls.mmap = cls.rm.report

    def test_exit_status(self):
        self.assertEqual(self.rf.returncode, 0, self.rf.stderr)
        self.assertEqual(self.rm.returncode, 0, self.rm.stderr)

    def test_sections_present(self):
        self.assertIn("faults", self.faults)
        self.assertIn("mmap", self.faults)
        self.assertIn(self.faults["faults"]["source"], ("tracepoint", "perf_event"))


def run_driver(args, cmd):
    # The driver reaches the perf-event fallback, which the CLI picks only
    # on kernels without the tracepoint: build it here when it is missing.
    if not os.path.exists(DRIVER):
        b = subprocess.run(["sh", os.path.join(mt.ROOT, "tests", "faults", "build.sh")], capture_output=True,
                           text=True, timeout=300)
        if b.returncode != 0:
            raise AssertionError("cannot build build/faults_driver:\n" + b.stdout + b.stderr)
    p = subprocess.run([DRIVER] + args + ["--wait", "--"] + cmd + ["--wait"], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("faults_driver failed: rc=%d\n%s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


class Driver(FaultChecks, unittest.TestCase):
    """The collector without the session: tracepoint."""
    ARGS = []
    SOURCE = "tracepoint"

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.faults = run_driver(cls.ARGS, [mt.tool("workload_faults")])
        cls.mmap = run_driver(cls.ARGS, [mt.tool("workload_mmap")])

    def test_source(self):
        self.assertEqual(self.faults["faults"]["source"], self.SOURCE)


class DriverPerfFallback(Driver):
    """The same, through the PERF_COUNT_SW_PAGE_FAULTS fallback."""
    ARGS = ["--perf"]
    SOURCE = "perf_event"


if __name__ == "__main__":
    unittest.main()


class FaultViews(unittest.TestCase):
    """--view faults: the fault profile in the stack formats (a "who grew my RSS" flamegraph)."""

    def test_folded_and_svg(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        folded, svg = os.path.join(tmp, "f.folded"), os.path.join(tmp, "f.svg")
        p = subprocess.run([mt.MEMTRACE, "-q", "--view", "faults", "-o", folded, "-o", svg, "--",
                            mt.tool("workload_faults")], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = dict(l.rsplit(" ", 1) for l in mt.read_text(folded).splitlines())
        by_leaf = {}
        for stack, value in lines.items():
            leaf = stack.split(";")[-1]
            by_leaf[leaf] = by_leaf.get(leaf, 0) + int(value)
        self.assertEqual(by_leaf.get("touch_heap_pages"), 64 * 4096)
        self.assertEqual(by_leaf.get("touch_mmap_pages"), 100 * 4096)
        self.assertIn("touch_mmap_pages", mt.read_text(svg))

    def test_view_needs_faults(self):
        mt.require_bpf(self)
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--view", "faults", "-o", "/tmp/x.folded", "--",
                            mt.tool("workload_exact"), "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--view faults needs page faults traced", p.stderr)
