/* SPDX-License-Identifier: MIT */
/*
 * libmemtrace-sampler: the malloc family wrapped to emit the otel_memory
 * USDT contract (otel_memory.h) for Poisson-sampled allocations.
 *
 * Use: LD_PRELOAD=libmemtrace-sampler.so CMD, or link libmemtrace-sampler.a
 * before the allocator.  MEMTRACE_SAMPLE_BYTES=N (read once, at load) sets
 * the mean sampling period; default 524288 (512 KiB).
 *
 * What a caller may rely on:
 *  - malloc, calloc, realloc, free, posix_memalign, aligned_alloc and
 *    memalign are wrapped; each calls the next definition (dlsym RTLD_NEXT:
 *    glibc, jemalloc or tcmalloc, whichever follows in link order).  Block
 *    layout is the allocator's own, so malloc_usable_size and every other
 *    allocator function stay correct unwrapped.
 *  - While no profiler has enabled the probes (USDT semaphores zero), an
 *    allocation costs one read of the semaphore and a free one read of the
 *    live-sample count: nothing is sampled.
 *  - Enabled, each thread keeps its own byte countdown (no shared write on
 *    the common path); when it crosses zero the block is sampled, marked in
 *    sampled_set.h's set, and otel_memory:alloc fires.  A free of a marked
 *    block fires otel_memory:free.  realloc is a free of the old block (if
 *    sampled) and an allocation of the new one.
 *  - No allocation, lock or syscall inside the hooks: thread-, signal- and
 *    fork-safe.  Samples the set refused are counted (memtrace_sampler_refused()).
 *  - C++ operator new and delete, every standard form (plain and array;
 *    sized, aligned, nothrow), are wrapped too (sampler_new.c): each calls
 *    the next definition (libstdc++'s, or jemalloc's or tcmalloc's own,
 *    which do not call malloc), or, with none (libstdc++ linked statically
 *    after this archive), malloc/posix_memalign with operator new's
 *    new-handler and bad_alloc contract.  A block is sampled once: the
 *    malloc that libstdc++'s operator new makes is not sampled again.
 *  - The probes fire in the wrapper itself, built with frame pointers: the
 *    wrapper's return address is the allocator's (or operator new's) caller.
 *  - A shared library may link the archive privately
 *    (-Wl,--exclude-libs,libmemtrace-sampler.a): its own calls then go
 *    through its own copy, with its own probes, which memtrace finds when
 *    the library is loaded, dlopen included.  Each copy knows only its own
 *    samples: a block one copy sampled and another frees is never reported
 *    freed, so such a library frees what it allocates.
 */
#ifndef MEMTRACE_SAMPLER_H
#define MEMTRACE_SAMPLER_H

#include <stdint.h>

#define MEMTRACE_SAMPLER_DEFAULT_BYTES 524288u

/* The period in use (bytes). */
uint64_t memtrace_sampler_period(void);
/* Sampled allocations not reported because their set bucket was full. */
uint64_t memtrace_sampler_refused(void);

#endif
