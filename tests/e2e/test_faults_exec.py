"""Faults of a `-- CMD` run before its program's own code has stacks:
none shows as a stack cut short with no frame (QA B10).

Two kinds came out as a bare `[truncated]`, ~15-20 a run:
 - the command's process between fork and the exec of its program, running
   memtrace's launcher (execvp): no code of the program is described to
   the walk yet.  Their stack is the one frame `[exec]`, not truncated.
 - libc's IFUNC resolvers and early init, run by the dynamic linker after
   it mapped libc and before it told the collector (_dl_debug_state), so
   the walk's code ranges did not hold libc yet.  The faulting instruction
   is kept as the first frame (named, in libc), the stack cut after it.
Targets: Debian's own binaries (no frame pointers).
"""
import os
import unittest

import mt

EXEC = "[exec]"
# What ld.so runs in libc before it tells a debugger libc is there.
EARLY = {"__libc_early_init", "__ctype_init", "__lll_elision_init", "__pthread_tunables_init", "init_cacheinfo",
         "__x86_cacheinfo_ifunc"}


def names(site):
    return [f["function"] for f in site["frames"]]


class ExecTimeFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)

    def check(self, cmd, mode):
        r = mt.run(["--faults", "--unwind", mode], cmd, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        sites = r.report["faults"]["sites"]
        frameless = [s["count"] for s in sites if not s["frames"]]
        self.assertEqual(frameless, [], "faults with no frame, shown as [truncated]")
        execs = [s for s in sites if EXEC in names(s)]
        # The launcher always faults between fork and exec (its stack, the
        # pages fork made copy-on-write).
        self.assertEqual(len(execs), 1, [names(s) for s in execs])
        self.assertEqual(names(execs[0]), [EXEC])
        self.assertFalse(execs[0]["truncated"])
        self.assertIsNone(execs[0]["frames"][0]["module"])
        self.assertLess(execs[0]["count"], 50)
        # libc's code run by the dynamic linker before libc is announced:
        # its own first frame.
        early = [s for s in sites if s["frames"] and s["frames"][0]["function"] in EARLY]
        self.assertTrue(early, "no fault in libc's early code")
        self.assertTrue(all("libc.so" in (s["frames"][0]["module"] or "") for s in early))
        return r

    def test_debian_sort_auto(self):
        self.check(["/usr/bin/sort", "/etc/services"], "auto")

    def test_debian_sort_fp(self):
        self.check(["/usr/bin/sort", "/etc/services"], "fp")

    def test_text_report_names_exec(self):
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "faults.txt")
        r = mt.run(["--faults", "--view", "faults", "-o", out], ["/bin/true"], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(EXEC, mt.read_text(out))


if __name__ == "__main__":
    unittest.main()
