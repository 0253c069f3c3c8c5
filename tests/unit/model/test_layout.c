// SPDX-License-Identifier: MIT
/* layout: pahole's holes and padding, and reorderings, on hand-built types. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "layout.h"

/* A plain member at byte offset off. */
static struct lt_member M(const char *name, uint64_t off, uint64_t size, uint32_t align)
{
	return (struct lt_member){ .name = name, .decl = name, .offset = off, .bit_offset = off * 8, .size = size,
				   .align = align };
}

/* A bit-field of `bits` at bit `boff`, in a storage unit of `size` bytes. */
static struct lt_member B(const char *name, uint64_t boff, uint32_t bits, uint64_t size)
{
	return (struct lt_member){ .name = name, .decl = name, .offset = boff / (size * 8) * size, .bit_offset = boff,
				   .size = size, .bit_size = bits, .align = (uint32_t)size };
}

static struct lt_type T(struct lt_member *m, size_t n, uint64_t size, uint32_t align)
{
	return (struct lt_type){ .name = "t", .kind = LT_STRUCT, .size = size, .align = align, .members = m, .nmembers = n };
}

Test(layout, lesson_holes_and_reordering)
{
	struct lt_member m[] = { M("a", 0, 1, 1), M("b", 8, 8, 8), M("c", 16, 1, 1), M("d", 20, 4, 4), M("e", 24, 1, 1) };
	struct lt_type t = T(m, 5, 32, 8);
	struct lt_holes h;
	struct lt_suggestion s;
	int64_t hole[5];
	size_t want[] = { 1, 3, 0, 2, 4 };

	layout_holes(&t, &h, hole, NULL);
	cr_assert_eq(h.holes, 2);
	cr_assert_eq(h.sum_holes, 10);
	cr_assert_eq(h.padding, 7);
	cr_assert_eq(h.sum_members, 15);
	cr_assert_eq(hole[0], 7);
	cr_assert_eq(hole[2], 3);
	cr_assert_not(h.packed);
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert(s.reordered);
	cr_assert_eq(s.new_size, 16);
	cr_assert_eq(layout_saving(&t, &s), 16);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(s.order[i], want[i], "position %zu", i);
	cr_assert_eq(s.new_offset[0], 12);
	cr_assert_eq(s.new_offset[3], 8);
	layout_suggestion_free(&s);
}

/* char c; unsigned a:3; unsigned b:20; short s;  -- pahole: 1 bit hole, no byte hole before s. */
Test(layout, bitfields_share_a_unit_and_move_together)
{
	struct lt_member m[] = { M("c", 0, 1, 1), B("a", 8, 3, 4), B("b", 11, 20, 4), M("s", 4, 2, 2),
				 M("l", 8, 8, 8) };
	struct lt_type t = T(m, 5, 16, 8);
	struct lt_holes h;
	struct lt_suggestion s;
	int32_t bh[5];

	layout_holes(&t, &h, NULL, bh);
	cr_assert_eq(h.holes, 1);
	cr_assert_eq(h.sum_holes, 2);
	cr_assert_eq(h.bit_holes, 1);
	cr_assert_eq(h.sum_bit_holes, 1);
	cr_assert_eq(bh[2], 1);
	cr_assert_eq(h.sum_bit_members, 23);
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert(s.reordered);
	/* l, then the a/b run (align 4), s, c: 8 + 4 (23 bits) + 2 + 1 = 15 -> 16, nothing saved. */
	cr_assert_eq(s.new_size, 16);
	layout_suggestion_free(&s);
}

Test(layout, flexible_array_stays_last)
{
	struct lt_member m[] = { M("n", 0, 1, 1), M("len", 8, 8, 8), M("tag", 16, 1, 1), M("data", 17, 0, 1) };
	struct lt_type t = T(m, 4, 24, 8);
	struct lt_suggestion s;

	m[3].flexible = true;
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert_eq(s.new_size, 16);
	cr_assert_eq(s.order[3], 3);
	cr_assert_eq(s.new_offset[3], 10);
	layout_suggestion_free(&s);
}

Test(layout, packed_is_left_alone)
{
	struct lt_member m[] = { M("a", 0, 1, 1), M("b", 1, 4, 4), M("c", 5, 1, 1), M("d", 6, 8, 8) };
	struct lt_type t = T(m, 4, 14, 8);
	struct lt_holes h;
	struct lt_suggestion s;

	layout_holes(&t, &h, NULL, NULL);
	cr_assert(h.packed);
	cr_assert_eq(h.holes, 0);
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert_not(s.reordered);
	cr_assert_not_null(s.why_not);
	cr_assert_eq(layout_saving(&t, &s), 0);
}

/* A base with tail padding holding the next base: no hole, and bases stay first. */
Test(layout, bases_stay_first_and_overlap_is_no_hole)
{
	struct lt_member m[] = { M("Base", 0, 16, 8), M("Mixin", 12, 4, 4), M("a", 16, 1, 1), M("b", 24, 8, 8),
				 M("c", 32, 1, 1) };
	struct lt_type t = T(m, 5, 40, 8);
	struct lt_holes h;
	struct lt_suggestion s;

	m[0].fixed = m[0].base = m[1].fixed = m[1].base = true;
	layout_holes(&t, &h, NULL, NULL);
	cr_assert_eq(h.holes, 1);
	cr_assert_eq(h.sum_holes, 7);
	cr_assert_eq(h.sum_members, 10);
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert_eq(s.new_size, 32);
	cr_assert_eq(s.order[0], 0);
	cr_assert_eq(s.order[1], 1);
	cr_assert_eq(s.order[2], 3);
	layout_suggestion_free(&s);
}

Test(layout, aligned_type_keeps_its_alignment)
{
	struct lt_member m[] = { M("a", 0, 1, 1), M("b", 8, 8, 8), M("c", 16, 1, 1) };
	struct lt_type t = T(m, 3, 64, 64);
	struct lt_suggestion s;

	t.forced_align = true;
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert(s.reordered);
	cr_assert_eq(s.new_size, 64);
	cr_assert_eq(layout_saving(&t, &s), 0);
	layout_suggestion_free(&s);
}

Test(layout, union_is_not_reordered)
{
	struct lt_member m[] = { M("a", 0, 1, 1), M("b", 0, 8, 8) };
	struct lt_type t = T(m, 2, 8, 8);
	struct lt_suggestion s;
	struct lt_holes h;

	t.kind = LT_UNION;
	layout_holes(&t, &h, NULL, NULL);
	cr_assert_eq(h.holes, 0);
	cr_assert_eq(layout_reorder(&t, &s), 0);
	cr_assert_not(s.reordered);
}
