"""The kernel's unwind rows fit a big program (QA on Debian's gdb).

Debian's gdb maps 58 objects, most built without frame pointers, whose
.eh_frame tables compile to ~720,000 rows: more than the fixed 524,288 rows
memtrace used to hold.  The objects that did not fit lost their frames, and
2,658 of gdb's 2,666 stacks ended in [truncated], said only under -v.  The
rows are now sized per target before load (user/trace/unwind_size.c), and
objects still left without are named at default verbosity.

Oracle for the frames kept: each one is a return address, so the bytes of
its object just before it are a call instruction (read from the file).
"""
import os
import re
import shutil
import subprocess
import unittest

import mt

GDB = shutil.which("gdb")
GDB_CMD = [GDB or "gdb", "-nx", "-batch", "-ex", "info line main", "/usr/bin/ls"]
# ls has no symbol table: gdb says "Function \"main\" not defined." and exits 1.
LEFT = re.compile(r"(?m)^memtrace: warning: unwind rows: (\d+) objects? of PID \d+ left without rows "
                  r"\(\d+ rows did not fit in \d+\): their frames end the stack as \[truncated\] "
                  r"\(rerun with --unwind-rows (\d+)\)$")


def truncated_share(report):
    """(stacks, truncated stacks, share of allocated bytes in truncated stacks)."""
    sites = report["sites"]
    total = sum(s["alloc_bytes"] for s in sites)
    cut = [s for s in sites if s["truncated"]]
    return len(sites), len(cut), sum(s["alloc_bytes"] for s in cut) / max(total, 1)


def follows_call(data, off):
    """Whether the bytes before off end in a call: e8 rel32, or ff /2 with
    an optional REX prefix (indirect, 2 to 7 bytes)."""
    if off >= 5 and data[off - 5] == 0xE8:
        return True
    for k in range(2, 8):
        i = off - k
        if i < 0:
            continue
        if data[i] in (0x40, 0x41, 0x48, 0x49):
            i += 1
        if data[i] == 0xFF and (data[i + 1] >> 3) & 7 == 2:
            return True
    return False


@unittest.skipUnless(GDB, "gdb is not installed (tools/setup-deps.sh test)")
class BigProgram(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)

    def test_gdb_stacks_are_whole(self):
        r = mt.run([], cmd=GDB_CMD, timeout=300)
        self.assertIn(r.returncode, (0, 1), r.stderr[-3000:])  # gdb: "main" not defined in ls
        self.assertNotRegex(r.stderr, r"left without rows")
        n, cut, share = truncated_share(r.report)
        # Before: 2,658 of 2,666 stacks, 98.4% of the bytes.
        self.assertGreater(n, 1000)
        self.assertLess(share, 0.05, "%d of %d stacks truncated" % (cut, n))
        self.assertLess(cut, n // 20, "%d of %d stacks truncated" % (cut, n))
        # The stacks go through gdb's own code, below the libraries.
        gdb_frames = sum(1 for s in r.report["sites"] for f in s["frames"] if f["module"] == GDB)
        self.assertGreater(gdb_frames, 1000)
        frames, data = set(), {}
        for s in r.report["sites"]:
            for f in s["frames"]:
                if f.get("offset") and f["module"] and not f["inlined"]:
                    frames.add((f["module"], int(f["offset"], 16)))
        bad = []
        for module, off in sorted(frames):
            if module not in data:
                with open(module, "rb") as fh:
                    data[module] = fh.read()
            if not follows_call(data[module], off):
                bad.append("%s+%#x" % (module, off))
        self.assertGreater(len(frames), 1000)
        self.assertEqual(bad, [], "%d of %d frames do not follow a call" % (len(bad), len(frames)))

    def test_objects_left_without_rows_are_said(self):
        # Too few rows on purpose: the objects that miss out are named in
        # one line without -v, with the --unwind-rows that fits them.
        r = mt.run(["--unwind-rows", "65536"], cmd=GDB_CMD, timeout=300)
        self.assertIn(r.returncode, (0, 1), r.stderr[-3000:])  # gdb: "main" not defined in ls
        lines = LEFT.findall(r.stderr)
        self.assertEqual(len(lines), 1, r.stderr[-3000:])
        objects, want = int(lines[0][0]), int(lines[0][1])
        self.assertGreater(objects, 0)
        _, cut, share = truncated_share(r.report)
        self.assertGreater(cut, 0)
        # The value it names is enough.
        r = mt.run(["--unwind-rows", str(want)], cmd=GDB_CMD, timeout=300)
        self.assertIn(r.returncode, (0, 1), r.stderr[-3000:])  # gdb: "main" not defined in ls
        self.assertNotRegex(r.stderr, r"left without rows")
        n, cut, share = truncated_share(r.report)
        self.assertLess(share, 0.05, "%d of %d stacks truncated" % (cut, n))

    def test_unwind_rows_is_checked(self):
        for bad in ("100", "99999999", "x"):
            p = subprocess.run([mt.MEMTRACE, "--unwind-rows", bad, "--", "true"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 64, p.stderr)
            self.assertIn("invalid --unwind-rows", p.stderr)


if __name__ == "__main__":
    unittest.main()
