"""--follow holds a forked child a bounded time (issue 23): a burst of forks
that empties the pool of tracers loaded ahead does not keep the next child
stopped while a tracer loads (0.3-2 s: QA found the 4th quick fork waiting
~2 s); that child runs on and is probed once a tracer is ready, its counts
still exact when it allocates after that, and one line says how many ran
before their probes were placed."""
import os
import re
import socket
import time
import unittest

import mt
from test_follow_tree import PROBES, read_to_eof, start, stop_server

READY = 4  # follow.c's FOLLOW_READY: tracers loaded before the trace starts
BURST = READY + 3
# follow_late.h's FOLLOW_WAIT_NS is 5 ms; the rest is the scheduler's on a
# loaded 2-core machine (22-115 ms at most seen at a load of 6).  A child
# that waits for a load is held 260-760 ms (the code before: 761 ms).
BOUND_MS = 200


class BoundedHold(unittest.TestCase):
    def test_burst_beyond_the_pool(self):
        """With fault tracing each child takes a tracer of its own from the
        pool: the burst empties it, and the children past it run on late."""
        self.burst(["--faults"], late_expected=True)

    def test_burst_on_the_shared_object(self):
        """Without it the tree shares the root's object: no child waits for
        a load, so none is probed late, and each is held within the bound."""
        self.burst(["--no-faults"], late_expected=False)

    def burst(self, faults, late_expected):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        p, port, err = start(["-q", "-v", "--follow"] + faults + PROBES +
                             ["--json", os.path.join(tmp, "r.json")], BURST, hold=True, tmp=tmp)
        socks = []
        try:
            self.assertTrue(mt.wait_for_line(err, "Tracing PID"), mt.read_text(err))
            for i in range(BURST):
                c = socket.create_connection(("127.0.0.1", port), timeout=60)
                c.sendall(b"%d\n" % (10 + i))
                socks.append(c)
            # Each child waits for one more byte before it allocates: send it
            # once every child is probed, on time or late.
            deadline = time.monotonic() + 60
            probed = set()
            while time.monotonic() < deadline and len(probed) < BURST:
                text = mt.read_text(err)
                probed = set(re.findall(r"--follow: PID (\d+) (?:held [\d.]+ ms to probe it|ran [\d.]+ ms before "
                                        r"its probes were placed)", text))
                time.sleep(0.05)
            self.assertEqual(len(probed), BURST, mt.read_text(err))
            held = []
            for i, c in enumerate(socks):
                c.sendall(b"x")
                got = read_to_eof(c).decode().split()
                self.assertEqual(got[:2], ["ok", str(10 + i)], got)
                held.append(int(got[2]) / 1e3)
            self.assertEqual(p.wait(timeout=120), 0, mt.read_text(err))
        finally:
            for c in socks:
                c.close()
            stop_server(p)
        text = mt.read_text(err)
        late = re.findall(r"--follow: PID (\d+) ran ([\d.]+) ms before its probes were placed", text)
        print("\nburst of %d forks, %d tracers ready: held %s ms; %d probed late (%s ms)" % (
            BURST, READY, ", ".join("%.1f" % h for h in held), len(late), ", ".join(ms for _, ms in late)))
        self.assertLessEqual(max(held), BOUND_MS, held)
        if not late_expected:
            self.assertEqual(late, [], text)
            self.assertNotIn("ran before a tracer was free", text)
            self.assertNotIn("loaded ahead", text)
        else:
            self.check_late_line(text, late)
        # Every child, late or not, counted exactly: it allocated once probed.
        docs = [mt.load_json(os.path.join(tmp, n)) for n in os.listdir(tmp) if n.endswith(".json")]
        self.assertEqual(len(docs), BURST + 1, sorted(os.listdir(tmp)))
        got = sorted((mt.by_function(d, "serve_request")["alloc_count"],
                      mt.by_function(d, "serve_request")["inuse_count"]) for d in docs)
        self.assertEqual(got, [(0, 0)] + [(10 + i, 5) for i in range(BURST)])
        for line in re.findall(r"(?m)^Tracing PID \d+ .*$", text):
            self.assertIn("; palloc/pfree in fork_server", line)

    def check_late_line(self, text, late):
        self.assertGreaterEqual(len(late), 1, text)
        m = re.search(r"(?m)^memtrace: warning: --follow: (\d+) forked children ran before a tracer was free "
                      r"\(up to \d+ ms: their allocations before that are not in their reports\), (\d+) ended "
                      r"before one was \(not traced\)$", text)
        self.assertIsNotNone(m, text)
        self.assertEqual((int(m.group(1)), int(m.group(2))), (len(late), 0), text)


if __name__ == "__main__":
    unittest.main()
