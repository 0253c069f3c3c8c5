"""Issue 20's estimate goal: the top-10 sites' allocated and in-use bytes
through the otel_memory contract at the default 512 KiB period within 5% of
an exact uprobe run of the same workload.

workload_top10: site_N (N = 0..9) allocates 24,000 + 1,000 N blocks of
120 KiB (2.75 to 3.78 GiB each, freed at once), then holds N + 1 blocks of
16 MiB.  Expected error at 512 KiB: a 120 KiB block is sampled with
probability p = 1 - exp(-120/512) = 0.209 and counted as 120 KiB / p, so a
site's allocated estimate has a relative standard error of
sqrt(120 KiB (1 - p) / p / B) = sqrt(454 KiB / B): 1.26% for site_0's
2.75 GiB, 1.1% for site_9's; 5% is 4 standard errors or more (a correct
run fails about once in 1,500).  In use, at 512 KiB, is within 5% only for
large live heaps: small blocks need about 3,600 periods (1.8 GiB) of live
bytes per site for 3 standard errors, so the held blocks here are 16 MiB,
each missed with probability exp(-32): a missed block is a whole block off
its site (at 4 MiB, exp(-8) a block, one of the 55 was missed in 1.8% of
runs: a CI run read site_6 at 6 of its 7 blocks)."""
import os
import unittest

import mt

SAMPLER = os.path.join(mt.BUILD, "libmemtrace-sampler.so")
ERR = 0.05


def per_function(report):
    """function of the first frame -> [allocated bytes, in-use bytes]"""
    out = {}
    for s in report["sites"]:
        if not s["frames"]:
            continue
        a = out.setdefault(s["frames"][0]["function"], [0, 0])
        a[0] += s["alloc_bytes"]
        a[1] += s["inuse_bytes"]
    return out


class OtelTop10(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cmd = [mt.tool("workload_top10")]
        cls.exact = mt.run(["--no-faults", "--source", "uprobes", "--no-reachability"], cmd, timeout=300)
        cls.sampled = mt.run(["--no-faults", "--no-reachability"], cmd, env={"LD_PRELOAD": SAMPLER},
                             timeout=300)

    def test_runs_are_what_they_say(self):
        self.assertEqual(self.exact.report["sample_bytes"], 0)
        self.assertIn("allocator functions", self.exact.stderr)
        self.assertEqual(self.sampled.report["sample_bytes"], 524288)
        self.assertIn("otel_memory USDT (sampled every 512 KiB)", self.sampled.stderr)

    def check_top10(self, col):
        exact, est = per_function(self.exact.report), per_function(self.sampled.report)
        top = sorted(exact, key=lambda f: -exact[f][col])[:10]
        self.assertEqual(sorted(top), ["site_%d" % n for n in range(10)], top)
        for f in top:
            got = est.get(f, [0, 0])[col]
            self.assertAlmostEqual(got / exact[f][col], 1.0, delta=ERR,
                                   msg="%s: estimated %d, exact %d" % (f, got, exact[f][col]))

    def test_top10_allocated_within_5_percent(self):
        self.check_top10(0)

    def test_top10_in_use_within_5_percent(self):
        self.check_top10(1)


if __name__ == "__main__":
    unittest.main()
