// SPDX-License-Identifier: MIT
/*
 * The live blocks grouped by site (count, bytes, age of the oldest), from
 * the live-block table, for the leak watch (leakwatch.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "frames.h"
#include "grow.h"
#include "heap.h"
#include "memtrace.skel.h"
#include "symbolize.h"

struct block_rec {
	uint64_t site, size, ns, ptr;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct block_rec *x = a, *y = b;

	return x->site < y->site ? -1 : x->site > y->site;
}

struct block_recs {
	struct block_rec *v;
	size_t n, cap;
};

static int recs_push(struct block_recs *r, const struct mt_block *b)
{
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v), 1024))
		return -ENOMEM;
	r->v[r->n++] = (struct block_rec){ b->site, b->size, b->alloc_ns, b->ptr };
	return 0;
}

/* The table's ways, read in place: a BPF array is shared memory, and a
 * syscall per block would take seconds for a million of them. */
static int recs_from_table(const struct heap_maps *m, struct block_recs *r)
{
	const volatile struct mt_block_bucket *t = m->blocks;
	int err = 0;

	for (uint32_t i = 0; i < m->nbuckets && !err; i++) {
		for (int w = 0; w < MT_BLOCK_WAYS && !err; w++) {
			/* A copy, since the BPF side writes on; alloc_ns 0 is a way
			 * being claimed or given up. */
			struct mt_block_data d = t[i].data[w];
			struct mt_block b = { t[i].ptr[w], d.size, d.alloc_ns, d.site, 0 };

			if (b.ptr && b.alloc_ns)
				err = recs_push(r, &b);
		}
	}
	return err;
}

static int recs_from_overflow(const struct heap_maps *m, struct block_recs *r)
{
	int fd = m->blocks_more_fd;
	__u64 key, next, *prev = NULL;
	int err = 0;

	/* An empty hash map's walk still visits every bucket (0.27 ms for
	 * 2^18): the count says when there is nothing to find. */
	if (m->counters && !m->counters->blocks_more)
		return 0;
	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct mt_block b;

		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &b))
			err = recs_push(r, &b);
	}
	return err;
}

int blocks_read(const struct heap_maps *m, struct live_block **out, size_t *n)
{
	struct block_recs r = { 0 };
	struct live_block *v;
	int err;

	err = recs_from_table(m, &r);
	if (!err)
		err = recs_from_overflow(m, &r);
	v = err ? NULL : calloc(r.n ? r.n : 1, sizeof(*v));
	if (!err && !v)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < r.n; i++)
		v[i] = (struct live_block){ r.v[i].ptr, r.v[i].size, r.v[i].site, r.v[i].ns };
	free(r.v);
	if (err)
		return err;
	*out = v;
	*n = r.n;
	return 0;
}

int blocks_by_site(const struct heap_maps *m, struct site_blocks **out, size_t *nout)
{
	struct block_recs r = { 0 };
	struct site_blocks *v = NULL;
	size_t nv = 0;
	int err;

	err = recs_from_table(m, &r);
	if (!err)
		err = recs_from_overflow(m, &r);
	if (err)
		goto out;
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), cmp_rec);
	v = calloc(r.n ? r.n : 1, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct block_rec *b = &r.v[i];

		if (!nv || v[nv - 1].site != b->site)
			v[nv++] = (struct site_blocks){ .site = b->site, .oldest_ns = b->ns };
		v[nv - 1].count++;
		v[nv - 1].bytes += b->size;
		if (b->ns < v[nv - 1].oldest_ns)
			v[nv - 1].oldest_ns = b->ns;
	}
	*out = v;
	*nout = nv;
	v = NULL;
out:
	free(r.v);
	free(v);
	return err;
}

static int cmp_blocks_site(const void *key, const void *b)
{
	uint64_t k = *(const uint64_t *)key, site = ((const struct site_blocks *)b)->site;

	return k < site ? -1 : k > site;
}

const struct site_blocks *site_blocks_find(const struct site_blocks *v, size_t n, uint64_t site)
{
	return n ? bsearch(&site, v, n, sizeof(*v), cmp_blocks_site) : NULL;
}
