/* SPDX-License-Identifier: MIT */
/*
 * The otel_memory USDT contract, as the sampler emits it (issue 20; after
 * the OpenTelemetry eBPF profiler's "Memory Profiling" design):
 *
 *   otel_memory:alloc(u64 ptr, u64 size, u64 weight)
 *       a *sampled* allocation of size bytes at ptr.  weight is the
 *       sampler's mean sampling period in bytes (Poisson byte sampling:
 *       each allocated byte is sampled with probability 1/weight), so a
 *       consumer estimates the true count and bytes of a site by scaling
 *       each sample by 1 / (1 - exp(-size / weight)).
 *   otel_memory:free(u64 ptr)
 *       a block that otel_memory:alloc reported is freed (only those:
 *       unsampled frees emit nothing).
 *
 * Both probes have USDT semaphores: a process that no profiler watches
 * pays one memory read per call.  The probe site is a 5-byte nop
 * (0f 1f 44 00 00) rather than sdt.h's 1-byte one, so that kernels that
 * optimize uprobes on 5-byte nops (Linux 6.18, x86-64) can replace the
 * trap with a call.  The published design names only the probes and their
 * arguments; that weight is the period (not the bytes a sample stands for)
 * is this sampler's reading of it, stated here so consumers agree.
 */
#ifndef MEMTRACE_OTEL_MEMORY_H
#define MEMTRACE_OTEL_MEMORY_H

#include <stdint.h>

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

/* OTEL_MEMORY_NOP1: sdt.h's own 1-byte nop (the bench's comparison). */
#if defined(__x86_64__) && !defined(OTEL_MEMORY_NOP1)
/* No commas: sdt.h passes the nop through a macro argument. */
#undef _SDT_NOP
#define _SDT_NOP .byte 0x0f; .byte 0x1f; .byte 0x44; .byte 0x00; .byte 0x00
#endif

extern volatile unsigned short otel_memory_alloc_semaphore;
extern volatile unsigned short otel_memory_free_semaphore;

#define OTEL_MEMORY_ALLOC_ENABLED() __builtin_expect(otel_memory_alloc_semaphore != 0, 0)
#define OTEL_MEMORY_FREE_ENABLED() __builtin_expect(otel_memory_free_semaphore != 0, 0)
#define OTEL_MEMORY_ALLOC(ptr, size, weight) \
	STAP_PROBE3(otel_memory, alloc, (uint64_t)(ptr), (uint64_t)(size), (uint64_t)(weight))
#define OTEL_MEMORY_FREE(ptr) STAP_PROBE1(otel_memory, free, (uint64_t)(ptr))

#endif
