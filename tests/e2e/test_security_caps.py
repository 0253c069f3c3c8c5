"""Least privilege, end to end: memtrace run by an unprivileged user with
exactly CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (setpriv, ambient
capabilities), on real processes, with the same exact counts as root gets;
and runs with one capability missing, which end in one clear line naming it.

The user (mt-sec-caps) is created for the module and removed after it,
unless it existed before."""
import os
import pwd
import shutil
import subprocess
import time
import unittest

import mt
import test_faults as tf

USER = "mt-sec-caps"
CAPS = ("bpf", "perfmon", "sys_ptrace")
_created = False


def setUpModule():
    global _created
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return  # each test says why through mt.require_bpf / need_setpriv
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True,
                       capture_output=True)
        _created = True


def tearDownModule():
    if _created:
        subprocess.run(["userdel", USER], capture_output=True)


def need_setpriv(test):
    mt.require_bpf(test)
    if not shutil.which("setpriv"):
        raise AssertionError("setpriv (util-linux) is not installed")


def as_user(caps):
    """The setpriv prefix: USER, no groups, exactly `caps` (names without CAP_)."""
    c = ",".join("+" + x for x in caps) if caps else "-all"
    return ["setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups",
            "--inh-caps=" + c, "--ambient-caps=" + c]


class Run:
    def __init__(self, proc, report, tmp):
        self.returncode = proc.returncode
        self.stderr = proc.stderr
        self.stdout = proc.stdout
        self.report = report
        self.tmp = tmp


def run_as(test, caps, args, cmd=None, timeout=120):
    """memtrace -q --json OUT ARGS [-- CMD] as USER with exactly caps."""
    tmp = mt.tempdir(test, "mt-caps-")
    os.chmod(tmp, 0o777)  # USER writes the report here
    out = os.path.join(tmp, "report.json")
    full = as_user(caps) + [mt.MEMTRACE, "-q", "--json", out] + list(args)
    if cmd:
        full += ["--"] + list(cmd)
    p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd="/")
    report = mt.load_json(out) if os.path.exists(out) else None
    return Run(p, report, tmp)


def memtrace_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("memtrace:")]


