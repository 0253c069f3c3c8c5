/* SPDX-License-Identifier: MIT */
/*
 * Whether a -p PID can be traced at all, asked before anything attaches,
 * so that a PID that can never work gets one line that names the reason
 * instead of a failure deep in symbol resolution.
 */
#ifndef MEMTRACE_PID_CHECK_H
#define MEMTRACE_PID_CHECK_H

#include <sys/types.h>

enum pid_verdict {
	PID_OK = 0,
	PID_GONE,     /* no such process */
	PID_SELF,     /* memtrace itself (self is the PID of this memtrace) */
	PID_KTHREAD,  /* a kernel thread: no user-space memory */
	PID_ZOMBIE,   /* exited, not yet reaped: no memory left */
};

/* Reads /proc/PID/stat; self is memtrace's own PID (the parent's, in a child). */
enum pid_verdict pid_verdict(pid_t pid, pid_t self);
/* pid_verdict, and for anything but PID_OK one log_error line; 0 or -ESRCH/-EINVAL. */
int pid_check(pid_t pid, pid_t self);

#endif
