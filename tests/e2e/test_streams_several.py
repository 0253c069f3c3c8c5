"""Several reports never share stdout: with --follow or -p A,B, `--json -`
wrote one JSON document per process back to back (postgres' postmaster and
a backend: json.load of stdout failed), so "-" is refused there in one
line, as under -- CMD."""
import subprocess
import time
import unittest

import mt


class SeveralReportsOnStdout(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.wl = []
        for _ in range(2):
            w = subprocess.Popen([mt.tool("workload_service"), "--seconds", "6"], stdout=subprocess.DEVNULL)
            self.addCleanup(w.wait)
            self.addCleanup(w.kill)
            self.wl.append(w)
        time.sleep(0.5)

    def refused(self, args, opt, why):
        p = subprocess.run([mt.MEMTRACE, "-q", "-d", "1"] + args, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, "memtrace: %s -: %s traces several processes, each with its own report, and "
                         "stdout holds one (write to a file: %s heap.json gives heap.PID.json for each)\n"
                         % (opt, why, "--json" if opt == "--json" else "-o"))

    def test_follow(self):
        self.refused(["--follow", "-p", str(self.wl[0].pid), "--json", "-"], "--json", "--follow")

    def test_several_pids(self):
        pids = "%d,%d" % (self.wl[0].pid, self.wl[1].pid)
        self.refused(["-p", pids, "-o", "-"], "-o", "-p with several PIDs")
        self.refused(["-p", pids, "--record", "-"], "--record", "-p with several PIDs")

    def test_one_pid_keeps_stdout(self):
        p = subprocess.run([mt.MEMTRACE, "-q", "-d", "1", "-p", str(self.wl[0].pid), "--json", "-"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('"pid": %d' % self.wl[0].pid, p.stdout)


if __name__ == "__main__":
    unittest.main()
