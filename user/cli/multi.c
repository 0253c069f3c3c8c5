// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "log.h"
#include "multi.h"
#include "output_check.h"
#include "per_pid.h"
#include "pid_check.h"
#include "trace_run.h"

static int run_one(const struct options *opts, pid_t pid)
{
	struct options o;

	per_pid_options(opts, pid, &o);
	o.pid = pid;
	o.npids = 1;
	return trace_run(&o);
}

int multi_run(const struct options *opts)
{
	pid_t children[MT_MAX_PIDS];
	int failed = 0, n = 0, rc;
	sigset_t mask, old;

	/* Children inherit this mask and turn it into their signalfd; the
	 * parent only waits and passes Ctrl-C/SIGTERM on. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	for (int i = 0; i < opts->npids; i++) {
		pid_t c;

		/* Checked here, where memtrace's own PID is ours: one line per bad
		 * PID, which is not traced; the others are, and the exit status says 1. */
		if (pid_check(opts->pids[i], getpid())) {
			failed = 1;
			continue;
		}
		c = fork();
		if (c < 0) {
			log_error("cannot start tracing PID %d: %s", (int)opts->pids[i], strerror(errno));
			failed = 1;
			continue;
		}
		if (c == 0)
			_exit(run_one(opts, opts->pids[i]));
		children[n++] = c;
	}
	/* A trace that only lost an output makes the whole run incomplete (74),
	 * unless another failed outright (1). */
	rc = children_wait(children, &n, NULL, NULL, MT_EXIT_INCOMPLETE);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return failed ? 1 : rc;
}
