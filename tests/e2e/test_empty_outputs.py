"""No silent emptiness: a stack output whose metric is 0 everywhere says so
and names the metric with data, and the live view's peak is the report's."""
import os
import re
import subprocess
import unittest

import mt


class AllFreed(unittest.TestCase):
    """workload_freeall: 256 blocks of 4 KiB from make_garbage, all freed."""

    def test_folded_names_the_metric_with_data(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "x.folded")
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "-o", out, "--", mt.tool("workload_freeall"), "0"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.path.getsize(out), 0)
        self.assertIn("memtrace: warning: %s shows inuse_space, which is 0 at every stack (everything allocated "
                      "was freed): it holds no samples (--metric alloc_space shows 1.00 MiB)\n" % out, p.stderr)
        # The metric named has the data: make_garbage's 1 MiB, exactly.
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--metric", "alloc_space", "-o", out, "--",
                            mt.tool("workload_freeall"), "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("warning", p.stderr)
        lines = [l for l in mt.read_text(out).splitlines() if "make_garbage" in l]
        self.assertEqual(sum(int(l.rsplit(" ", 1)[1]) for l in lines), 256 * 4096, lines)

    def test_live_view_peak_is_the_reports(self):
        mt.require_bpf(self)
        p = subprocess.run([mt.MEMTRACE, "--no-faults", "-i", "0.25", "--", mt.tool("workload_freeall"), "1.5"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        final = re.search(r"(?m)^in use at end: 0 B in 0 blocks; peak in use: (.+)$", p.stderr)
        self.assertIsNotNone(final, p.stderr)
        self.assertEqual(final.group(1), "1.00 MiB")
        # Views printed once everything was freed still show the peak.
        peaks = re.findall(r"(?m)^\[[\d:]+\] PID \d+ \(workload_freeall\): in use 0 B in 0 blocks .*, peak ([^,]+),",
                           p.stderr)
        self.assertTrue(peaks, p.stderr)
        self.assertEqual(set(peaks), {final.group(1)}, p.stderr)


if __name__ == "__main__":
    unittest.main()
