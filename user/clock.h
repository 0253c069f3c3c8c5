/* SPDX-License-Identifier: MIT */
/* Nanosecond clock reads.  CLOCK_MONOTONIC is bpf_ktime_get_ns()'s clock,
 * so collector and BPF timestamps compare directly. */
#ifndef MEMTRACE_CLOCK_H
#define MEMTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
