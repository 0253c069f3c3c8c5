"""`memtrace report FILE` takes the output options of a live trace (QA:
`report F --json X` failed with "unrecognized option '--json'", exit 64,
while `-o X.json` worked).  They are defined once (user/cli/
output_options.c) and listed by both command lines; memtrace-report, the
offline program without libbpf, takes them too."""
import json
import os
import subprocess
import unittest

import mt

REPORT = os.path.join(os.path.dirname(mt.MEMTRACE), "memtrace-report")


class ReportOutputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        cls.rec = os.path.join(cls.tmp, "t.mtrec")
        cls.live = os.path.join(cls.tmp, "live.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--record", cls.rec, "--json", cls.live, "--",
                            mt.tool("workload_exact"), "1"], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr

    def report(self, binary, *args):
        return subprocess.run([binary, "report", self.rec] + list(args), capture_output=True, text=True,
                              timeout=60)

    def test_json_is_the_same_as_o_json(self):
        for binary in (mt.MEMTRACE, REPORT):
            by_opt = os.path.join(self.tmp, "opt.json")
            by_ext = os.path.join(self.tmp, "ext.json")
            p = self.report(binary, "--json", by_opt, "-o", by_ext)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "", "no text report when an output is named")
            self.assertEqual(mt.read_text(by_opt), mt.read_text(by_ext))
            r = mt.load_json(by_opt)
            self.assertEqual(r["totals"], mt.load_json(self.live)["totals"])
            # workload_exact 1: keep_malloc's 16 blocks of 1000 bytes.
            f = mt.by_function(r, "keep_malloc")
            self.assertEqual((f["alloc_count"], f["alloc_bytes"]), (16, 16000))

    def test_json_to_stdout(self):
        p = self.report(mt.MEMTRACE, "--json", "-")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["totals"], mt.load_json(self.live)["totals"])

    def test_timeline_is_the_same_as_o_trace_json(self):
        by_opt = os.path.join(self.tmp, "opt.trace.json")
        by_ext = os.path.join(self.tmp, "ext.trace.json")
        p = self.report(mt.MEMTRACE, "--timeline", by_opt, "-o", by_ext)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(mt.read_text(by_opt), mt.read_text(by_ext))
        self.assertIn("traceEvents", mt.load_json(by_opt))

    def test_gc_svg_without_pauses_says_so(self):
        out = os.path.join(self.tmp, "gc.svg")
        p = self.report(mt.MEMTRACE, "--gc-svg", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--gc-svg %s: the recording holds no GC pauses, nothing written" % out, p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_help_lists_them_once(self):
        for args in (["report", "--help"], ["--help"]):
            p = subprocess.run([mt.MEMTRACE] + args, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            for opt in ("--json=FILE", "--timeline=FILE", "--gc-svg=FILE"):
                self.assertEqual(p.stdout.count(opt), 1, (args, opt))


if __name__ == "__main__":
    unittest.main()
