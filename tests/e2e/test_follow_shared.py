"""--follow traces the whole tree with one loaded heap object (issue 23): a
fork gives the child tables made ahead and attaches its probes to the
root's programs; no heap program is loaded for it, none ahead (with fault
tracing, fault programs are still loaded ahead, one set per child)."""
import json
import os
import re
import subprocess
import unittest

import mt
from follow_conns import connect_all, held_ms, wait_probed
from test_follow_tree import PROBES, start, stop_server

KIDS = 3  # within the base pool (3 ready), so a base build fails on the program count


def heap_programs(pid):
    """Ids of the heap object's entry programs memtrace pid holds open."""
    ids = set()
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                info = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        if "prog_type" in info and "prog_id" in info:
            ids.add(int(info["prog_id"]))
    names = {}
    for i in ids:
        out = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(i)], capture_output=True, text=True).stdout
        try:
            names[i] = json.loads(out).get("name")
        except ValueError:
            pass
    return sorted(i for i, n in names.items() if n == "alloc_enter")


class SharedObject(unittest.TestCase):
    def test_children_share_the_root_programs(self):
        self.check(["--no-faults"])

    def test_children_with_faults_share_them_too(self):
        self.check(["--faults"])

    def check(self, faults):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        p, port, err = start(["-q", "-v", "--follow"] + faults + PROBES +
                             ["--json", os.path.join(tmp, "r.json")], KIDS, hold=True, tmp=tmp)
        socks = []
        try:
            self.assertTrue(mt.wait_for_line(err, "Tracing PID"), mt.read_text(err))
            connect_all(port, KIDS, socks)
            probed = wait_probed(err, KIDS)
            self.assertEqual(len(probed), KIDS, mt.read_text(err))
            # Every child is alive and probed: one heap object for all
            # (the pool loaded one per child, and three ahead).
            progs = heap_programs(p.pid)
            held_ms(socks, poke=b"x")
            self.assertEqual(p.wait(timeout=120), 0, mt.read_text(err))
        finally:
            for c in socks:
                c.close()
            stop_server(p)
        text = mt.read_text(err)
        print("\n%d children alive: memtrace held %d alloc_enter program(s) %s" % (KIDS, len(progs), progs))
        self.assertEqual(len(progs), 1, text)
        if "--no-faults" in faults:
            self.assertNotIn("loaded ahead", text)
        # Each child's counts are its own, from its own tables.
        docs = [mt.load_json(os.path.join(tmp, n)) for n in os.listdir(tmp) if n.endswith(".json")]
        self.assertEqual(len(docs), KIDS + 1, sorted(os.listdir(tmp)))
        got = sorted((mt.by_function(d, "serve_request")["alloc_count"],
                      mt.by_function(d, "serve_request")["inuse_count"]) for d in docs)
        self.assertEqual(got, [(0, 0)] + [(10 + i, 5) for i in range(KIDS)])
        for line in re.findall(r"(?m)^Tracing PID \d+ .*$", text):
            self.assertIn("; palloc/pfree in fork_server", line)


if __name__ == "__main__":
    unittest.main()
