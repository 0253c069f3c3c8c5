/* SPDX-License-Identifier: MIT */
/*
 * The roots of a reachability scan, marked into a reach_heap:
 *  - every held thread's registers (all of user_regs_struct, fs_base too);
 *  - every thread's stack, from 128 bytes below its rsp (the x86-64 red
 *    zone) to the end of the mapping holding rsp;
 *  - TLS: up to 64 KiB below each thread's fs_base and the thread control
 *    block above it (static TLS lies below fs_base on x86-64), within the
 *    mapping holding fs_base;
 *  - writable data of every loaded object: each writable mapping of a file
 *    that is also mapped executable, and the anonymous writable mappings
 *    right after it (.bss); other file mappings are never read;
 *  - every other writable anonymous mapping in which no tracked block
 *    starts: the program's own mappings, and glibc's cached stacks of
 *    ended threads, whose thread control block keeps their TLS (stale
 *    frames of such a stack may keep blocks too: missing a leak is the
 *    price, as in LeakSanitizer, never reporting a live block as lost);
 *  - with `before_trace` (the trace did not see the process start, -p):
 *    also [heap] and every other writable anonymous mapping that is not a
 *    thread stack, since blocks allocated before the trace are not known
 *    and may hold pointers to known ones.
 * Tracked blocks inside any of these are never roots: they are kept only
 * through pointers.
 */
#ifndef MEMTRACE_REACH_ROOTS_H
#define MEMTRACE_REACH_ROOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "procmaps.h"
#include "reach_mark.h"
#include "reach_stop.h"

struct reach_roots {
	uint64_t stack_bytes, data_bytes, tls_bytes, before_bytes; /* spans, blocks inside included */
	uint32_t threads, threads_without_regs;
};

/* Marks from every root; 0, -ESRCH (the process is gone) or -ENOMEM. */
int reach_mark_roots(struct reach_heap *h, const struct reach_stop *st, const struct maps *m, bool before_trace,
		     struct reach_roots *out);
/*
 * The data roots (no thread needed), for the pause estimate: returns how
 * many bytes they span, and sets *ranges (malloc'd, may be NULL) to them.
 */
uint64_t reach_roots_estimate(const struct reach_heap *h, const struct maps *m, bool before_trace,
			      struct reach_range **ranges, size_t *n);

#endif
