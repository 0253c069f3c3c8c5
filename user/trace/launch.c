// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

long launch_ptrace_options(bool follow)
{
	long o = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACECLONE;

	return follow ? o | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK : o;
}

int launch_prepare(char *const argv[], bool follow, struct launch *l)
{
	int go[2], errp[2], err;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		goto close_go;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto close_err;
	}
	if (pid == 0) {
		char c;
		int e;
		sigset_t none;

		/* memtrace blocks these for its signalfd; the command must not inherit that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(go[1]);
		close(errp[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(errp[1]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)launch_ptrace_options(follow))) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(go[1]);
		close(errp[0]);
		return err;
	}
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = errp[0];
	return 0;
close_err:
	close(errp[0]);
	close(errp[1]);
close_go:
	close(go[0]);
	close(go[1]);
	return err;
}

int launch_release(struct launch *l)
{
	int e = 0;
	ssize_t n;

	n = write(l->go_fd, "g", 1);
	close(l->go_fd);
	l->go_fd = -1;
	if (n != 1)
		return -EIO;
	/* Blocks until exec succeeds (CLOEXEC closes the pipe) or fails. The
	 * child stops at its exec event meanwhile, which is fine: we read
	 * EOF first, then handle the stop in the event loop. */
	n = read(l->err_fd, &e, sizeof(e));
	close(l->err_fd);
	l->err_fd = -1;
	if (n == sizeof(e)) {
		int status;

		/* It exits through its ptrace exit stop: let it go and reap it. */
		while (waitpid(l->pid, &status, __WALL) > 0 && !WIFEXITED(status) && !WIFSIGNALED(status))
			ptrace(PTRACE_CONT, l->pid, NULL, NULL);
		return -e;
	}
	return 0;
}
