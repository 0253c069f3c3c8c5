"""--leak-window at a short interval (issue 16): `--leak-window 30 -i 0.1`
judges 30 s of samples, not the 6.4 s a ring of 64 samples at 0.1 s held."""
import os
import subprocess
import unittest

import mt


class LeakWindow(unittest.TestCase):
    def test_window_30s_at_interval_0_1(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self, "mt-window-")
        out = os.path.join(tmp, "r.json")
        # The leak starts at once; the oldest block must be 34 s old, so the
        # alert comes when the window (30 s) lies wholly after the 3 s
        # settling period: its samples must span all of it.
        p = subprocess.run([mt.MEMTRACE, "-q", "--json", out, "-i", "0.1", "--leak-window", "30",
                            "--leak-min-age", "34", "--", mt.tool("workload_service"), "--seconds", "40",
                            "--rps", "2000", "--leak-bytes-per-s", "8192", "--leak-after", "0"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        alerts = mt.load_json(out)["alerts"]
        self.assertGreaterEqual(len(alerts), 1, p.stderr)
        a = alerts[0]
        self.assertEqual(a["frames"][0]["function"], "remember_session")
        self.assertGreaterEqual(a["why"]["window_s"], 29.0, a["why"])
        self.assertLessEqual(a["why"]["window_s"], 30.05, a["why"])
        self.assertGreater(a["rate_bytes_per_s"], 0.8 * 8192)
        self.assertLess(a["rate_bytes_per_s"], 1.2 * 8192)


if __name__ == "__main__":
    unittest.main()
