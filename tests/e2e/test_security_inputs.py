"""Security issue, input handling: untrusted sizes in the offline readers,
in-use counts that stay honest when the live-block table overflows, and
bad command lines refused with one clear line."""
import gzip
import os
import re
import subprocess
import sys
import time
import unittest

import mt

BOMBS = os.path.join(mt.ROOT, "tests", "offline", "make_bombs.py")
MIB = 256  # each bomb inflates (or claims) 256 MiB from about 256 KiB


def run_measured(args, timeout=120):
    """Runs args; returns (returncode, stderr, max RSS in KiB, seconds)."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.monotonic()\n"
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "t = time.monotonic() - t\n"
             "sys.stdout.write('%d %d %.3f\\n' % (p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, t))\n"
             "sys.stdout.write(p.stderr)\n")
    out = subprocess.run([sys.executable, "-c", probe] + list(args), capture_output=True, text=True,
                         timeout=timeout, check=True).stdout
    head, _, stderr = out.partition("\n")
    rc, rss, secs = head.split()
    return int(rc), stderr, int(rss), float(secs)


class UntrustedSizes(unittest.TestCase):
    """A file that inflates to far more than it should fails fast, in little
    memory, with one line: before, a 256 KiB recording made `memtrace
    report` hold 256 MiB (2 MB held 2.1 GB), a 256 KiB .pb.gz likewise."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mt.tempdir(cls, "mt-bombs-")
        subprocess.run([sys.executable, BOMBS, cls.tmp, "--mib", str(MIB)], check=True, timeout=600)

    def refused_fast(self, name, want):
        path = os.path.join(self.tmp, name)
        self.assertLess(os.path.getsize(path), (MIB << 20) // 64)
        rc, err, rss, secs = run_measured([mt.MEMTRACE, "report", path, "-o", os.path.join(self.tmp, "o.json")])
        # A quarter of what the bomb inflates to is far above what a refusal needs.
        self.assertLess(rss, (MIB << 10) // 4, "%s: max RSS %d KiB" % (name, rss))
        self.assertLess(secs, 5.0, "%s: %.2f s" % (name, secs))
        self.assertEqual(rc, 1, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn(want, lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "o.json")))

    def test_recording_claiming_a_huge_body(self):
        self.refused_fast("bomb.mtrec", "recording too large")

    def test_recording_inflating_past_its_claim(self):
        self.refused_fast("liar.mtrec", "corrupt recording")

    def test_pprof_bomb(self):
        self.refused_fast("bomb.pb.gz", "pprof profile too large")

    def test_pprof_whose_trailer_lies(self):
        self.refused_fast("liar.pb.gz", "corrupt pprof profile")


class HonestCountsPastTheTable(unittest.TestCase):
    """workload_many 6000000 overflows the live-block table (2^21 ways and
    the overflow map): frees of blocks never stored were not matched and
    inuse_count came out 91% above what the process held.  The workload
    holds exactly n/2 blocks of its two sites plus the pointer array."""

    def test_inuse_count_right_and_marked_estimated(self):
        mt.require_bpf(self)
        n = 6000000
        tmp = mt.tempdir(self)
        html, pb, rec, back = (os.path.join(tmp, "r." + e) for e in ("html", "pb.gz", "mtrec", "json"))
        r = mt.run(["-o", html, "-o", pb, "--record", rec], [mt.tool("workload_many"), str(n)], timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = r.report
        self.assertGreater(rep["drops"]["blocks_table_full"], 0, "the table did not overflow")
        # What the rest of the process holds at exit (stdio's buffer), from a
        # run that does not overflow, where every count is exact.
        small = mt.run([], [mt.tool("workload_many"), "20000"], timeout=120).report
        others = small["totals"]["inuse_count"] - (20000 // 2 + 1)
        self.assertGreaterEqual(others, 0)
        # The total is exact: unmatched frees are charged against untracked
        # allocations, and every unmatched free was of an untracked block.
        self.assertEqual(rep["totals"]["inuse_count"], n // 2 + 1 + others)
        # Per site it is a share: the untracked blocks of other sites (the
        # stdio buffer, allocated after the overflow) may move to these two.
        held = sum(s["inuse_count"] for s in rep["sites"]
                   if s["frames"][0]["function"] in ("keep_many", "grow_some"))
        self.assertLessEqual(abs(held - (n // 2 + 1)), others)
        # Exact bytes: n/4 blocks of 24, n/4 of 48, the array of n pointers.
        true_bytes = n // 4 * 24 + n // 4 * 48 + n * 8
        got = sum(s["inuse_bytes"] for s in rep["sites"]
                  if s["frames"][0]["function"] in ("keep_many", "grow_some"))
        self.assertLess(abs(got - true_bytes) / true_bytes, 0.05, (got, true_bytes))
        # Per site the split is an estimate, and every format says so.
        self.assertTrue(rep["inuse_estimated"])
        self.assertEqual(rep["untracked"]["allocs"], rep["drops"]["blocks_table_full"])
        self.assertGreater(rep["untracked"]["frees_unmatched"], 0)
        self.assertIn('id="inuse-estimated"', mt.read_text(html))
        with open(pb, "rb") as f:
            self.assertIn(b"inuse ESTIMATED", gzip.decompress(f.read()))
        # A recording keeps the mark for reports rendered later.
        out = subprocess.run([mt.MEMTRACE, "report", rec, "-o", back], capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        later = mt.load_json(back)
        self.assertTrue(later["inuse_estimated"])
        self.assertEqual(later["untracked"], rep["untracked"])
        self.assertEqual(later["totals"], rep["totals"])

    def test_no_estimate_without_overflow(self):
        mt.require_bpf(self)
        r = mt.run([], [mt.tool("workload_many"), "20000"], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(r.report["inuse_estimated"])
        self.assertEqual(r.report["untracked"], {"allocs": 0, "frees_unmatched": 0})


class BadInputRefused(unittest.TestCase):
    """Each bad command line gets one line on stderr and a usage (64) or
    error (1) status, before anything attaches."""

    def one_line(self, args, rc, want, **kw):
        p = subprocess.run([mt.MEMTRACE] + args, capture_output=True, text=True, timeout=60, **kw)
        self.assertEqual(p.returncode, rc, p.stderr)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("memtrace: "), lines[0])
        self.assertIn(want, lines[0])
        return lines[0]

    def test_usage_error_is_one_line(self):
        self.one_line(["-p", "12x"], 64, "invalid PID list")
        self.one_line(["--metric", "bytes", "-p", "1"], 64, "unknown metric")
        self.one_line(["-v"], 64, "give -p PID or -- COMMAND")
        self.one_line(["--frobnicate"], 64, "frobnicate")

    def test_same_pid_twice(self):
        self.one_line(["-p", "%d,%d" % (os.getpid(), os.getpid()), "-d", "2"], 64, "given twice")

    def test_one_argument_in_two_roles(self):
        self.one_line(["--alloc", "f:size=arg1:count=arg1", "-p", "1"], 64, "--alloc")
        self.one_line(["--realloc", "f:ptr=arg1:size=arg1", "-p", "1"], 64, "--realloc")

    def test_kernel_thread(self):
        mt.require_bpf(self)
        self.one_line(["-p", "2", "-d", "1"], 1, "PID 2 is a kernel thread")

    def test_kernel_thread_among_several(self):
        # The bad PID gets its line and is skipped; the good one is traced.
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        p = subprocess.run([mt.MEMTRACE, "-q", "--json", os.path.join(tmp, "r.json"), "-p", "%d,2" % os.getpid(),
                            "-d", "1"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        bad = [l for l in p.stderr.splitlines() if re.search(r"\bPID 2\b", l)]
        self.assertEqual(bad, ["memtrace: PID 2 is a kernel thread: it has no user-space heap "
                               "(give the PID of a user-space process)"], p.stderr)
        self.assertIn("Tracing PID %d " % os.getpid(), p.stderr)
        self.assertTrue(os.path.exists(os.path.join(tmp, "r.%d.json" % os.getpid())))
        self.assertFalse(os.path.exists(os.path.join(tmp, "r.2.json")))

    def test_memtrace_itself(self):
        mt.require_bpf(self)
        p = subprocess.run(["sh", "-c", 'exec "$0" -p $$ -d 1', mt.MEMTRACE], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("is memtrace itself", p.stderr)

    def test_zombie(self):
        mt.require_bpf(self)
        child = os.fork()
        if child == 0:
            os._exit(0)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with open("/proc/%d/stat" % child) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
                time.sleep(0.02)
            self.one_line(["-p", str(child), "-d", "1"], 1, "PID %d is a zombie" % child)
        finally:
            os.waitpid(child, 0)

    def test_leak_min_rate_is_bytes_per_second(self):
        mt.require_bpf(self)
        r = mt.run(["--leak-min-rate", "20000000"], ["/bin/true"], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
