"""A recording of a --follow child keeps the frees it made of its parent's
pre-fork blocks (user/trace/session_fork.c's frees_inherited, in the
recording's META section): `memtrace report` on each recording shows what
the live report showed, the "inherited" object and the text line included
(they were lost: the recording's report said nothing of them)."""
import glob
import os
import subprocess
import unittest

import mt
from test_follow_inherited import SOURCE


class RecordInherited(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.exe = mt.build_c(self, "forker", SOURCE, ("-O1",))

    def report(self, rec, *args):
        p = subprocess.run([mt.MEMTRACE, "report", rec] + list(args), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_recording_keeps_inherited_frees(self):
        out = os.path.join(self.tmp, "r.json")
        log = os.path.join(self.tmp, "log.txt")
        p = subprocess.run([mt.MEMTRACE, "-q", "--follow", "--no-faults", "--json", out, "--log", log,
                            "--record", os.path.join(self.tmp, "r.mtrec"), "--", self.exe],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        live = {mt.load_json(f)["pid"]: mt.load_json(f) for f in glob.glob(os.path.join(self.tmp, "r.*.json"))}
        self.assertEqual(len(live), 2, p.stderr)
        child = next(pid for pid, r in live.items() if "inherited" in r)
        parent = next(pid for pid in live if pid != child)
        self.assertEqual(live[child]["inherited"], {"parent_pid": parent, "frees": 200})
        line = "frees of blocks inherited from the parent (PID %d) at fork: 200 (not in the figures above)" % parent
        self.assertIn(line, mt.read_text(log))
        for pid, want in live.items():
            rec = os.path.join(self.tmp, "r.%d.mtrec" % pid)
            got = os.path.join(self.tmp, "rec.%d.json" % pid)
            self.report(rec, "--json", got)
            # The whole report, as the live one wrote it.
            self.assertEqual(mt.load_json(got), want, pid)
            text = self.report(rec)
            if pid == child:
                self.assertIn(line, text)
            else:
                self.assertNotIn("inherited", text)
            self.assertNotIn("frees of blocks allocated before the trace began", text)


if __name__ == "__main__":
    unittest.main()
