// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

const char *layout_kind_name(enum lt_kind kind)
{
	return kind == LT_UNION ? "union" : kind == LT_CLASS ? "class" : "struct";
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) / a * a : v;
}

/*
 * pahole's class__find_holes, so that our numbers are the ones a user
 * checks us against: positions are tracked in bits, a bit-field's hole is
 * counted up to the end of its storage unit, and a byte hole before a
 * bit-field only when the bit-field starts a new storage unit.
 */
void layout_holes(const struct lt_type *t, struct lt_holes *h, int64_t *hole, int32_t *bit_hole)
{
	int64_t cur_end = (int64_t)t->size * 8, cur_size = 0, last_seen = 0;
	bool in_bitfield = false;
	uint32_t max_nat = 1;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		if (hole)
			hole[i] = 0;
		if (bit_hole)
			bit_hole[i] = 0;
		if (m->bit_size)
			h->sum_bit_members += m->bit_size;
		else if (!m->base)
			h->sum_members += m->size;
	}
	if (t->kind == LT_UNION)
		return;
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		int64_t start = (int64_t)m->bit_offset;
		int64_t end = start + (m->bit_size ? (int64_t)m->bit_size : (int64_t)m->size * 8);
		int64_t bytes = 0, bits = 0;

		if (in_bitfield) {
			int64_t bf_end = start < cur_end ? start : cur_end;
			bits = bf_end - last_seen;
			last_seen = bf_end;
		}
		if (m->bit_size) {
			int64_t aligned = (int64_t)m->offset * 8;
			if (last_seen < aligned && aligned <= start) {
				bytes = (int64_t)m->offset - last_seen / 8;
				last_seen = aligned;
			}
			bits += start - last_seen;
		} else {
			bytes = start / 8 - last_seen / 8;
		}
		last_seen = end;
		if (bytes < 0)
			bytes = 0; /* a base's tail padding reused: an overlap, not a hole */
		if (m->bit_size) {
			in_bitfield = true;
			if (end > cur_end || (int64_t)m->size * 8 > cur_size) {
				cur_size = (int64_t)m->size * 8;
				cur_end = (int64_t)m->offset * 8 + cur_size;
				if (end > cur_end)
					cur_end += cur_size;
			}
		} else {
			in_bitfield = false;
			cur_size = 0;
			cur_end = end;
		}
		if (i > 0) {
			if (hole)
				hole[i - 1] = bytes;
			if (bit_hole)
				bit_hole[i - 1] = (int32_t)bits;
		}
		if (bits) {
			h->bit_holes++;
			h->sum_bit_holes += (uint64_t)bits;
		}
		if (bytes) {
			h->holes++;
			h->sum_holes += (uint64_t)bytes;
		}
	}
	if (in_bitfield) {
		int64_t bf_end = (int64_t)t->size * 8 < cur_end ? (int64_t)t->size * 8 : cur_end;
		h->bit_padding = (uint32_t)(bf_end - last_seen);
		last_seen = bf_end;
	}
	h->padding = (int64_t)t->size - last_seen / 8;

	/* pahole infers packed only for a type with no hole and no padding. */
	if (h->holes || h->padding)
		return;
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		if (m->align <= 1)
			continue;
		if (m->align > max_nat)
			max_nat = m->align;
		if (m->offset % m->align) {
			h->packed = true;
			return;
		}
	}
	if (max_nat > 1 && t->size % max_nat)
		h->packed = true;
}

/*
 * Lays out t's members in `order` as the x86-64 System V ABI does: a
 * member at the next multiple of its alignment; a bit-field at the next
 * free bit unless it would cross a storage unit of its type, then at the
 * next unit; the size rounded up to the largest alignment.  Fixed members
 * (bases, the vtable pointer) keep their real offsets: the fixed block is a
 * prefix, so the rest starts after its end.
 */
static uint64_t simulate(const struct lt_type *t, const size_t *order, uint64_t *off, uint64_t *boff)
{
	uint64_t p = 0, al = t->forced_align ? t->align : 1;

	for (size_t k = 0; k < t->nmembers; k++) {
		size_t i = order[k];
		const struct lt_member *m = &t->members[i];
		uint64_t unit = m->size * 8;

		if (m->fixed) {
			/* Bases sit where the C++ ABI put them (tail padding reused): taken as they are. */
			boff[i] = m->bit_offset;
			off[i] = m->offset;
			if (m->bit_offset + m->size * 8 > p)
				p = m->bit_offset + m->size * 8;
		} else if (m->bit_size && unit) {
			if (p / unit != (p + m->bit_size - 1) / unit)
				p = align_up(p, unit);
			boff[i] = p;
			off[i] = p / unit * unit / 8;
			p += m->bit_size;
		} else {
			p = align_up(p, (uint64_t)m->align * 8);
			boff[i] = p;
			off[i] = p / 8;
			p += m->size * 8;
		}
		if (m->align > al)
			al = m->align;
	}
	return align_up((p + 7) / 8, al);
}

