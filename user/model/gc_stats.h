/* SPDX-License-Identifier: MIT */
/* Pause statistics: percentiles and minimum mutator utilization (MMU). */
#ifndef MEMTRACE_GC_STATS_H
#define MEMTRACE_GC_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "gc_data.h"

/* Nearest-rank percentile (0 < p <= 100) of n ascending values; 0 when n == 0. */
uint64_t gc_percentile(const uint64_t *sorted, size_t n, double p);
/*
 * Minimum mutator utilization over windows of `window` ns inside [t0, t1]:
 * the smallest fraction of any such window not spent in a pause.  Pauses
 * may overlap and come in any order; the parts outside [t0, t1] are
 * ignored.  A trace shorter than the window is one window.  1.0 when there
 * are no pauses; 0 when window or the trace is empty and there are pauses.
 */
double gc_mmu(const struct gc_pause *p, size_t n, uint64_t t0, uint64_t t1, uint64_t window);
/* Fills d->sum from d's pauses and cycles. */
void gc_summarize(struct gc_data *d);

#endif
