"""What memtrace says it traces: the one Tracing line once every probe is
live, and an "Also tracing" line for a runtime found after it (libjvm is
dlopen'd by the java launcher after libc is probed); a static Go program
attached with -p for its GC alone is traced, not refused."""
import os
import re
import signal
import subprocess
import unittest

import mt
import test_go_heap


class LaterRuntime(unittest.TestCase):

    def test_java_announces_hotspot(self):
        mt.require_bpf(self)
        if not os.path.exists("/usr/bin/java"):
            if mt.CI:
                self.fail("java is not installed (tools/setup-deps.sh installs openjdk-17)")
            self.skipTest("java is not installed")
        r = mt.run(["--no-faults"], ["/usr/bin/java", "-Xmx64m", "-XX:+UseSerialGC", "-version"], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(re.findall(r"(?m)^Tracing PID \d+", r.stderr)), 1, r.stderr)
        self.assertRegex(r.stderr, r"(?m)^Tracing PID \d+ \(java\): \d+ allocator functions in \S*libc")
        self.assertEqual(len(re.findall(r"(?m)^Also tracing PID \d+ \(java\): GC: hotspot \(4 USDT probes in "
                                        r"libjvm\.so\)$", r.stderr)), 1, r.stderr)


class GoGcOnly(unittest.TestCase):

    def test_attach_static_go_without_heap_probe(self):
        """-p --no-go-heap: no malloc, no mallocgc probe, yet the GC is traced."""
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        exe, why = test_go_heap.build(os.path.join(tmp, "goalloc"), False)
        if not exe:
            if mt.CI:
                self.fail("cannot build a Go program: " + why)
            self.skipTest("cannot build a Go program: " + why)
        out, err_path = os.path.join(tmp, "r.json"), os.path.join(tmp, "err")
        wl = subprocess.Popen([exe, "-rounds", "3", "-profile", os.path.join(tmp, "p"), "-wait"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        m = None
        try:
            self.assertEqual(wl.stdout.readline().strip(), "ready")
            with open(err_path, "w") as err:
                m = subprocess.Popen([mt.MEMTRACE, "-q", "--no-go-heap", "--json", out, "-p", str(wl.pid)],
                                     stdout=subprocess.DEVNULL, stderr=err)
            self.assertTrue(mt.wait_for_line(err_path, "Tracing PID %d" % wl.pid, timeout=30), mt.read_text(err_path))
            wl.stdin.write("go\n")
            wl.stdin.flush()
            self.assertEqual(wl.stdout.readline().strip(), "done")
            m.send_signal(signal.SIGINT)
            self.assertEqual(m.wait(timeout=30), 0, mt.read_text(err_path))
            wl.stdin.close()
            wl.wait(timeout=10)
        finally:
            for p in (wl, m):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
        text = mt.read_text(err_path)
        self.assertRegex(text, r"(?m)^Tracing PID %d \(goalloc\): GC: go \(go1\.\d+" % wl.pid)
        self.assertNotIn("heap", text.split("Tracing", 1)[1].splitlines()[0])
        rep = mt.load_json(out)
        self.assertEqual(rep["gc"]["runtime"], "go")
        # runtime.GC() before the profile is written: at least that cycle.
        self.assertGreaterEqual(len(rep["gc"]["cycle_list"]), 1)
        self.assertNotIn("go_heap", rep)


if __name__ == "__main__":
    unittest.main()
