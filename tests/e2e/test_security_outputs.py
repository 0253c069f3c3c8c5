"""memtrace runs as root and writes where a user points it: no file it
writes may be redirected by a name planted in advance (a symlink at a
temporary or final name), created wider than 0600, lost to a bad path found
only after the trace, or lost without a word and a non-zero status.

The attacker is a real unprivileged user (useradd), who owns the output
directory and plants symlinks to a root-owned victim file."""
import os
import pwd
import subprocess
import time
import unittest

import mt

USER = "mt-sec-outputs"
VICTIM_TEXT = "root's secret: must not change\n"
INCOMPLETE = 74
EXACT = mt.tool("workload_exact")
SERVICE = mt.tool("workload_service")
GC_BENCH = os.path.join(mt.BUILD, "refgc-bench")


def setUpModule():
    mt.require_bpf(None)
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)


def tearDownModule():
    subprocess.run(["userdel", USER], capture_output=True)


def as_attacker(script, *args):
    """Runs a Python snippet as the unprivileged user."""
    return subprocess.run(["python3", "-c", script] + [str(a) for a in args], user=USER,
                          capture_output=True, text=True, timeout=60, check=True)


PLANT = "import os,sys\nfor name in sys.argv[2:]:\n    os.symlink(sys.argv[1], name)\n"


