"""Whatever object provides malloc is the one probed: the same program
under glibc, jemalloc, tcmalloc and mimalloc (LD_PRELOAD), and statically
linked, gives the same exact per-function counts."""
import os
import unittest

import mt

LIBDIR = "/usr/lib/x86_64-linux-gnu"
PRELOADED = {
    "jemalloc": os.path.join(LIBDIR, "libjemalloc.so.2"),
    "tcmalloc": os.path.join(LIBDIR, "libtcmalloc_minimal.so.4"),
    "mimalloc": os.path.join(LIBDIR, "libmimalloc.so.2"),
}


class Allocators(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)

    def check(self, r, provider):
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"allocator functions in \S*%s" % provider)
        fn = lambda name: mt.by_function(r.report, name)
        k = fn("keep_malloc")
        self.assertEqual((k["alloc_count"], k["alloc_bytes"], k["inuse_bytes"]), (16, 16000, 16000))
        c = fn("churn_malloc")
        self.assertEqual((c["alloc_count"], c["alloc_bytes"], c["inuse_count"]), (100, 6400, 0))
        z = fn("keep_calloc")
        self.assertEqual((z["alloc_count"], z["alloc_bytes"]), (8, 2400))
        rc = fn("realloc_chain")
        self.assertEqual((rc["alloc_count"], rc["alloc_bytes"], rc["inuse_bytes"]), (4, 105300, 5000))
        t = fn("thread_main")
        self.assertEqual((t["alloc_count"], t["alloc_bytes"]), (2 * 1010, 2 * (1000 * 48 + 10 * 4096)))
        self.assertEqual(t["inuse_count"], 20)

    def preloaded(self, name):
        lib = PRELOADED[name]
        if not os.path.exists(lib):
            if mt.CI:
                self.fail("%s is not installed (tools/setup-deps.sh installs it)" % lib)
            self.skipTest("%s not installed" % lib)
        os.environ["LD_PRELOAD"] = lib
        try:
            r = mt.run(["--no-faults"], [mt.tool("workload_exact"), "2"])
        finally:
            del os.environ["LD_PRELOAD"]
        self.check(r, os.path.basename(lib).split(".so")[0])

    def test_glibc(self):
        self.check(mt.run(["--no-faults"], [mt.tool("workload_exact"), "2"]), "libc.so")

    def test_jemalloc(self):
        self.preloaded("jemalloc")

    def test_tcmalloc(self):
        self.preloaded("tcmalloc")

    def test_mimalloc(self):
        self.preloaded("mimalloc")

    def test_static_executable(self):
        exe = mt.tool("workload_exact_static")
        self.check(mt.run(["--no-faults"], [exe, "2"]), "workload_exact_static")


class CxxNew(unittest.TestCase):
    """operator new, every variant, is charged to the function that called it."""

    def test_new_variants_attributed_to_callers(self):
        mt.require_bpf(self)
        r = mt.run(["--no-faults"], [mt.tool("workload_cxx")])
        self.assertEqual(r.returncode, 0, r.stderr)
        fn = lambda name: mt.by_function(r.report, name)
        self.assertEqual((fn("make_widgets()")["alloc_count"], fn("make_widgets()")["alloc_bytes"]), (10, 2000))
        self.assertEqual((fn("make_arrays()")["alloc_count"], fn("make_arrays()")["alloc_bytes"]), (5, 2000))
        self.assertEqual((fn("make_nothrow()")["alloc_count"], fn("make_nothrow()")["inuse_bytes"]), (3, 600))
        self.assertEqual((fn("make_aligned()")["alloc_count"], fn("make_aligned()")["inuse_bytes"]), (4, 512))
        churn = fn("churn_widgets()")
        self.assertEqual((churn["alloc_count"], churn["alloc_bytes"], churn["inuse_count"]), (50, 10000, 0))
        self.assertEqual(fn("make_widgets()")["sites"], 1)
        for s in r.report["sites"]:
            if s["frames"]:
                self.assertNotRegex(s["frames"][0]["function"] or "", r"^operator new")


if __name__ == "__main__":
    unittest.main()


