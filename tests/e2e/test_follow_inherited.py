"""A --follow child's frees of its parent's pre-fork blocks are counted as
inherited, not as "frees of blocks allocated before the trace began"
(QA: a postgres backend's report said 5,774 such frees).  The child is
traced from its fork, so every block it frees without having allocated it
came with the heap fork copied (user/trace/session_fork.c)."""
import glob
import os
import subprocess
import unittest

import mt

SOURCE = r"""
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile blocks[300];

int main(void)
{
	for (int i = 0; i < 300; i++)
		blocks[i] = malloc(100);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child frees 200 of the parent's blocks, and 5 of its own. */
		for (int i = 0; i < 200; i++)
			free(blocks[i]);
		for (int i = 0; i < 5; i++)
			free(malloc(64));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	/* The parent frees 10 of its own: seen allocated, so not "before". */
	for (int i = 0; i < 10; i++)
		free(blocks[i]);
	return 0;
}
"""


class FollowInherited(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.exe = mt.build_c(self, "forker", SOURCE, ("-O1",))

    def test_child_frees_of_parent_blocks_are_inherited(self):
        out = os.path.join(self.tmp, "r.json")
        log = os.path.join(self.tmp, "log.txt")
        p = subprocess.run([mt.MEMTRACE, "-q", "--follow", "--no-faults", "--json", out, "--log", log, "--",
                            self.exe], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        reports = {mt.load_json(f)["pid"]: mt.load_json(f) for f in glob.glob(os.path.join(self.tmp, "r.*.json"))}
        self.assertEqual(len(reports), 2, p.stderr)
        # The child's report is the one that names its parent.
        child = next((pid for pid, r in reports.items() if "inherited" in r), None)
        self.assertIsNotNone(child, {pid: r["pre_attach"] for pid, r in reports.items()})
        parent = next(pid for pid in reports if pid != child)
        self.assertEqual(reports[parent]["pre_attach"]["frees"], 0)
        self.assertNotIn("inherited", reports[parent])
        self.assertEqual(reports[child]["pre_attach"]["frees"], 0)
        self.assertEqual(reports[child]["inherited"], {"parent_pid": parent, "frees": 200})
        text = mt.read_text(log)
        self.assertIn("frees of blocks inherited from the parent (PID %d) at fork: 200 (not in the figures above)"
                      % parent, text)
        self.assertNotIn("frees of blocks allocated before the trace began", text)


if __name__ == "__main__":
    unittest.main()
