/* SPDX-License-Identifier: MIT */
/*
 * Holding every thread of a process still for a reachability scan, with
 * each thread's registers (the scan's first roots).
 *
 * Two ways in: a process memtrace does not trace (-p) is seized thread by
 * thread (PTRACE_SEIZE + PTRACE_INTERRUPT, again until no thread appears
 * that was not held) and detached by reach_release(); a launched command at
 * its exit stop is already traced, so its leader is stopped and the other
 * threads are at (or on their way to) their own exit stops: they are waited
 * for, for at most 200 ms each, and let go by reach_release().
 */
#ifndef MEMTRACE_REACH_STOP_H
#define MEMTRACE_REACH_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct reach_thread {
	pid_t tid;
	bool regs_ok;     /* regs were read; otherwise the thread gives no roots */
	bool held;        /* reach_release() must let this one go */
	int resume_sig;   /* a signal that arrived while it was held: delivered on release */
	struct user_regs_struct regs;
};

struct reach_stop {
	pid_t pid;
	bool seized;      /* we attached (-p): release detaches */
	struct reach_thread *t;
	size_t n, cap;
	uint64_t stop_ns; /* CLOCK_MONOTONIC when the first thread was asked to stop */
	uint64_t pause_ns; /* set by reach_release(): how long the process was held */
};

/*
 * -p: seizes and stops every thread of pid.  0, or a negative errno with
 * the process let go again (-EPERM: another tracer holds it).
 */
int reach_stop_attached(struct reach_stop *st, pid_t pid);
/* A traced command stopped at its leader's exit stop: holds the others. */
int reach_stop_exiting(struct reach_stop *st, pid_t pid);
/* Lets every held thread go on (or on dying) and frees st's threads. */
void reach_release(struct reach_stop *st);

#endif
