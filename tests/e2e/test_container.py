"""Container identity: a process in a container's cgroup (made here, named
as docker names them) is reported with its cgroup path and container id in
JSON, text, HTML, pprof labels (go tool pprof -tags) and recordings; a
process in its own PID namespace is reported with its NSpid."""
import os
import re
import subprocess
import time
import unittest

import mt
from test_pprof_labels import go_pprof


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    return None


class ContainerIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        root = cgroup2_root()
        if not root or not os.access(root, os.W_OK):
            why = "no writable cgroup2 mount"
            if mt.CI:
                raise AssertionError(why)
            raise unittest.SkipTest(why)
        cls.tmp = mt.tempdir(cls, "mt-cgroup-")
        cls.id = os.urandom(32).hex()
        cls.name = "docker-%s.scope" % cls.id
        cls.cg = os.path.join(root, cls.name)
        os.mkdir(cls.cg)
        cls.addClassCleanup(os.rmdir, cls.cg)
        cls.out = {ext: os.path.join(cls.tmp, "r" + ext) for ext in (".json", ".pb.gz", ".html", ".txt", ".mtrec")}
        # memtrace itself moves into the container's cgroup first, so the
        # command it starts is born there, as in a real container.
        cmd = [mt.MEMTRACE, "-q", "--json", cls.out[".json"], "-o", cls.out[".pb.gz"], "-o", cls.out[".html"],
               "-o", cls.out[".txt"], "--record", cls.out[".mtrec"], "--", mt.tool("workload_exact"), "1"]
        cls.proc = subprocess.run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cls.cg] + cmd,
                                  capture_output=True, text=True, timeout=120)
        cls.report = mt.load_json(cls.out[".json"]) if os.path.exists(cls.out[".json"]) else None

    def test_json(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertTrue(self.report["cgroup"].endswith("/" + self.name), self.report["cgroup"])
        self.assertEqual(self.report["container_id"], self.id)

    def test_text_and_html(self):
        self.assertRegex(mt.read_text(self.out[".txt"]),
                         r"(?m)^cgroup: \S*/%s \(container %s\)$" % (re.escape(self.name), self.id))
        html = mt.read_text(self.out[".html"])
        self.assertIn("<tr><th>Container</th><td>%s</td></tr>" % self.id, html)
        self.assertIn(self.name + "</td></tr>", html)

    def test_pprof_labels(self):
        tags = go_pprof("-tags", "-sample_index=alloc_space", self.out[".pb.gz"])
        self.assertRegex(tags, r"(?m)^ container_id: Total ")
        self.assertRegex(tags, r"(?m)\(\s*100%%\): %s$" % self.id)
        self.assertRegex(tags, r"(?m)^ cgroup: Total ")
        self.assertRegex(tags, r"(?m)\(\s*100%%\): \S*/%s$" % re.escape(self.name))

    def test_recording_and_pprof_read_back(self):
        for src in (self.out[".mtrec"], self.out[".pb.gz"]):
            again = os.path.join(self.tmp, "again.json")
            p = subprocess.run([mt.MEMTRACE, "report", src, "-o", again], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = mt.load_json(again)
            self.assertEqual(doc["cgroup"], self.report["cgroup"], src)
            self.assertEqual(doc["container_id"], self.id, src)


class PidNamespace(unittest.TestCase):
    """A workload started by `unshare --pid --fork --mount-proc` is PID 1 in its
    namespace: -p on its host PID reports nspid 1 in JSON, text and pprof labels."""

    def test_nspid_in_every_format(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        ns = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", mt.tool("workload_service"),
                               "--seconds", "4"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # unshare forks the namespace's first process: the workload, once it has exec'd.
            child, deadline = None, time.time() + 10
            while time.time() < deadline and child is None:
                try:
                    with open("/proc/%d/task/%d/children" % (ns.pid, ns.pid)) as f:
                        kids = f.read().split()
                    if kids and os.readlink("/proc/%s/exe" % kids[0]) == mt.tool("workload_service"):
                        child = int(kids[0])
                except OSError:
                    pass
                time.sleep(0.05)
            self.assertIsNotNone(child, "unshare's child did not start")
            out = {ext: os.path.join(tmp, "r" + ext) for ext in (".json", ".txt", ".pb.gz")}
            p = subprocess.run([mt.MEMTRACE, "-q", "--json", out[".json"], "-o", out[".txt"], "-o", out[".pb.gz"],
                                "-p", str(child)], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            ns.wait(timeout=30)
        finally:
            if ns.poll() is None:
                ns.kill()
                ns.wait()
        rep = mt.load_json(out[".json"])
        self.assertEqual(rep["pid"], child)
        self.assertEqual(rep["nspid"], 1)
        self.assertRegex(mt.read_text(out[".txt"]), r"(?m)^cgroup: .*; nspid 1$")
        tags = go_pprof("-tags", "-sample_index=alloc_space", out[".pb.gz"])
        self.assertRegex(tags, r"(?m)^ nspid: Total ")
        self.assertRegex(tags, r"(?m)\(\s*100%\): 1$")

    def test_no_nspid_in_the_host_namespace(self):
        mt.require_bpf(self)
        r = mt.run([], [mt.tool("workload_exact"), "1"])
        self.assertNotIn("nspid", r.report)


if __name__ == "__main__":
    unittest.main()
