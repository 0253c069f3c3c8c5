/* SPDX-License-Identifier: MIT */
/*
 * The one hash map of memtrace: it maps a key's 64-bit hash to the numbers
 * (0 .. UINT32_MAX - 1) of entries that live in an array the caller keeps
 * (see grow.h).  The caller hashes its key and compares keys itself; the map
 * keeps the hash's low 32 bits beside each entry and returns only entries
 * whose 32 bits match, so a key comparison runs almost only on a true match.
 * Linear probing in 8-byte slots, at most half full: a lookup costs one or
 * two cache lines, and the map costs 16 to 32 bytes per entry.
 *
 *	struct hmap_probe p;
 *	for (uint32_t i = hmap_first(&m, h, &p); i != HMAP_NONE; i = hmap_next(&m, &p))
 *		if (same_key(&arr[i], key))
 *			return i;
 *	... append the entry to arr as number n, then hmap_add(&m, h, n) ...
 *
 * A zeroed struct hmap is an empty map that has allocated nothing.  Entry
 * numbers stay valid until hmap_clear or hmap_free; the map never moves or
 * frees the caller's entries.  Not thread-safe.
 */
#ifndef MEMTRACE_HMAP_H
#define MEMTRACE_HMAP_H

#include <stddef.h>
#include <stdint.h>

#define HMAP_NONE UINT32_MAX

struct hmap_slot {
	uint32_t hash;  /* the hash's low 32 bits */
	uint32_t entry; /* entry number + 1; 0 = empty */
};

struct hmap {
	struct hmap_slot *slots;
	size_t nslots; /* 0 or a power of two */
	size_t n;      /* entries added */
};

/* Where a lookup stands; only for hmap_first/hmap_next. */
struct hmap_probe {
	uint32_t hash;
	size_t at;
};

/* The first entry stored under hash (HMAP_NONE if none): p then walks on. */
static inline uint32_t hmap_next(const struct hmap *m, struct hmap_probe *p)
{
	if (!m->nslots)
		return HMAP_NONE;
	for (;;) {
		const struct hmap_slot *s = &m->slots[p->at];

		p->at = (p->at + 1) & (m->nslots - 1);
		if (!s->entry)
			return HMAP_NONE;
		if (s->hash == p->hash)
			return s->entry - 1;
	}
}

static inline uint32_t hmap_first(const struct hmap *m, uint64_t hash, struct hmap_probe *p)
{
	p->hash = (uint32_t)hash;
	p->at = m->nslots ? (size_t)p->hash & (m->nslots - 1) : 0;
	return hmap_next(m, p);
}

/*
 * Stores entry under hash (the caller has checked that its key is not there
 * yet; an entry added twice is returned twice).  0, -ENOMEM (the map is as
 * it was; also past 2^31 entries, where 32 bits no longer pick a slot) or
 * -EOVERFLOW (entry is HMAP_NONE).
 */
int hmap_add(struct hmap *m, uint64_t hash, uint32_t entry);

/* Empties the map and keeps its room. */
void hmap_clear(struct hmap *m);

/* Frees the slots; the map is empty and zeroed again. */
void hmap_free(struct hmap *m);

/* Hashes for callers: all spread their bits over the whole 64. */
uint64_t hmap_hash_str(const char *s);

static inline uint64_t hmap_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static inline uint64_t hmap_hash_pair(uint64_t a, uint64_t b)
{
	return hmap_hash_u64(a * 0x9e3779b97f4a7c15ULL ^ hmap_hash_u64(b));
}

#endif
