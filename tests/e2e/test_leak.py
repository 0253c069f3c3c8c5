"""Leak alerts in real time: the leak in a live service is named within
10 s; a healthy service with a big cache, a pool and churn raises none."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import mt

LEAK_AFTER = 3.0
SECONDS = 60


def run_service(extra, args, results, key):
    tmp = tempfile.mkdtemp(prefix="mt-leak-")
    try:
        out = os.path.join(tmp, "r.json")
        cmd = [mt.MEMTRACE, "-q", "--json", out] + args + ["--", mt.tool("workload_service"),
                                                               "--seconds", str(SECONDS)] + extra
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 60)
        results[key] = (p, mt.load_json(out) if os.path.exists(out) else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class LeakAlerts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls, "mt-leak-")
        cls.hook_out = os.path.join(cls.tmp, "hook.jsonl")
        cls.hook = os.path.join(cls.tmp, "hook.sh")
        with open(cls.hook, "w") as f:
            f.write("#!/bin/sh\ncat >> %s\n" % cls.hook_out)
        os.chmod(cls.hook, 0o755)
        cls.slow_hook = os.path.join(cls.tmp, "slow.sh")
        with open(cls.slow_hook, "w") as f:
            # Let go of memtrace's stdout/stderr, so only memtrace is waited for.
            f.write("#!/bin/sh\nexec >/dev/null 2>&1\nsleep 120\n")
        os.chmod(cls.slow_hook, 0o755)
        cls.alerts = os.path.join(cls.tmp, "alerts.jsonl")
        cls.dump = os.path.join(cls.tmp, "dump")
        cls.snaps = os.path.join(cls.tmp, "snaps")
        cls.timeline = os.path.join(cls.tmp, "leaky.trace.json")
        os.mkdir(cls.dump)
        os.mkdir(cls.snaps)
        results = {}
        # Both 60-second runs at once: they share the two cores with the tracer.
        leaky = threading.Thread(target=run_service, args=(
            ["--leak-bytes-per-s", "65536", "--leak-after", str(LEAK_AFTER)],
            ["--alerts", cls.alerts, "--on-alert", cls.hook, "--alert-dump", cls.dump,
             "--snapshot-every", "20", "--snapshot-dir", cls.snaps, "--timeline", cls.timeline], results, "leaky"))
        steady = threading.Thread(target=run_service, args=(
            ["--cache-entries", "65536", "--prefill", "1"], ["--on-alert", cls.slow_hook], results, "steady"))
        leaky.start()
        steady.start()
        leaky.join()
        steady.join()
        cls.leaky_proc, cls.leaky = results["leaky"]
        cls.steady_proc, cls.steady = results["steady"]

    def test_leak_is_named_within_10s(self):
        self.assertEqual(self.leaky_proc.returncode, 0, self.leaky_proc.stderr)
        alerts = self.leaky["alerts"]
        self.assertGreaterEqual(len(alerts), 1, self.leaky_proc.stderr)
        first = alerts[0]
        self.assertEqual(first["frames"][0]["function"], "remember_session")
        self.assertLessEqual(first["t_ns"] / 1e9, LEAK_AFTER + 10 + 1.0)
        self.assertEqual(first["trend"], "consistently increasing")
        # 64 KiB/s within 25%.
        self.assertGreater(first["rate_bytes_per_s"], 0.75 * 65536)
        self.assertLess(first["rate_bytes_per_s"], 1.25 * 65536)
        self.assertGreaterEqual(first["oldest_age_ns"], 5e9)

    def test_no_other_site_alerts_over_60s(self):
        names = {a["frames"][0]["function"] for a in self.leaky["alerts"]}
        self.assertEqual(names, {"remember_session"})

    def test_stderr_line(self):
        self.assertRegex(self.leaky_proc.stderr,
                         r"memtrace: LEAK PID \d+: remember_session <- worker .* grows [\d.]+ KiB/s \(consistently increasing\)")

    def test_alerts_file_and_hook(self):
        lines = mt.load_jsonl(self.alerts)
        self.assertEqual(len(lines), len(self.leaky["alerts"]))
        for k in ("time_ns", "pid", "frames", "rate_bytes_per_s", "inuse_bytes", "inuse_count", "trend",
                  "oldest_age_ns"):
            self.assertIn(k, lines[0])
        hooked = mt.load_jsonl(self.hook_out)
        self.assertEqual([h["frames"][0]["function"] for h in hooked], ["remember_session"])

    def test_alert_dump_and_snapshots(self):
        dumps = os.listdir(self.dump)
        self.assertEqual(len(dumps), len(self.leaky["alerts"]))
        snaps = sorted(os.listdir(self.snaps))
        self.assertGreaterEqual(len(snaps), 2)
        self.assertEqual(snaps, sorted(snaps))
        # Recordings: memtrace report renders each one.
        for name in snaps + [os.path.join("..", "dump", d) for d in dumps]:
            self.assertTrue(name.endswith(".mtrec"), name)
            out = os.path.join(self.tmp, "rendered.json")
            p = subprocess.run([mt.MEMTRACE, "report", os.path.join(self.snaps, name), "-o", out],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            doc = mt.load_json(out)
            self.assertGreater(doc["totals"]["alloc_count"], 0)

    def test_alerts_on_the_timeline(self):
        """Each alert is an instant event at its t_s, on the report's one clock."""
        events = [e for e in mt.load_json(self.timeline)["traceEvents"] if e["ph"] == "i"]
        alerts = self.leaky["alerts"]
        self.assertEqual(len(events), len(alerts))
        for e, a in zip(events, alerts):
            self.assertEqual(e["name"], "leak: " + a["frames"][0]["function"])
            self.assertEqual(e["s"], "p")
            self.assertEqual(round(e["ts"] * 1000), a["t_ns"])
            self.assertEqual(round(a["t_s"] * 1e9), a["t_ns"])

    def test_leaks_section(self):
        leaks = self.leaky["leaks"]
        self.assertEqual(leaks[0]["frames"][0]["function"], "remember_session")
        # (60 - 3) s at 64 KiB/s in 1 KiB records, +-10%.
        expect = (SECONDS - LEAK_AFTER) * 64
        self.assertGreater(leaks[0]["count"], 0.9 * expect)
        self.assertLess(leaks[0]["count"], 1.1 * expect)
        self.assertEqual([l["bytes"] for l in leaks], sorted([l["bytes"] for l in leaks], reverse=True))

    def test_steady_service_raises_nothing(self):
        self.assertEqual(self.steady_proc.returncode, 0, self.steady_proc.stderr)
        self.assertEqual(self.steady["alerts"], [], self.steady_proc.stderr)
        self.assertNotIn("LEAK", self.steady_proc.stderr)


