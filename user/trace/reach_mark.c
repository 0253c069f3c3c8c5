// SPDX-License-Identifier: MIT
/* Conservative marking and classification of live blocks (see reach_mark.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grow.h"
#include "reach_mark.h"
#include "reach_mem.h"

static int cmp_ptr(const void *a, const void *b)
{
	const struct live_block *x = a, *y = b;

	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

int reach_heap_init(struct reach_heap *h, pid_t pid, struct live_block *blocks, size_t n)
{
	size_t k = 0;

	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->b = blocks;
	if (n)
		qsort(blocks, n, sizeof(*blocks), cmp_ptr);
	/* The table is the BPF side's and may hold a block whose free was
	 * missed: one that overlaps the block before it is dropped, so that
	 * address lookups stay a binary search. */
	for (size_t i = 0; i < n; i++) {
		if (!blocks[i].size || blocks[i].ptr + blocks[i].size < blocks[i].ptr)
			continue;
		if (k && blocks[i].ptr < blocks[k - 1].ptr + blocks[k - 1].size) {
			h->overlapping++;
			continue;
		}
		blocks[k++] = blocks[i];
	}
	h->n = k;
	h->cls = calloc(k ? k : 1, 1);
	h->buf = malloc(REACH_BATCH_BYTES);
	if (!h->cls || !h->buf) {
		reach_heap_free(h);
		return -ENOMEM;
	}
	if (k) {
		h->min = blocks[0].ptr;
		h->max = blocks[k - 1].ptr + blocks[k - 1].size;
	}
	return 0;
}

void reach_heap_free(struct reach_heap *h)
{
	free(h->b);
	free(h->cls);
	free(h->work);
	free(h->buf);
	free(h->edge_off);
	free(h->edges);
	memset(h, 0, sizeof(*h));
}

/* Index of the last block starting at or below addr, or -1. */
static long floor_block(const struct reach_heap *h, uint64_t addr)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->b[mid].ptr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* glibc's chunk size for a request: the size field and alignment (16). */
static uint64_t glibc_chunk(uint64_t size)
{
	uint64_t c = (size + 8 + 15) & ~15ull;

	return c < 32 ? 32 : c;
}

long reach_find(const struct reach_heap *h, uint64_t addr)
{
	long i;

	if (addr < h->min || addr >= h->max)
		return -1;
	i = floor_block(h, addr);
	if (i < 0 || addr >= h->b[i].ptr + h->b[i].size)
		return -1;
	if (addr != h->b[i].ptr && addr == h->b[i].ptr + glibc_chunk(h->b[i].size) - 16)
		return -1; /* the next chunk's header (reach_mark.h) */
	return i;
}

long reach_find_at_or_after(const struct reach_heap *h, uint64_t addr)
{
	long i = floor_block(h, addr);

	if (i < 0 || h->b[i].ptr < addr)
		i++;
	return (size_t)i < h->n ? i : -1;
}

static int push(struct reach_heap *h, size_t i)
{
	if (grow((void **)&h->work, &h->work_cap, h->nwork, sizeof(*h->work), 1024))
		return -ENOMEM;
	h->work[h->nwork++] = (uint32_t)i;
	return 0;
}

/*
 * Block i, reached while walking from `from` to `to`: gives it class `to`
 * and queues it when it had class `from`.  While a clique is walked (to ==
 * INDIRECT), reaching the leader of an earlier clique (LOST, not self)
 * makes it indirect too, without queueing it: its own members are
 * indirect already.  Returns -ENOMEM, else 0.
 */
static int visit(struct reach_heap *h, long i, uint8_t from, uint8_t to, long self)
{
	if (i == self)
		return 0;
	if (to == REACH_INDIRECT && h->cls[i] == REACH_LOST) {
		h->cls[i] = REACH_INDIRECT;
		return 0;
	}
	if (h->cls[i] != from)
		return 0;
	h->cls[i] = to;
	return push(h, (size_t)i);
}

/* Root words: every one that points into an unreached block marks it. */
static int scan_words(struct reach_heap *h, const uint64_t *w, size_t n)
{
	int err = 0;

	for (size_t k = 0; k < n && !err; k++) {
		long i;

		if (w[k] < h->min || w[k] >= h->max)
			continue;
		i = reach_find(h, w[k]);
		if (i >= 0)
			err = visit(h, i, REACH_UNREACHED, REACH_REACHABLE, -1);
	}
	return err;
}

