"""Snapshots (--snapshot-every) are recordings: `memtrace report` renders
each one and `memtrace diff` measures the growth between two of them, on a
real service that leaks 64 KiB/s."""
import os
import subprocess
import unittest

import mt

RATE = 65536


def memtrace(*args):
    p = subprocess.run([mt.MEMTRACE] + list(args), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("memtrace %s: rc=%d\n%s" % (" ".join(args), p.returncode, p.stderr))
    return p


class Snapshots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls, "mt-snap-")
        cls.snaps = os.path.join(cls.tmp, "snaps")
        os.mkdir(cls.snaps)
        cls.trace = mt.run(["--no-faults", "--snapshot-every", "1", "--snapshot-dir", cls.snaps],
                         [mt.tool("workload_service"), "--seconds", "4.5", "--leak-bytes-per-s", str(RATE),
                          "--leak-after", "0.5"])
        cls.names = sorted(os.listdir(cls.snaps))
        cls.docs = []
        for n in cls.names:
            out = os.path.join(cls.tmp, n + ".json")
            memtrace("report", os.path.join(cls.snaps, n), "-o", out)
            cls.docs.append(mt.load_json(out))

    def test_snapshots_are_recordings(self):
        self.assertEqual(self.trace.returncode, 0, self.trace.stderr)
        self.assertGreaterEqual(len(self.names), 3, self.trace.stderr)
        for n in self.names:
            self.assertRegex(n, r"^heap-\d{8}T\d{6}\.\d{3}Z\.mtrec$")
            with open(os.path.join(self.snaps, n), "rb") as f:
                self.assertEqual(f.read(5), b"MTREC")

    def test_report_renders_each_snapshot(self):
        final = self.trace.report
        durations = [d["duration_ns"] for d in self.docs]
        self.assertEqual(durations, sorted(durations))
        for d in self.docs:
            self.assertEqual(d["pid"], final["pid"])
            self.assertEqual(d["command"], "workload_service")
            self.assertGreater(d["totals"]["alloc_count"], 0)
            self.assertLessEqual(d["totals"]["alloc_count"], final["totals"]["alloc_count"])
        # The text report too, on stdout.
        text = memtrace("report", os.path.join(self.snaps, self.names[0])).stdout
        self.assertIn("memtrace report: PID %d (workload_service)" % final["pid"], text)

    def test_diff_of_two_snapshots(self):
        first, last = self.docs[0], self.docs[-1]
        out = os.path.join(self.tmp, "growth.json")
        memtrace("diff", os.path.join(self.snaps, self.names[0]), os.path.join(self.snaps, self.names[-1]),
                 "-o", out)
        d = mt.load_json(out)
        # The diff's totals are the two reports' totals.
        for metric, key in (("inuse_space", "inuse_bytes"), ("inuse_objects", "inuse_count"),
                            ("alloc_space", "alloc_bytes"), ("alloc_objects", "alloc_count")):
            self.assertEqual(d["totals"][metric]["before"], first["totals"][key])
            self.assertEqual(d["totals"][metric]["after"], last["totals"][key])
        # The leak grows most, at its rate over the time between the snapshots (+-25%).
        top = d["sites"][0]
        self.assertEqual(top["frames"][0], "remember_session")
        seconds = (last["duration_ns"] - first["duration_ns"]) / 1e9
        self.assertGreater(top["inuse_space"]["delta"], 0.75 * RATE * seconds)
        self.assertLess(top["inuse_space"]["delta"], 1.25 * RATE * seconds)


if __name__ == "__main__":
    unittest.main()
