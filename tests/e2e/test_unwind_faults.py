"""Page-fault and mmap/brk stacks by unwind rows (issue 14): the same walk
as the heap's (--unwind auto, the default, and dwarf), started at the
faulting or syscall instruction itself.

Target: a program built -O2 -fomit-frame-pointer whose malloc of 60,000
bytes (below the mmap threshold) grows the heap: glibc's sysmalloc calls
brk and writes the new top chunk's header, faulting.  Both happen inside
malloc, whose return address memtrace's own uretprobe has replaced with the
[uprobes] trampoline: the walk must give it back.  The fault stack and the
brk stack must reach the program's own functions and main, exact chain.
Then Debian's python3.11 (no frame pointers): no frame of any fault or
mapping stack outside an executable mapping, and the stacks reach _start.
Last, --unwind fp: a program built with frame pointers whose own allocator
(probed with --alloc, so its return address is the trampoline) calls brk
and faults; its stacks go on to its caller, as the heap's stack of the same
calls does, where they stopped at the allocator before.  They cannot reach
_start: Debian's libc, which calls main, keeps no frame pointer.
"""
import os
import unittest

import mt
from test_unwind import PYTHON, PY_SCRIPT, all_stacks, exec_ranges, frames_outside

SOURCE = mt.C_COPY_MAPS + r"""
#include <stdlib.h>
#include <string.h>

#define N 400
static char *volatile keep[N];

__attribute__((noinline)) static char *grow_heap(int i)
{
	char *p = malloc(60000);

	if (p)
		memset(p, i, 60000);
	keep[i] = p;
	return p;
}

__attribute__((noinline)) static int level2(int i)
{
	return grow_heap(i) != NULL;
}

__attribute__((noinline)) static int level1(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += level2(i);
	return ok;
}

int main(int argc, char **argv)
{
	int n = level1(N);

	copy_maps(argc > 1 ? argv[1] : NULL);
	printf("%d\n", n);
	return 0;
}
"""

# From the program's malloc call out: what every stack through sysmalloc
# must end with.  GCC may clone level1 (level1.constprop.0): names are
# compared up to their first dot.
CHAIN = ["malloc", "grow_heap", "level2", "level1", "main", "__libc_start_call_main", "__libc_start_main",
         "_start"]


def names(frames):
    return [(f["function"] or "?").split(".")[0] for f in frames]


class FaultStacksByRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.exe = mt.build_c(cls, "grow_nofp", SOURCE, ("-O2", "-g", "-fomit-frame-pointer"))

    def trace(self, mode):
        maps = os.path.join(self.tmp, "maps-" + mode)
        r = mt.run(["--faults", "--unwind", mode], [self.exe, maps], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], "400")
        return r.report, exec_ranges(maps)

    def check_through_sysmalloc(self, mode):
        report, ranges = self.trace(mode)
        self.assertEqual(frames_outside(report, ranges)[:10], [])
        faults = [s for s in report["faults"]["sites"] if "sysmalloc" in names(s["frames"])]
        brks = [s for s in report["mmap"]["sites"] if s["brk_count"] and "sysmalloc" in names(s["frames"])]
        self.assertTrue(faults, "no fault stack through sysmalloc")
        self.assertTrue(brks, "no brk stack through sysmalloc")
        for s in faults + brks:
            got = names(s["frames"])
            with self.subTest(stack=got):
                self.assertFalse(s["truncated"])
                # Through the table-walked libc frames (malloc's own
                # return address was the [uprobes] trampoline) to the
                # program's function that allocated, then main.
                self.assertEqual(got[-len(CHAIN):], CHAIN)
                at = len(got) - len(CHAIN)
                self.assertTrue(all("libc.so" in (f.get("module") or "") for f in s["frames"][:at + 1]),
                                s["frames"][:at + 1])
        # The program's 400 mallocs from the top chunk need ~60 brk calls
        # of 128 KiB+: all of them are the program's, with this chain.
        brk_calls = sum(s["brk_count"] for s in brks)
        self.assertGreaterEqual(brk_calls, 60)
        self.assertEqual(brk_calls, sum(s["brk_count"] for s in report["mmap"]["sites"]
                                        if "grow_heap" in names(s["frames"])))

    def test_auto_fault_and_brk_stacks_reach_main(self):
        self.check_through_sysmalloc("auto")

    def test_dwarf_fault_and_brk_stacks_reach_main(self):
        self.check_through_sysmalloc("dwarf")

    @unittest.skipUnless(os.path.exists(PYTHON), "Debian's python3.11 is not installed")
    def test_debian_python_fault_stacks(self):
        script = os.path.join(self.tmp, "alloc.py")
        with open(script, "w") as f:
            f.write(PY_SCRIPT)
        maps = os.path.join(self.tmp, "maps-python")
        r = mt.run(["--faults"], [PYTHON, "-S", script, maps], timeout=180, env={"PYTHONHASHSEED": "0"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(frames_outside(r.report, exec_ranges(maps))[:10], [])
        for where, frames, truncated in all_stacks(r.report):
            self.assertIn(truncated, (True, False), where)
        # Faults of python3.11 (no frame pointers) and its libc: most
        # stacks by count run whole, to _start.
        sites = r.report["faults"]["sites"]
        total = sum(s["count"] for s in sites)
        whole = sum(s["count"] for s in sites
                    if s["frames"] and names(s["frames"])[-1] in ("_start", "_dl_start_user"))
        self.assertGreater(total, 1000)
        self.assertGreaterEqual(whole / total, 0.9, (whole, total))
        maps_sites = r.report["mmap"]["sites"]
        self.assertTrue(maps_sites)
        self.assertTrue(all(names(s["frames"])[-1] in ("_start", "_dl_start_user") and not s["truncated"]
                            for s in maps_sites), [names(s["frames"]) for s in maps_sites])


ARENA_SOURCE = r"""
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 200

static char *top;

/* The program's own allocator, probed with --alloc: it moves the break and
 * touches every page it got, so the brk call and the page faults happen
 * while its return address is the [uprobes] trampoline. */
__attribute__((noinline)) void *arena_alloc(size_t size)
{
	char *p, *end;

	if (!top)
		top = (char *)syscall(SYS_brk, 0);
	p = top;
	end = p + size;
	if ((char *)syscall(SYS_brk, end) != end)
		return NULL;
	top = end;
	for (size_t i = 0; i < size; i += 4096)
		((volatile char *)p)[i] = 1;
	return p;
}

__attribute__((noinline)) static int level2(int i)
{
	return arena_alloc(65536 + 4096 * (i % 4)) != NULL;
}

__attribute__((noinline)) static int level1(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += level2(i);
	return ok;
}

int main(void)
{
	/* One fault a page, whatever the machine's transparent huge pages. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	printf("%d\n", level1(N));
	return 0;
}
"""


class FaultStacksByFramePointers(unittest.TestCase):
    """--unwind fp: the frame-pointer walk of a fault or brk inside a
    probed function built with frame pointers meets the trampoline in the
    function's own frame record, and gives the caller back as the row walk
    does.  Oracle: the heap tracer's stack of the same function's returns."""

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.exe = mt.build_c(cls, "arena_fp", ARENA_SOURCE, ("-O2", "-g", "-fno-omit-frame-pointer"))

    def test_fp_fault_and_brk_stacks_give_back_the_caller(self):
        r = mt.run(["--faults", "--unwind", "fp", "--alloc", "arena_alloc:size=arg1"], [self.exe], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], "200")
        # At arena_alloc's return: level2 and out, by frame pointers to
        # where Debian's libc (no frame pointers) stops the walk.
        heap = [names(s["frames"]) for s in r.report["sites"] if s["frames"] and "level2" in names(s["frames"])]
        self.assertEqual(len(heap), 1, heap)
        self.assertEqual(heap[0][:3], ["level2", "level1", "main"])
        outer = ["arena_alloc"] + heap[0]
        faults = [s for s in r.report["faults"]["sites"] if "arena_alloc" in names(s["frames"])]
        brks = [s for s in r.report["mmap"]["sites"] if s["brk_count"] and "arena_alloc" in names(s["frames"])]
        self.assertEqual(sum(s["count"] for s in faults), sum(16 + i % 4 for i in range(200)))
        self.assertEqual(sum(s["brk_count"] for s in brks), 200)
        for s in faults + brks:
            got = names(s["frames"])
            with self.subTest(stack=got):
                self.assertEqual(got[-len(outer):], outer)
                self.assertTrue(all(f.get("module") != "[uprobes]" for f in s["frames"]), s["frames"])


if __name__ == "__main__":
    unittest.main()