void reach_mark_words(struct reach_heap *h, const uint64_t *w, size_t n)
{
	/* A failed push leaves the block marked but unscanned: counted
	 * reachable either way. */
	scan_words(h, w, n);
}

/* Reads [addr, addr+len) in batch-sized pieces and scans each. */
static int scan_plain(struct reach_heap *h, uint64_t addr, uint64_t len)
{
	addr = (addr + 7) & ~7ull;
	while (len >= 8) {
		uint64_t n = len > REACH_BATCH_BYTES ? REACH_BATCH_BYTES : len & ~7ull;
		struct reach_range r = { addr, n };
		int err = reach_read(h->pid, &r, 1, h->buf, &h->unreadable_bytes);

		if (!err)
			err = scan_words(h, h->buf, n / 8);
		if (err)
			return err;
		h->root_bytes += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int reach_mark_range(struct reach_heap *h, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	long i;

	if (end < addr)
		return -EINVAL;
	i = floor_block(h, addr);
	if (i < 0 || addr >= h->b[i].ptr + h->b[i].size)
		i++;
	/* The gaps between the blocks inside the range. */
	while (addr < end) {
		uint64_t stop = (size_t)i < h->n && h->b[i].ptr < end ? h->b[i].ptr : end;
		int err = stop > addr ? scan_plain(h, addr, stop - addr) : 0;

		if (err)
			return err;
		if (stop == end)
			break;
		addr = h->b[i].ptr + h->b[i].size;
		i++;
	}
	return 0;
}

/* The blocks that words of block `from` point to, appended to the graph. */
static int add_edges(struct reach_heap *h, size_t from, const uint64_t *w, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		long i;

		if (w[k] < h->min || w[k] >= h->max)
			continue;
		i = reach_find(h, w[k]);
		if (i < 0 || (size_t)i == from)
			continue;
		if (h->nedges == UINT32_MAX)
			return -E2BIG;
		if (grow((void **)&h->edges, &h->edges_cap, h->nedges, sizeof(*h->edges), 1 << 16))
			return -ENOMEM;
		h->edges[h->nedges++] = (uint32_t)i;
	}
	return 0;
}

#define MERGE_GAP 64 /* bytes between blocks read along with them */

int reach_read_blocks(struct reach_heap *h)
{
	struct reach_range r[REACH_BATCH_RANGES];
	/* Where each block of the batch is in the buffer: at most one block
	 * per 8 bytes of it. */
	static uint64_t at[REACH_BATCH_BYTES / 8];
	size_t i = 0;

	h->edge_off = calloc(h->n + 1, sizeof(*h->edge_off));
	if (!h->edge_off)
		return -ENOMEM;
	/* In address order, many blocks per read: each block is read once,
	 * whatever the order in which marking will reach it. */
	while (i < h->n) {
		uint64_t total = 0;
		size_t first = i, n = 0;
		int err;

		if ((h->b[i].size & ~7ull) > REACH_BATCH_BYTES) {
			uint64_t size = h->b[i].size & ~7ull;

			h->edge_off[i] = h->nedges;
			for (uint64_t off = 0; off < size; off += REACH_BATCH_BYTES) {
				struct reach_range one = { h->b[i].ptr + off, size - off > REACH_BATCH_BYTES
										       ? REACH_BATCH_BYTES : size - off };

				err = reach_read(h->pid, &one, 1, h->buf, &h->unreadable_bytes);
				if (!err)
					err = add_edges(h, i, h->buf, one.len / 8);
				if (err)
					return err;
			}
			h->block_bytes_read += size;
			i++;
			continue;
		}
		/* Blocks close to each other (malloc's headers between them)
		 * share one range: a range costs the kernel a page walk. */
		for (; i < h->n; i++) {
			uint64_t size = h->b[i].size & ~7ull, end = n ? r[n - 1].addr + r[n - 1].len : 0;

			if (size > REACH_BATCH_BYTES)
				break;
			if (n && h->b[i].ptr >= end && h->b[i].ptr - end <= MERGE_GAP) {
				uint64_t more = h->b[i].ptr + size - end;

				if (total + more > REACH_BATCH_BYTES)
					break;
				r[n - 1].len += more;
				total += more;
			} else {
				if (n == REACH_BATCH_RANGES || total + size > REACH_BATCH_BYTES)
					break;
				r[n++] = (struct reach_range){ h->b[i].ptr, size };
				total += size;
			}
			at[i - first] = total - size;
		}
		err = reach_read(h->pid, r, n, h->buf, &h->unreadable_bytes);
		for (size_t k = first; k < i && !err; k++) {
			h->edge_off[k] = h->nedges;
			err = add_edges(h, k, (const uint64_t *)((const char *)h->buf + at[k - first]), h->b[k].size / 8);
		}
		if (err)
			return err;
		h->block_bytes_read += total;
	}
	h->edge_off[h->n] = h->nedges;
	return 0;
}

/* Walks the graph from the queued blocks. */
static int drain(struct reach_heap *h, uint8_t from, uint8_t to, long self)
{
	while (h->nwork) {
		uint32_t i = h->work[--h->nwork];

		for (uint32_t e = h->edge_off[i]; e < h->edge_off[i + 1]; e++) {
			int err = visit(h, h->edges[e], from, to, self);

			if (err)
				return err;
		}
	}
	return 0;
}

int reach_propagate(struct reach_heap *h)
{
	return drain(h, REACH_UNREACHED, REACH_REACHABLE, -1);
}

int reach_classify(struct reach_heap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		int err;

		if (h->cls[i] != REACH_UNREACHED)
			continue;
		/* A clique's leader: what it reaches and nothing else did is
		 * indirectly lost, as are the leaders of earlier cliques it
		 * reaches (their own members already are). */
		h->cls[i] = REACH_LOST;
		err = push(h, i);
		if (!err)
			err = drain(h, REACH_UNREACHED, REACH_INDIRECT, (long)i);
		if (err)
			return err;
	}
	return 0;
}

