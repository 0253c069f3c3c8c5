/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * CPython's pymalloc, at pool granularity: the contract between
 * bpf/pymalloc.bpf.h (part of memtrace.bpf.c's object) and
 * user/trace/python_pymalloc.c.  Fixed-width types only.
 */
#ifndef MEMTRACE_PYMALLOC_BPF_H_
#define MEMTRACE_PYMALLOC_BPF_H_

/* CPython 3.10+ pools: 16 KiB, aligned to their size (POOL_BITS 14). */
#define MT_PYPOOL_SIZE 16384ULL

/*
 * The first frame of every pool site, with the pool's size class (0-63)
 * in its low byte: not an address, so it cannot be taken for a frame; part
 * of the site's key, so a pool taken on a stack is never the same site as
 * a malloc on it, and each class is a site of its own.  The collector
 * names it "[pymalloc pool 208 B]" (model/profile.h's MT_PYMALLOC_ADDR).
 */
#define MT_FRAME_PYMALLOC 0xfffffffffffffd00ULL

/* Totals in .bss (pymalloc_counters[]), every event, sampled or not. */
enum mt_pymalloc_counter {
	MT_PY_POOL_TAKES,    /* returns of allocate_from_new_pool with a block */
	MT_PY_POOL_RELEASES, /* pools that became empty (insert_to_freepool) */
	MT_PY_POOL_NESTED,   /* take entries while one was in flight on the thread: not counted */
	MT_PY_FRAMES,        /* Python frames read at pool takes */
	MT_PY_NCOUNTERS,
};

/* A Python frame in a stack (bpf/pymalloc.bpf.h, symbols/python_frame.h):
 * MT_PYFRAME_TAG | instruction index << 47 | code object address. */
#define MT_PYFRAME_TAG 0xe000000000000000ULL
#define MT_PYFRAME_ADDR_MASK ((1ULL << 47) - 1)
#define MT_PYFRAME_INDEX_MAX 0x1fffULL

#endif
