"""Profiles say what they hold: the page-fault and mapping views carry their
own pprof sample types (faults/count, fault_bytes/bytes; mappings/count,
mapped/bytes), never the heap's, and their flame graphs (alone and in the
HTML report) are labelled fault_bytes; checked with go tool pprof."""
import os
import re
import subprocess
import unittest

import mt
from test_pprof_labels import go_pprof


class ViewSampleTypes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        cls.f = {ext: os.path.join(cls.tmp, "faults" + ext) for ext in (".pb.gz", ".svg", ".html")}
        cls.mapped = os.path.join(cls.tmp, "mapped.pb.gz")
        args = ["--view", "faults"]
        for path in cls.f.values():
            args += ["-o", path]
        cls.faults = mt.run(args, [mt.tool("workload_faults")]).report
        cls.maps = mt.run(["--view", "mapped", "-o", cls.mapped], [mt.tool("workload_faults")]).report

    def test_fault_profile_sample_types(self):
        raw = go_pprof("-raw", self.f[".pb.gz"])
        self.assertRegex(raw, r"(?m)^faults/count fault_bytes/bytes\[dflt\]$")
        self.assertIn("PeriodType: faults count", raw)
        self.assertRegex(raw, r"(?m)^Period: 1$")
        self.assertNotIn("inuse_space", raw)
        self.assertNotIn("alloc_space", raw)
        # Totals as the JSON's fault sites, by bytes and by count.
        sites = self.faults["faults"]["sites"]
        for index, key, unit in (("fault_bytes", "bytes", "B"), ("faults", "count", "")):
            top = go_pprof("-top", "-unit=B", "-sample_index=" + index, self.f[".pb.gz"])
            self.assertIn("Type: " + index, top)
            total = int(re.search(r"Total samples = (\d+)%s" % unit, top).group(1))
            self.assertEqual(total, sum(s[key] for s in sites))

    def test_mapped_profile_sample_types(self):
        raw = go_pprof("-raw", self.mapped)
        self.assertRegex(raw, r"(?m)^mappings/count mapped/bytes\[dflt\]$")
        self.assertIn("PeriodType: mappings count", raw)
        self.assertNotIn("inuse_space", raw)

    def test_flamegraphs_say_fault_bytes(self):
        svg = mt.read_text(self.f[".svg"])
        self.assertIn('data-metric="fault_bytes"', svg)
        self.assertNotIn("alloc_space", svg)
        html = mt.read_text(self.f[".html"])
        m = re.search(r'<svg[^>]*id="flamegraph-faults"[^>]*>', html)
        self.assertIsNotNone(m)
        self.assertIn('data-metric="fault_bytes"', m.group(0))
        section = html[m.start():html.index("</svg>", m.start())]
        self.assertIn("fault_bytes: ", section)
        self.assertNotIn("alloc_space", section)

    def test_report_reads_a_fault_profile(self):
        out = os.path.join(self.tmp, "again.json")
        p = subprocess.run([mt.MEMTRACE, "report", self.f[".pb.gz"], "-o", out], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        again = mt.load_json(out)
        self.assertEqual(again["totals"]["alloc_bytes"], sum(s["bytes"] for s in self.faults["faults"]["sites"]))


if __name__ == "__main__":
    unittest.main()
