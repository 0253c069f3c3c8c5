"""A target's files are hostile: memtrace reads the inode the target has
mapped, resolves paths inside the target's root, never opens a FIFO or a
device, and never reads the host's file of the same name.  Each test builds
a real "container" (chroot, or a private mount namespace from unshare in
which a mapped file is replaced after the target started) and traces a
real process in it."""
import os
import shutil
import subprocess
import time
import unittest

import mt

PLUGIN = mt.tool("libmtplugin.so")
LOOP = mt.tool("workload_plugin_loop")


def mapped(path_part):
    """The host path of an object this Python process has mapped."""
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and path_part in fields[5]:
                return fields[5]
    raise AssertionError("%s is not mapped here" % path_part)


def ns_child(unshare_pid, timeout=10):
    """The process unshare --fork started: its only child."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (unshare_pid, unshare_pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise AssertionError("unshare started no child")


def in_ns(pid, *cmd):
    subprocess.run(["nsenter", "-t", str(pid), "-m", "--"] + list(cmd), check=True, timeout=10)


class Target:
    """A workload_plugin_loop, started by argv (chroot or unshare in front);
    pid is the workload's own."""

    def __init__(self, test, argv, env=None, namespaced=False):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, **env) if env else None)
        test.addCleanup(self.stop)
        test.assertEqual(self.proc.stdout.readline().strip(), "ready")
        self.pid = ns_child(self.proc.pid) if namespaced else self.proc.pid

    def alloc(self, n):
        self.proc.stdin.write("%d\n" % n)
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Tracer:
    """memtrace -p PID; without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE when drop_admin (then
    /proc/PID/map_files cannot be followed: memtrace works from paths)."""

    def __init__(self, test, pid, args=(), drop_admin=False):
        self.tmp = mt.tempdir(test)
        self.json = os.path.join(self.tmp, "r.json")
        self.err = os.path.join(self.tmp, "err")
        cmd = [mt.MEMTRACE, "-q", "--json", self.json, "-p", str(pid)] + list(args)
        if drop_admin:
            cmd = ["capsh", "--drop=cap_sys_admin,cap_checkpoint_restore", "--", "-c", " ".join(cmd)]
        with open(self.err, "w") as e:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=e)
        test.addCleanup(self.kill)
        deadline = time.time() + 20
        while self.proc.poll() is None and "Tracing PID %d" % pid not in self.stderr():
            test.assertLess(time.time(), deadline, self.stderr())
            time.sleep(0.05)

    def stderr(self):
        return mt.read_text(self.err)

    def finish(self, timeout=30):
        """Exit code and report (None when none); raises on a hang."""
        rc = self.proc.wait(timeout=timeout)
        return rc, (mt.load_json(self.json) if os.path.exists(self.json) else None)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class ContainerFiles(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self, prefix="mt-sec-files-")

    def copy(self, src, rel):
        dst = os.path.join(self.tmp, rel.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
        return dst

    def namespaced(self, argv, env=None):
        return Target(self, ["unshare", "--mount", "--propagation", "private", "--fork"] + argv,
                      env=env, namespaced=True)

    def test_chrooted_target_is_traced_and_named(self):
        # Its maps show host paths (the chroot dir in front): the mapped
        # inodes are read, not /proc/PID/root + a host path.
        libc, ld = mapped("/libc.so.6"), "/lib64/ld-linux-x86-64.so.2"
        self.copy(libc, libc)
        self.copy(os.path.realpath(ld), ld)
        self.copy(LOOP, "/wl")
        lib = self.copy(PLUGIN, "/libp.so")
        t = Target(self, ["chroot", self.tmp, "/wl", "/libp.so"])
        m = Tracer(self, t.pid)
        self.assertEqual(t.alloc(5), "done")
        t.stop()
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        p = mt.by_function(rep, "plugin_alloc")
        self.assertEqual((p["alloc_count"], p["alloc_bytes"]), (5, 20000), m.stderr())
        site = next(s for s in rep["sites"] if s["frames"][0]["function"] == "plugin_alloc")
        self.assertEqual(site["frames"][0]["module"], lib)
        self.assertEqual(site["frames"][1]["function"], "main")

    def test_chrooted_debian_sort_is_traced(self):
        # Debian's own sort (no frame pointers, no .symtab) in a chroot.
        libc, ld = mapped("/libc.so.6"), "/lib64/ld-linux-x86-64.so.2"
        self.copy(libc, libc)
        self.copy(os.path.realpath(ld), ld)
        sort = self.copy("/usr/bin/sort", "/usr/bin/sort")
        os.makedirs(os.path.join(self.tmp, "tmp"))
        proc = subprocess.Popen(["chroot", self.tmp, "/usr/bin/sort"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL)
        self.addCleanup(proc.kill)
        proc.stdin.write(b"start\n")
        proc.stdin.flush()
        time.sleep(0.3)  # sort has loaded and waits for input
        m = Tracer(self, proc.pid)
        for i in range(100000):
            proc.stdin.write(b"%d line of text to sort\n" % (i * 7919 % 100003))
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=30), 0)
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        mine = [s for s in rep["sites"] if s["frames"] and s["frames"][0]["module"] == sort]
        self.assertGreater(sum(s["alloc_count"] for s in mine), 0, m.stderr())

    def fifo_over_plugin(self):
        lib = self.copy(PLUGIN, "/lib/libp.so")
        t = self.namespaced([LOOP, lib])
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        in_ns(t.pid, "mount", "--bind", fifo, lib)
        return t, lib

    def test_fifo_at_mapped_path_does_not_hang_and_names_the_mapped_file(self):
        t, lib = self.fifo_over_plugin()
        m = Tracer(self, t.pid, ["-d", "3"])
        self.assertEqual(t.alloc(5), "done")
        rc, rep = m.finish(timeout=30)
        self.assertEqual(rc, 0, m.stderr())
        p = mt.by_function(rep, "plugin_alloc")
        self.assertEqual((p["alloc_count"], p["alloc_bytes"]), (5, 20000), m.stderr())

    def test_fifo_at_mapped_path_without_map_files_says_why_names_are_missing(self):
        t, lib = self.fifo_over_plugin()
        m = Tracer(self, t.pid, ["-d", "3"], drop_admin=True)
        self.assertEqual(t.alloc(5), "done")
        rc, rep = m.finish(timeout=30)
        self.assertEqual(rc, 0, m.stderr())
        self.assertIn("no function names for %s in PID %d: not a regular file" % (lib, t.pid), m.stderr())
        sites = [s for s in rep["sites"] if s["frames"][0]["module"] == lib]
        self.assertEqual(sum(s["alloc_count"] for s in sites), 5)
        self.assertEqual([s["frames"][0]["function"] for s in sites], [None])

    def covered_libc(self):
        libc = mapped("/libc.so.6")
        lib_dir = os.path.dirname(self.copy(libc, "/lib/libc.so.6"))
        t = self.namespaced([LOOP, PLUGIN], env={"LD_LIBRARY_PATH": lib_dir})
        cover = self.copy(libc, "/cover.so")
        in_ns(t.pid, "mount", "--bind", cover, os.path.join(lib_dir, "libc.so.6"))
        return t, os.path.join(lib_dir, "libc.so.6")

    def test_covered_library_probes_go_on_the_mapped_inode(self):
        t, libc = self.covered_libc()
        m = Tracer(self, t.pid)
        self.assertIn(libc, m.stderr())
        self.assertEqual(t.alloc(5), "done")
        t.stop()
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        p = mt.by_function(rep, "plugin_alloc")
        self.assertEqual((p["alloc_count"], p["alloc_bytes"]), (5, 20000), m.stderr())

    def test_covered_library_without_map_files_is_refused_in_one_line(self):
        t, libc = self.covered_libc()
        m = Tracer(self, t.pid, drop_admin=True)
        rc, rep = m.finish(timeout=30)
        self.assertNotEqual(rc, 0, m.stderr())
        lines = [ln for ln in m.stderr().splitlines() if "not the one mapped" in ln]
        self.assertEqual(lines, ["memtrace: cannot attach to %s in PID %d: the file at that path is not the one "
                                 "mapped (give memtrace CAP_CHECKPOINT_RESTORE to reach the mapped file through "
                                 "/proc/PID/map_files)" % (libc, t.pid)], m.stderr())

    def symlink_to_host_only_file(self):
        # In the container, the plugin's directory is covered by one whose
        # libp.so is an absolute symlink to a file only the host has: the
        # plugin with its function renamed HOSTFILEREAD, a name that shows
        # which file was read.
        lib = self.copy(PLUGIN, "/lib/libp.so")
        host_only = os.path.join(self.tmp, "hostonly", "libp.so")
        os.makedirs(os.path.dirname(host_only))
        with open(PLUGIN, "rb") as f, open(host_only, "wb") as out:
            out.write(f.read().replace(b"plugin_alloc", b"HOSTFILEREAD"))
        fake = os.path.join(self.tmp, "fake")
        os.makedirs(fake)
        os.symlink(host_only, os.path.join(fake, "libp.so"))
        t = self.namespaced([LOOP, lib])
        in_ns(t.pid, "mount", "--bind", fake, os.path.dirname(lib))
        in_ns(t.pid, "mount", "-t", "tmpfs", "none", os.path.dirname(host_only))
        return t, lib

    # The target stays alive until the report: its root is still there to
    # resolve paths in (after it exits memtrace reads what it pinned).
    def test_container_symlink_to_host_file_reads_the_mapped_inode(self):
        t, lib = self.symlink_to_host_only_file()
        m = Tracer(self, t.pid, ["-d", "3"])
        self.assertEqual(t.alloc(5), "done")
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        sites = [s for s in rep["sites"] if s["frames"][0]["module"] == lib]
        self.assertEqual([(s["frames"][0]["function"], s["alloc_count"]) for s in sites], [("plugin_alloc", 5)])

    def test_container_symlink_to_host_file_without_map_files_reads_no_host_file(self):
        t, lib = self.symlink_to_host_only_file()
        m = Tracer(self, t.pid, ["-d", "3"], drop_admin=True)
        self.assertEqual(t.alloc(5), "done")
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        self.assertIn("no function names for %s in PID %d: No such file or directory" % (lib, t.pid), m.stderr())
        sites = [s for s in rep["sites"] if s["frames"][0]["module"] == lib]
        self.assertEqual([(s["frames"][0]["function"], s["alloc_count"]) for s in sites], [(None, 5)])

    def test_deleted_library_is_named_through_map_files(self):
        lib = self.copy(PLUGIN, "/lib/libp.so")
        t = Target(self, [LOOP, lib])
        os.unlink(lib)
        m = Tracer(self, t.pid)
        self.assertEqual(t.alloc(5), "done")
        t.stop()
        rc, rep = m.finish()
        self.assertEqual(rc, 0, m.stderr())
        site = next(s for s in rep["sites"] if s["frames"][0]["module"] == lib + " (deleted)")
        self.assertEqual((site["frames"][0]["function"], site["alloc_count"]), ("plugin_alloc", 5))


if __name__ == "__main__":
    unittest.main()
