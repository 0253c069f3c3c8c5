/* SPDX-License-Identifier: MIT */
/*
 * The one time base of memtrace's reports: seconds since the trace started
 * ("t_s" in JSON, "ts" in the timeline), with one wall-clock anchor
 * (mt_profile.start_realtime_ns, the same instant in CLOCK_REALTIME).
 *
 * Sources keep their own clocks (the series and alerts count from the
 * start already; GC pauses carry CLOCK_MONOTONIC, as bpf_ktime_get_ns): a
 * writer turns a CLOCK_MONOTONIC time into the time base with
 * trace_clock_since(trace_clock_origin(p), t).  Callers may rely on
 * origin + t_s * 1e9 giving the CLOCK_MONOTONIC time back exactly, and on
 * start_realtime_ns + t_s * 1e9 being the wall-clock time (as far as the
 * two clocks do not drift during the trace).
 */
#ifndef MEMTRACE_TRACE_CLOCK_H
#define MEMTRACE_TRACE_CLOCK_H

#include <stdint.h>

#include "gc_data.h"
#include "profile.h"

/* CLOCK_MONOTONIC at the start: start_mono_ns; in files older than it, the
 * GC window's start (taken a few ms earlier), else 0. */
static inline uint64_t trace_clock_origin(const struct mt_profile *p)
{
	if (p->start_mono_ns)
		return p->start_mono_ns;
	return p->gc ? p->gc->start_ns : 0;
}

/* Nanoseconds from origin to mono_ns (negative: before the start). */
static inline int64_t trace_clock_since(uint64_t origin, uint64_t mono_ns)
{
	return (int64_t)(mono_ns - origin);
}

#endif
