/* SPDX-License-Identifier: MIT */
/*
 * Poisson sampling over bytes, as every provider of the otel_memory
 * contract (otel_memory.h) does it, so that their estimates mean the same
 * thing: each thread counts down an exponential draw of mean `period`
 * bytes; the allocation whose bytes cross zero is sampled, and the next
 * point lies a fresh draw past it (memoryless, so an allocation's chance
 * depends only on its size).  Header-only: libmemtrace-sampler and refgc
 * (runtime/sample.c) each compile it in, and neither links the other.
 * Needs -lm.
 */
#ifndef MEMTRACE_OTEL_SAMPLE_H
#define MEMTRACE_OTEL_SAMPLE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* An exponential draw of mean period bytes, at least 1: the distance to the
 * next sampled byte.  *rng is the thread's xorshift64* state, never 0. */
static inline int64_t otel_sample_gap(uint64_t *rng, uint64_t period)
{
	uint64_t x = *rng;
	double u;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	u = (double)(((x * 0x2545F4914F6CDD1Dull) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
	return (int64_t)(-log(u) * (double)period) + 1;
}

/*
 * Counts an allocation of bytes off the thread's countdown *left; whether it
 * is sampled.  A thread's first call (*rng 0) seeds *rng from tls, an
 * address of the thread's own TLS: distinct per thread, no syscall.
 */
static inline bool otel_sample_take(int64_t *left, uint64_t *rng, const void *tls, uint64_t bytes,
				    uint64_t period)
{
	if (__builtin_expect(!*rng, 0)) {
		*rng = ((uint64_t)(uintptr_t)tls * 0x9E3779B97F4A7C15ull) | 1;
		*left = otel_sample_gap(rng, period);
	}
	*left -= (int64_t)bytes;
	if (*left > 0)
		return false;
	*left = otel_sample_gap(rng, period);
	return true;
}

#endif
