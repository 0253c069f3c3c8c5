/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Go's heap: the contract between bpf/go_heap.bpf.h (an entry-only uprobe
 * on runtime.mallocgc, part of memtrace.bpf.c's object) and
 * user/trace/go_heap.c.  Fixed-width types only.
 */
#ifndef MEMTRACE_GO_HEAP_BPF_H_
#define MEMTRACE_GO_HEAP_BPF_H_

#ifdef __bpf__
#include "vmlinux.h"
typedef __u64 mt_go_u64;
#else
#include <stdint.h>
typedef uint64_t mt_go_u64;
#endif

/* Totals in .bss (go_heap_counters[], an array so that the skeleton needs
 * no type of ours), indexed by these: every call the probe saw, sampled
 * or not, so the collector can show Go's heap beside malloc's. */
enum mt_go_counter {
	MT_GO_CALLS,      /* mallocgc calls that allocate (size > 0) */
	MT_GO_BYTES,      /* their requested sizes */
	/* Entries that were going to grow the goroutine's stack (or be
	 * preempted) first: mallocgc runs again from its entry afterwards,
	 * where it is counted, so these are not. */
	MT_GO_RESTARTS,
	MT_GO_UNREADABLE, /* return address unreadable: call missed */
	MT_GO_NCOUNTERS,
};

/* The collector's copy of go_heap_counters[]. */
struct mt_go_counters {
	mt_go_u64 calls, bytes, restarts, unreadable;
};

/*
 * Go's size classes, copied from the program's own tables
 * (runtime.size_to_class8, size_to_class128, class_to_size), so that each
 * allocation is charged what the heap gives it, as Go's profile does: a
 * 1000-byte request takes 1024.  nclasses 0: not known, requested sizes.
 */
#define MT_GO_SMALL_MAX 1024    /* smallSizeMax */
#define MT_GO_MAX_SMALL 32768   /* maxSmallSize: larger objects get whole pages */
#define MT_GO_PAGE 8192
#define MT_GO_TINY 16           /* maxTinySize */

struct mt_go_classes {
	unsigned char class8[136];   /* by (size + 7) / 8, size <= 1024 - 8 */
	unsigned char class128[256]; /* by (size - 1024 + 127) / 128, up to 32768 */
	unsigned short class_to_size[128];
	unsigned int nclasses;
	unsigned int pad;
};

_Static_assert(sizeof(struct mt_go_classes) == 656, "mt_go_classes layout");

#endif
