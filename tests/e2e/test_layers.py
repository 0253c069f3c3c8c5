"""The layers of user/ hold: `memtrace report` and `memtrace diff` work from
a binary that has no tracer in it (build/memtrace-report: lib, model,
symbols, formats and the offline commands, no libbpf), and the layer check
that make runs fails on an include that goes up a layer.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import mt

REPORT = os.path.join(mt.BUILD, "memtrace-report")
CHECK = os.path.join(mt.ROOT, "tools", "layer_check.py")


def run(args, check=True):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("%s: rc=%d\n%s" % (" ".join(args), proc.returncode, proc.stderr))
    return proc


class LinkTest(unittest.TestCase):
    def test_report_binary_needs_no_libbpf(self):
        needed = run(["readelf", "-d", REPORT]).stdout
        self.assertIn("libelf", needed)  # the reading is the right one
        self.assertNotIn("libbpf", needed)
        syms = run(["nm", REPORT]).stdout.split("\n")
        names = {l.split()[-1] for l in syms if l.strip()}
        # Nothing of libbpf or of a tracer (trace/: session, heap, gc, faults tracers).
        for bad in ("bpf_object__load", "ring_buffer__poll", "session_run", "gc_open", "faults_open",
                    "heap_maps_open", "tracer_open"):
            self.assertNotIn(bad, names)
        # ...and the offline commands are all there.
        for good in ("cmd_report", "cmd_diff", "record_read", "output_write", "profile_free"):
            self.assertIn(good, names)

    def test_layer_check_fails_on_an_upward_include(self):
        tmp = mt.tempdir(self, "mt-layers-")
        for d in ("include", "user/lib", "user/cli"):
            os.makedirs(os.path.join(tmp, d))
        with open(os.path.join(tmp, "user/cli/options.h"), "w") as f:
            f.write("int x;\n")
        with open(os.path.join(tmp, "user/lib/log.c"), "w") as f:
            f.write('#include "options.h"\n')
        proc = run(["python3", CHECK, tmp], check=False)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("user/lib/log.c includes options.h (cli)", proc.stdout)
        # The tree itself passes (what make runs).
        self.assertEqual(run(["python3", CHECK, mt.ROOT], check=False).returncode, 0)


class ReportBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-layers-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        mt.require_bpf(self)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_report_and_diff_match_memtrace(self):
        a, b = self.path("a.mtrec"), self.path("b.mtrec")
        for rec, threads in ((a, "1"), (b, "2")):
            run([mt.MEMTRACE, "-q", "--record", rec, "--", mt.tool("workload_exact"), threads])
        for prog, tag in ((mt.MEMTRACE, "full"), (REPORT, "alone")):
            run([prog, "report", a, "-o", self.path(tag + ".json"), "-o", self.path(tag + ".folded")])
            run([prog, "diff", a, b, "-o", self.path(tag + ".diff.json")])
        for ext in ("json", "folded", "diff.json"):
            with open(self.path("full." + ext)) as x, open(self.path("alone." + ext)) as y:
                self.assertEqual(x.read(), y.read(), ext)
        with open(self.path("alone.json")) as f:
            self.assertTrue(json.load(f)["sites"])
        text = run([REPORT, "report", a, "--top", "3"]).stdout
        self.assertIn("thread_main", text)


if __name__ == "__main__":
    unittest.main()
