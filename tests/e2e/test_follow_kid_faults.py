"""--follow with page faults traced (the default for "-- CMD"): a forked
child's fault programs are loaded ahead with its tracer (tracer_pool.c) and
attached while it is held, so a short child's faults are counted from its
first instruction, and its mmaps too (issue 23: they loaded in a thread after the child ran,
100-300 ms, and a child that touched its pages at once and exited had none
of them in its report).  Each child maps N pages, writes one byte to each
(THP off: one fault per page) and exits within a few ms."""
import os
import re
import unittest

import mt
from test_follow_bound import BOUND_MS

KIDS = 4
PAGES = 200
GAP_MS = 300  # between forks: a tracer given back is ready again (1-30 ms)

SOURCE = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

__attribute__((noinline)) void touch_pages(char *p, int n)
{
	for (int i = 0; i < n; i++)
		((volatile char *)p)[(long)i * PAGE] = 1;
}

int main(int argc, char **argv)
{
	int kids = atoi(argv[1]), n = atoi(argv[2]), gap_ms = atoi(argv[3]);

	for (int k = 0; k < kids; k++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			char *p;

			prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
			p = mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(2);
			touch_pages(p, n);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
		printf("child %d\n", (int)pid);
		fflush(stdout);
		usleep(gap_ms * 1000);
	}
	return 0;
}
"""


def touched(report):
    """The faults whose frames[0] is touch_pages, and those of them whose
    stack reaches main."""
    sites = [s for s in report["faults"]["sites"] if s["frames"] and s["frames"][0]["function"] == "touch_pages"]
    return (sum(s["count"] for s in sites),
            sum(s["count"] for s in sites if "main" in [f["function"] for f in s["frames"]]))


class KidFaults(unittest.TestCase):
    def test_short_children_faults_counted_from_the_fork(self):
        mt.require_bpf(self)
        exe = mt.build_c(self, "kid_faults", SOURCE)
        out = os.path.join(self.tmp, "r.json")
        p = mt.subprocess.run([mt.MEMTRACE, "-q", "-v", "--follow", "--json", out, "--", exe, str(KIDS), str(PAGES),
                               str(GAP_MS)], capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr)
        kids = [int(x) for x in re.findall(r"(?m)^child (\d+)$", p.stdout)]
        self.assertEqual(len(kids), KIDS, p.stdout)
        held = [float(ms) for ms in re.findall(r"--follow: PID \d+ held ([\d.]+) ms to probe it", p.stderr)]
        got, maps = {}, {}
        for pid in kids:
            path = os.path.join(self.tmp, "r.%d.json" % pid)
            # No report: the child ended before it was traced.
            d = mt.load_json(path) if os.path.exists(path) else {"faults": {"sites": []}}
            self.assertIn("faults", d, pid)
            got[pid] = touched(d)
            m = d.get("mmap", {})
            maps[pid] = (m.get("mmap_count", 0), m.get("mmap_bytes", 0))
        print("\n%d children of %d pages each: touch_pages faults %s (with main in the stack %s); held %s ms" % (
            KIDS, PAGES, [c for c, _ in got.values()], [m for _, m in got.values()],
            ", ".join("%.2f" % h for h in held)))
        # Every child's pages, each faulted once, at the touching function.
        self.assertEqual([c for c, _ in got.values()], [PAGES] * KIDS, p.stderr[-3000:])
        # And its one mmap, the first call it made.
        self.assertEqual(list(maps.values()), [(1, PAGES * 4096)] * KIDS, p.stderr[-3000:])
        # Held while its fault programs were attached, yet within the bound.
        self.assertEqual(len(held), KIDS, p.stderr)
        self.assertLessEqual(max(held), BOUND_MS, held)


if __name__ == "__main__":
    unittest.main()
