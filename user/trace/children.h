/* SPDX-License-Identifier: MIT */
/*
 * The memtrace processes a trace starts (-p A,B's sessions): forgetting
 * one that ended, and waiting for them all.
 */
#ifndef MEMTRACE_CHILDREN_H
#define MEMTRACE_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>

/* Removes w from pids[0..*n); whether it was there. */
bool children_remove(pid_t *pids, int *n, pid_t w);
/*
 * Waits until the memtrace processes pids[0..*n) have ended, passing on
 * SIGINT and SIGTERM (which the caller has blocked).  Any other child that
 * ends goes to other(pid, status, ctx) when other is not NULL.  Returns 1
 * when one of pids ended badly, else soft when one exited with status soft
 * (a lesser failure the caller passes on; 0 for none), else 0.
 */
int children_wait(pid_t *pids, int *n, void (*other)(pid_t pid, int status, void *ctx), void *ctx, int soft);

#endif
