/* SPDX-License-Identifier: MIT */
/*
 * Under --follow, forked children that run before their probes are
 * placed: a fork is held in its first ptrace stop at most
 * FOLLOW_WAIT_NS for a tracer; when none is ready by then (a burst of
 * forks emptied the pool, whose next load takes 0.3-2 s) the child runs
 * on and is listed here until a tracer is ready for it (follow.c).  Its
 * allocations before that are not in its report; what it did meanwhile
 * that matters to its probes (an exec) is kept with it.
 *
 * A caller may rely on: an entry is found by PID until taken or
 * forgotten; the list keeps its order (oldest first).
 */
#ifndef MEMTRACE_FOLLOW_LATE_H
#define MEMTRACE_FOLLOW_LATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long a fork is held, at most, waiting for a tracer. */
#define FOLLOW_WAIT_NS 5000000ULL

struct late_child {
	pid_t pid, parent;
	uint64_t since_ns; /* CLOCK_MONOTONIC when it was let run untraced */
	bool execd;        /* it exec'd meanwhile: its parent's probes are not its own */
};

struct late_children {
	struct late_child *v;
	size_t n, cap;
};

/* 0 or -ENOMEM. */
int late_add(struct late_children *l, pid_t pid, pid_t parent, uint64_t now_ns);
struct late_child *late_find(struct late_children *l, pid_t pid);
/* Removes entry i (keeps the others' order). */
void late_remove(struct late_children *l, size_t i);
void late_free(struct late_children *l);

#endif
