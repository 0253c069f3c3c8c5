"""--follow on a process traced through the otel_memory contract (--source
usdt, libmemtrace-sampler.so preloaded): its forked children get the same
USDT probes, and their reports hold estimates of their own allocations
(issue 23; they had no probes before)."""
import os
import re
import subprocess
import unittest

import mt

SAMPLER = os.path.join(mt.BUILD, "libmemtrace-sampler.so")
PERIOD = 16384
# Child i allocates (i + 1) x 32 MiB in 4 KiB blocks and holds 4 MiB.  At a
# 16 KiB period that is 2048 (4096) samples, 2.2% (1.6%) standard error, and
# 256 held samples, 6.3%: bounds of 4-5 standard errors.
ALLOC_ERR = 0.10
INUSE_ERR = 0.30
HELD = 1024 * 4096


class FollowUsdt(unittest.TestCase):
    def test_forked_children_get_the_contract_probes(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "r.json")
        env = dict(os.environ, LD_PRELOAD=SAMPLER, MEMTRACE_SAMPLE_BYTES=str(PERIOD))
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--follow", "--source", "usdt", "--json", out,
                            "--", mt.tool("workload_otel_fork"), "2"],
                           capture_output=True, text=True, timeout=180, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        # One Tracing line per process, each naming the contract.
        tracing = re.findall(r"(?m)^Tracing PID (\d+) .*$", p.stderr)
        self.assertEqual(len(tracing), 3, p.stderr)
        for line in re.findall(r"(?m)^Tracing PID \d+ .*$", p.stderr):
            self.assertIn("otel_memory USDT (sampled every 16 KiB)", line)
        docs = [mt.load_json(os.path.join(tmp, n)) for n in sorted(os.listdir(tmp)) if n.endswith(".json")]
        self.assertEqual(len(docs), 3, sorted(os.listdir(tmp)))
        kids = sorted((d for d in docs if mt.by_function(d, "child_work")["alloc_count"]),
                      key=lambda d: mt.by_function(d, "child_work")["alloc_bytes"])
        self.assertEqual(len(kids), 2, [(d["pid"], mt.by_function(d, "child_work")) for d in docs])
        for i, d in enumerate(kids):
            s = mt.by_function(d, "child_work")
            want = (i + 1) * (32 << 20)
            msg = "child %d (PID %d): %r" % (i, d["pid"], s)
            self.assertEqual(d["sample_bytes"], PERIOD, msg)
            self.assertAlmostEqual(s["alloc_bytes"] / want, 1.0, delta=ALLOC_ERR, msg=msg)
            self.assertAlmostEqual(s["alloc_count"] / (want // 4096), 1.0, delta=ALLOC_ERR, msg=msg)
            self.assertAlmostEqual(s["inuse_bytes"] / HELD, 1.0, delta=INUSE_ERR, msg=msg)


if __name__ == "__main__":
    unittest.main()
