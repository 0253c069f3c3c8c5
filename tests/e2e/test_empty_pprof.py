"""No silent emptiness in pprof: its readers open on inuse_space (`go tool
pprof -top` printed "Total samples = 0" for a run that freed everything,
and for gzip, which never calls malloc, without a word from memtrace)."""
import os
import shutil
import subprocess
import unittest

import mt


def pprof_total(path, index):
    """`go tool pprof`'s own total for a sample index (the independent reader)."""
    out = subprocess.run(["go", "tool", "pprof", "-sample_index=" + index, "-top", path], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return next(l for l in out.splitlines() if "Total samples" in l or "total samples" in l)


class EmptyPprof(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self)
        self.out = os.path.join(self.tmp, "x.pb.gz")

    def run_to(self, cmd):
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "-o", self.out, "--"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def test_all_freed_names_the_sample_index_with_data(self):
        """workload_freeall: 256 blocks of 4 KiB, all freed."""
        err = self.run_to([mt.tool("workload_freeall"), "0"])
        self.assertIn("memtrace: warning: %s opens on inuse_space, which is 0 at every stack (everything "
                      "allocated was freed): pprof -sample_index=alloc_space shows 1.00 MiB\n" % self.out, err)
        if shutil.which("go"):
            self.assertIn("Total samples = 0", pprof_total(self.out, "inuse_space"))
            self.assertIn("Total samples = 1MB", pprof_total(self.out, "alloc_space"))

    def test_no_allocation_at_all(self):
        """Debian's gzip compresses a file to stdout with static buffers: no malloc call."""
        src = os.path.join(self.tmp, "in.txt")
        with open(src, "w") as f:
            f.write("memtrace\n" * 1000)
        err = self.run_to(["gzip", "-c", src])
        self.assertIn("memtrace: warning: %s holds no samples: no allocation was traced\n" % self.out, err)

    def test_data_in_use_says_nothing(self):
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "-o", self.out, "--", "sort", "/etc/services"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("warning", p.stderr)


if __name__ == "__main__":
    unittest.main()
