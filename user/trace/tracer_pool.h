/* SPDX-License-Identifier: MIT */
/*
 * Tracers kept ready for --follow's next fork when faults are traced (each
 * comes with its fault programs; without fault tracing the tree shares the
 * root's object: tracer_join).  Loading one costs 60-400 ms
 * of CPU here and emptying one (its probes' unregistering) 100-600 ms of
 * waiting: threads of the pool do both, so neither the event loop nor a
 * forked child waits on them unless forks come faster than that.  A
 * child's tracer, once the child is gone and its report written, comes
 * back to the pool, is emptied (tracer_reset) and serves a next fork.
 * Only the pool's threads touch a tracer the pool holds; the caller owns
 * what it takes.
 */
#ifndef MEMTRACE_TRACER_POOL_H
#define MEMTRACE_TRACER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "tracer.h"

struct tracer_pool;

/* Starts the thread, which loads one tracer at once (block tables of
 * 2^bucket_bits buckets); NULL when out of memory or no thread. */
/* unwind_mode: --unwind, as tracer_open takes it.  faults_flags (faults.h's
 * FAULTS_TRACE_*, 0 for none): each tracer comes with its fault programs
 * loaded for no process (tracer.faults, faults_load_unbound; NULL when
 * their load failed), to be bound to the child with faults_bind. */
struct tracer_pool *tracer_pool_new(uint64_t sample_bytes, int unwind_mode, int verbose, bool floor,
				    unsigned bucket_bits, unsigned faults_flags);
/* The same for a tree on root's object (tracer_join): each pooled tracer
 * holds only fault programs (tracer.faults, skel NULL) on root's code ranges
 * and unwind rows.  root must outlive the pool. */
struct tracer_pool *tracer_pool_new_faults(const struct tracer *root, int verbose, unsigned faults_flags);
/*
 * Fills *out with a ready tracer (pid 0, nothing attached) and returns 0.
 * When none is ready, waits at most wait_ns for one (a tracer being
 * emptied is ready in 1-30 ms, a load takes 0.3-2 s): -EAGAIN when none
 * came by then (a load is under way: the ready fd says when one is
 * ready); a negative errno when loading failed.
 */
int tracer_pool_take(struct tracer_pool *p, struct tracer *out, uint64_t wait_ns);
/* Waits until n tracers are ready (at most POOL_READY), or a load failed:
 * 0 or its negative errno.  Before the trace starts, so no fork waits for
 * a load and no load competes with the traced processes. */
int tracer_pool_wait_ready(struct tracer_pool *p, int n);
/* Readable (an eventfd) when a tracer became ready since it was last read;
 * the caller reads it.  -1 when there is none (then poll). */
int tracer_pool_ready_fd(const struct tracer_pool *p);
/* Hands back a tracer whose process is gone; *t is emptied. */
void tracer_pool_give(struct tracer_pool *p, struct tracer *t);
/* Stops the thread and closes every tracer it holds. */
void tracer_pool_free(struct tracer_pool *p);

#endif
