/* SPDX-License-Identifier: MIT */
/*
 * Starting "-- CMD": the child is forked, seized with ptrace and held before
 * exec, so probes can be placed before any of its code runs.  ptrace also
 * reports its execs (to re-probe a new image) and its exit while its memory
 * map is still readable (to symbolize before it disappears).
 */
#ifndef MEMTRACE_LAUNCH_H
#define MEMTRACE_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int go_fd;  /* write a byte to let the child exec */
	int err_fd; /* the child writes its exec errno here; EOF means exec worked */
};

/* The ptrace options of a traced command; follow adds fork and vfork events. */
long launch_ptrace_options(bool follow);
/* Forks argv[0] held before exec and seized (exec, exit and clone events). */
int launch_prepare(char *const argv[], bool follow, struct launch *l);
/* Lets the child exec; returns -errno of a failed exec (already reaped). */
int launch_release(struct launch *l);

#endif
