/* SPDX-License-Identifier: MIT */
/*
 * Conservative marking of a stopped process's live blocks, as LeakSanitizer
 * and valgrind's memcheck do: any aligned 8-byte word of a root or of a
 * block marked reachable that holds an address inside a live block (its
 * start or any byte up to its end) keeps that block.  What no root reaches
 * is then split as memcheck does: walking the unreached blocks in address
 * order, each one not yet claimed leads a "clique" and stays definitely
 * lost, and every unreached block its words reach (transitively) becomes
 * indirectly lost; a cycle of lost blocks therefore has exactly one
 * definitely lost block.
 *
 * One exception, for glibc's malloc: a word equal to the address of the
 * chunk header that follows a block (where the arena's top and free-list
 * pointers point) does not keep that block, since the header lies inside
 * the block's requested size for most sizes.
 */
#ifndef MEMTRACE_REACH_MARK_H
#define MEMTRACE_REACH_MARK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heap.h"
#include "reach_mem.h"

enum reach_class {
	REACH_UNREACHED = 0, /* during marking; none is left after reach_classify */
	REACH_REACHABLE,
	REACH_INDIRECT,
	REACH_LOST,
};

struct reach_heap {
	pid_t pid;
	struct live_block *b; /* sorted by ptr, overlaps removed */
	size_t n;
	uint8_t *cls;         /* enum reach_class, by block */
	uint32_t *work;       /* blocks to scan */
	size_t nwork, work_cap;
	uint64_t min, max;    /* lowest start, highest end */
	void *buf;            /* REACH_BATCH_BYTES */
	/* The heap as a graph: block i points to edges[edge_off[i] .. edge_off[i + 1]) */
	uint32_t *edge_off, *edges;
	size_t nedges, edges_cap;
	/* what was done, for the report */
	uint64_t root_bytes, block_bytes_read, unreadable_bytes;
	uint64_t overlapping; /* blocks dropped because another covered them */
};

/*
 * Takes blocks (malloc'd, any order; freed by reach_heap_free) for pid.
 * 0 or -ENOMEM.
 */
int reach_heap_init(struct reach_heap *h, pid_t pid, struct live_block *blocks, size_t n);
void reach_heap_free(struct reach_heap *h);

/* The block containing addr, or -1. */
long reach_find(const struct reach_heap *h, uint64_t addr);
/* The first block starting at or after addr, or -1. */
long reach_find_at_or_after(const struct reach_heap *h, uint64_t addr);

/* Words from outside the target's memory (registers): marks what they keep. */
void reach_mark_words(struct reach_heap *h, const uint64_t *w, size_t n);
/*
 * Reads [addr, addr + len) of the target, leaving out the live blocks
 * inside it (they are kept only through pointers), and marks what its
 * words keep.  0 or -ESRCH.
 */
int reach_mark_range(struct reach_heap *h, uint64_t addr, uint64_t len);
/*
 * Reads every block once, in address order and in batches, and keeps only
 * which blocks its words point to: the marking then walks that graph with
 * no read, however the blocks point to each other (a list walked one block
 * per read took 4.3 s for 1 GiB in 4 KiB blocks; this reads it at the
 * batch speed).  Memory: 4 bytes per pointer found.  0, -ESRCH, -ENOMEM.
 */
int reach_read_blocks(struct reach_heap *h);
/* Marks what the blocks marked so far keep, to the end (after reach_read_blocks). */
int reach_propagate(struct reach_heap *h);
/* Splits what was not reached into definitely and indirectly lost. */
int reach_classify(struct reach_heap *h);

/*
 * Reads and scans up to `bytes` of the blocks, then of the ranges `more`
 * (the roots), after the first `skip` bytes of them, without marking
 * anything, to measure the scan's speed; returns bytes scanned per
 * second, 0 when nothing could be read.
 */
double reach_measure_rate(struct reach_heap *h, const struct reach_range *more, size_t nmore, uint64_t skip,
			  uint64_t bytes);

#endif
