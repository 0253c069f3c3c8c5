"""--follow on Debian's python3 with socketserver.ForkingMixIn (issue 23):
what a child costs memtrace once it ended (its 46 pool probes closed, each
waiting for an RCU grace period: 3.3-6.6 s) and once it started (its pool
probes placed: 24-195 ms) runs outside the event loop, so the next fork is
not held behind them: median connection 3.0-3.3 s traced against 19-37 ms
untraced before, in 2 runs of 3."""
import os
import statistics
import subprocess
import textwrap
import unittest

import mt
from test_follow_tree import port_of, requests

PYTHON = "/usr/bin/python3"
CONNS = 20
SERVER = textwrap.dedent("""
    import socketserver, sys
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            k = int(self.rfile.readline())
            x = [bytes(64) for _ in range(k)]
            self.wfile.write(b"ok %d\\n" % len(x))
    class S(socketserver.ForkingMixIn, socketserver.TCPServer):
        pass
    s = S(("127.0.0.1", 0), H)
    print("port", s.server_address[1], flush=True)
    for _ in range(int(sys.argv[1])):
        s.handle_request()
    s.server_close()
""")


def serve(tmp, args):
    script = os.path.join(tmp, "server.py")
    with open(script, "w") as f:
        f.write(SERVER)
    cmd = [PYTHON, script, str(CONNS)]
    if args is not None:
        cmd = [mt.MEMTRACE] + args + ["--"] + cmd
    err = os.path.join(tmp, "stderr")
    with open(err, "w") as e:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=e, text=True)
    rc, times = requests(p, port_of(p, err), CONNS)
    return rc, statistics.median(t for t, _ in times), mt.read_text(err)


class ForkingMixIn(unittest.TestCase):
    def test_connection_time(self):
        """Median connection time within 4x untraced + 50 ms (1.3-2.4x here at a
        load of 5; 7x in one run of 6), and every process reported or
        counted as not traced."""
        mt.require_bpf(self)
        if not os.path.exists(PYTHON):
            self.skipTest("no %s" % PYTHON)
        tmp = mt.tempdir(self)
        rc, base, err = serve(tmp, None)
        self.assertEqual(rc, 0, err)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        rc, traced, err = serve(tmp, ["-q", "--no-faults", "--gc=off", "--follow", "--json",
                                      os.path.join(out, "r.json")])
        self.assertEqual(rc, 0, err)
        print("\npython3 ForkingMixIn: connection median untraced %.1f ms, traced %.1f ms" % (base * 1e3,
                                                                                          traced * 1e3))
        self.assertLessEqual(traced, 4 * base + 0.050, err)
        # Every child is traced: none waits for a tracer (the tree shares
        # one object), so each has its report.
        self.assertEqual(len(os.listdir(out)), CONNS + 1, err)
        self.assertNotIn("memtrace: PID", err)

    FORK = textwrap.dedent("""
        import os, time
        time.sleep(0.3)
        pid = os.fork()
        if pid == 0:
            x = [bytearray(100000 + i) for i in range(50)]
            os._exit(0)
        os.waitpid(pid, 0)
    """)

    def test_child_stacks_whole_from_its_first_call(self):
        """A fork of Debian's python3 (no frame pointers) allocates at once:
        its stacks, walked by DWARF on the code ranges it took from its
        parent at the fork (no read of its maps first), reach _start
        through libpython, as the parent's do."""
        mt.require_bpf(self)
        if not os.path.exists(PYTHON):
            self.skipTest("no %s" % PYTHON)
        tmp = mt.tempdir(self)
        script = os.path.join(tmp, "fork.py")
        with open(script, "w") as f:
            f.write(self.FORK)
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--gc=off", "--follow", "--json",
                            os.path.join(tmp, "r.json"), "--", PYTHON, script], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        docs = [mt.load_json(os.path.join(tmp, n)) for n in os.listdir(tmp) if n.startswith("r.")]
        self.assertEqual(len(docs), 2, p.stderr)
        kid = [d for d in docs if any(s["alloc_bytes"] >= 50 * 100000 for s in d["sites"])]
        self.assertEqual(len(kid), 1, [(d["pid"], [s["alloc_bytes"] for s in d["sites"]][:5]) for d in docs])
        site = max(kid[0]["sites"], key=lambda s: s["alloc_bytes"])
        names = [f["function"] for f in site["frames"]]
        self.assertEqual(site["alloc_count"], 50, names)
        self.assertIn("PyByteArray_Resize", names)
        self.assertEqual(names[-1], "_start", names)


if __name__ == "__main__":
    unittest.main()
