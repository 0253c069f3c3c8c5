/* SPDX-License-Identifier: MIT */
/*
 * Fault programs kept ready for --follow's next fork when faults are traced
 * (the tree shares the root's heap object: tracer_join).  Loading a set
 * costs 100-300 ms of CPU here and emptying one (its programs' detaching)
 * waits for the kernel's grace periods: threads of the pool do both, so
 * neither the event loop nor a forked child waits on them.  A child's set,
 * once the child is gone and its report written, comes back to the pool,
 * is emptied (faults_reset) and serves a next fork.  Only the pool's
 * threads touch a set the pool holds; the caller owns what it takes.
 */
#ifndef MEMTRACE_TRACER_POOL_H
#define MEMTRACE_TRACER_POOL_H

#include "tracer.h"

struct tracer_pool;
struct faults_tracer;

/* Starts the thread, which loads one set at once: fault programs (faults.h's
 * FAULTS_TRACE_* flags) for no process (faults_load_unbound) on root's code
 * ranges and unwind rows, to be bound to a child with faults_bind.  root
 * must outlive the pool.  NULL when out of memory or no thread. */
struct tracer_pool *tracer_pool_new_faults(const struct tracer *root, int verbose, unsigned faults_flags);
/* Fills *out with a ready set (bound to no process) and returns 0; never
 * waits: -EAGAIN when none is ready (one is loading), a negative errno
 * when the last load failed (the next take tries again). */
int tracer_pool_take(struct tracer_pool *p, struct faults_tracer **out);
/* The same, waiting up to timeout_ms for a set that comes back or loads:
 * for a child that ran without one (it must not load its own, 100-300 ms
 * of verifier CPU that competed with the server, 1.5 s under load). */
int tracer_pool_take_wait(struct tracer_pool *p, struct faults_tracer **out, int timeout_ms);
/* Waits until n sets are ready (at most POOL_READY), or a load failed:
 * 0 or its negative errno.  Before the trace starts, so no fork finds the
 * pool empty and no load competes with the traced processes. */
int tracer_pool_wait_ready(struct tracer_pool *p, int n);
/* Hands back a set whose process is gone (NULL: nothing). */
void tracer_pool_give(struct tracer_pool *p, struct faults_tracer *f);
/* Stops the thread and closes every set it holds. */
void tracer_pool_free(struct tracer_pool *p);

#endif
