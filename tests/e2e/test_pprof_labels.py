"""pprof profiles say what viewers use: the sampling period of --sample-bytes
(Period, as Go's heap profiles carry MemProfileRate) and labels naming the
process (pid, comm), checked with go tool pprof on real traces."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import mt

N = 4096


def go_pprof(*args):
    go = shutil.which("go") or "/usr/lib/go/bin/go"
    if not os.path.exists(go):
        raise AssertionError("go is missing (tools/setup-deps.sh test installs golang-go)")
    home = tempfile.mkdtemp(prefix="mt-gohome-")
    try:
        env = dict(os.environ, HOME=home, GOCACHE=os.path.join(home, "cache"), GOPATH=os.path.join(home, "go"),
                   PPROF_TMPDIR=home, GOFLAGS="", GOTOOLCHAIN="local")
        p = subprocess.run([go, "tool", "pprof"] + list(args), capture_output=True, text=True, env=env, timeout=300)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return p.stdout


class PprofViewers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        cls.sampled_pb = os.path.join(cls.tmp, "sampled.pb.gz")
        cls.exact_pb = os.path.join(cls.tmp, "exact.pb.gz")
        cls.sampled = mt.run(["--no-faults", "--sample-bytes", str(N), "-o", cls.sampled_pb],
                             [mt.tool("workload_sites")]).report
        cls.exact = mt.run(["--no-faults", "-o", cls.exact_pb], [mt.tool("workload_exact"), "4"]).report

    def test_period_is_the_sampling_period(self):
        raw = go_pprof("-raw", self.sampled_pb)
        self.assertIn("PeriodType: space bytes", raw)
        self.assertRegex(raw, r"(?m)^Period: %d$" % N)
        # Every allocation traced: one byte per sample, as Go with MemProfileRate=1.
        self.assertRegex(go_pprof("-raw", self.exact_pb), r"(?m)^Period: 1$")

    def test_values_are_not_scaled_again(self):
        # pprof shows the estimates as written: the JSON's in-use total.
        top = go_pprof("-top", "-unit=B", "-sample_index=inuse_space", self.sampled_pb)
        total = int(re.search(r"Total samples = (\d+)B", top).group(1))
        self.assertEqual(total, self.sampled["totals"]["inuse_bytes"])

    def test_tags_name_the_process(self):
        for pb, rep in ((self.sampled_pb, self.sampled), (self.exact_pb, self.exact)):
            tags = go_pprof("-tags", "-sample_index=alloc_space", pb)
            self.assertRegex(tags, r"(?m)^ pid: Total ")
            self.assertRegex(tags, r"(?m)\(\s*100%%\): %d$" % rep["pid"])
            self.assertRegex(tags, r"(?m)^ comm: Total ")
            self.assertRegex(tags, r"(?m)\(\s*100%%\): %s$" % re.escape(rep["command"]))
            # Focusing on the process keeps every sample.
            focused = go_pprof("-top", "-unit=B", "-sample_index=alloc_space",
                               "-tagfocus=comm=" + rep["command"], pb)
            total = int(re.search(r"Total samples = (\d+)B", focused).group(1))
            self.assertEqual(total, rep["totals"]["alloc_bytes"])


if __name__ == "__main__":
    unittest.main()
