/* Allocation sampling: refgc emits the otel_memory USDT contract
 * (runtime/sampler/otel_memory.h, the same header libmemtrace-sampler
 * uses) for its own objects, so a profiler attached to the process sees a
 * refgc heap profile through the same probes as a malloc one.
 *
 * What a caller may rely on:
 *  - While no profiler has the alloc probe enabled (its USDT semaphore is
 *    zero), an allocation costs one read of the semaphore and nothing else.
 *  - Enabled, sampling is Poisson over bytes, as libmemtrace-sampler does
 *    it: each thread counts down an exponential draw of mean
 *    sample_period() bytes (REFGC_SAMPLE_BYTES or refgc_config.sample_bytes,
 *    default 512 KiB); the object whose bytes cross zero is sampled.
 *  - A sampled object's size in otel_memory:alloc is the bytes refgc
 *    accounts for it (stats' total_alloc and heap_alloc): its block, header
 *    included, or a large object's whole mapping.  ptr is the object
 *    pointer refgc_alloc returned; weight is the period.
 *  - A sampled object has HDR_SAMPLED set in its header word (the type
 *    pointer's low bit, free since types are aligned): refgc_object_type()
 *    and the marker mask it.  The sweeper fires otel_memory:free(ptr) for a
 *    dead object with the bit set, and looks at the bit only while sampled
 *    objects are live (sample_any()), so the unsampled sweep is unchanged.
 */
#ifndef REFGC_SAMPLE_H
#define REFGC_SAMPLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/sdt.h>

#include "internal.h"
#include "sampler/otel_memory.h"

/*
 * sdt.h settles whether a probe's note names a semaphore when it is first
 * included, and refgc's own probes (probes.h) have none.  The two
 * otel_memory probes must name theirs, so they are emitted here, between
 * the two macros switched on and back off; macros expand at use, so this
 * holds whichever header came first in the file.
 */
#undef _SDT_SEMAPHORE
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR p##_##n##_semaphore)
#define _SDT_NOTE_SEMAPHORE_USE(provider, name) __asm__ __volatile__("" ::"m"(provider##_##name##_semaphore));

static inline __attribute__((always_inline)) void sample_probe_alloc(void *obj, uint64_t bytes, uint64_t w)
{
	OTEL_MEMORY_ALLOC(obj, bytes, w);
}

static inline __attribute__((always_inline)) void sample_probe_free(void *obj)
{
	OTEL_MEMORY_FREE(obj);
}

#undef _SDT_SEMAPHORE
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR 0)
#define _SDT_NOTE_SEMAPHORE_USE(provider, name)

#define HDR_SAMPLED ((uintptr_t)1)
#define REFGC_SAMPLE_DEFAULT_BYTES 524288u

/* Sampled objects not yet freed (a count, not bytes). */
extern _Atomic uint64_t sample_live;

/* The mean sampling period in bytes. */
uint64_t sample_period(void);
/* Counts bytes down on the calling thread; true when this object is sampled. */
bool sample_take(uint64_t bytes);

static inline bool sample_any(void)
{
	return atomic_load_explicit(&sample_live, memory_order_relaxed) != 0;
}

/* Bytes refgc accounts for the object at obj. */
static inline uint64_t sample_bytes_of(const void *obj)
{
	const struct span *s = span_of(obj);

	return s->cls ? s->block_size : s->map_size;
}

/* After an allocation, with the alloc probe enabled.  Inlined into
 * refgc_alloc_size so the probe fires in its frame: a profiler's walk from
 * there starts at the program's function that allocated. */
static inline __attribute__((always_inline)) void sample_alloc(void *obj)
{
	uint64_t bytes = sample_bytes_of(obj), w;

	if (!sample_take(bytes))
		return;
	*(uintptr_t *)((char *)obj - OBJ_HDR) |= HDR_SAMPLED;
	atomic_fetch_add_explicit(&sample_live, 1, memory_order_relaxed);
	w = sample_period();
	/* In a register: libbpf (1.1) cannot read a USDT argument given as
	 * a symbol's rip-relative address. */
	__asm__("" : "+r"(w));
	sample_probe_alloc(obj, bytes, w);
}

/* The sweeper found the block at b (its header) dead; call only while
 * sample_any().  Reads the header before anything overwrites it. */
static inline void sample_sweep_block(char *b)
{
	if (!(*(const uintptr_t *)b & HDR_SAMPLED))
		return;
	*(uintptr_t *)b &= ~HDR_SAMPLED;
	atomic_fetch_sub_explicit(&sample_live, 1, memory_order_relaxed);
	/* Always unmarked, probe or not: an object sampled while a profiler
	 * watched may die after it left. */
	if (OTEL_MEMORY_FREE_ENABLED())
		sample_probe_free(b + OBJ_HDR);
}

#endif
