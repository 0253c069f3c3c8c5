"""Separate debug info (issue 15), looked up in gdb's order on fixtures built
as distributions ship them: stripped with .gnu_debuglink (CRC checked),
MiniDebugInfo (.gnu_debugdata), and a debug file only a local debuginfod
server holds, which memtrace fetches once and never asks for when
DEBUGINFOD_URLS is unset."""
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.request

import mt

SOURCE = os.path.join(mt.ROOT, "tools", "symbols", "workload_inline.c")


def frames_of(report, leaf="make_buffer"):
    for s in report["sites"]:
        if s["frames"] and s["frames"][0]["function"] == leaf:
            return s["frames"]
    return None


def site_in(report, binary):
    """The frames of the site allocating 40 times from binary (build_records)."""
    for s in report["sites"]:
        if s["alloc_count"] == 40 and any(f["module"] == binary for f in s["frames"]):
            return s["frames"]
    raise AssertionError("no site of 40 allocations in %s: %r" % (binary, report["sites"]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def leading(frames, binary):
    """The program's own frames up to main: the stack's first run in binary
    (the walk goes on through libc to the program's _start)."""
    run = []
    for x in frames:
        if x["module"] != binary:
            break
        run.append(x)
    return run


class DebugLink(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)

    def named_with_lines(self, binary):
        f = site_in(mt.run(["--no-faults"], [binary, "40"]).report, binary)
        self.assertEqual([(x["function"], x["inlined"]) for x in f[:3]],
                         [("make_buffer", True), ("make_record", True), ("build_records", False)], f)
        self.assertEqual(os.path.realpath(f[0]["file"]), SOURCE)
        self.assertGreater(f[0]["line"], 0)

    def test_stripped_binary_named_through_its_debuglink(self):
        binary = mt.tool("workload_debuglink")
        out = subprocess.run(["readelf", "-S", binary], capture_output=True, text=True).stdout
        self.assertIn(".gnu_debuglink", out)
        self.assertNotIn(".symtab", out)
        self.named_with_lines(binary)

    def test_debuglink_crc_checked_then_debug_dir(self):
        # Beside the binary, another build's debug file under the linked
        # name (CRC differs: skipped); the right one in .debug/, gdb's next place.
        tmp = mt.tempdir(self)
        binary = os.path.join(tmp, "workload_debuglink")
        shutil.copy(mt.tool("workload_debuglink"), binary)
        shutil.copy(os.path.join(mt.TOOLS, "debuginfod", "workload_debuginfod.debug"),
                    os.path.join(tmp, "workload_debuglink.debug"))
        f = site_in(mt.run(["--no-faults"], [binary, "40"]).report, binary)
        self.assertEqual([x["function"] for x in leading(f, binary)], [None, None], f)
        self.assertEqual({x["line"] for x in leading(f, binary)}, {0})
        os.mkdir(os.path.join(tmp, ".debug"))
        shutil.copy(mt.tool("workload_debuglink.debug"), os.path.join(tmp, ".debug"))
        self.named_with_lines(binary)

    def test_minidebuginfo_names(self):
        binary = mt.tool("workload_minidebug")
        out = subprocess.run(["readelf", "-S", binary], capture_output=True, text=True).stdout
        self.assertIn(".gnu_debugdata", out)
        self.assertNotIn(".symtab", out)
        f = site_in(mt.run(["--no-faults"], [binary, "40"]).report, binary)
        # Names only: MiniDebugInfo has no DWARF, so no inlined frames or lines.
        self.assertEqual([x["function"] for x in leading(f, binary)], ["build_records", "main"], f)
        self.assertEqual({x["line"] for x in leading(f, binary)}, {0})


class Debuginfod(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        server = shutil.which("debuginfod")
        if not server:
            raise AssertionError("debuginfod is missing (tools/setup-deps.sh test installs it)")
        cls.tmp = mt.tempdir(cls)
        served = os.path.join(cls.tmp, "served")
        os.mkdir(served)
        shutil.copy(os.path.join(mt.TOOLS, "debuginfod", "workload_debuginfod.debug"), served)
        cls.build_id = re.search(r"Build ID: ([0-9a-f]+)", subprocess.run(
            ["readelf", "-n", mt.tool("workload_debuginfod")], capture_output=True, text=True).stdout).group(1)
        cls.port = free_port()
        cls.url = "http://127.0.0.1:%d" % cls.port
        cls.log = open(os.path.join(cls.tmp, "server.log"), "w")
        cls.server = subprocess.Popen([server, "-F", served, "-p", str(cls.port), "-d",
                                       os.path.join(cls.tmp, "db.sqlite"), "-t", "1", "-g", "0", "-v"],
                                      stdout=cls.log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop)
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen("%s/buildid/%s/debuginfo" % (cls.url, cls.build_id), timeout=5) as r:
                    r.read()
                break
            except Exception:
                if time.time() > deadline or cls.server.poll() is not None:
                    raise AssertionError("debuginfod did not serve the fixture's debug file")
                time.sleep(0.5)
        cls.binary = mt.tool("workload_debuginfod")

    @classmethod
    def stop(cls):
        cls.server.terminate()
        cls.server.wait(10)
        cls.log.close()

    def requests(self):
        """Requests the server has answered so far, its /metrics aside (its own count)."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            text = r.read().decode()
        return sum(int(float(v)) for t, v in re.findall(r'(?m)^http_requests_total\{type="([^"]*)"\} (\S+)$', text)
                   if t != "metrics")

    def fetches(self):
        """Requests for the fixture's debug file, from the server's log."""
        self.log.flush()
        with open(self.log.name) as f:
            return f.read().count("/buildid/%s/debuginfo" % self.build_id)

    def _run(self, env):
        """memtrace on the fixture with exactly env's DEBUGINFOD_* (none inherited)."""
        env = dict({k: v for k, v in os.environ.items() if not k.startswith("DEBUGINFOD_")}, **env)
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "r.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--json", out, "--", self.binary, "40"],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return mt.load_json(out), p.stderr

    def test_asked_only_when_set_then_once(self):
        cache = os.path.join(mt.tempdir(self), "cache")
        # DEBUGINFOD_URLS unset: the server hears nothing, the frames stay unnamed.
        before = self.requests()
        report, err = self._run({"DEBUGINFOD_CACHE_PATH": cache})
        f = site_in(report, self.binary)
        self.assertEqual([x["function"] for x in leading(f, self.binary)], [None, None], f)
        self.assertNotIn("from debuginfod", err)
        self.assertEqual(self.requests(), before)
        # Set: fetched once, with a line saying so, and the frames named with lines.
        before = self.fetches()
        env = {"DEBUGINFOD_URLS": self.url, "DEBUGINFOD_CACHE_PATH": cache}
        report, err = self._run(env)
        f = site_in(report, self.binary)
        self.assertEqual([(x["function"], x["inlined"]) for x in f[:3]],
                         [("make_buffer", True), ("make_record", True), ("build_records", False)], f)
        self.assertEqual(os.path.realpath(f[0]["file"]), SOURCE)
        self.assertIn("fetching debug info for %s from debuginfod" % self.binary, err)
        self.assertEqual(self.fetches() - before, 1)
        # Again: the cache answers, the server is not asked.
        report, err = self._run(env)
        self.assertEqual(site_in(report, self.binary)[2]["function"], "build_records")
        self.assertNotIn("fetching", err)
        self.assertEqual(self.fetches() - before, 1)


if __name__ == "__main__":
    unittest.main()
