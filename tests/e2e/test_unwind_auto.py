"""--unwind auto leaves a module that keeps frame pointers to them (cheaper)
and walks the others by their .eh_frame rows (issue 14).

Target: a program built here with -fno-omit-frame-pointer whose qsort
comparator (called from Debian's libc, built without frame pointers)
allocates.  Its stack goes FP code -> libc (rows) -> FP code: the frame-
pointer walk of the outer frames must continue from the rbp the libc
rows recovered, and reach main with the exact chain.
"""
import os
import unittest

import mt
from test_unwind import exec_ranges, frames_outside

SOURCE = mt.C_COPY_MAPS + r"""
#include <stdlib.h>
#include <string.h>

void *volatile keep[4096];
static int kept;

__attribute__((noinline)) static void alloc_in_cmp(void)
{
	keep[kept++ & 4095] = malloc(24);
}

__attribute__((noinline)) static int cmp(const void *a, const void *b)
{
	alloc_in_cmp();
	return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) static void sort_some(int *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
}

int main(int argc, char **argv)
{
	int v[64];

	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	sort_some(v, 64);
	copy_maps(argc > 1 ? argv[1] : NULL);
	printf("%d\n", kept);
	return 0;
}
"""


class AutoMixesFramePointersAndRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.exe = mt.build_c(cls, "fp_qsort", SOURCE, ("-O1", "-g", "-fno-omit-frame-pointer", "-fno-inline"))

    def test_fp_module_walked_by_fp_through_libc_callback(self):
        maps = os.path.join(self.tmp, "maps")
        r = mt.run(["--unwind", "auto", "--no-faults", "-v"], [self.exe, maps], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The decision, once per object: ours by frame pointer, libc by rows.
        self.assertRegex(r.stderr, r"unwind: \S*/fp_qsort keeps frame pointers \(\d+% of \d+ frame-making FDEs\)")
        self.assertNotRegex(r.stderr, r"unwind: \S*libc\.so\.6 keeps frame pointers")
        self.assertEqual(frames_outside(r.report, exec_ranges(maps))[:10], [])
        sites = [s for s in r.report["sites"] if s["frames"] and s["frames"][0]["function"] == "alloc_in_cmp"]
        self.assertTrue(sites)
        # One site per depth of libc's recursive merge sort; every one exact.
        for site in sites:
            names = [f["function"] for f in site["frames"]]
            with self.subTest(stack=names):
                self.assertEqual(names[:2], ["alloc_in_cmp", "cmp"])
                # Through libc's sort (table rows), back into our frame-pointer code.
                self.assertIn("sort_some", names)
                at = names.index("sort_some")
                inner = site["frames"][2:at]
                self.assertTrue(inner and all("libc.so" in (f.get("module") or "") for f in inner), inner)
                self.assertEqual(names[at:], ["sort_some", "main", "__libc_start_call_main", "__libc_start_main",
                                              "_start"])
                self.assertFalse(site["truncated"])
        self.assertEqual(sum(s["alloc_count"] for s in sites), int(r.stdout.split()[-1]))

if __name__ == "__main__":
    unittest.main()