class LeaksAtExit(unittest.TestCase):
    def test_leaks_equal_valgrind_in_use_at_exit(self):
        mt.require_bpf(self)
        cmd = [mt.tool("workload_mix"), "3000"]
        vg = subprocess.run(["valgrind", "--run-libc-freeres=no"] + cmd, capture_output=True, text=True)
        m = re.search(r"in use at exit: ([\d,]+) bytes in ([\d,]+) blocks", vg.stderr)
        self.assertIsNotNone(m, vg.stderr)
        nbytes, blocks = (int(x.replace(",", "")) for x in m.groups())
        r = mt.run([], cmd)
        leaks = r.report["leaks"]
        self.assertEqual(sum(l["bytes"] for l in leaks), nbytes)
        self.assertEqual(sum(l["count"] for l in leaks), blocks)
        self.assertEqual(r.report["totals"]["inuse_bytes"], nbytes)


if __name__ == "__main__":
    unittest.main()


class BadLeakOptions(unittest.TestCase):
    """Refused at start-up, before anything attaches: one memtrace: line each."""

    def test_bad_options(self):
        mt.require_bpf(self)
        cases = [
            (["--leak-window", "0"], 64, "invalid --leak-window"),
            (["--leak-min-rate", "-5"], 64, "invalid --leak-min-rate"),
            (["--leak-min-age", "soon"], 64, "invalid --leak-min-age"),
            (["--alerts", "/nonexistent/dir/a.jsonl"], 1, "cannot open the alerts file"),
            (["--alert-dump", "/nonexistent"], 1, "--alert-dump /nonexistent: not a writable directory"),
            (["--snapshot-every", "1", "--snapshot-dir", "/etc/passwd"], 1, "not a writable directory"),
            (["--on-alert", "no_such_program_xyz"], 1, "--on-alert: no program 'no_such_program_xyz'"),
        ]
        for args, code, msg in cases:
            p = subprocess.run([mt.MEMTRACE] + args + ["--", mt.tool("workload_exact"), "0"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            self.assertTrue(p.stderr.startswith("memtrace: "), p.stderr)
            self.assertIn(msg, p.stderr.splitlines()[0])
            self.assertNotIn("Tracing", p.stderr)
