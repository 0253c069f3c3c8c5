"""Reachability (issue 16): memtrace splits live blocks into definitely lost,
indirectly lost and still reachable, as valgrind --leak-check=full does, at
the exit of -- CMD and with -p --reachability on a running process.  The
oracle is valgrind on the same binary: at exit (its own final report) and,
while the program sleeps, through vgdb's leak_check monitor command."""
import gzip
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

import mt

WORKLOAD = mt.tool("workload_reach")
# The functions of workload_reach that allocate, innermost first in a stack.
FUNCS = ("make_lost", "make_list", "make_bss_child", "make_bss", "on_stack", "in_register")
RECORD = re.compile(r"==\d+== ([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in ([\d,]+) blocks "
                    r"are (definitely lost|indirectly lost|possibly lost|still reachable) in loss record")
FRAME = re.compile(r"==\d+==    (?:at|by) 0x[0-9A-F]+: (\w+)")
KIND = {"definitely lost": 0, "indirectly lost": 1, "still reachable": 2, "possibly lost": 3}


def num(s):
    return int(s.replace(",", ""))


def valgrind_classes(text):
    """{function: [lost count, bytes, indirect count, bytes, reachable count, bytes,
    possibly lost count, bytes]} from valgrind's loss records, each charged to the
    first of FUNCS in its stack."""
    out = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = RECORD.search(line)
        if not m:
            continue
        total, direct, _, blocks, kind = m.groups()
        nbytes = num(direct) if direct else num(total)
        func = None
        for follow in lines[i + 1:]:
            f = FRAME.search(follow)
            if not f:
                break
            if f.group(1) in FUNCS:
                func = f.group(1)
                break
        if func is None:
            continue
        v = out.setdefault(func, [0] * 8)
        v[2 * KIND[kind]] += num(blocks)
        v[2 * KIND[kind] + 1] += nbytes
    return out


def memtrace_classes(report):
    out = {}
    for leak in report["leaks"]:
        func = leak["frames"][0]["function"] if leak["frames"] else None
        if func not in FUNCS:
            continue
        v = out.setdefault(func, [0] * 8)
        for i, k in enumerate(("definitely_lost", "indirectly_lost", "still_reachable")):
            v[2 * i] += leak[k + "_count"]
            v[2 * i + 1] += leak[k + "_bytes"]
    return out


def have_valgrind():
    return shutil.which("valgrind") and shutil.which("vgdb")


