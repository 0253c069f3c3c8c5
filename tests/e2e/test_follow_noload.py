"""--follow on a server that forks per connection, served one connection at
a time, loads no BPF once the trace has started (issue 23): the next fork is
bound before the last child's report gives its tracer back, so two tracers
are in use at once, and with three loaded ahead the pool loaded a fourth
during the connections, 250-300 ms of verifier CPU taken from the children
it was meant to serve (median connection 14.8 ms against 9.1 ms without
it, at a load of 3-5)."""
import os
import re
import unittest

import mt
from test_follow_tree import PROBES, serve

CONNS = 20


class NoLoadWhileServing(unittest.TestCase):
    def test_sequential_connections_load_nothing(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        rc, times, err = serve(["-vv", "--no-faults", "--follow"] + PROBES + ["--json", os.path.join(tmp, "r.json")],
                               tmp, CONNS)
        self.assertEqual(rc, 0, err[-4000:])
        self.assertEqual(len(re.findall(r"(?m)^Tracing PID \d+ \(fork_server\): ", err)), CONNS + 1, err[-4000:])
        ahead = err.find("--follow: tracers for forked children loaded ahead")
        self.assertGreaterEqual(ahead, 0, err[-4000:])
        # Each tracer load verifies alloc_return once (verifier_stats at -vv).
        loads = len(re.findall(r"(?m)^memtrace: BPF program alloc_return: \d+ instructions verified$", err[ahead:]))
        waits = [float(w) for w in re.findall(r"held [\d.]+ ms to probe it \(([\d.]+) ms waiting for a tracer\)", err)]
        print("\n%d connections: %d tracer loads after the trace started; waits for a tracer up to %.2f ms" %
              (CONNS, loads, max(waits) if waits else -1))
        self.assertEqual(len(waits), CONNS, err[-4000:])
        self.assertEqual(loads, 0, err[-4000:])


if __name__ == "__main__":
    unittest.main()