/* The scan's lookups without their effects, for the measure below. */
static uint64_t count_pointers(const struct reach_heap *h, const uint64_t *w, size_t n)
{
	uint64_t hits = 0;

	for (size_t k = 0; k < n; k++)
		hits += w[k] >= h->min && w[k] < h->max && reach_find(h, w[k]) >= 0;
	return hits;
}

double reach_measure_rate(struct reach_heap *h, const struct reach_range *more, size_t nmore, uint64_t skip,
			  uint64_t bytes)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), done = 0, lost = 0, seen = 0;
	volatile uint64_t sink = 0; /* the lookups must not be optimized away */
	struct reach_range r[REACH_BATCH_RANGES];
	size_t i = 0;

	/* The same reads and lookups as the scan, with every class left as it
	 * is: the blocks after the first `skip` bytes of them... */
	for (; i < h->n && seen + h->b[i].size <= skip; i++)
		seen += h->b[i].size;
	while (i < h->n && done < bytes) {
		uint64_t total = 0;
		size_t n = 0;

		for (; i < h->n && n < REACH_BATCH_RANGES; i++) {
			uint64_t size = h->b[i].size & ~7ull;

			if (size > REACH_BATCH_BYTES)
				size = REACH_BATCH_BYTES;
			if (total + size > REACH_BATCH_BYTES)
				break;
			r[n++] = (struct reach_range){ h->b[i].ptr, size };
			total += size;
		}
		if (!n || reach_read(h->pid, r, n, h->buf, &lost))
			return 0;
		sink += count_pointers(h, h->buf, total / 8);
		done += total;
		seen += total;
	}
	/* ...then the roots, when the blocks are too few to time. */
	for (size_t k = 0; k < nmore && done < bytes; k++) {
		for (uint64_t off = 0; off + 8 <= more[k].len && done < bytes; off += REACH_BATCH_BYTES) {
			uint64_t len = (more[k].len - off) & ~7ull;
			struct reach_range one = { (more[k].addr + off) & ~7ull,
						   len > REACH_BATCH_BYTES ? REACH_BATCH_BYTES : len };

			seen += one.len;
			if (seen <= skip || reach_read(h->pid, &one, 1, h->buf, &lost))
				continue;
			sink += count_pointers(h, h->buf, one.len / 8);
			done += one.len;
		}
	}
	if (!done)
		return 0;
	return done / ((clock_ns(CLOCK_MONOTONIC) - t0 + 1) / 1e9);
}
