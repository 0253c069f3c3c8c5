// SPDX-License-Identifier: MIT
/*
 * heap_blocks: the live-block table read by blocks_read and blocks_by_site,
 * laid out as the BPF side leaves it (include/memtrace.h), in plain memory.
 * Free ways may hold a block's old data (block_take clears only the
 * address), and a way being claimed has its address but alloc_ns 0.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

#define BITS 10

struct table {
	struct mt_block_bucket *b;
	struct mt_proc state;
	struct heap_maps m;
};

static void table_new(struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->b = calloc(1u << BITS, sizeof(*t->b));
	cr_assert_not_null(t->b);
	t->m.blocks = t->b;
	t->m.nbuckets = 1u << BITS;
	t->m.counters = &t->state.counters; /* blocks_more 0: no overflow map to read */
	t->m.blocks_more_fd = -1;
}

static void way(struct table *t, uint32_t bucket, int w, uint64_t ptr, uint64_t size, uint64_t ns, uint32_t site)
{
	t->b[bucket].ptr[w] = ptr;
	t->b[bucket].data[w] = (struct mt_block_data){ .size = size, .alloc_ns = ns, .site = site };
}

/* Live blocks, a freed way with stale data, a way being claimed, a full
 * bucket, the last bucket. */
static void fill(struct table *t)
{
	way(t, 0, 0, 0x1000, 16, 100, 7);
	way(t, 0, 3, 0, 99, 50, 9);        /* freed: stale data, not a block */
	way(t, 5, 7, 0x2000, 32, 300, 8);
	way(t, 5, 1, 0x2100, 48, 0, 8);    /* being claimed: not yet a block */
	for (int w = 0; w < MT_BLOCK_WAYS; w++)
		way(t, 77, w, 0x3000 + 0x10 * (uint64_t)w, 8, 200 + (uint64_t)w, 7);
	way(t, (1u << BITS) - 1, 4, 0x4000, 1, 50, 8);
}

static int by_ptr(const void *a, const void *b)
{
	const struct live_block *x = a, *y = b;

	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

Test(heap_blocks, read_skips_free_and_claimed_ways)
{
	struct table t;
	struct live_block *v = NULL;
	size_t n = 0, ptrs = 0;

	table_new(&t);
	fill(&t);
	cr_assert_eq(blocks_read(&t.m, &v, &n), 0);
	cr_assert_eq(n, 11);
	qsort(v, n, sizeof(*v), by_ptr); /* blocks_read promises no order */
	cr_assert_eq(v[0].ptr, 0x1000);
	cr_assert_eq(v[0].size, 16);
	cr_assert_eq(v[0].site, 7);
	cr_assert_eq(v[1].ptr, 0x2000);
	cr_assert_eq(v[2].ptr, 0x3000);
	cr_assert_eq(v[9].ptr, 0x3070);
	cr_assert_eq(v[10].ptr, 0x4000);
	for (size_t i = 0; i < n; i++)
		ptrs += v[i].ptr == 0x2100 || v[i].size == 99;
	cr_assert_eq(ptrs, 0);
	free(v);
	free(t.b);
}

Test(heap_blocks, by_site_counts_bytes_oldest)
{
	struct table t;
	struct site_blocks *v = NULL;
	const struct site_blocks *s7, *s8;
	size_t n = 0;

	table_new(&t);
	fill(&t);
	cr_assert_eq(blocks_by_site(&t.m, &v, &n), 0);
	cr_assert_eq(n, 2);
	s7 = site_blocks_find(v, n, 7);
	s8 = site_blocks_find(v, n, 8);
	cr_assert_not_null(s7);
	cr_assert_not_null(s8);
	cr_assert_eq(s7->count, 9);
	cr_assert_eq(s7->bytes, 16 + 8 * 8);
	cr_assert_eq(s7->oldest_ns, 100);
	cr_assert_eq(s8->count, 2);
	cr_assert_eq(s8->bytes, 33);
	cr_assert_eq(s8->oldest_ns, 50);
	cr_assert_null(site_blocks_find(v, n, 9));
	free(v);
	free(t.b);
}

Test(heap_blocks, empty_table)
{
	struct table t;
	struct site_blocks *v = NULL;
	size_t n = 1;

	table_new(&t);
	way(&t, 3, 2, 0, 64, 10, 5); /* only a freed way's leftovers */
	cr_assert_eq(blocks_by_site(&t.m, &v, &n), 0);
	cr_assert_eq(n, 0);
	free(v);
	free(t.b);
}
