/* SPDX-License-Identifier: MIT */
/* Nanosecond clock reads.  CLOCK_MONOTONIC is bpf_ktime_get_ns()'s clock,
 * so collector and BPF timestamps compare directly. */
#ifndef MEMTRACE_CLOCK_H
#define MEMTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* How often the collector writes its clock for the heap programs to stamp
 * blocks with (memtrace.bpf.c's now_ns): block ages are good to this. */
#define MT_CLOCK_TICK_NS 100000000ULL

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
