"""Go's heap in recordings: `memtrace --record` of a Go program, then
`memtrace report` of the recording, gives the live JSON's Go section (and
everything else) back, as test_offline checks for malloc, GC and faults."""
import os
import subprocess
import unittest

import mt
import test_go_heap


class GoRecord(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls, "mt-gorec-")
        cls.exe = mt.require_built(*test_go_heap.build(os.path.join(cls.tmp, "goalloc"), False))

    def test_report_from_recording_equals_live(self):
        rec, live, off = (os.path.join(self.tmp, n) for n in ("go.mtrec", "live.json", "off.json"))
        p = subprocess.run([mt.MEMTRACE, "-q", "--record", rec, "--json", live, "--", self.exe, "-rounds", "2",
                            "-profile", os.path.join(self.tmp, "go.prof")], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([mt.MEMTRACE, "report", rec, "-o", off], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        a, b = mt.load_json(live), mt.load_json(off)
        self.assertGreater(a["go_heap"]["calls"], 20000)
        self.assertEqual(a.get("go_heap"), b.get("go_heap"))
        self.assertEqual(a, b)
        text = subprocess.run([mt.MEMTRACE, "report", rec], capture_output=True, text=True, timeout=120).stdout
        self.assertRegex(text, r"(?m)^Go heap \(go1\.\d+[.\d]*, runtime\.mallocgc\): allocated")


if __name__ == "__main__":
    unittest.main()
