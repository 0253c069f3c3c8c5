/* SPDX-License-Identifier: MIT */
/*
 * What every wrapper of the sampler does around the allocator it wraps
 * (sampler.c: the malloc family; sampler_new.c: C++ operator new/delete).
 * Internal to libmemtrace-sampler: nothing here is exported.
 *
 *  - sampler_after_alloc(p, size) after an allocation: while a profiler has
 *    otel_memory:alloc enabled, the thread's byte countdown decides whether
 *    p is sampled; a sampled p is marked (sampled_set.h) and the probe
 *    fires.  Always inlined: the probe must fire in the wrapper itself,
 *    whose return address is the allocator's caller (sampler.h).
 *  - sampler_before_free(p) before a block goes back: if p was marked, it
 *    is unmarked and otel_memory:free fires.  Idempotent: a second call
 *    for the same p (operator delete, then the free it calls) does nothing.
 *  - sampler_ts.in_new is non-zero while an operator new wrapper runs the
 *    allocator's own operator new: a malloc that one makes is the same
 *    block, sampled once, by operator new.
 */
#ifndef MEMTRACE_SAMPLER_HOOKS_H
#define MEMTRACE_SAMPLER_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otel_memory.h"
#include "sampled_set.h"

/* Initial-exec TLS: one %fs-relative access, no __tls_get_addr call (a
 * preloaded library gets static TLS). */
struct sampler_thread {
	int64_t left; /* bytes before the next sample */
	uint64_t rng; /* xorshift64*, 0 until the thread's first enabled call */
	uint32_t in_new; /* operator new wrappers running on this thread */
};
extern __thread struct sampler_thread sampler_ts __attribute__((tls_model("initial-exec")));
/* The mean sampling period, bytes (MEMTRACE_SAMPLE_BYTES). */
extern uint64_t sampler_period_bytes;

/* Whether an allocation of size bytes is sampled (the countdown). */
bool sampler_take_sample(size_t size);
/* The allocator's own functions (the next definitions after the sampler),
 * resolved on first use; NULL where it has none. */
void *sampler_next_malloc(size_t size);
int sampler_next_posix_memalign(void **out, size_t align, size_t size);
void sampler_next_free(void *p);

static inline __attribute__((always_inline)) void sampler_after_alloc(void *p, size_t size)
{
	if (OTEL_MEMORY_ALLOC_ENABLED() && p && !sampler_ts.in_new) {
		uint64_t w = sampler_period_bytes;

		/* In a register: libbpf (1.1) cannot read a USDT argument
		 * given as a symbol's rip-relative address. */
		__asm__("" : "+r"(w));
		if (sampler_take_sample(size) && sampled_set_insert((uintptr_t)p))
			OTEL_MEMORY_ALLOC(p, size, w);
	}
}

static inline __attribute__((always_inline)) void sampler_before_free(void *p)
{
	/* Always unmarked, probe or not: a block sampled while a profiler
	 * watched may be freed after it left. */
	if (__builtin_expect(sampled_set_live() != 0, 0) && p && sampled_set_remove((uintptr_t)p) &&
	    OTEL_MEMORY_FREE_ENABLED())
		OTEL_MEMORY_FREE(p);
}

#endif
