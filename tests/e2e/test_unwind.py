"""Stacks of programs built without frame pointers (issue 14), end to end.

Never invent a frame: every frame memtrace keeps, in every section of the
JSON (heap sites, leaks, alerts, page-fault and mmap sites), must lie in an
executable mapping of the target, checked against the target's own
/proc/PID/maps (copied by the target just before it exits, so it holds
every object it loaded).  A walk that stopped early says so ("truncated"),
and the number of distinct sites is the same run after run.

Targets: tools/nofp/workload_nofp.c (-O2 -fomit-frame-pointer) and Debian's
own binaries, built without frame pointers: /usr/bin/python3.11 running a
script, dash running a script."""
import os
import shutil
import unittest

import mt

PYTHON = "/usr/bin/python3.11"
DASH = "/usr/bin/dash"

PY_SCRIPT = """\
import sys
d = {}
for i in range(20000):
    d["k%d" % i] = [i] * (i % 7)
s = sorted(d.items(), key=lambda kv: len(kv[1]))
with open(sys.argv[1], "w") as f:
    f.write(open("/proc/self/maps").read())
"""

SH_SCRIPT = """\
i=0
acc=
while [ $i -lt 2000 ]; do
  v="value-$i"
  acc="$acc${v#value}"
  i=$((i + 1))
done
cat /proc/$$/maps > "$1"
"""


def exec_ranges(maps_path):
    """The executable mappings of a /proc/PID/maps copy: [(start, end, path)]."""
    out = []
    with open(maps_path) as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) < 5 or "x" not in parts[1]:
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end, parts[5].strip() if len(parts) > 5 else ""))
    return out


def all_stacks(report):
    """Every (section, frames, truncated) of a JSON report."""
    def walk(node, where):
        if isinstance(node, dict):
            if "frames" in node:
                yield where, node["frames"], node.get("truncated")
            for k, v in node.items():
                if k != "frames":
                    yield from walk(v, where + "." + k)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, where)
    yield from walk(report, "")


def frames_outside(report, ranges):
    """Frames of report that lie in no executable mapping: [(section, address, function)]."""
    bad = []
    for where, frames, _ in all_stacks(report):
        for fr in frames:
            a = int(fr["address"], 16)
            if not any(s <= a < e for s, e, _ in ranges):
                bad.append((where, fr["address"], fr["function"]))
    return bad


class NeverInventFrames(unittest.TestCase):
    RUNS = 2

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)

    def trace(self, cmd_with_maps):
        """Runs the command (its last argument is where it copies its maps)
        RUNS times: [(report, exec ranges)]."""
        runs = []
        for k in range(self.RUNS):
            maps = os.path.join(self.tmp, "maps-%s-%d" % (os.path.basename(cmd_with_maps[0]), k))
            r = mt.run([], cmd_with_maps + [maps], timeout=180)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.exists(maps), "the target did not copy its maps")
            runs.append((r.report, exec_ranges(maps)))
        return runs

    def check(self, runs, min_sites):
        counts = []
        for report, ranges in runs:
            bad = frames_outside(report, ranges)
            self.assertEqual(bad[:10], [], "%d frames outside executable mappings" % len(bad))
            for where, frames, truncated in all_stacks(report):
                self.assertIn(truncated, (True, False), where)
            self.assertGreaterEqual(len(report["sites"]), min_sites)
            # At the allocator's return the first frame is the caller's
            # return address: always code, never cut.
            empty = [s for s in report["sites"] if not s["frames"]]
            self.assertEqual(len(empty), 0, "heap sites with no frame")
            counts.append(len(report["sites"]))
        self.assertEqual(len(set(counts)), 1, "distinct sites differ run to run: %s" % counts)

    def test_nofp_workload(self):
        runs = self.trace([mt.tool("workload_nofp"), "1000"])
        self.check(runs, 4)
        report = runs[0][0]
        # Each chain's allocation is charged to its innermost function.
        for fn, n in (("m3", 1000), ("c4", 2000), ("r5", 3000)):
            self.assertEqual(mt.by_function(report, fn)["alloc_count"], n, fn)

    @unittest.skipUnless(os.path.exists(PYTHON), "Debian's python3.11 is not installed")
    def test_debian_python(self):
        script = os.path.join(self.tmp, "alloc.py")
        with open(script, "w") as f:
            f.write(PY_SCRIPT)
        os.environ["PYTHONHASHSEED"] = "0"
        self.check(self.trace([PYTHON, "-S", script]), 10)

    @unittest.skipUnless(shutil.which("dash"), "dash is not installed")
    def test_debian_dash(self):
        script = os.path.join(self.tmp, "alloc.sh")
        with open(script, "w") as f:
            f.write(SH_SCRIPT)
        self.check(self.trace([DASH, script]), 2)


if __name__ == "__main__":
    unittest.main()