class Attack(unittest.TestCase):
    """An output directory the attacker can write, and a root file outside it."""

    def setUp(self):
        mt.require_bpf(self)
        self.root_dir = mt.tempdir(self, "mt-sec-root-")
        self.victim = os.path.join(self.root_dir, "victim")
        with open(self.victim, "w") as f:
            f.write(VICTIM_TEXT)
        os.chmod(self.victim, 0o644)
        self.out = mt.tempdir(self, "mt-sec-out-")
        pw = pwd.getpwnam(USER)
        os.chown(self.out, pw.pw_uid, pw.pw_gid)
        os.chmod(self.out, 0o755)

    def assert_victim_intact(self, stderr=""):
        st = os.lstat(self.victim)
        with open(self.victim, "rb") as f:
            self.assertEqual(f.read(), VICTIM_TEXT.encode(), "the victim file was overwritten\n" + stderr)
        self.assertEqual(st.st_mode & 0o777, 0o644)

    def start(self, args, cmd):
        return subprocess.Popen([mt.MEMTRACE, "-q"] + args + ["--"] + cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run_with_planted_tmp(self, opt, name, cmd, extra=()):
        """memtrace's pid is public: plant PATH.tmp.<pid> the moment it starts."""
        path = os.path.join(self.out, name)
        p = self.start([opt, path] + list(extra), cmd)
        as_attacker(PLANT, self.victim, "%s.tmp.%d" % (path, p.pid))
        out, err = p.communicate(timeout=120)
        self.assert_victim_intact(err)
        self.assertEqual(p.returncode, 0, err)
        # The output is a real file memtrace wrote, not the attacker's link.
        self.assertFalse(os.path.islink(path), err)
        st = os.lstat(path)
        self.assertEqual(st.st_uid, 0)
        self.assertGreater(st.st_size, 0)
        return path

    def test_json_tmp_symlink(self):
        self.run_with_planted_tmp("--json", "r.json", [EXACT, "0"])

    def test_o_svg_tmp_symlink(self):
        self.run_with_planted_tmp("-o", "flame.svg", [EXACT, "0"])

    def test_o_pprof_tmp_symlink(self):
        self.run_with_planted_tmp("-o", "heap.pb.gz", [EXACT, "0"])

    def test_record_tmp_symlink(self):
        self.run_with_planted_tmp("--record", "trace.mtrace", [EXACT, "0"])

    def test_gc_svg_tmp_and_final_symlink(self):
        if not os.path.exists(GC_BENCH):
            self.fail("build/refgc-bench is not built")
        path = os.path.join(self.out, "gc.svg")
        as_attacker(PLANT, self.victim, path)
        p = self.start(["--gc-svg", path], [GC_BENCH, "--workload", "latency", "--seconds", "1"])
        as_attacker(PLANT, self.victim, "%s.tmp.%d" % (path, p.pid))
        out, err = p.communicate(timeout=120)
        self.assert_victim_intact(err)
        self.assertEqual(p.returncode, 0, err)
        self.assertFalse(os.path.islink(path), err)
        with open(path) as f:
            self.assertIn("<svg", f.read())

    def test_snapshot_tmp_symlinks(self):
        """Snapshot names are DIR/heap-<UTC to the ms>.mtrec: every name of
        the next 8 seconds, with its .tmp.<pid>, is planted."""
        p = self.start(["--snapshot-every", "2", "--snapshot-dir", self.out, "-d", "7"],
                       [SERVICE, "--seconds", "8"])
        t0 = int(time.time() * 1000)
        names = []
        # In time order: the planting (~3,000 a second) stays ahead of the
        # clock, and the first snapshot is 2 s after the trace starts.
        for m in range(t0 + 500, t0 + 8000):
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(m // 1000)) + ".%03dZ" % (m % 1000)
            base = os.path.join(self.out, "heap-%s.mtrec" % stamp)
            names.append("%s.tmp.%d" % (base, p.pid))
        as_attacker(PLANT, self.victim, *names)
        out, err = p.communicate(timeout=120)
        self.assert_victim_intact(err)
        snaps = [n for n in os.listdir(self.out) if n.startswith("heap-") and n.endswith(".mtrec")]
        self.assertGreaterEqual(len(snaps), 2, err)
        for n in snaps:
            self.assertFalse(os.path.islink(os.path.join(self.out, n)))

    def test_alerts_final_symlink_refused(self):
        path = os.path.join(self.out, "alerts.jsonl")
        as_attacker(PLANT, self.victim, path)
        t0 = time.monotonic()
        p = subprocess.run([mt.MEMTRACE, "-q", "--alerts", path, "--", EXACT, "0"], capture_output=True,
                           text=True, timeout=60)
        self.assert_victim_intact(p.stderr)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertTrue(p.stderr.startswith("memtrace: cannot open the alerts file"), p.stderr)
        self.assertNotIn("Tracing", p.stderr)
        self.assertLess(time.monotonic() - t0, 1.0)

    def test_alerts_file_of_another_user_refused(self):
        path = os.path.join(self.out, "alerts.jsonl")
        as_attacker("open(__import__('sys').argv[1], 'w').close()", path)
        p = subprocess.run([mt.MEMTRACE, "-q", "--alerts", path, "--", EXACT, "0"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not a regular file owned by root or by you", p.stderr)
        self.assertNotIn("Tracing", p.stderr)

    def test_alerts_fifo_refused(self):
        path = os.path.join(self.out, "alerts.fifo")
        as_attacker("import os,sys; os.mkfifo(sys.argv[1])", path)
        try:
            p = subprocess.run([mt.MEMTRACE, "-q", "--alerts", path, "--", EXACT, "0"], capture_output=True,
                               text=True, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("memtrace blocked opening a FIFO given as --alerts")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not a regular file owned by root or by you", p.stderr)

    def test_alerts_own_file_appended(self):
        """A file of root's that is already there is still appended to."""
        path = os.path.join(self.root_dir, "alerts.jsonl")
        with open(path, "w") as f:
            f.write("{}\n")
        p = subprocess.run([mt.MEMTRACE, "-q", "--alerts", path, "--", EXACT, "0"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(path) as f:
            self.assertTrue(f.read().startswith("{}\n"))


class Modes(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.out = mt.tempdir(self, "mt-sec-mode-")

    def run_umask0(self, extra):
        paths = {n: os.path.join(self.out, n) for n in ("r.json", "f.svg", "t.mtrace", "a.jsonl")}
        args = [mt.MEMTRACE, "-q", "--json", paths["r.json"], "-o", paths["f.svg"], "--record", paths["t.mtrace"],
                "--alerts", paths["a.jsonl"]] + extra + ["--", EXACT, "0"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60, preexec_fn=lambda: os.umask(0))
        self.assertEqual(p.returncode, 0, p.stderr)
        return {n: os.stat(path).st_mode & 0o7777 for n, path in paths.items()}

    def test_umask_000_gives_0600(self):
        for name, mode in self.run_umask0([]).items():
            self.assertEqual(mode, 0o600, "%s is %o" % (name, mode))

    def test_output_mode_0644(self):
        for name, mode in self.run_umask0(["--output-mode", "0644"]).items():
            self.assertEqual(mode, 0o644, "%s is %o" % (name, mode))

    def test_output_mode_refuses_writable_by_others(self):
        for bad in ("0666", "0664", "0755", "0200", "rw", ""):
            p = subprocess.run([mt.MEMTRACE, "--output-mode", bad, "--", EXACT, "0"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 64, (bad, p.stderr))
            self.assertIn("invalid --output-mode", p.stderr)


class LateChecks(unittest.TestCase):
    """A bad output is found before anything attaches, in well under a second."""

    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self, "mt-sec-late-")
        self.ro = os.path.join(self.tmp, "ro")
        os.mkdir(self.ro)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", self.ro], check=True)
        self.addCleanup(subprocess.run, ["umount", self.ro])

    def test_bad_outputs_fail_before_tracing(self):
        cases = [
            (["-o", "/nonexistent/dir/x.svg"], "-o /nonexistent/dir/x.svg"),
            (["--json", ""], "--json: the file name is empty"),
            (["--record", os.path.join(self.ro, "x.mtrace")], "--record " + self.ro),
            (["--gc-svg", os.path.join(self.ro, "gc.svg")], "--gc-svg " + self.ro),
            (["--json", self.tmp], "--json " + self.tmp),
            (["--no-faults", "--view", "faults", "-o", os.path.join(self.tmp, "x.folded")],
             "cannot write %s/x.folded: --view faults needs page faults traced" % self.tmp),
        ]
        for args, msg in cases:
            t0 = time.monotonic()
            p = subprocess.run([mt.MEMTRACE, "-q"] + args + ["--", "sleep", "5"], capture_output=True,
                               text=True, timeout=30)
            took = time.monotonic() - t0
            self.assertEqual(p.returncode, 1, (args, p.stderr))
            self.assertTrue(p.stderr.startswith("memtrace: " + msg), (args, p.stderr))
            self.assertNotIn("Tracing", p.stderr)
            self.assertLess(took, 1.0, args)


class FullFilesystem(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self, "mt-sec-full-")
        self.full = os.path.join(self.tmp, "full")
        os.mkdir(self.full)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", self.full], check=True)
        self.addCleanup(subprocess.run, ["umount", self.full])

    def fill(self):
        fd = os.open(os.path.join(self.full, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 512) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)

    def rescued(self, stderr):
        for line in stderr.splitlines():
            if line.startswith("memtrace: the trace is saved in "):
                path = line.split()[6]
                self.addCleanup(os.unlink, path)
                return path
        return None

    def test_several_pids_on_full_fs_are_incomplete(self):
        """-p A,B: each PID's trace runs in its own process; one that lost
        its output makes the whole run exit 74, not 1."""
        self.fill()
        procs = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
        for p in procs:
            self.addCleanup(p.wait)
            self.addCleanup(p.kill)
        out = os.path.join(self.full, "flame.svg")
        p = subprocess.run([mt.MEMTRACE, "-q", "-d", "1", "-o", out, "-p", "%d,%d" % (procs[0].pid, procs[1].pid)],
                           capture_output=True, text=True, timeout=60)
        for line in p.stderr.splitlines():
            if line.startswith("memtrace: the trace is saved in "):
                self.addCleanup(os.unlink, line.split()[6])
        self.assertEqual(p.returncode, INCOMPLETE, p.stderr)
        self.assertEqual(p.stderr.count("memtrace: the run is incomplete: 1 output(s) could not be written"), 2,
                         p.stderr)

    def test_output_on_full_fs_is_incomplete(self):
        self.fill()
        out = os.path.join(self.full, "flame.svg")
        p = subprocess.run([mt.MEMTRACE, "-q", "-o", out, "--", EXACT, "0"], capture_output=True, text=True,
                           timeout=60)
        rescue = self.rescued(p.stderr)
        self.assertEqual(p.returncode, INCOMPLETE, p.stderr)
        self.assertIn("memtrace: cannot write %s: " % out, p.stderr)
        self.assertIn("memtrace: the run is incomplete: 1 output(s) could not be written", p.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.full) if n != "filler"], [], "temporary files left")
        self.assertIsNotNone(rescue, p.stderr)
        self.assertEqual(os.stat(rescue).st_mode & 0o777, 0o600)
        # The rescue renders: nothing of the trace is lost.
        svg = os.path.join(self.tmp, "again.svg")
        r = subprocess.run([mt.MEMTRACE, "report", rescue, "-o", svg], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(os.path.getsize(svg), 0)

    def test_command_status_is_named(self):
        self.fill()
        out = os.path.join(self.full, "r.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--json", out, "--", "sh", "-c", "exit 3"], capture_output=True,
                           text=True, timeout=60)
        self.rescued(p.stderr)
        self.assertEqual(p.returncode, INCOMPLETE, p.stderr)
        self.assertIn("'sh' exited with 3", p.stderr)

    def test_alerts_on_full_fs(self):
        """A leak raises alerts; their file is on a full filesystem."""
        alerts = os.path.join(self.full, "alerts.jsonl")
        open(alerts, "w").close()
        self.fill()
        p = subprocess.run([mt.MEMTRACE, "-q", "--alerts", alerts, "--", SERVICE, "--seconds", "14",
                            "--leak-bytes-per-s", "65536", "--leak-after", "0.5"], capture_output=True, text=True,
                           timeout=120)
        self.assertIn("memtrace: LEAK", p.stderr)
        self.assertIn("memtrace: cannot write to the alerts file %s: No space left on device" % alerts, p.stderr)
        self.assertEqual(p.returncode, INCOMPLETE, p.stderr)


if __name__ == "__main__":
    unittest.main()
