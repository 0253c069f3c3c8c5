"""End-to-end checks of the offline commands: `memtrace --record`, then
`memtrace report` and `memtrace diff` on the recording, with no target alive.

Runs the real binary under real BPF (root, BTF) against workload_exact.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import mt


def memtrace(*args, check=True, timeout=120):
    proc = subprocess.run([mt.MEMTRACE] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("memtrace %s: rc=%d\n%s" % (" ".join(args), proc.returncode, proc.stderr))
    return proc


def site_counts(report):
    """Per-site values keyed by the frames' functions and offsets, order-free."""
    out = {}
    for s in report["sites"]:
        key = tuple((f["function"], f["module"], f["offset"]) for f in s["frames"])
        vals = out.setdefault(key, [0, 0, 0, 0])
        for i, k in enumerate(("alloc_count", "alloc_bytes", "inuse_count", "inuse_bytes")):
            vals[i] += s[k]
    return out


class OfflineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-offline-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def record(self, name, threads):
        """Records workload_exact THREADS, with the live JSON of the same run."""
        rec, live = self.path(name + ".mtrec"), self.path(name + ".live.json")
        if not os.path.exists(rec):
            # Page faults are on (the default for a command): recordings keep them too.
            memtrace("-q", "--record", rec, "--json", live, "--", mt.tool("workload_exact"), str(threads))
        with open(live) as f:
            return rec, json.load(f)

    def setUp(self):
        mt.require_bpf(self)

    def test_report_renders_every_format_like_the_live_run(self):
        rec, live = self.record("a", 1)
        outs = [self.path("x." + ext) for ext in ("svg", "json", "pb.gz", "folded", "html")]
        args = ["report", rec]
        for o in outs:
            args += ["-o", o]
        memtrace(*args)
        for o in outs:
            self.assertGreater(os.path.getsize(o), 0, o)
        with open(self.path("x.json")) as f:
            offline = json.load(f)
        self.assertEqual(offline["totals"], live["totals"])
        self.assertEqual(offline["drops"], live["drops"])
        self.assertEqual((offline["pid"], offline["command"]), (live["pid"], live["command"]))
        self.assertEqual(site_counts(offline), site_counts(live))
        # The recording keeps the whole profile: the JSON report is the same document.
        self.assertEqual(offline, live)
        with open(self.path("x.svg")) as f:
            self.assertIn("thread_main", f.read())

    def test_report_view_faults_matches_the_live_run(self):
        """report --view renders the fault and mapping views from a
        recording exactly as the live run's -o --view did."""
        rec, live = self.path("v.mtrec"), self.path("v.live.folded")
        memtrace("-q", "--record", rec, "--view", "faults", "-o", live, "--", mt.tool("workload_exact"), "1")
        again = self.path("v.offline.folded")
        memtrace("report", rec, "--view", "faults", "-o", again)
        with open(live) as a, open(again) as b:
            self.assertEqual(sorted(b.read().splitlines()), sorted(a.read().splitlines()))
        heap = self.path("v.heap.folded")
        memtrace("report", rec, "-o", heap)
        with open(heap) as h, open(again) as b:
            self.assertNotEqual(h.read(), b.read())
        bad = memtrace("report", rec, "--view", "bogus", check=False)
        self.assertEqual(bad.returncode, 64)
        self.assertEqual(bad.stderr, "memtrace: report: unknown view 'bogus' (heap, faults, mapped)\n")

    def test_report_from_pprof_matches_folded(self):
        rec, _ = self.record("a", 1)
        x_pb, x_folded, y_folded = self.path("p.pb.gz"), self.path("p.folded"), self.path("y.folded")
        memtrace("report", rec, "-o", x_pb, "-o", x_folded)
        memtrace("report", x_pb, "-o", y_folded)
        with open(x_folded) as a, open(y_folded) as b:
            self.assertEqual(a.read(), b.read())

    def test_report_without_output_prints_text(self):
        rec, _ = self.record("a", 1)
        proc = memtrace("report", rec, "--top", "3")
        self.assertIn("memtrace report: PID", proc.stdout)
        self.assertIn("thread_main", proc.stdout)

    def test_diff_shows_thread_growth(self):
        a, _ = self.record("a", 1)
        b, _ = self.record("b", 4)
        out = self.path("d.json")
        memtrace("diff", a, b, "-o", out, "-o", self.path("d.svg"), "-o", self.path("d.folded"))
        with open(out) as f:
            d = json.load(f)
        self.assertEqual(d["metric"], "inuse_space")
        grow = [s for s in d["sites"] if s["frames"] and s["frames"][0] == "thread_main"]
        self.assertTrue(grow, "no thread_main site in the diff")
        self.assertEqual(sum(s["inuse_space"]["delta"] for s in grow), 3 * (10 * 4096))
        self.assertEqual(sum(s["delta"] for s in grow), 3 * (10 * 4096))
        self.assertEqual(sum(s["inuse_objects"]["delta"] for s in grow), 3 * 10)
        # Largest growth first.
        deltas = [s["delta"] for s in d["sites"]]
        self.assertEqual(deltas, sorted(deltas, reverse=True))
        self.assertEqual(d["sites"][0]["frames"][0], "thread_main")
        with open(self.path("d.folded")) as f:
            line = next(l for l in f if l.split(" ")[0].endswith(";thread_main"))
        self.assertEqual(line.split()[1:], [str(10 * 4096), str(40 * 4096)])
        text = memtrace("diff", a, b).stdout
        self.assertIn("+120 KiB", text)

    def test_corrupt_inputs_fail_with_one_line(self):
        rec, _ = self.record("a", 1)
        with open(rec, "rb") as f:
            data = f.read()
        cases = {
            "trunc.mtrec": (data[: len(data) // 2], "truncated"),
            "flip.mtrec": (data[:60] + bytes([data[60] ^ 0x40]) + data[61:], "checksum mismatch"),
            "newer.mtrec": (data[:6] + b"\x09\x00" + data[8:], "unsupported version 9"),
            "junk.bin": (b"hello, world\n", "not a memtrace recording or pprof profile"),
            "empty.mtrec": (b"", "not a memtrace recording or pprof profile"),
        }
        for name, (content, msg) in cases.items():
            p = self.path(name)
            with open(p, "wb") as f:
                f.write(content)
            for args in (["report", p], ["report", p, "-o", self.path("z.json")], ["diff", rec, p]):
                proc = memtrace(*args, check=False)
                self.assertEqual(proc.returncode, 1, (args, proc.stderr))
                lines = proc.stderr.splitlines()
                self.assertEqual(len(lines), 1, (args, proc.stderr))
                self.assertTrue(lines[0].startswith("memtrace: "), lines[0])
                self.assertIn(msg, lines[0])
        self.assertFalse(os.path.exists(self.path("z.json")))

    def test_usage_errors(self):
        rec, _ = self.record("a", 1)
        for args in (["report"], ["report", rec, "-o", self.path("x.docx")], ["report", rec, "--metric", "x"],
                     ["diff", rec], ["diff", rec, rec, "-o", self.path("d.html")]):
            proc = memtrace(*args, check=False)
            self.assertEqual(proc.returncode, 64, (args, proc.stderr))


class OfflineGc(unittest.TestCase):
    """A recording of a GC'd program renders the same GC timeline offline."""

    def test_gc_section_round_trips(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        rec, live, off = (os.path.join(tmp, n) for n in ("g.mtrec", "live.json", "off.json"))
        bench = os.path.join(mt.BUILD, "refgc-bench")
        memtrace("-q", "--record", rec, "--json", live, "--", bench, "--workload", "latency", "--seconds", "1")
        memtrace("report", rec, "-o", off)
        a, b = mt.load_json(live), mt.load_json(off)
        self.assertEqual(a["gc"]["runtime"], "refgc")
        self.assertGreater(len(a["gc"]["pauses"]), 0)
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