class Reachability(unittest.TestCase):
    """Classes per site against valgrind's, on a program built for it."""

    def setUp(self):
        mt.require_bpf(self)
        if not have_valgrind():
            if mt.CI:
                raise AssertionError("valgrind is not installed (tools/setup-deps.sh test)")
            self.skipTest("valgrind is not installed")
        self.tmp = mt.tempdir(self)

    def assert_expected(self, classes):
        # What the program is written to hold (tools/workload_reach.c), so
        # that a wrong oracle cannot make both sides agree on nothing.
        self.assertEqual(classes["make_lost"][:6], [5, 500, 0, 0, 0, 0])
        self.assertEqual(classes["make_list"][:6], [1, 64, 9, 576, 0, 0])
        for func, size in (("make_bss", 200), ("make_bss_child", 48), ("on_stack", 300), ("in_register", 400)):
            self.assertEqual(classes[func][:6], [0, 0, 0, 0, 1, size], func)

    def test_at_exit_matches_valgrind(self):
        vg = subprocess.run(["valgrind", "--leak-check=full", "--show-leak-kinds=all", WORKLOAD, "0"],
                            capture_output=True, text=True, timeout=120)
        want = valgrind_classes(vg.stderr)
        self.assert_expected(want)
        r = mt.run(["--no-faults"], cmd=[WORKLOAD, "0"])
        self.assertEqual(r.returncode, 0, r.stderr)
        reach = r.report["reachability"]
        self.assertEqual(reach["state"], "done", r.stderr)
        self.assertGreater(reach["pause_ns"], 0)
        self.assertEqual(reach["threads"], 3)
        got = memtrace_classes(r.report)
        self.assertEqual({f: v[:6] for f, v in got.items()}, {f: v[:6] for f, v in want.items()})
        # The text report says it too, with the pause.
        self.assertRegex(r.stderr, r"reachability: .* the process was stopped for [\d.]+ ms")
        self.assertIn("definitely lost: 564 B in 6 blocks; indirectly lost: 576 B in 9 blocks", r.stderr)

    def start(self, argv, name):
        out = os.path.join(self.tmp, name + ".out")
        err = os.path.join(self.tmp, name + ".err")
        with open(out, "w") as o, open(err, "w") as e:
            p = subprocess.Popen(argv, stdout=o, stderr=e)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        return p, out, err

    def test_attached_matches_valgrind_live(self):
        # valgrind's classes while the program sleeps, through vgdb.
        vg, vg_out, vg_err = self.start(["valgrind", "--vgdb=yes", WORKLOAD, "--wait", "60"], "vg")
        self.assertTrue(mt.wait_for_line(vg_out, "waiting", 60), mt.read_text(vg_err))
        vg.send_signal(signal.SIGUSR1)
        self.assertTrue(mt.wait_for_line(vg_out, "built", 60), mt.read_text(vg_err))
        mon = subprocess.run(["vgdb", "--pid=%d" % vg.pid, "leak_check", "full", "reachable", "any"],
                             capture_output=True, text=True, timeout=60)
        want = valgrind_classes(mon.stdout + mon.stderr)
        self.assert_expected(want)

        # memtrace attached first: every block is allocated under its eyes.
        wl, wl_out, _ = self.start([WORKLOAD, "--wait", "60"], "wl")
        self.assertTrue(mt.wait_for_line(wl_out, "waiting"))
        json_path = os.path.join(self.tmp, "p.json")
        m, _, m_err = self.start([mt.MEMTRACE, "-q", "--json", json_path, "-p", str(wl.pid), "--reachability"], "mt")
        self.assertTrue(mt.wait_for_line(m_err, "Tracing PID"), mt.read_text(m_err))
        wl.send_signal(signal.SIGUSR1)
        self.assertTrue(mt.wait_for_line(wl_out, "built"))
        time.sleep(0.5)
        m.send_signal(signal.SIGINT)
        self.assertEqual(m.wait(60), 0, mt.read_text(m_err))
        # The process was let go: it still runs, and is not traced.
        self.assertIsNone(wl.poll())
        with open("/proc/%d/status" % wl.pid) as f:
            self.assertIn("TracerPid:\t0\n", f.read())
        report = mt.load_json(json_path)
        reach = report["reachability"]
        self.assertEqual(reach["state"], "done", mt.read_text(m_err))
        self.assertGreater(reach["pause_ns"], 0)
        self.assertEqual(reach["threads"], 3)
        got = memtrace_classes(report)
        self.assertEqual({f: v[:6] for f, v in got.items()}, {f: v[:6] for f, v in want.items()})

    def test_pprof_html_carry_classes(self):
        pb = os.path.join(self.tmp, "r.pb.gz")
        html = os.path.join(self.tmp, "r.html")
        r = mt.run(["--no-faults", "-o", pb, "-o", html], cmd=[WORKLOAD, "0"])
        self.assertEqual(r.returncode, 0, r.stderr)
        if shutil.which("go"):
            top = subprocess.run(["go", "tool", "pprof", "-sample_index=lost_space", "-top", pb],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(top.returncode, 0, top.stderr)
            self.assertRegex(top.stdout, r"\b500B .*make_lost")
            top = subprocess.run(["go", "tool", "pprof", "-sample_index=indirectly_lost_space", "-top", pb],
                                 capture_output=True, text=True, timeout=120)
            self.assertRegex(top.stdout, r"\b576B .*make_list")
        else:
            with gzip.open(pb) as f:
                self.assertIn(b"indirectly_lost_space", f.read())
        page = mt.read_text(html)
        self.assertIn('<section id="reachability">', page)
        self.assertRegex(page, r"make_lost.*?</td><td class=\"num\">500 B in 5</td>")


TOTAL = re.compile(r"==\d+== +(in use at exit|definitely lost|indirectly lost|possibly lost|still reachable): "
                   r"([\d,]+) bytes in ([\d,]+) blocks")


class DebianPrograms(unittest.TestCase):
    """Programs we did not write (Debian's, without frame pointers): the
    totals of each class against valgrind's at exit.  valgrind runs without
    its libc clean-up (--run-libc-freeres=no), which would free at exit what
    the program itself never frees."""

    def setUp(self):
        mt.require_bpf(self)
        if not have_valgrind():
            if mt.CI:
                raise AssertionError("valgrind is not installed (tools/setup-deps.sh test)")
            self.skipTest("valgrind is not installed")
        self.tmp = mt.tempdir(self)

    def compare(self, argv):
        vg = subprocess.run(["valgrind", "--run-libc-freeres=no", "--run-cxx-freeres=no", "--leak-check=full",
                             "--show-leak-kinds=all"] + argv, capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL)
        want = {m.group(1): (num(m.group(3)), num(m.group(2))) for m in TOTAL.finditer(vg.stderr)}
        self.assertIn("in use at exit", want, vg.stderr)
        r = mt.run(["--no-faults"], cmd=argv)
        got = r.report["reachability"]
        self.assertEqual(got["state"], "done", r.stderr)
        return want, got

    def test_sort(self):
        data = os.path.join(self.tmp, "in.txt")
        with open(data, "w") as f:
            f.write("b\na\nc\n" * 200)
        want, got = self.compare(["/usr/bin/sort", data])
        # sort keeps one 16-byte block it never frees nor points to.
        self.assertEqual(want["definitely lost"], (got["definitely_lost_count"], got["definitely_lost_bytes"]))
        self.assertEqual(want["indirectly lost"], (got["indirectly_lost_count"], got["indirectly_lost_bytes"]))
        self.assertEqual(want["in use at exit"][0], got["blocks"])
        # valgrind's "possibly lost" (only an interior pointer) is reachable to memtrace, as to LeakSanitizer.
        self.assertEqual(want["still reachable"][0] + want.get("possibly lost", (0, 0))[0], got["still_reachable_count"])

    def test_perl(self):
        # perl at exit leaves its interpreter: lost blocks, lists whose head is lost, and reachable ones.
        want, got = self.compare(["/usr/bin/perl", "-e", "my %h; $h{$_} = [$_] for 1..1000;"])
        self.assertGreater(want["indirectly lost"][0], 0)
        self.assertEqual(want["definitely lost"], (got["definitely_lost_count"], got["definitely_lost_bytes"]))
        self.assertEqual(want["indirectly lost"], (got["indirectly_lost_count"], got["indirectly_lost_bytes"]))


class LiveScans(unittest.TestCase):
    """-p: scans while tracing, each said in one line on stderr."""

    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self)

    def start(self, argv, name):
        out = os.path.join(self.tmp, name + ".out")
        err = os.path.join(self.tmp, name + ".err")
        with open(out, "w") as o, open(err, "w") as e:
            p = subprocess.Popen(argv, stdout=o, stderr=e)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        return p, out, err

    def test_every(self):
        wl, wl_out, _ = self.start([WORKLOAD, "--wait", "60"], "wl")
        self.assertTrue(mt.wait_for_line(wl_out, "waiting"))
        m, _, m_err = self.start([mt.MEMTRACE, "-q", "--no-faults", "-p", str(wl.pid), "-d", "5",
                                  "--reachability-every", "1"], "mt")
        self.assertTrue(mt.wait_for_line(m_err, "Tracing PID"), mt.read_text(m_err))
        wl.send_signal(signal.SIGUSR1)
        self.assertEqual(m.wait(60), 0, mt.read_text(m_err))
        lines = [l for l in mt.read_text(m_err).splitlines() if "reachability at" in l]
        self.assertGreaterEqual(len(lines), 2, mt.read_text(m_err))
        self.assertRegex(lines[-1], r"definitely lost 564 B in 6 blocks, indirectly lost 576 B in 9, "
                                    r"still reachable \d+ B in \d+ \(PID \d+ stopped [\d.]+ ms\)")
        self.assertIsNone(wl.poll())

    def test_alert(self):
        # workload_service keeps its leaked sessions in a global list: a leak
        # that is still reachable, which is what the scan at the alert says.
        wl, _, _ = self.start([mt.tool("workload_service"), "--seconds", "60", "--leak-bytes-per-s", "65536",
                               "--leak-after", "0"], "svc")
        time.sleep(0.5)
        m, _, m_err = self.start([mt.MEMTRACE, "-q", "--no-faults", "-p", str(wl.pid), "-d", "25",
                                  "--alert-reachability"], "mt")
        self.assertEqual(m.wait(90), 0, mt.read_text(m_err))
        text = mt.read_text(m_err)
        m = re.search(r"reachability of the leak alert at remember_session: definitely lost 0 B in 0 blocks, "
                      r"indirectly lost 0 B in 0, still reachable (\d+) B in (\d+)", text)
        self.assertIsNotNone(m, text)
        self.assertGreater(int(m.group(2)), 100)
        self.assertIsNone(wl.poll())


class PauseLimit(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)

    def test_max_pause_refuses_and_leaves_the_process_alone(self):
        r = mt.run(["--no-faults", "--reachability-max-pause", "0.001"], cmd=[WORKLOAD, "0"])
        self.assertEqual(r.returncode, 0, r.stderr)
        reach = r.report["reachability"]
        self.assertEqual(reach["state"], "refused", r.stderr)
        self.assertEqual(reach["pause_ns"], 0)
        self.assertGreater(reach["estimate_ns"], 1000)
        self.assertEqual(len([l for l in r.stderr.splitlines() if "reachability scan refused" in l]), 1, r.stderr)
        # Leaks are still listed, without classes.
        self.assertTrue(any(l["frames"] and l["frames"][0]["function"] == "make_lost" for l in r.report["leaks"]))
        self.assertNotIn("definitely_lost_count", r.report["leaks"][0])

    def test_no_reachability_and_sampling_are_off(self):
        r = mt.run(["--no-faults", "--no-reachability"], cmd=[WORKLOAD, "0"])
        self.assertNotIn("reachability", r.report)
        p = subprocess.run([mt.MEMTRACE, "--reachability", "--sample-bytes", "4096", "--", WORKLOAD, "0"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    unittest.main()
