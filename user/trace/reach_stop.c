// SPDX-License-Identifier: MIT
/* Stops and holds a process's threads for reach_scan (see reach_stop.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "grow.h"
#include "reach_stop.h"

#define WAIT_STEP_NS 1000000ull     /* 1 ms between polls */
#define WAIT_LIMIT_NS 200000000ull  /* a thread that does not stop in 200 ms gives no roots */

static bool known(const struct reach_stop *st, pid_t tid)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->t[i].tid == tid)
			return true;
	return false;
}

static struct reach_thread *add(struct reach_stop *st, pid_t tid)
{
	if (grow((void **)&st->t, &st->cap, st->n, sizeof(*st->t), 16))
		return NULL;
	st->t[st->n] = (struct reach_thread){ .tid = tid };
	return &st->t[st->n++];
}

/*
 * Waits (bounded) for th to report a stop: returns 1 when it is stopped,
 * 0 when it is gone or did not stop in time.  A signal that stopped it
 * instead of our interrupt is kept to be delivered on release.
 */
static int wait_stopped(struct reach_thread *th)
{
	uint64_t until = clock_ns(CLOCK_MONOTONIC) + WAIT_LIMIT_NS;
	int status;

	for (;;) {
		pid_t w = waitpid(th->tid, &status, WNOHANG | __WALL);

		if (w < 0)
			return 0;
		if (w == th->tid) {
			if (!WIFSTOPPED(status))
				return 0; /* exited: nothing of it to scan */
			if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
				th->resume_sig = WSTOPSIG(status);
			return 1;
		}
		if (clock_ns(CLOCK_MONOTONIC) > until)
			return 0;
		nanosleep(&(struct timespec){ 0, WAIT_STEP_NS }, NULL);
	}
}

/* The next thread id in an open /proc/PID/task, or 0 at its end. */
static pid_t next_tid(DIR *dir)
{
	struct dirent *d;

	while ((d = readdir(dir))) {
		char *end;
		long tid = strtol(d->d_name, &end, 10);

		if (tid > 0 && tid <= INT_MAX && !*end)
			return (pid_t)tid;
	}
	return 0;
}

/* One pass over /proc/PID/task: seizes and interrupts every thread not held
 * yet.  Returns how many were new, or a negative errno. */
static int seize_pass(struct reach_stop *st)
{
	char path[64];
	pid_t tid;
	int added = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)st->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((tid = next_tid(dir)) > 0) {
		struct reach_thread *th;

		if (known(st, tid))
			continue;
		th = add(st, tid);
		if (!th) {
			closedir(dir);
			return -ENOMEM;
		}
		added++;
		if (ptrace(PTRACE_SEIZE, th->tid, NULL, NULL)) {
			int err = -errno;

			if (err == -ESRCH)
				continue; /* ended meanwhile */
			closedir(dir);
			return err;
		}
		th->held = true;
		if (!st->stop_ns)
			st->stop_ns = clock_ns(CLOCK_MONOTONIC);
		if (ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL) == 0 && wait_stopped(th))
			th->regs_ok = ptrace(PTRACE_GETREGS, th->tid, NULL, &th->regs) == 0;
	}
	closedir(dir);
	return added;
}

int reach_stop_attached(struct reach_stop *st, pid_t pid)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->seized = true;
	/* A thread held cannot start another, so this ends; the bound is for
	 * a process that keeps replacing exiting threads faster than we seize. */
	for (int pass = 0; pass < 64; pass++) {
		r = seize_pass(st);
		if (r <= 0)
			break;
	}
	if (r < 0) {
		reach_release(st);
		return r;
	}
	return 0;
}

int reach_stop_exiting(struct reach_stop *st, pid_t pid)
{
	char path[64];
	pid_t tid;
	DIR *dir;

	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->stop_ns = clock_ns(CLOCK_MONOTONIC);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((tid = next_tid(dir)) > 0) {
		struct reach_thread *th;

		th = add(st, tid);
		if (!th) {
			closedir(dir);
			reach_release(st);
			return -ENOMEM;
		}
		/* The leader is at its exit stop, and so may the others be
		 * already; one that is still on its way is waited for, and then
		 * it is ours to let go, since the session will not see that stop. */
		th->regs_ok = ptrace(PTRACE_GETREGS, th->tid, NULL, &th->regs) == 0;
		if (!th->regs_ok && th->tid != pid && wait_stopped(th)) {
			th->held = true;
			th->regs_ok = ptrace(PTRACE_GETREGS, th->tid, NULL, &th->regs) == 0;
		}
	}
	closedir(dir);
	return 0;
}

void reach_release(struct reach_stop *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct reach_thread *th = &st->t[i];
		void *sig = (void *)(long)th->resume_sig;

		if (!th->held)
			continue;
		if (st->seized)
			ptrace(PTRACE_DETACH, th->tid, NULL, sig);
		else
			ptrace(PTRACE_CONT, th->tid, NULL, sig);
	}
	if (st->stop_ns)
		st->pause_ns = clock_ns(CLOCK_MONOTONIC) - st->stop_ns;
	free(st->t);
	st->t = NULL;
	st->n = st->cap = 0;
}
