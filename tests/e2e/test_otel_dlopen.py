"""The otel_memory contract in a library loaded after the trace began
(issue 20): workload_otel_dlopen runs under the preloaded sampler, and once
memtrace's Tracing line is out it dlopens build/tools/libotel_plugin.so,
which links libmemtrace-sampler.a privately, so its allocations carry the
probes of that library, not of the preloaded one.  memtrace finds them at
the dlopen, says so on an `Also tracing` line, and estimates plugin_site
(256 MiB in 4 KiB blocks, 16 MiB held) as it estimates the first object's
sites."""
import os
import subprocess
import unittest

import mt

SAMPLER = os.path.join(mt.BUILD, "libmemtrace-sampler.so")
PLUGIN = os.path.join(mt.BUILD, "tools", "libotel_plugin.so")
PERIOD = 16384
PLUGIN_ALLOC = 256 << 20
PLUGIN_HELD = 16 << 20
# 16,384 samples of plugin_site's bytes (0.8% standard error) and 1,024 of
# its 16 MiB held (3.1%): 5% and 15% are ~6 and ~5 standard errors.
ALLOC_ERR = 0.05
INUSE_ERR = 0.15


def trace_dlopen(test, *extra, preload=True):
    """memtrace -- workload_otel_dlopen, the dlopen released only after the
    Tracing line: (stderr text, report)."""
    tmp = mt.tempdir(test)
    flag = os.path.join(tmp, "go")
    err_path = os.path.join(tmp, "err")
    out = os.path.join(tmp, "r.json")
    env = dict(os.environ, MEMTRACE_SAMPLE_BYTES=str(PERIOD))
    if preload:
        env["LD_PRELOAD"] = SAMPLER
    with open(err_path, "w") as err:
        m = subprocess.Popen([mt.MEMTRACE, "-q", "--no-faults", "--json", out, "--",
                              mt.tool("workload_otel_dlopen"), PLUGIN, flag] + list(extra),
                             stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        test.assertTrue(mt.wait_for_line(err_path, "Tracing PID", timeout=60), mt.read_text(err_path))
        with open(flag, "w"):
            pass
        test.assertEqual(m.wait(timeout=120), 0, mt.read_text(err_path))
    finally:
        if m.poll() is None:
            m.kill()
            m.wait()
    return mt.read_text(err_path), mt.load_json(out)


class OtelDlopen(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)

    def test_library_loaded_later_is_traced(self):
        err, rep = trace_dlopen(self)
        lines = err.splitlines()
        tracing = [i for i, l in enumerate(lines) if l.startswith("Tracing PID")]
        also = [i for i, l in enumerate(lines)
                if l.startswith("Also tracing PID") and "otel_memory USDT (sampled every 16 KiB) in " + PLUGIN in l]
        self.assertTrue(tracing and "libmemtrace-sampler.so" in lines[tracing[0]], err)
        self.assertTrue(also, err)
        self.assertGreater(also[0], tracing[0], err)
        self.assertEqual(rep["sample_bytes"], PERIOD)
        s = mt.by_function(rep, "plugin_site")
        msg = repr(s)
        self.assertAlmostEqual(s["alloc_bytes"] / PLUGIN_ALLOC, 1.0, delta=ALLOC_ERR, msg=msg)
        self.assertAlmostEqual(s["alloc_count"] / (PLUGIN_ALLOC // 4096), 1.0, delta=ALLOC_ERR, msg=msg)
        self.assertAlmostEqual(s["inuse_bytes"] / PLUGIN_HELD, 1.0, delta=INUSE_ERR, msg=msg)
        # The first object's sites are still there, from the same samples.
        self.assertAlmostEqual(mt.by_function(rep, "main_site")["alloc_bytes"] / (64 << 20), 1.0, delta=0.1)

    def test_frees_in_the_library_are_matched(self):
        err, rep = trace_dlopen(self, "free")
        self.assertIn("Also tracing PID", err)
        s = mt.by_function(rep, "plugin_site")
        self.assertGreater(s["alloc_bytes"], 0, repr(s))
        self.assertEqual(s["inuse_bytes"], 0, repr(s))
        self.assertEqual(s["inuse_count"], 0, repr(s))

    def test_exact_trace_says_it_does_not_use_them(self):
        """Without the preload the trace is exact (allocator uprobes): the
        library's probes are named and left alone, and its malloc calls,
        made by its private copy of the sampler, are counted exactly."""
        err, rep = trace_dlopen(self, preload=False)
        self.assertIn("allocator functions", err)
        self.assertIn("loaded %s, which has otel_memory USDT probes: not used" % PLUGIN, err)
        self.assertNotIn("Also tracing", err)
        self.assertEqual(rep["sample_bytes"], 0)
        s = mt.by_function(rep, "plugin_site", depth=1)
        self.assertEqual(s["alloc_count"], PLUGIN_ALLOC // 4096, repr(s))


if __name__ == "__main__":
    unittest.main()
