/* SPDX-License-Identifier: MIT */
/*
 * The set of sampled blocks that are still live, so a free can tell cheaply
 * whether its block was reported (and so must emit otel_memory:free).
 *
 * Scheme: 8192 buckets of one cache line each (8 pointers), a pointer's
 * bucket chosen by a multiplicative hash; insert CASes into a zero way,
 * remove CASes the pointer back to zero.  Lock-free (so fork-safe and
 * signal-safe), never allocates, no tombstones, so a lookup is one cache
 * line whatever the history.  Memory: 512 KiB of .bss, touched only as
 * samples land.  A free looks here only while sampled blocks are live
 * (sampled_set_live() != 0): the cost of an unsampled free is then one
 * cache line, else one read of a shared counter.  A full bucket (9 live
 * samples hashing alike) refuses the insert: the caller then does not
 * report that sample, and counts it (sampled_set_refused()).
 */
#ifndef MEMTRACE_SAMPLED_SET_H
#define MEMTRACE_SAMPLED_SET_H

#include <stdbool.h>
#include <stdint.h>

/* Adds p; false when its bucket is full. */
bool sampled_set_insert(uintptr_t p);
/* Removes p; true when it was there. */
bool sampled_set_remove(uintptr_t p);
/* How many sampled blocks are live (a hint: relaxed atomics). */
uint64_t sampled_set_live(void);
uint64_t sampled_set_refused(void);

#endif
