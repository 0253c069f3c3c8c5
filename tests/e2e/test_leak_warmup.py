"""Warm-up is not a leak (issue 16): a short JVM run with G1 raises no alert
on G1's own structures (its remembered sets, SparsePRT::expand, and the
policy's sequences grew for the first seconds and alerted before)."""
import os
import subprocess
import unittest

import mt


class JvmWarmUp(unittest.TestCase):
    def test_short_g1_run_raises_no_alert_on_g1(self):
        mt.require_bpf(self)
        if not os.path.exists("/usr/bin/java"):
            if mt.CI:
                raise AssertionError("java is not installed (tools/setup-deps.sh installs openjdk-17)")
            raise unittest.SkipTest("java is not installed")
        tmp = mt.tempdir(self, "mt-jvm-")
        out = os.path.join(tmp, "r.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--json", out, "--", "/usr/bin/java",
                            "-XX:+UseG1GC", "-Xmx256m", os.path.join(mt.ROOT, "tools", "GcJava.java"), "6"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = mt.load_json(out)
        self.assertGreater(rep["totals"]["alloc_count"], 10000)
        g1 = [a for a in rep["alerts"]
              if any(f["function"] and ("G1" in f["function"] or "SparsePRT" in f["function"])
                     for f in a["frames"])]
        self.assertEqual(g1, [], p.stderr)

    def test_java_version_raises_nothing(self):
        mt.require_bpf(self)
        if not os.path.exists("/usr/bin/java"):
            raise unittest.SkipTest("java is not installed")
        tmp = mt.tempdir(self, "mt-jvm-")
        out = os.path.join(tmp, "r.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--json", out, "--", "/usr/bin/java",
                            "-XX:+UseG1GC", "-version"], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(mt.load_json(out)["alerts"], [], p.stderr)


if __name__ == "__main__":
    unittest.main()
