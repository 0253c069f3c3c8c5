"""The otel_memory USDT contract (issue 20): build/libmemtrace-sampler.so
preloaded into a workload with known bytes per function (workload_otel:
site_big 256 MiB in 4 KiB blocks, 16 MiB held; site_small 128 MiB in 1 KiB
blocks, 4 MiB held).  memtrace finds the probes, uses them instead of the
allocator uprobes, and scales the samples back to estimates."""
import os
import subprocess
import time
import unittest

import mt

SAMPLER = os.path.join(mt.BUILD, "libmemtrace-sampler.so")
PERIOD = 16384
EXACT = {"site_big": (256 << 20, (256 << 20) // 4096, 16 << 20),
         "site_small": (128 << 20, (128 << 20) // 1024, 4 << 20)}
# At a 16 KiB period site_small's 128 MiB are ~8192 samples (1.1% standard
# error) and site_big's 16 MiB held ~1024 (3.1%): bounds of ~4.5 and ~5
# standard errors, so a correct run fails about once in 10^5.
ALLOC_ERR = 0.05
INUSE_ERR = 0.15


def preload(period=None):
    env = {"LD_PRELOAD": SAMPLER}
    if period:
        env["MEMTRACE_SAMPLE_BYTES"] = str(period)
    return env


class OtelUsdt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.held = mt.run(["--no-faults"], [mt.tool("workload_otel")], env=preload(PERIOD))
        cls.freed = mt.run(["--no-faults"], [mt.tool("workload_otel"), "free"], env=preload())

    def test_tracing_line_names_the_contract(self):
        self.assertIn("otel_memory USDT (sampled every 16 KiB)", self.held.stderr)
        self.assertIn("otel_memory USDT (sampled every 512 KiB)", self.freed.stderr)
        self.assertNotIn("allocator functions", self.freed.stderr)

    def test_marked_as_sampled_with_the_period(self):
        self.assertEqual(self.held.report["sample_bytes"], PERIOD)
        self.assertEqual(self.freed.report["sample_bytes"], 524288)

    def test_estimates_within_stated_error(self):
        # Estimates from the contract's samples, not an exact count.
        self.assertEqual(self.held.report["sample_bytes"], PERIOD)
        for name, (alloc_bytes, alloc_count, inuse_bytes) in EXACT.items():
            s = mt.by_function(self.held.report, name)
            msg = "%s: %r" % (name, s)
            self.assertAlmostEqual(s["alloc_bytes"] / alloc_bytes, 1.0, delta=ALLOC_ERR, msg=msg)
            self.assertAlmostEqual(s["alloc_count"] / alloc_count, 1.0, delta=ALLOC_ERR, msg=msg)
            self.assertAlmostEqual(s["inuse_bytes"] / inuse_bytes, 1.0, delta=INUSE_ERR, msg=msg)

    def test_inuse_returns_to_zero(self):
        # Frees matched through otel_memory:free, not the free uprobe.
        self.assertIn("otel_memory USDT", self.freed.stderr)
        for name in EXACT:
            s = mt.by_function(self.freed.report, name)
            self.assertGreater(s["alloc_bytes"], 0, msg=name)
            self.assertEqual(s["inuse_bytes"], 0, msg="%s: %r" % (name, s))
            self.assertEqual(s["inuse_count"], 0, msg="%s: %r" % (name, s))

    def test_source_uprobes_stays_exact(self):
        r = mt.run(["--no-faults", "--source", "uprobes"], [mt.tool("workload_otel")], env=preload())
        self.assertIn("allocator functions", r.stderr)
        self.assertEqual(r.report["sample_bytes"], 0)
        s = mt.by_function(r.report, "site_big")
        # Through the sampler's malloc: the frame under it is site_big's.
        if not s["alloc_count"]:
            s = mt.by_function(r.report, "site_big", depth=1)
        self.assertEqual(s["alloc_count"], EXACT["site_big"][1])

    def test_source_usdt_without_probes_is_an_error(self):
        r = mt.run(["--no-faults", "--source", "usdt"], [mt.tool("workload_otel")], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("has no otel_memory USDT probes", r.stderr)

    def test_attach_with_p(self):
        """-p: a running process that preloaded the sampler is traced
        through its probes from the moment memtrace attaches."""
        wl = subprocess.Popen([mt.tool("workload_otel"), "wait"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, **preload(PERIOD)))
        tmp = mt.tempdir(self)
        try:
            self.assertEqual(wl.stdout.readline().strip(), "ready")
            err_path = os.path.join(tmp, "err")
            out_json = os.path.join(tmp, "r.json")
            with open(err_path, "w") as err:
                m = subprocess.Popen([mt.MEMTRACE, "-q", "--no-faults", "--json", out_json, "-p", str(wl.pid)],
                                     stdout=subprocess.DEVNULL, stderr=err)
            self.assertTrue(mt.wait_for_line(err_path, "Tracing PID %d" % wl.pid), mt.read_text(err_path))
            wl.stdin.write("go\n")
            wl.stdin.flush()
            self.assertEqual(wl.stdout.readline().strip(), "done")
            time.sleep(0.5)
            wl.stdin.write("exit\n")
            wl.stdin.flush()
            wl.wait(timeout=10)
            self.assertEqual(m.wait(timeout=20), 0, mt.read_text(err_path))
            self.assertIn("otel_memory USDT (sampled every 16 KiB)", mt.read_text(err_path))
            rep = mt.load_json(out_json)
        finally:
            if wl.poll() is None:
                wl.kill()
        self.assertEqual(rep["sample_bytes"], PERIOD)
        s = mt.by_function(rep, "site_big")
        self.assertAlmostEqual(s["alloc_bytes"] / EXACT["site_big"][0], 1.0, delta=ALLOC_ERR, msg=repr(s))

    def test_pprof_carries_the_period(self):
        """pprof's Period is the target's sampling period (go tool pprof reads it)."""
        from test_pprof_labels import go_pprof
        tmp = mt.tempdir(self)
        pb = os.path.join(tmp, "p.pb.gz")
        mt.run(["--no-faults", "-o", pb], [mt.tool("workload_otel")], env=preload(PERIOD))
        self.assertRegex(go_pprof("-raw", pb), r"(?m)^Period: %d$" % PERIOD)


class OtelUsdtLeak(unittest.TestCase):
    def test_leak_alert_through_the_contract(self):
        """workload_service leaks 64 KiB/s from remember_session after 3 s;
        sampled every 1 KiB through the contract, memtrace names it within
        10 s, at its rate within 30%.  Its blocks are 1 KiB, 64 a second:
        at a 4 KiB period 22% of them were sampled (~14 a second, a rate
        error of ~10% over a 7 s window), and one CI run's alert read 1.30;
        at 1 KiB 63% are (~3.6%)."""
        mt.require_bpf(self)
        r = mt.run(["--no-faults"], [mt.tool("workload_service"), "--seconds", "20", "--leak-bytes-per-s",
                                     "65536", "--leak-after", "3"], timeout=90, env=preload(1024))
        self.assertIn("otel_memory USDT (sampled every 1 KiB)", r.stderr)
        alerts = [a for a in r.report["alerts"] if a["frames"][0]["function"] == "remember_session"]
        self.assertTrue(alerts, r.report["alerts"])
        self.assertLessEqual(alerts[0]["t_ns"] / 1e9, 3 + 10 + 1.0)
        self.assertAlmostEqual(alerts[0]["rate_bytes_per_s"] / 65536, 1.0, delta=0.3)


if __name__ == "__main__":
    unittest.main()