class CustomAllocators(unittest.TestCase):
    """--alloc/--free/--realloc probe a program's own pool and arena."""

    SPECS = ["--alloc", "pool_alloc:size=arg2", "--free", "pool_release:ptr=arg2",
             "--realloc", "pool_resize:ptr=arg2:size=arg3", "--alloc", "arena_alloc:size=arg3:count=arg2"]

    def test_pool_and_arena_counts(self):
        mt.require_bpf(self)
        r = mt.run(["--no-faults"] + self.SPECS, [mt.tool("workload_pool")])
        self.assertEqual(r.returncode, 0, r.stderr)
        fn = lambda name: mt.by_function(r.report, name)
        pool = fn("use_pool")
        self.assertEqual((pool["alloc_count"], pool["alloc_bytes"]), (10, 1000))
        self.assertEqual((pool["inuse_count"], pool["inuse_bytes"]), (6, 600))
        arena = fn("use_arena")
        self.assertEqual((arena["alloc_count"], arena["alloc_bytes"], arena["inuse_count"]), (3, 768, 3))
        # pool_resize calls pool_alloc and pool_release inside: counted once, as a realloc.
        rs = fn("use_resize")
        self.assertEqual((rs["alloc_count"], rs["alloc_bytes"]), (2, 64 + 4096))
        self.assertEqual((rs["inuse_count"], rs["inuse_bytes"]), (1, 4096))

    def test_bad_specs(self):
        mt.require_bpf(self)
        import subprocess
        p = subprocess.run([mt.MEMTRACE, "-q", "--alloc", "nosuch_fn:size=arg1", "--", mt.tool("workload_pool")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip().splitlines()[-1],
                         "memtrace: --alloc nosuch_fn: no function nosuch_fn in PID %s or its libraries"
                         % p.stderr.split("PID ")[1].split()[0])
        for bad in (["--alloc", "pool_alloc:size=arg7"], ["--free", "pool_release"],
                    ["--realloc", "pool_resize:ptr=arg2"], ["--alloc", "pool_alloc:ptr=arg1"]):
            p = subprocess.run([mt.MEMTRACE] + bad + ["--", "true"], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 64, bad)
            self.assertTrue(p.stderr.startswith("memtrace: bad --"), p.stderr)


class JePrefixed(unittest.TestCase):
    """je_-prefixed allocator entry points linked into the program are probed too."""

    def test_je_functions_charged_to_callers_once(self):
        mt.require_bpf(self)
        r = mt.run(["--no-faults", "-v"], [mt.tool("workload_je")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("probe je_malloc at", r.stderr)
        u = mt.by_function(r.report, "use_je")
        # 12 je_malloc (4 freed), je_calloc(4, 50), je_malloc(10) realloc'd to 1000:
        # the glibc calls inside each je_ function are nested, not counted again.
        self.assertEqual((u["alloc_count"], u["alloc_bytes"]), (15, 1200 + 200 + 10 + 1000))
        self.assertEqual((u["inuse_count"], u["inuse_bytes"]), (10, 800 + 200 + 1000))
        for name in ("je_malloc", "je_calloc", "je_realloc"):
            self.assertEqual(mt.by_function(r.report, name)["alloc_count"], 0)


class LinkedJemalloc(unittest.TestCase):
    """jemalloc linked in (DT_NEEDED): its malloc and its mallocx family are probed."""

    def test_mallocx_family(self):
        mt.require_bpf(self)
        exe = mt.tool("workload_jemalloc")
        if not os.path.exists(exe):
            if mt.CI:
                self.fail("build/tools/workload_jemalloc was not built (libjemalloc2 missing?)")
            self.skipTest("libjemalloc2 not installed")
        r = mt.run(["--no-faults"], [exe])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"allocator functions in \S*libjemalloc")
        x = mt.by_function(r.report, "use_mallocx")
        # 8 mallocx(256); sdallocx and dallocx free two; rallocx moves one to 4096 bytes.
        self.assertEqual((x["alloc_count"], x["alloc_bytes"]), (9, 8 * 256 + 4096))
        self.assertEqual((x["inuse_count"], x["inuse_bytes"]), (6, 5 * 256 + 4096))
        m = mt.by_function(r.report, "use_malloc")
        self.assertEqual((m["alloc_count"], m["inuse_count"], m["inuse_bytes"]), (5, 4, 400))