class HeapWithCaps(unittest.TestCase):
    """-- CMD, heap only: the counts root gets (test_core.LaunchedCommand)."""

    @classmethod
    def setUpClass(cls):
        need_setpriv(cls)
        cls.r = run_as(cls, CAPS, ["--no-faults"], [mt.tool("workload_exact"), "4"])

    def fn(self, name):
        self.assertIsNotNone(self.r.report, self.r.stderr)
        return mt.by_function(self.r.report, name)

    def test_runs(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        self.assertEqual(memtrace_lines(self.r.stderr), [])

    def test_exact_counts(self):
        f = self.fn("keep_malloc")
        self.assertEqual((f["alloc_count"], f["alloc_bytes"], f["inuse_count"], f["inuse_bytes"]),
                         (16, 16000, 16, 16000))
        f = self.fn("churn_malloc")
        self.assertEqual((f["alloc_count"], f["alloc_bytes"], f["inuse_bytes"]), (100, 6400, 0))
        f = self.fn("realloc_chain")
        self.assertEqual((f["alloc_count"], f["alloc_bytes"], f["inuse_count"], f["inuse_bytes"]),
                         (4, 105300, 1, 5000))
        f = self.fn("thread_main")
        self.assertEqual((f["alloc_count"], f["inuse_count"]), (4 * 1010, 40))


class FaultsWithCaps(tf.FaultChecks, unittest.TestCase):
    """--faults: the fault and mmap/brk/madvise numbers root gets, through
    the tp_btf programs (no tracefs)."""

    @classmethod
    def setUpClass(cls):
        need_setpriv(cls)
        rf = run_as(cls, CAPS, ["--faults"], [mt.tool("workload_faults")])
        rm = run_as(cls, CAPS, ["--faults"], [mt.tool("workload_mmap")])
        for r in (rf, rm):
            if r.report is None:
                raise AssertionError("memtrace wrote no report: rc=%d\n%s" % (r.returncode, r.stderr))
        cls.rf, cls.rm = rf, rm
        cls.faults, cls.mmap = rf.report, rm.report

    def test_source_and_status(self):
        self.assertEqual(self.rf.returncode, 0, self.rf.stderr)
        self.assertEqual(self.rm.returncode, 0, self.rm.stderr)
        self.assertEqual(self.faults["faults"]["source"], "tracepoint")


class FeaturesWithCaps(unittest.TestCase):
    def setUp(self):
        need_setpriv(self)

    def test_custom_allocators(self):
        specs = ["--alloc", "pool_alloc:size=arg2", "--free", "pool_release:ptr=arg2",
                 "--realloc", "pool_resize:ptr=arg2:size=arg3", "--alloc", "arena_alloc:size=arg3:count=arg2"]
        r = run_as(self, CAPS, ["--no-faults"] + specs, [mt.tool("workload_pool")])
        self.assertEqual(r.returncode, 0, r.stderr)
        pool = mt.by_function(r.report, "use_pool")
        self.assertEqual((pool["alloc_count"], pool["alloc_bytes"], pool["inuse_bytes"]), (10, 1000, 600))
        rs = mt.by_function(r.report, "use_resize")
        self.assertEqual((rs["alloc_count"], rs["alloc_bytes"], rs["inuse_bytes"]), (2, 64 + 4096, 4096))

    def test_follow(self):
        # --follow ptraces memtrace's own children: no CAP_SYS_PTRACE needed.
        r = run_as(self, ("bpf", "perfmon"), ["--no-faults", "--follow"], [mt.tool("workload_fork"), "2"])
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [mt.load_json(os.path.join(r.tmp, n)) for n in os.listdir(r.tmp)]
        self.assertEqual(len(docs), 3, r.stderr)
        got = sorted((mt.by_function(d, "child_work")["alloc_count"], mt.by_function(d, "parent_work")["alloc_count"])
                     for d in docs)
        self.assertEqual(got, [(0, 5), (10, 0), (20, 0)])

    def test_sample_bytes(self):
        r = run_as(self, CAPS, ["--no-faults", "--sample-bytes", "4096"], [mt.tool("workload_exact"), "1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(memtrace_lines(r.stderr), [])
        self.assertEqual(r.report["sample_bytes"], 4096)
        self.assertGreater(len(r.report["sites"]), 0)

    def test_gc_names_cap_sys_admin(self):
        # USDT, Go GC and pymalloc's probes are perf-event uprobes:
        # CAP_PERFMON is not enough for the uprobe PMU.  The heap trace
        # still stands, and each feature lost says why in one line.
        r = run_as(self, CAPS, ["--no-faults"], ["/usr/bin/python3", "-c", "import gc; gc.collect()"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNotNone(r.report, r.stderr)
        pid = r.report["pid"]
        self.assertEqual(memtrace_lines(r.stderr),
                         ["memtrace: PID %d: cannot attach python:gc__start in /usr/bin/python3.11: Permission "
                          "denied; GC pauses are not traced (uprobe perf events need CAP_SYS_ADMIN: CAP_PERFMON is "
                          "not enough; run as root)" % pid,
                          "memtrace: PID %d: cannot probe pymalloc in /usr/bin/python3.11: Permission denied; "
                          "CPython's object heap is not traced (uprobe perf events need CAP_SYS_ADMIN: "
                          "CAP_PERFMON is not enough; run as root)" % pid])


class Attach(unittest.TestCase):
    """-p PID: a process of the same user needs no CAP_SYS_PTRACE; another
    user's does, and says so."""

    def setUp(self):
        need_setpriv(self)

    def start(self, prefix):
        p = subprocess.Popen(prefix + [mt.tool("workload_faults"), "--wait"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        self.addCleanup(p.stdin.close)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return p

    def trace(self, target, caps):
        tmp = mt.tempdir(self, "mt-caps-")
        os.chmod(tmp, 0o777)
        out, err = os.path.join(tmp, "r.json"), os.path.join(tmp, "err")
        with open(err, "w") as ef:
            m = subprocess.Popen(as_user(caps) + [mt.MEMTRACE, "-q", "--faults", "--json", out, "-p",
                                                  str(target.pid)], stderr=ef, stdout=subprocess.DEVNULL, cwd="/")
        self.addCleanup(m.kill)
        deadline = time.time() + 60
        while m.poll() is None and time.time() < deadline and "Tracing PID" not in mt.read_text(err):
            time.sleep(0.05)
        if m.poll() is not None:
            target.stdin.close()  # memtrace gave up: let the target run to its end
        else:
            target.stdin.write("\n")
            target.stdin.flush()
            self.assertEqual(target.stdout.readline().strip(), "done")
            target.stdin.write("\n")
            target.stdin.flush()
        target.wait(timeout=60)
        m.wait(timeout=60)
        return m.returncode, mt.read_text(err), mt.load_json(out) if os.path.exists(out) else None

    def test_same_user_without_ptrace(self):
        target = self.start(as_user(()))
        rc, err, report = self.trace(target, ("bpf", "perfmon"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["pid"], target.pid)
        for name, (count, region) in tf.FAULTS.items():
            with self.subTest(function=name):
                self.assertEqual(tf.fault_sites(report, name)[region], count)

    def test_other_user_needs_ptrace(self):
        target = self.start([])  # root's
        rc, err, report = self.trace(target, ("bpf", "perfmon"))
        self.assertNotEqual(rc, 0)
        self.assertIsNone(report)
        self.assertEqual(memtrace_lines(err),
                         ["memtrace: cannot attach to PID %d: Permission denied (tracing another user's process "
                          "needs CAP_SYS_PTRACE)" % target.pid])

    def test_other_user_with_ptrace(self):
        target = self.start([])
        rc, err, report = self.trace(target, CAPS)
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["pid"], target.pid)
        for name, (count, region) in tf.FAULTS.items():
            with self.subTest(function=name):
                self.assertEqual(tf.fault_sites(report, name)[region], count)


class MissingCap(unittest.TestCase):
    """Without CAP_BPF or CAP_PERFMON: one line naming what is missing."""

    def setUp(self):
        need_setpriv(self)

    def check(self, caps, missing):
        r = run_as(self, caps, [], [mt.tool("workload_exact"), "1"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(r.report)
        self.assertEqual(memtrace_lines(r.stderr),
                         ["memtrace: missing capability %s: loading the tracing programs needs CAP_BPF and "
                          "CAP_PERFMON (run as root, or grant them: setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep "
                          "memtrace)" % missing])

    def test_without_perfmon(self):
        self.check(("bpf", "sys_ptrace"), "CAP_PERFMON")

    def test_without_bpf(self):
        self.check(("perfmon", "sys_ptrace"), "CAP_BPF")


if __name__ == "__main__":
    unittest.main()
