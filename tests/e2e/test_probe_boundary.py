"""--alloc by address must start an instruction: a uprobe's int3 written
inside one corrupts the target's code (redis-server died of SIGILL with
--alloc 'redis-check-rdb+0x7bb31', one byte into zmalloc).  Where
instructions start comes from objdump of the unstripped program, the
independent oracle; memtrace finds it in the stripped copy through
.eh_frame_hdr."""
import os
import re
import shutil
import subprocess
import unittest

import mt


def instructions(path, func):
    """[(address, length)] of func's instructions, from objdump."""
    dis = subprocess.run(["objdump", "-d", path], capture_output=True, text=True, check=True).stdout
    body = dis.split("<%s>:\n" % func, 1)[1].split("\n\n", 1)[0]
    out = []
    for line in body.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)", line)
        if m:
            out.append((int(m.group(1), 16), len(m.group(2).split())))
    return out


def data_address(path):
    """ELF address of path's .data section, from readelf."""
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\] \.data\s+PROGBITS\s+([0-9a-f]+)", out).group(1), 16)


class InsideAnInstruction(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self)
        self.full = mt.tool("workload_pool")
        self.prog = os.path.join(self.tmp, "pool_stripped")
        shutil.copy(self.full, self.prog)
        subprocess.run(["strip", self.prog], check=True)
        # The first instruction of pool_alloc longer than one byte.
        self.insn = next((a, n) for a, n in instructions(self.full, "pool_alloc") if n > 1)

    def refused(self, spec, prog):
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--alloc", spec, "--", prog],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        return p.stderr

    def test_address_inside_an_instruction_of_a_stripped_binary(self):
        """No symbol covers it: the FDE start from .eh_frame_hdr is decoded from."""
        at, _ = self.insn
        err = self.refused("pool_stripped+0x%x:size=arg2" % (at + 1), self.prog)
        self.assertIn("0x%x is inside the instruction at 0x%x, not at its start" % (at + 1, at), err)

    def test_function_plus_offset_inside_an_instruction(self):
        at, _ = self.insn
        start = instructions(self.full, "pool_alloc")[0][0]
        err = self.refused("pool_alloc+%d:size=arg2" % (at + 1 - start), self.full)
        self.assertIn("is inside the instruction at 0x%x" % at, err)

    def test_data_address_is_refused(self):
        """The kernel takes a uprobe in a data segment and it never fires."""
        err = self.refused("pool_stripped+0x%x:size=arg2" % data_address(self.full), self.prog)
        self.assertIn("outside the function or the object's loaded segments", err)

    def test_instruction_starts_are_accepted(self):
        """Each instruction start objdump shows in pool_alloc's prologue is taken without a word."""
        for at, _ in instructions(self.full, "pool_alloc")[:4]:
            r = mt.run(["--no-faults", "--alloc", "pool_stripped+0x%x:size=arg2" % at], [self.prog])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("instruction", r.stderr)


class ProgramRunThroughASymlink(unittest.TestCase):
    def test_error_names_the_mapped_file(self):
        """Debian's redis-server is a symlink to redis-check-rdb, the name its
        maps show: OBJECT+0xADDR with the name the user ran is not found, and
        the line says which name is."""
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        real = os.path.join(tmp, "pool_real")
        shutil.copy(mt.tool("workload_pool"), real)
        os.symlink(real, os.path.join(tmp, "pool_link"))
        at = instructions(real, "pool_alloc")[0][0]
        p = subprocess.run([mt.MEMTRACE, "-q", "--no-faults", "--alloc", "pool_link+0x%x:size=arg2" % at, "--",
                            os.path.join(tmp, "pool_link")], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("no function or mapped object by that name", p.stderr)
        self.assertIn("of the program, mapped as %s)" % os.path.realpath(real), p.stderr)


if __name__ == "__main__":
    unittest.main()