struct block {
	size_t first, n; /* members first .. first+n-1, in their own order */
	uint32_t align;
	int rank;        /* 0: fixed (bases, vptr), 1: movable, 2: flexible array */
};

static int block_cmp(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->align != y->align)
		return x->align > y->align ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Why t cannot be reordered, or NULL. */
static const char *refusal(const struct lt_type *t)
{
	bool fixed_done = false;

	if (t->kind == LT_UNION)
		return "a union's members all start at 0";
	if (t->virtual_bases)
		return "it has virtual base classes";
	if (t->nmembers < 2)
		return "fewer than two members";
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct lt_member *m = &t->members[i];
		if (m->fixed && fixed_done)
			return "a base class or vtable pointer is not at the start";
		if (!m->fixed)
			fixed_done = true;
		if (m->flexible && i + 1 != t->nmembers)
			return "its flexible array member is not last";
		if (m->bit_size && !m->size)
			return "a bit-field of unknown storage size";
	}
	return NULL;
}

int layout_reorder(const struct lt_type *t, struct lt_suggestion *s)
{
	size_t n = t->nmembers, nb = 0;
	struct block *b = NULL;
	uint64_t *off2 = NULL, *boff2 = NULL;
	int err = -ENOMEM;

	memset(s, 0, sizeof(*s));
	s->new_size = t->size;
	s->why_not = refusal(t);
	if (s->why_not)
		return 0;
	s->order = calloc(n, sizeof(*s->order));
	s->new_offset = calloc(n, sizeof(*s->new_offset));
	s->new_bit_offset = calloc(n, sizeof(*s->new_bit_offset));
	off2 = calloc(n, sizeof(*off2));
	boff2 = calloc(n, sizeof(*boff2));
	b = calloc(n, sizeof(*b));
	if (!s->order || !s->new_offset || !s->new_bit_offset || !off2 || !boff2 || !b)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		s->order[i] = i;
	/* Only an order we can reproduce is one we may change. */
	if (simulate(t, s->order, s->new_offset, s->new_bit_offset) != t->size) {
		s->why_not = "its real size is not what its members give (packed, #pragma pack or an ABI rule not modelled)";
		goto refuse;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lt_member *m = &t->members[i];
		if (s->new_bit_offset[i] != m->bit_offset) {
			s->why_not = "a member's real offset is not what the rules give (packed, #pragma pack or an unnamed bit-field)";
			goto refuse;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct lt_member *m = &t->members[i];
		int rank = m->fixed ? 0 : m->flexible ? 2 : 1;
		bool joins = nb > 0 && ((m->fixed && b[nb - 1].rank == 0) ||
					(m->bit_size && t->members[i - 1].bit_size && b[nb - 1].rank == 1));
		if (!joins)
			b[nb++] = (struct block){ i, 0, 1, rank };
		b[nb - 1].n++;
		if (m->align > b[nb - 1].align)
			b[nb - 1].align = m->align;
	}
	qsort(b, nb, sizeof(*b), block_cmp);
	for (size_t k = 0, j = 0; k < nb; k++)
		for (size_t i = 0; i < b[k].n; i++)
			s->order[j++] = b[k].first + i;
	s->new_size = simulate(t, s->order, off2, boff2);
	if (s->new_size >= t->size) {
		/* No better: the suggestion is the type as it is. */
		for (size_t i = 0; i < n; i++)
			s->order[i] = i;
		s->new_size = t->size;
	} else {
		memcpy(s->new_offset, off2, n * sizeof(*off2));
		memcpy(s->new_bit_offset, boff2, n * sizeof(*boff2));
	}
	s->reordered = true;
	err = 0;
	goto cleanup;
refuse:
	free(s->order);
	free(s->new_offset);
	free(s->new_bit_offset);
	s->order = NULL;
	s->new_offset = s->new_bit_offset = NULL;
	err = 0;
cleanup:
	if (err)
		layout_suggestion_free(s);
	free(b);
	free(off2);
	free(boff2);
	return err;
}

void layout_suggestion_free(struct lt_suggestion *s)
{
	free(s->order);
	free(s->new_offset);
	free(s->new_bit_offset);
	s->order = NULL;
	s->new_offset = s->new_bit_offset = NULL;
}
