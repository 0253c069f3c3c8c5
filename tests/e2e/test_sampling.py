"""--sample-bytes: Poisson byte sampling decided in BPF, unbiased in the
reports.  Ten sites with 16 MiB in use each (blocks of 64 B to 32 KiB):
the sampled estimates must match the exact run."""
import unittest

import mt

N = 4096
SITES = ["site_%d" % i for i in range(10)]


class Sampling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.exact = mt.run(["--no-faults"], [mt.tool("workload_sites")]).report
        cls.sampled = mt.run(["--no-faults", "--sample-bytes", str(N)], [mt.tool("workload_sites")]).report

    def test_marked_as_sampled(self):
        self.assertEqual(self.exact["sample_bytes"], 0)
        self.assertEqual(self.sampled["sample_bytes"], N)

    def test_estimates_within_5_percent(self):
        for name in SITES:
            e = mt.by_function(self.exact, name)
            s = mt.by_function(self.sampled, name)
            for key in ("inuse_bytes", "alloc_bytes", "inuse_count", "alloc_count"):
                self.assertAlmostEqual(s[key] / e[key], 1.0, delta=0.05,
                                       msg="%s %s: sampled %d, exact %d" % (name, key, s[key], e[key]))

    def test_exact_reference(self):
        for i, name in enumerate(SITES):
            self.assertEqual(mt.by_function(self.exact, name)["inuse_bytes"] >= 16 << 20, True)

    def test_totals_within_2_percent(self):
        for key in ("inuse_bytes", "alloc_bytes"):
            self.assertAlmostEqual(self.sampled["totals"][key] / self.exact["totals"][key], 1.0, delta=0.02)


if __name__ == "__main__":
    unittest.main()
