"""--follow on a server that forks per connection, served one connection at
a time, loads no BPF once the trace has started (issue 23).  With fault
tracing each child takes a tracer from the pool: the next fork is bound
before the last child's report gives its tracer back, so two tracers are in
use at once, and with three loaded ahead the pool loaded a fourth during the
connections, 250-300 ms of verifier CPU taken from the children it was meant
to serve (median connection 14.8 ms against 9.1 ms without it, at a load of
3-5).  Without fault tracing the tree shares the root's loaded object and
nothing is loaded for a child at all."""
import os
import re
import unittest

import mt
from test_follow_tree import PROBES, serve

CONNS = 20
# Each tracer load verifies alloc_return once (verifier_stats at -vv).
LOAD = re.compile(r"(?m)^memtrace: BPF program alloc_return: \d+ instructions verified$")


class NoLoadWhileServing(unittest.TestCase):
    def connections(self, faults):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        rc, times, err = serve(["-vv", faults, "--follow"] + PROBES + ["--json", os.path.join(tmp, "r.json")],
                               tmp, CONNS)
        self.assertEqual(rc, 0, err[-4000:])
        self.assertEqual(len(re.findall(r"(?m)^Tracing PID \d+ \(fork_server\): ", err)), CONNS + 1, err[-4000:])
        held = re.findall(r"--follow: PID \d+ held [\d.]+ ms to probe it", err)
        self.assertEqual(len(held), CONNS, err[-4000:])
        return err

    def test_pool_tracers_load_nothing_while_serving(self):
        err = self.connections("--faults")
        ahead = err.find("--follow: tracers for forked children loaded ahead")
        self.assertGreaterEqual(ahead, 0, err[-4000:])
        loads = len(LOAD.findall(err[ahead:]))
        print("\n--faults, %d connections: %d tracer loads after the trace started" % (CONNS, loads))
        self.assertEqual(loads, 0, err[-4000:])

    def test_shared_object_loads_nothing_for_children(self):
        err = self.connections("--no-faults")
        first = err.find("Tracing PID")
        self.assertGreaterEqual(first, 0, err[-4000:])
        loads = len(LOAD.findall(err[first:]))
        print("\n--no-faults, %d connections: %d heap object loads after the trace started" % (CONNS, loads))
        self.assertNotIn("loaded ahead", err)
        self.assertEqual(loads, 0, err[-4000:])


if __name__ == "__main__":
    unittest.main()
