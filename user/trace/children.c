// SPDX-License-Identifier: MIT
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "children.h"

bool children_remove(pid_t *pids, int *n, pid_t w)
{
	for (int i = 0; i < *n; i++) {
		if (pids[i] == w) {
			pids[i] = pids[--*n];
			return true;
		}
	}
	return false;
}

int children_wait(pid_t *pids, int *n, void (*other)(pid_t pid, int status, void *ctx), void *ctx, int soft)
{
	int failed = 0;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	while (*n) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		siginfo_t si;
		int status, sig = sigtimedwait(&mask, &si, &tick);
		pid_t w;

		if (sig > 0)
			for (int i = 0; i < *n; i++)
				kill(pids[i], sig);
		while ((w = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
			if (!children_remove(pids, n, w)) {
				if (other)
					other(w, status, ctx);
			} else if (!WIFEXITED(status) || (WEXITSTATUS(status) && WEXITSTATUS(status) != soft))
				failed = 1;
			else if (WEXITSTATUS(status) == soft && !failed)
				failed = soft;
		}
	}
	return failed;
}
