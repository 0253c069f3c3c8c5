/* SPDX-License-Identifier: MIT */
/*
 * Mutator waits beside pauses (gc_data.h's struct gc_wait): what they add
 * to a GC summary and to each cycle.
 *
 * What a caller may rely on:
 *  - gc_waits_summarize() sets d->sum's assist and stall counts, totals and
 *    maxima, and each cycle's nassists/assist_ns/nstalls/stall_ns (a wait
 *    belongs to the cycle whose number the runtime gave at its start; one
 *    whose cycle is outside the trace counts in the totals only).
 *  - With waits present it recomputes d->sum.mmu_* over the union of
 *    pauses and waits: a window's utilization is the share of it in which
 *    no pause and no wait of any thread was in progress.  For a program
 *    with one allocating thread that is exactly its mutator utilization;
 *    with several it is a lower bound (one thread's wait counts as the
 *    whole mutator's).  The pause-only figures stay in mmu_pauses_*.
 *    Without waits the summary is left as it was.
 *  - Deterministic: the same data gives the same summary (recordings
 *    recompute it and must agree with the live report).
 */
#ifndef MEMTRACE_GC_WAITS_H
#define MEMTRACE_GC_WAITS_H

#include <stdint.h>

#include "gc_data.h"

/* "assist", "stall", or "?" */
const char *gc_wait_name(uint32_t kind);
/* 0 or -ENOMEM (the MMU is then left pause-only). */
int gc_waits_summarize(struct gc_data *d);

#endif
