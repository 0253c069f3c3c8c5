// SPDX-License-Identifier: MIT
/* hmap: the one hash map (entry numbers under full 64-bit hashes). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* The entries stored under h, in probe order, into out (at most max). */
static size_t entries_under(const struct hmap *m, uint64_t h, uint32_t *out, size_t max)
{
	struct hmap_probe p;
	size_t n = 0;

	for (uint32_t i = hmap_first(m, h, &p); i != HMAP_NONE; i = hmap_next(m, &p))
		if (n < max)
			out[n++] = i;
	return n;
}

Test(hmap, zeroed_map_is_empty_and_allocates_nothing)
{
	struct hmap m = { 0 };
	struct hmap_probe p;

	cr_assert_eq(hmap_first(&m, 42, &p), HMAP_NONE);
	hmap_clear(&m);
	cr_assert_null(m.slots);
	hmap_free(&m);
	cr_assert_eq(m.n, 0);
}

Test(hmap, finds_every_entry_of_many_and_only_those)
{
	struct hmap m = { 0 };
	uint32_t got[4];

	for (uint32_t i = 0; i < 100000; i++)
		cr_assert_eq(hmap_add(&m, hmap_hash_u64(i), i), 0);
	cr_assert_eq(m.n, 100000);
	/* At most half full, a power of two. */
	cr_assert_geq(m.nslots, 2 * m.n);
	cr_assert_eq(m.nslots & (m.nslots - 1), 0);
	/* Entry i has key i: besides i, only entries whose hash shares its low
	 * 32 bits may come back (about one pair among 100,000 keys). */
	for (uint32_t i = 0; i < 100000; i++) {
		size_t n = entries_under(&m, hmap_hash_u64(i), got, 4), found = 0;

		cr_assert_geq(n, 1, "key %u", i);
		for (size_t k = 0; k < n; k++) {
			found += got[k] == i;
			cr_assert_eq((uint32_t)hmap_hash_u64(got[k]), (uint32_t)hmap_hash_u64(i));
		}
		cr_assert_eq(found, 1, "key %u", i);
	}
	for (uint32_t i = 100000; i < 101000; i++) {
		size_t n = entries_under(&m, hmap_hash_u64(i), got, 4);

		for (size_t k = 0; k < n; k++)
			cr_assert_eq((uint32_t)hmap_hash_u64(got[k]), (uint32_t)hmap_hash_u64(i));
	}
	hmap_free(&m);
	cr_assert_null(m.slots);
}

Test(hmap, entries_under_one_hash_are_all_returned)
{
	struct hmap m = { 0 };
	uint32_t got[8];
	size_t n;

	/* Same hash (a collision, or low bits equal): the caller compares. */
	cr_assert_eq(hmap_add(&m, 7, 10), 0);
	cr_assert_eq(hmap_add(&m, 7 + 64, 11), 0);
	/* Only the low 32 bits are kept: these two are one hash to the map. */
	cr_assert_eq(hmap_add(&m, 7 | (1ULL << 40), 13), 0);
	cr_assert_eq(hmap_add(&m, 7, 12), 0);
	n = entries_under(&m, 7, got, 8);
	cr_assert_eq(n, 3);
	cr_assert(got[0] == 10 || got[1] == 10 || got[2] == 10);
	cr_assert(got[0] == 12 || got[1] == 12 || got[2] == 12);
	cr_assert(got[0] == 13 || got[1] == 13 || got[2] == 13);
	n = entries_under(&m, 7 + 64, got, 8);
	cr_assert_eq(n, 1);
	cr_assert_eq(got[0], 11);
	hmap_free(&m);
}

Test(hmap, clear_empties_and_keeps_room)
{
	struct hmap m = { 0 };
	struct hmap_probe p;
	size_t nslots;

	for (uint32_t i = 0; i < 1000; i++)
		cr_assert_eq(hmap_add(&m, hmap_hash_u64(i), i), 0);
	nslots = m.nslots;
	hmap_clear(&m);
	cr_assert_eq(m.n, 0);
	cr_assert_eq(m.nslots, nslots);
	for (uint32_t i = 0; i < 1000; i++)
		cr_assert_eq(hmap_first(&m, hmap_hash_u64(i), &p), HMAP_NONE);
	cr_assert_eq(hmap_add(&m, hmap_hash_u64(5), 0), 0);
	cr_assert_eq(hmap_first(&m, hmap_hash_u64(5), &p), 0);
	hmap_free(&m);
}

Test(hmap, entry_none_is_refused)
{
	struct hmap m = { 0 };
	struct hmap_probe p;

	cr_assert_eq(hmap_add(&m, 1, HMAP_NONE), -EOVERFLOW);
	cr_assert_eq(m.n, 0);
	cr_assert_eq(hmap_first(&m, 1, &p), HMAP_NONE);
	cr_assert_eq(hmap_add(&m, 1, HMAP_NONE - 1), 0);
	cr_assert_eq(hmap_first(&m, 1, &p), HMAP_NONE - 1);
	hmap_free(&m);
}

Test(hmap, string_hashes_differ_in_their_low_bits)
{
	/* Slots are picked by the low bits: names differing in one letter must
	 * not share them (plain FNV-1a leaves them close). */
	char name[] = "func_000";
	uint64_t seen[64] = { 0 };
	size_t distinct = 0;

	for (int i = 0; i < 64; i++) {
		uint64_t low;

		name[6] = (char)('0' + i / 10);
		name[7] = (char)('0' + i % 10);
		low = hmap_hash_str(name) & 63;
		distinct += !seen[low];
		seen[low] = 1;
	}
	cr_assert_gt(distinct, 32);
	cr_assert_eq(hmap_hash_str("malloc"), hmap_hash_str("malloc"));
	cr_assert_neq(hmap_hash_str("malloc"), hmap_hash_str("calloc"));
	cr_assert_neq(hmap_hash_pair(1, 2), hmap_hash_pair(2, 1));
}
