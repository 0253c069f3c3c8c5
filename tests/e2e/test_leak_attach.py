"""Leak verdicts on a service that already held data when memtrace attached
(issue 16): a cache of 50,000 entries overwritten at a steady rate, RSS flat,
raises no alert; the same with a 16 KiB/s leak started after the attach has
the leak named within 10 s, with its function."""
import os
import signal
import subprocess
import threading
import time
import unittest

import mt

# 20 s proves it in CI; MT_ATTACH_SECONDS=60 is the full run.
SECONDS = float(os.environ.get("MT_ATTACH_SECONDS", "20"))
RATE = 500      # entries overwritten per second: 50,000 last 100 s
LEAK = 16384    # bytes/s
LEAK_AFTER = 2.0  # s after memtrace is attached


def attached_run(tmp, name, leak, results):
    out = os.path.join(tmp, name + ".json")
    err_path = os.path.join(tmp, name + ".err")
    wl = subprocess.Popen([mt.tool("workload_cache"), "--entries", "50000", "--rate", str(RATE),
                           "--seconds", str(SECONDS + 30), "--leak", str(LEAK)],
                          stdout=subprocess.PIPE, text=True)
    m = None
    try:
        ready = wl.stdout.readline().strip()
        alerts = os.path.join(tmp, name + ".alerts.jsonl")
        text = os.path.join(tmp, name + ".txt")
        with open(err_path, "w") as err:
            m = subprocess.Popen([mt.MEMTRACE, "-q", "--json", out, "--alerts", alerts, "-o", text,
                                  "-p", str(wl.pid), "-d", str(SECONDS)],
                                 stdout=subprocess.DEVNULL, stderr=err)
        attached = mt.wait_for_line(err_path, "Tracing PID %d" % wl.pid, timeout=30)
        leak_start = None
        if leak and attached:
            time.sleep(LEAK_AFTER)
            wl.send_signal(signal.SIGUSR1)
            leak_start = time.time()
            wl.stdout.readline()  # "leaking"
        rc = m.wait(timeout=SECONDS + 60)
        results[name] = dict(ready=ready, attached=attached, rc=rc, leak_start=leak_start,
                             stderr=mt.read_text(err_path), text=mt.read_text(text),
                             alerts=mt.load_jsonl(alerts) if os.path.exists(alerts) else [],
                             report=mt.load_json(out) if os.path.exists(out) else None)
    finally:
        if m and m.poll() is None:
            m.kill()
            m.wait()
        wl.kill()
        wl.wait()


def site(report, function, depth=0):
    return [s for s in report["sites"] if len(s["frames"]) > depth and s["frames"][depth]["function"] == function]


