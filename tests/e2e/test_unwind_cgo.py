"""A cgo binary under --unwind auto (issue 14): its Go code keeps frame
pointers and has no unwind rows, its C part is built -O2
-fomit-frame-pointer and has .eh_frame rows.  The decision is per range,
not per binary: the C frames are walked by their rows, the Go ones by frame
pointer.  Before, the whole binary counted as frame-pointer code and a C
allocation's stack stopped at its first frame.

The C chain c_entry -> c_mid -> c_leaf -> malloc runs on the thread's
system stack, called from Go through runtime.asmcgocall (cgo's wrapper
tail-calls c_entry).  Beyond asmcgocall lies the goroutine's own stack,
elsewhere in memory: the walk does not cross stacks, so the stack ends
there, marked truncated.
"""
import os
import subprocess
import unittest

import mt
from test_unwind import exec_ranges, frames_outside

SOURCE = r"""
package main

/*
#cgo CFLAGS: -O2 -g -fomit-frame-pointer
#include <stdlib.h>

void *volatile c_keep[4096];
static int c_kept;

__attribute__((noinline)) static void c_leaf(int i)
{
	c_keep[c_kept++ & 4095] = malloc(40 + (i & 7));
}

__attribute__((noinline)) static void c_mid(int i)
{
	c_leaf(i);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void c_entry(int n)
{
	for (int i = 0; i < n; i++)
		c_mid(i);
	__asm__ volatile("" ::: "memory");
}
*/
import "C"

import (
	"fmt"
	"os"
)

//go:noinline
func goCaller(n int) {
	C.c_entry(C.int(n))
}

func main() {
	goCaller(1000)
	if len(os.Args) > 1 {
		b, _ := os.ReadFile("/proc/self/maps")
		os.WriteFile(os.Args[1], b, 0o644)
	}
	fmt.Println(1000)
}
"""


class CgoPerRange(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        src = os.path.join(cls.tmp, "main.go")
        with open(src, "w") as f:
            f.write(SOURCE)
        cls.exe = os.path.join(cls.tmp, "cgoalloc")
        env = dict(os.environ, GOCACHE=os.path.join(cls.tmp, "gocache"), HOME=os.environ.get("HOME", "/tmp"),
                   GO111MODULE="off", CGO_ENABLED="1")
        try:
            subprocess.run(["go", "build", "-o", cls.exe, src], env=env, check=True, capture_output=True,
                           text=True, timeout=600)
        except (FileNotFoundError, subprocess.CalledProcessError) as e:
            mt.require_built(None, str(e), "a cgo program")

    def test_c_part_by_rows_go_by_frame_pointer(self):
        maps = os.path.join(self.tmp, "maps")
        r = mt.run(["--unwind", "auto", "--no-faults", "-v"], [self.exe, maps], timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], "1000")
        # Its C part decides: no frame pointers, so the binary gets rows.
        self.assertNotRegex(r.stderr, r"unwind: \S*/cgoalloc keeps frame pointers")
        self.assertEqual(frames_outside(r.report, exec_ranges(maps))[:10], [])
        sites = [s for s in r.report["sites"] if s["frames"] and s["frames"][0]["function"] == "c_leaf"]
        self.assertEqual(len(sites), 1, [[f["function"] for f in s["frames"]] for s in sites])
        names = [f["function"] for f in sites[0]["frames"]]
        self.assertEqual(names, ["c_leaf", "c_mid", "c_entry", "runtime.asmcgocall.abi0"])
        self.assertTrue(sites[0]["truncated"])
        self.assertEqual(sites[0]["alloc_count"], 1000)


if __name__ == "__main__":
    unittest.main()
