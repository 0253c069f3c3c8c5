// SPDX-License-Identifier: MIT
/* Marking and the split of what is lost, on blocks of this very process
 * (read through process_vm_readv like a target's). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reach_mark.h"

enum { A, B, C, D, E, F, G, H, X, N };

static void *blk[N];
static uint64_t roots[2];

static int cls_of(const struct reach_heap *h, int k)
{
	long i = reach_find(h, (uint64_t)blk[k]);

	cr_assert_geq(i, 0, "block %d not found", k);
	return h->cls[i];
}

Test(reach_mark, lists_cycles_interior_pointers_and_malloc_headers)
{
	static const size_t sizes[N] = { 64, 64, 64, 64, 64, 64, 64, 64, 100 };
	struct live_block *lb = calloc(N, sizeof(*lb));
	struct reach_heap h;

	for (int k = 0; k < N; k++) {
		blk[k] = calloc(1, sizes[k]);
		lb[k] = (struct live_block){ (uint64_t)blk[k], sizes[k], (uint64_t)k, 1 };
	}
	/* A alone; B -> C -> D, B lost; E <-> F, a cycle nothing else reaches;
	 * G from a root, H only through a pointer into its middle from G; X
	 * only through a root word where glibc's next chunk header would be. */
	*(void **)blk[B] = blk[C];
	*(void **)blk[C] = blk[D];
	*(void **)blk[E] = blk[F];
	*(void **)blk[F] = blk[E];
	*(void **)blk[G] = (char *)blk[H] + 24;
	roots[0] = (uint64_t)blk[G];
	roots[1] = (uint64_t)blk[X] + 96; /* 100 B: a 112-byte chunk, the next header at +96 */

	cr_assert_eq(reach_heap_init(&h, getpid(), lb, N), 0);
	cr_assert_eq(reach_read_blocks(&h), 0);
	cr_assert_geq(h.block_bytes_read, 8 * 64 + 96); /* with the headers between them */
	cr_assert_eq(reach_mark_range(&h, (uint64_t)roots, sizeof(roots)), 0);
	cr_assert_eq(reach_propagate(&h), 0);
	cr_assert_eq(reach_classify(&h), 0);

	cr_assert_eq(cls_of(&h, A), REACH_LOST);
	cr_assert_eq(cls_of(&h, B), REACH_LOST);
	cr_assert_eq(cls_of(&h, C), REACH_INDIRECT);
	cr_assert_eq(cls_of(&h, D), REACH_INDIRECT);
	/* The cycle: one definitely lost (the lower address leads), one indirectly. */
	cr_assert_eq(cls_of(&h, blk[E] < blk[F] ? E : F), REACH_LOST);
	cr_assert_eq(cls_of(&h, blk[E] < blk[F] ? F : E), REACH_INDIRECT);
	cr_assert_eq(cls_of(&h, G), REACH_REACHABLE);
	cr_assert_eq(cls_of(&h, H), REACH_REACHABLE);
	cr_assert_eq(cls_of(&h, X), REACH_LOST);
	reach_heap_free(&h);
	for (int k = 0; k < N; k++)
		free(blk[k]);
}

Test(reach_mark, a_list_reached_from_its_tail_makes_the_head_the_one_lost)
{
	/* Leaders are tried in address order: whichever node comes first, the
	 * clique ends with the head alone definitely lost, as valgrind says. */
	enum { LEN = 50 };
	struct live_block *lb = calloc(LEN, sizeof(*lb));
	void *node[LEN];
	struct reach_heap h;
	size_t lost = 0, indirect = 0;

	for (int k = 0; k < LEN; k++) {
		node[k] = calloc(1, 32);
		lb[k] = (struct live_block){ (uint64_t)node[k], 32, 0, 1 };
		if (k)
			*(void **)node[k] = node[k - 1]; /* node[LEN-1] is the head */
	}
	cr_assert_eq(reach_heap_init(&h, getpid(), lb, LEN), 0);
	cr_assert_eq(reach_read_blocks(&h), 0);
	cr_assert_eq(reach_propagate(&h), 0);
	cr_assert_eq(reach_classify(&h), 0);
	for (size_t i = 0; i < h.n; i++) {
		lost += h.cls[i] == REACH_LOST;
		indirect += h.cls[i] == REACH_INDIRECT;
	}
	cr_assert_eq(lost, 1);
	cr_assert_eq(indirect, LEN - 1);
	cr_assert_eq(h.cls[reach_find(&h, (uint64_t)node[LEN - 1])], REACH_LOST);
	reach_heap_free(&h);
	for (int k = 0; k < LEN; k++)
		free(node[k]);
}
