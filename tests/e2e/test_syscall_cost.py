"""What tracing the target's mmap, munmap, mremap, brk and madvise costs the
rest of the machine: with tracefs readable (root), memtrace's syscall
programs must not run on other processes' other syscalls.  A busy unrelated
dd (400,000 read/write calls) runs beside a trace, with BPF run statistics on
(BPF_ENABLE_STATS, held by this test only), and the runs of memtrace's
syscall programs are counted: the raw sys_enter/sys_exit pair ran on every
one of them (800,000+ runs), the per-syscall tracepoints on none."""
import ctypes
import json
import os
import platform
import signal
import subprocess
import unittest

import mt

BPF_ENABLE_STATS = 32
SYS_BPF = {"x86_64": 321, "aarch64": 280}
SYSCALL_PROGS = {"sys_enter_prog", "sys_exit_prog"} | {
    k + s for k in ("mmap", "munmap", "mremap", "brk", "madvise") for s in ("_enter", "_exit")}
DD_CALLS = 200000  # bs=1: one read and one write each


def enable_stats():
    """An fd that keeps run_cnt counted for every BPF program until closed."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(16)  # type = BPF_STATS_RUN_TIME (0)
    fd = libc.syscall(SYS_BPF[platform.machine()], BPF_ENABLE_STATS, attr, ctypes.sizeof(attr))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "BPF_ENABLE_STATS")
    return fd


def prog_ids(pid):
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def syscall_runs(pid):
    """{name: run_cnt} of memtrace's syscall programs."""
    ids = prog_ids(pid)
    out = subprocess.run(["bpftool", "-j", "prog", "list"], capture_output=True, text=True, check=True).stdout
    return {p["name"]: p.get("run_cnt", 0) for p in json.loads(out)
            if p["id"] in ids and p.get("name") in SYSCALL_PROGS}


class UnrelatedSyscalls(unittest.TestCase):
    def test_do_not_run_our_programs(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        stats = enable_stats()
        self.addCleanup(os.close, stats)
        err_path = os.path.join(tmp, "stderr")
        with open(err_path, "w") as err:
            proc = subprocess.Popen([mt.MEMTRACE, "--faults", "--json", os.path.join(tmp, "r.json"), "--",
                                     "sleep", "60"], stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.assertTrue(mt.wait_for_line(err_path, "Tracing PID"), mt.read_text(err_path))
        before = syscall_runs(proc.pid)
        self.assertTrue(before, "memtrace holds no syscall program")
        subprocess.run(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=%d" % DD_CALLS],
                       check=True, capture_output=True)
        after = syscall_runs(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        runs = sum(after.values()) - sum(before.values())
        # Other processes' own mmap/brk calls may run the per-syscall
        # programs meanwhile; dd's 400,000 reads and writes must not.
        self.assertLess(runs, DD_CALLS // 2, "runs per program: %s -> %s" % (before, after))


if __name__ == "__main__":
    unittest.main()


class TracefsMissing(unittest.TestCase):
    """Root with no tracefs mounted (a fresh mount namespace, as in some
    containers and minimal hosts): memtrace mounts it, as it always did, so
    the per-syscall tracepoints are used instead of the every-syscall pair."""

    def test_mounts_tracefs_and_uses_per_syscall_tracepoints(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "r.json")
        script = ("umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; "
                  "umount /sys/kernel/debug 2>/dev/null; test ! -e /sys/kernel/tracing/events || exit 99; "
                  "exec %s -v -q --faults --json %s -- %s 4" % (mt.MEMTRACE, out, mt.tool("workload_exact")))
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(p.returncode, 99, "tracefs could not be unmounted in the namespace")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("memtrace: mounted tracefs on /sys/kernel/tracing", p.stderr)
        self.assertIn("mmap, munmap, mremap, brk, madvise traced via their syscall tracepoints", p.stderr)
        with open(out) as f:
            self.assertGreater(json.load(f)["faults"]["count"], 0)
