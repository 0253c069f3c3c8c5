"""--alloc/--free/--realloc by address: OBJECT+0xADDR for a stripped
binary and FUNC+OFF, checked against nm and objdump of the unstripped
program (the independent oracle for where its functions are)."""
import os
import re
import shutil
import subprocess
import unittest

import mt

# workload_pool: use_pool keeps 6 of 10 blocks of 100 bytes, use_arena 3
# of 8 * 32, use_resize grows a 64-byte block to 4096 (test_allocators).
EXPECTED = {
    "use_pool": (10, 1000, 6, 600),
    "use_arena": (3, 768, 3, 768),
    "use_resize": (2, 64 + 4096, 1, 4096),
}


def nm_functions(path):
    """{name: address} of path's functions, from nm."""
    out = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    return {f[2]: int(f[0], 16) for f in (line.split() for line in out.splitlines())
            if len(f) == 3 and f[1] in "Tt"}


def owner(funcs, addr):
    """The function of funcs (nm's) holding ELF address addr."""
    best = None
    for name, start in funcs.items():
        if start <= addr and (best is None or start > funcs[best]):
            best = name
    return best


def by_owner(report, funcs):
    """Per function of frame 0 (found through nm, as the binary is stripped):
    (alloc_count, alloc_bytes, inuse_count, inuse_bytes)."""
    got = {}
    for s in report["sites"]:
        f = s["frames"][0]
        name = owner(funcs, int(f["offset"], 16) - 1)
        a = got.get(name, (0, 0, 0, 0))
        got[name] = (a[0] + s["alloc_count"], a[1] + s["alloc_bytes"], a[2] + s["inuse_count"],
                     a[3] + s["inuse_bytes"])
    return got


class StrippedByAddress(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self)
        self.prog = os.path.join(self.tmp, "pool_stripped")
        shutil.copy(mt.tool("workload_pool"), self.prog)
        subprocess.run(["strip", self.prog], check=True)
        self.funcs = nm_functions(mt.tool("workload_pool"))

    def test_exact_counts_by_address(self):
        f, name = self.funcs, os.path.basename(self.prog)
        specs = ["--alloc", "%s+0x%x:size=arg2" % (name, f["pool_alloc"]),
                 "--free", "%s+0x%x:ptr=arg2" % (name, f["pool_release"]),
                 "--realloc", "%s+0x%x:ptr=arg2:size=arg3" % (name, f["pool_resize"]),
                 "--alloc", "%s+0x%x:size=arg3:count=arg2" % (name, f["arena_alloc"])]
        r = mt.run(["--no-faults"] + specs, [self.prog])
        self.assertEqual(r.returncode, 0, r.stderr)
        # The stripped binary has no names: frames are module+offset.
        self.assertTrue(all(s["frames"][0]["function"] is None for s in r.report["sites"]), r.report["sites"])
        self.assertEqual(by_owner(r.report, f), EXPECTED)
        self.assertIn("%s+0x%x/" % (name, f["pool_alloc"]), r.stderr)

    def test_no_symbol_table_error_suggests_address(self):
        p = subprocess.run([mt.MEMTRACE, "-q", "--alloc", "pool_alloc:size=arg2", "--", self.prog],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        last = p.stderr.strip().splitlines()[-1]
        self.assertRegex(last, r"^memtrace: --alloc pool_alloc: no function pool_alloc in PID \d+ or its libraries "
                         r"\(%s has no symbol table: give the function's address, --alloc 'pool_stripped\+0xADDR:\.\.\.'"
                         % re.escape(self.prog))

    def test_address_outside_object(self):
        p = subprocess.run([mt.MEMTRACE, "-q", "--alloc", "pool_stripped+0x7fffffff:size=arg2", "--", self.prog],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("the offset lies outside the function or the object's loaded segments", p.stderr)


class FunctionPlusOffset(unittest.TestCase):
    def test_probe_past_the_first_instruction(self):
        """FUNC+OFF: one instruction into pool_alloc and pool_release (objdump
        gives its length), where arg2 is still intact: the same counts."""
        mt.require_bpf(self)
        prog = mt.tool("workload_pool")
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", prog], capture_output=True, text=True,
                             check=True).stdout

        def second_insn(fn):
            body = dis.split("<%s>:\n" % fn, 1)[1].splitlines()
            return int(body[1].split(":")[0], 16) - int(body[0].split(":")[0], 16)

        specs = ["--alloc", "pool_alloc+%d:size=arg2" % second_insn("pool_alloc"),
                 "--free", "pool_release+0x%x:ptr=arg2" % second_insn("pool_release")]
        r = mt.run(["--no-faults"] + specs, [prog])
        self.assertEqual(r.returncode, 0, r.stderr)
        pool = mt.by_function(r.report, "use_pool")
        self.assertEqual((pool["alloc_count"], pool["alloc_bytes"], pool["inuse_count"], pool["inuse_bytes"]),
                         (10, 1000, 6, 600))


if __name__ == "__main__":
    unittest.main()
