/* SPDX-License-Identifier: MIT */
/*
 * memtrace's own heap policy.  The collector rebuilds a profile of every
 * live stack each second and at exit (tens of MB for 16,384 stacks): freed,
 * glibc would hand that memory back to the kernel and the next build would
 * take a page fault on every page again, which costs more than the
 * symbolization itself.
 *
 * What a caller may rely on: after heap_keep_freed(), freed memory up to
 * HEAP_KEEP_BYTES stays in the process for the next allocations (peak RSS
 * does not grow; RSS stays near its peak instead of falling back), and
 * blocks up to HEAP_KEEP_BYTES / 2 come from the heap, not from a mapping
 * of their own that free() unmaps.  Call it once, before allocating.
 */
#ifndef MEMTRACE_HEAP_KEEP_H
#define MEMTRACE_HEAP_KEEP_H

#define HEAP_KEEP_BYTES (64 << 20)

/* 0, or -EINVAL when the C library refused (memtrace runs as before). */
int heap_keep_freed(void);

#endif
