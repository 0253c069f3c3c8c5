"""HotSpot's GC cycles as the JVM counts them (-Xlog:gc: one GC(N) id per
cycle) and its pauses (-Xlog:gc+phases, and the GC operations among
-Xlog:safepoint's safepoints), for G1 (with concurrent cycles: remark and
cleanup are pauses of the concurrent mark's GC id), Parallel and ZGC
(three pauses per cycle: mark start, mark end, relocate start)."""
import os
import re
import unittest

import mt

JAVA = "/usr/bin/java"
PAUSE = re.compile(r"\[gc(?:,phases)?\s*\] GC\((\d+)\) Pause ", re.M)
SAFEPOINT = re.compile(r'Safepoint "(\w+)"', re.M)
# VM operations that are GC pauses (the rest: Cleanup, ICBufferFull, ...).
GC_OPS = re.compile(r"^(G1\w+|Parallel\w+|Z(Mark|Relocate)\w+|GenCollect\w+|CollectForMetadataAllocation)$")


class HotSpotCycles(unittest.TestCase):

    def setUp(self):
        mt.require_bpf(self)
        if not os.path.exists(JAVA):
            if mt.CI:
                self.fail("java is not installed (tools/setup-deps.sh installs openjdk-17)")
            self.skipTest("java is not installed")

    def run_java(self, *flags):
        r = mt.run(["--no-faults"], [JAVA, *flags, "-Xlog:gc,gc+phases=info,safepoint",
                                     os.path.join(mt.ROOT, "tools", "GcJava.java"), "3"], timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        gc = r.report["gc"]
        self.assertEqual(gc["runtime"], "hotspot")
        logged = PAUSE.findall(r.stdout)
        self.assertGreater(len(logged), 3, r.stdout[-2000:])
        ops = [op for op in SAFEPOINT.findall(r.stdout) if GC_OPS.match(op)]
        self.assertEqual(gc["pause_count"], len(logged), "pauses")
        # Each GC safepoint holds a pause, or two (G1 may follow a young
        # pause with a full one in the same safepoint).
        self.assertGreaterEqual(gc["pause_count"], len(ops), "pauses vs GC safepoints")
        self.assertGreater(len(ops), 0, r.stdout[-2000:])
        # G1: a full collection aborts a concurrent mark; a remark whose
        # cleanup never came (GC(64) Pause Remark, GC(75) Pause Full) is a
        # cycle of its own, and the next remark starts a new one.
        self.assertEqual(len(gc["cycle_list"]), len(set(logged)), "cycles (GC ids with a pause)")
        return r, logged

    def test_g1_concurrent_cycles(self):
        r, logged = self.run_java("-XX:+UseG1GC", "-Xmx64m")
        # The heap is small enough for concurrent marks: remark and cleanup
        # share their cycle's id, so ids are fewer than pauses.
        self.assertRegex(r.stdout, r"Pause Remark")
        self.assertLess(len(set(logged)), len(logged))

    def test_parallel(self):
        self.run_java("-XX:+UseParallelGC", "-Xmx64m")

    def test_zgc_three_pauses_a_cycle(self):
        r, logged = self.run_java("-XX:+UseZGC", "-Xmx256m")
        per = {}
        for gc_id in logged:
            per[gc_id] = per.get(gc_id, 0) + 1
        self.assertEqual(sorted(c["pauses"] for c in r.report["gc"]["cycle_list"]), sorted(per.values()))


if __name__ == "__main__":
    unittest.main()
