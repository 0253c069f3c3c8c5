"""The depth limit (MT_MAX_FRAMES, 127 slots: 126 frames and the
truncation marker) marks only stacks that go deeper.  A stack of exactly
126 frames that ends at _start is whole and must not be marked truncated;
one frame deeper is.

Target: a program built -O2 -fomit-frame-pointer (walked by its .eh_frame
rows) that recurses to the depths it is given and allocates at the bottom:
a depth of d gives d + 1 recursion frames, main, __libc_start_call_main,
__libc_start_main and _start.
"""
import unittest

import mt

SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>

static void *volatile keep;
static volatile int sink;

/* One frame a level: the call is not the last thing it does. */
__attribute__((noinline, noipa)) static void recurse(int n, size_t size)
{
	if (n == 0)
		keep = malloc(size);
	else
		recurse(n - 1, size);
	sink += n;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		recurse(atoi(argv[i]), 1000 + atoi(argv[i]));
	printf("%d\n", argc - 1);
	return 0;
}
"""

LIMIT = 126  # frames a stack may keep (include/memtrace.h MT_MAX_FRAMES, less the marker's slot)
OUTER = ["main", "__libc_start_call_main", "__libc_start_main", "_start"]


class DepthLimit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.exe = mt.build_c(cls, "deep", SOURCE, ("-O2", "-g", "-fomit-frame-pointer"))

    def check(self, mode):
        # Whole stacks of LIMIT - 3 .. LIMIT frames, then 1 and 2 deeper.
        depths = [LIMIT - len(OUTER) - 1 + k for k in range(-3, 3)]
        r = mt.run(["--unwind", mode, "--no-faults"], [self.exe] + [str(d) for d in depths], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], str(len(depths)))
        got = {}
        for s in r.report["sites"]:
            names = [f["function"] for f in s["frames"]]
            if names and names[0] == "recurse":
                got[names.count("recurse")] = (len(names), s["truncated"], names[-len(OUTER):])
        self.assertEqual(len(got), len(depths), got)
        for d in depths:
            frames = d + 1 + len(OUTER)
            with self.subTest(frames=frames):
                if frames <= LIMIT:
                    self.assertEqual(got[d + 1], (frames, False, OUTER))
                else:
                    # Cut at the limit: LIMIT frames kept, then the marker.
                    self.assertEqual(got[d + 1][:2], (LIMIT, True))
        self.assertEqual(got[LIMIT - len(OUTER)], (LIMIT, False, OUTER))

    def test_auto(self):
        self.check("auto")

    def test_dwarf(self):
        self.check("dwarf")


if __name__ == "__main__":
    unittest.main()
