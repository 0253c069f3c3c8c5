"""refgc's own heap through the otel_memory contract (issues 20 and 22):
refgc samples its allocations (Poisson over bytes, REFGC_SAMPLE_BYTES) and
fires otel_memory:alloc / otel_memory:free from the allocator and the
sweeper (runtime/sample.h).  memtrace -- a refgc program then shows the
mutator's allocation sites, in-use that falls when the collector frees, and
leak alerts for refgc objects kept reachable.  The oracle is refgc's own
exact accounting (the workload prints it: per function, and refgc's stats)."""
import json
import os
import subprocess
import time
import unittest

import mt

WL = mt.tool("workload_refgc_heap")
PERIOD = 16384
# sites: make_nodes 96 MiB (6,144 samples at 16 KiB: 1.3% standard error),
# make_buffers 32 MiB (2,048 samples: 2.2%); bounds of ~4 standard errors.
NODES_ERR = 0.05
BUFS_ERR = 0.09


def workload_json(stdout):
    for line in stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("workload_refgc_heap printed no JSON:\n" + stdout[:2000])


class RefgcHeapSites(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.r = mt.run(["--no-faults"], [WL, "sites"], env={"REFGC_SAMPLE_BYTES": str(PERIOD)})
        cls.exact = workload_json(cls.r.stdout)

    def test_tracing_line_names_the_contract(self):
        self.assertIn("otel_memory USDT (sampled every 16 KiB)", self.r.stderr)
        self.assertIn("workload_refgc_heap", self.r.stderr)
        self.assertEqual(self.r.report["sample_bytes"], PERIOD)

    def test_sites_are_the_mutators_functions(self):
        # The walk starts at refgc_alloc's caller: no refgc frame on top.
        tops = {s["frames"][0]["function"] for s in self.r.report["sites"] if s["frames"]}
        self.assertIn("make_nodes", tops)
        self.assertIn("make_buffers", tops)
        self.assertFalse([t for t in tops if t.startswith("refgc_")], tops)

    def test_allocated_bytes_match_refgcs_own_count(self):
        ex = self.exact
        # The workload's per-function sums are refgc's own total.
        self.assertEqual(ex["make_nodes"] + ex["make_buffers"], ex["total_alloc"])
        for name, err in (("make_nodes", NODES_ERR), ("make_buffers", BUFS_ERR)):
            s = mt.by_function(self.r.report, name)
            self.assertAlmostEqual(s["alloc_bytes"] / ex[name], 1.0, delta=err, msg="%s: %r vs %d" % (name, s, ex[name]))
        total = sum(s["alloc_bytes"] for s in self.r.report["sites"])
        self.assertAlmostEqual(total / ex["total_alloc"], 1.0, delta=NODES_ERR)

    def test_inuse_falls_to_zero_when_the_gc_frees(self):
        # Everything was dropped and collected: every sampled object was
        # swept, and each sweep fired otel_memory:free.
        self.assertEqual(self.exact["heap_alloc"], 0)
        for name in ("make_nodes", "make_buffers"):
            s = mt.by_function(self.r.report, name)
            self.assertGreater(s["alloc_count"], 0, msg=name)
            self.assertEqual(s["inuse_bytes"], 0, msg="%s: %r" % (name, s))
            self.assertEqual(s["inuse_count"], 0, msg="%s: %r" % (name, s))

    def test_no_reachability_verdicts_on_a_sampled_heap(self):
        # Only sampled objects are known: a scan could not follow pointers
        # through the rest, and would call reachable objects lost.
        self.assertNotIn("reachability", self.r.report)
        self.assertNotIn("definitely lost", self.r.stderr)

    def test_source_uprobes_does_not_see_refgc_objects(self):
        # Without the contract refgc's heap is invisible (it maps spans,
        # not malloc): the probes are what makes it visible.
        r = mt.run(["--no-faults", "--source", "uprobes"], [WL, "sites"])
        self.assertEqual(mt.by_function(r.report, "make_nodes")["sites"], 0)


class RefgcHeapAttach(unittest.TestCase):
    def test_attach_with_p(self):
        """-p on a running refgc program: the probes' semaphores are raised
        at attach, and its allocation sites show from then on."""
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        wl = subprocess.Popen([WL, "steady", "--seconds", "6"], stdout=subprocess.DEVNULL,
                              env=dict(os.environ, REFGC_SAMPLE_BYTES="4096"))
        try:
            time.sleep(1)
            out = os.path.join(tmp, "r.json")
            m = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--json", out, "-p", str(wl.pid)],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(m.returncode, 0, m.stderr)
            wl.wait(timeout=20)
        finally:
            if wl.poll() is None:
                wl.kill()
                wl.wait()
        self.assertIn("otel_memory USDT (sampled every 4 KiB)", m.stderr)
        rep = mt.load_json(out)
        s = mt.by_function(rep, "handle_request")
        # ~8 MiB/s for the ~5 s traced, at 4 KiB: thousands of samples.
        self.assertGreater(s["alloc_bytes"], 8 << 20, rep["sites"][:3])


class RefgcSampledStress(unittest.TestCase):
    def test_sampled_paths_under_asan(self):
        """refgc's stress test (4 mutators, incremental, graph checks)
        built with ASan+UBSan, with memtrace enabling the probes and a
        512-byte period: the header bit, the sampled allocation and the
        sweeper's free path run thousands of times and break nothing."""
        mt.require_bpf(self)
        stress = os.path.join(mt.BUILD, "refgc-asan", "stress")
        if not os.path.exists(stress):
            if mt.CI:
                self.fail(stress + " is not built (make refgc-asan)")
            self.skipTest(stress + " is not built (make refgc-asan)")
        r = mt.run(["--no-faults", "--no-reachability"], [stress, "5", "4"], timeout=180,
                   env={"REFGC_MODE": "incremental", "REFGC_SAMPLE_BYTES": "512",
                        "ASAN_OPTIONS": "detect_leaks=0"})  # LeakSanitizer refuses ptrace
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("otel_memory USDT (sampled every 512 bytes)", r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"stress: mode=incremental .* ok")
        self.assertGreater(sum(s["alloc_count"] for s in r.report["sites"]), 10000)
        self.assertIn("new_node", {s["frames"][0]["function"] for s in r.report["sites"] if s["frames"]})


class RefgcHeapLeak(unittest.TestCase):
    def test_leak_of_reachable_refgc_objects_is_named(self):
        """remember_session keeps 64 sessions of 1 KiB a second reachable
        from a list after 3 s, among ~8 MiB/s of churn: sampled every
        4 KiB, memtrace names it within 15 s of the leak's start."""
        mt.require_bpf(self)
        r = mt.run(["--no-faults"], [WL, "leak", "--seconds", "20"], timeout=90,
                   env={"REFGC_SAMPLE_BYTES": "4096"})
        self.assertIn("otel_memory USDT (sampled every 4 KiB)", r.stderr)
        alerts = [a for a in r.report["alerts"] if a["frames"][0]["function"] == "remember_session"]
        self.assertTrue(alerts, r.report["alerts"])
        self.assertLessEqual(alerts[0]["t_ns"] / 1e9, 3 + 15)
        others = [a["frames"][0]["function"] for a in r.report["alerts"] if a not in alerts]
        self.assertFalse(others, others)

    def test_steady_refgc_service_raises_nothing(self):
        """The same churn and cache replacement, no leak: no alert."""
        mt.require_bpf(self)
        r = mt.run(["--no-faults"], [WL, "steady", "--seconds", "20"], timeout=90,
                   env={"REFGC_SAMPLE_BYTES": "4096"})
        self.assertIn("otel_memory USDT", r.stderr)
        self.assertGreater(sum(s["alloc_count"] for s in r.report["sites"]), 0)
        self.assertEqual(r.report["alerts"], [], r.report["alerts"])


if __name__ == "__main__":
    unittest.main()