class PreAttachVerdicts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        tmp = mt.tempdir(cls, "mt-attach-")
        results = {}
        runs = [threading.Thread(target=attached_run, args=(tmp, name, leak, results))
                for name, leak in (("replace", False), ("leak", True))]
        for t in runs:
            t.start()
        for t in runs:
            t.join()
        cls.replace = results["replace"]
        cls.leak = results["leak"]

    def check_ran(self, r):
        self.assertEqual(r["ready"], "ready")
        self.assertTrue(r["attached"], r["stderr"])
        self.assertEqual(r["rc"], 0, r["stderr"])
        self.assertIsNotNone(r["report"], r["stderr"])

    def test_replacing_pre_attach_entries_raises_nothing(self):
        r = self.replace
        self.check_ran(r)
        rep = r["report"]
        # The premise: RSS flat while memtrace's books grew.
        rss = [s["rss_bytes"] for s in rep["series"] if s["rss_bytes"]]
        self.assertLess(max(rss) - min(rss), 1 << 20, rss)
        value = site(rep, "cache_set")
        self.assertGreater(sum(s["inuse_bytes"] for s in value), SECONDS * RATE * 64 * 0.7)
        self.assertEqual(rep["alerts"], [], r["stderr"])
        self.assertNotIn("LEAK", r["stderr"])

    def test_pre_attach_frees_counted(self):
        rep = self.replace["report"]
        self.check_ran(self.replace)
        # Each overwrite frees one pre-attach key and one pre-attach value,
        # and allocates their successors (strdup's malloc, whose stack ends
        # in libc, which keeps no frame pointer, and cache_set's): the
        # counts must agree, but for a call cut by the attach or the end.
        allocs = sum(s["alloc_count"] for s in site(rep, "cache_set") + site(rep, "strdup"))
        self.assertGreater(allocs, SECONDS * RATE * 2 * 0.7)
        self.assertLessEqual(abs(rep["pre_attach"]["frees"] - allocs), 4, (rep["pre_attach"], allocs))
        # Per sampling step, cumulative.
        steps = [s["pre_attach_frees"] for s in rep["series"]]
        self.assertEqual(steps, sorted(steps))
        self.assertGreater(steps[-1] - steps[0], 0.7 * 2 * RATE * (len(steps) - 1) * 1.0)

    def test_leak_after_attach_named_within_10s(self):
        r = self.leak
        self.check_ran(r)
        alerts = r["report"]["alerts"]
        self.assertGreaterEqual(len(alerts), 1, r["stderr"])
        self.assertEqual({a["frames"][0]["function"] for a in alerts}, {"leak_session"}, r["stderr"])
        first = alerts[0]
        self.assertLessEqual(first["time_ns"] / 1e9 - r["leak_start"], 10.0, r["stderr"])
        self.assertGreater(first["rate_bytes_per_s"], 0.75 * LEAK)
        self.assertLess(first["rate_bytes_per_s"], 1.25 * LEAK)
        why = first["why"]
        self.assertGreater(why["pre_attach_frees"], 0)
        self.assertGreaterEqual(first["confidence"], 0.5)
        self.assertRegex(r["stderr"], r"memtrace: LEAK PID \d+: leak_session <- main .* confidence [01]\.\d\d: "
                                      r"fit [01]\.\d\d over [\d.]+ s .*pre-attach churn discounted")

    def test_alert_says_why_in_every_output(self):
        r = self.leak
        self.check_ran(r)
        alerts = r["report"]["alerts"]
        self.assertEqual([a["frames"][0]["function"] for a in r["alerts"]],
                         [a["frames"][0]["function"] for a in alerts])
        for line in r["alerts"]:
            self.assertGreaterEqual(line["confidence"], 0.5)
            for k in ("tracked_rate_bytes_per_s", "recent_rate_bytes_per_s", "fit_r2", "window_s", "samples",
                      "discounted_bytes_per_s", "replaced_share", "process_cover", "pre_attach_frees",
                      "process_growth_blocks"):
                self.assertIn(k, line["why"])
            self.assertGreaterEqual(line["why"]["samples"], 5)
        self.assertRegex(r["text"], r"leak alerts: \d+\n  at [^\n]*leak_session[^\n]*\n      confidence [01]\.\d\d: ")
        self.assertRegex(r["text"], r"frees of blocks allocated before the trace began: \d+")


class PythonCacheAttached(unittest.TestCase):
    """The same on an interpreter memtrace's authors did not write: every
    allocation of Debian's python3 ends at one site (no frame pointers), so
    only the pre-attach accounting tells replacement from growth."""

    def test_overwriting_a_python_cache_raises_nothing(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self, "mt-pycache-")
        out = os.path.join(tmp, "r.json")
        err_path = os.path.join(tmp, "err")
        py = subprocess.Popen(["/usr/bin/python3", os.path.join(mt.ROOT, "tools", "workload_pycache.py"),
                               str(SECONDS + 30)], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(py.stdout.readline().strip(), "ready")
            with open(err_path, "w") as err:
                rc = subprocess.run([mt.MEMTRACE, "-q", "--json", out, "-p", str(py.pid), "-d", str(SECONDS)],
                                    stdout=subprocess.DEVNULL, stderr=err, timeout=SECONDS + 60).returncode
        finally:
            py.kill()
            py.wait()
        stderr = mt.read_text(err_path)
        self.assertEqual(rc, 0, stderr)
        rep = mt.load_json(out)
        rss = [s["rss_bytes"] for s in rep["series"] if s["rss_bytes"]]
        self.assertLess(max(rss) - min(rss), 1 << 20, rss)
        self.assertGreater(rep["totals"]["inuse_bytes"], SECONDS * 500 * 0.5 * 600)
        self.assertEqual(rep["alerts"], [], stderr)
        # About 500 overwrites a second, each freeing a pre-attach value.
        self.assertGreater(rep["pre_attach"]["frees"], SECONDS * 500 * 0.5)


class MinConfidenceOption(unittest.TestCase):
    def test_bad_values(self):
        mt.require_bpf(self)
        for bad in ("-0.1", "1.5", "high", ""):
            p = subprocess.run([mt.MEMTRACE, "--leak-min-confidence", bad, "--", mt.tool("workload_exact"), "0"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 64, (bad, p.stderr))
            self.assertIn("invalid --leak-min-confidence", p.stderr.splitlines()[0])


if __name__ == "__main__":
    unittest.main()
