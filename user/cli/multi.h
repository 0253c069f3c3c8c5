/* SPDX-License-Identifier: MIT */
/*
 * "-p 10,11": one traced session per process, each in a child of memtrace,
 * so a process that is gone or fails to attach costs its own line and the
 * others keep being traced.  Outputs get the PID before their extension
 * (heap.svg -> heap.10.svg).
 */
#ifndef MEMTRACE_MULTI_H
#define MEMTRACE_MULTI_H

#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

/* Returns 0 when every session ended well, 1 otherwise. */
int multi_run(const struct options *opts);
/* Removes w from pids[0..*n); whether it was there. */
bool children_remove(pid_t *pids, int *n, pid_t w);
/*
 * Waits until the memtrace processes pids[0..*n) have ended, passing on
 * SIGINT and SIGTERM (which the caller has blocked).  Any other child that
 * ends goes to other(pid, status, ctx) when other is not NULL.  Returns 1
 * when one of pids ended badly, else 0.
 */
int children_wait(pid_t *pids, int *n, void (*other)(pid_t pid, int status, void *ctx), void *ctx);
/* --follow's adopted child: one session, outputs named for its PID. */
int follow_run(const struct options *opts);

#endif
