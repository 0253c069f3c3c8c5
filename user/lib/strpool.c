// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"
#include "strpool.h"

/* The strings are carved from large blocks so interning thousands of
 * symbols costs a few allocations, not one each. */
struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct stable {
	const char *from, *to;
};

struct strpool {
	const char **strs; /* by entry number */
	size_t n, cap;
	struct hmap index; /* hash of the text -> entry */
	struct block *blocks;
	struct stable *stable; /* strpool_intern_stable's memo, by entry number */
	size_t nstable, stable_cap;
	struct hmap stable_index; /* hash of the caller's pointer -> entry */
};

struct strpool *strpool_new(void)
{
	return calloc(1, sizeof(struct strpool));
}

static char *pool_alloc(struct strpool *pool, size_t len)
{
	struct block *b = pool->blocks;

	if (!b || b->size - b->used < len) {
		size_t size = len > 65536 ? len : 65536;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = pool->blocks;
		pool->blocks = b;
	}
	b->used += len;
	return b->data + b->used - len;
}

const char *strpool_intern(struct strpool *pool, const char *s)
{
	uint64_t h = hmap_hash_str(s);
	struct hmap_probe p;
	size_t len;
	char *copy;

	for (uint32_t i = hmap_first(&pool->index, h, &p); i != HMAP_NONE; i = hmap_next(&pool->index, &p))
		if (strcmp(pool->strs[i], s) == 0)
			return pool->strs[i];
	if (pool->n >= HMAP_NONE || grow((void **)&pool->strs, &pool->cap, pool->n, sizeof(*pool->strs), 1024))
		return NULL;
	len = strlen(s) + 1;
	copy = pool_alloc(pool, len);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	if (hmap_add(&pool->index, h, (uint32_t)pool->n))
		return NULL;
	pool->strs[pool->n++] = copy;
	return copy;
}

/* Hashing a pointer, not the text: the symbolizer hands out the same few
 * names hundreds of thousands of times per profile. */
const char *strpool_intern_stable(struct strpool *pool, const char *s)
{
	uint64_t h = hmap_hash_u64((uint64_t)(uintptr_t)s);
	struct hmap_probe p;
	const char *copy;

	for (uint32_t i = hmap_first(&pool->stable_index, h, &p); i != HMAP_NONE;
	     i = hmap_next(&pool->stable_index, &p))
		if (pool->stable[i].from == s)
			return pool->stable[i].to;
	copy = strpool_intern(pool, s);
	/* Unremembered on ENOMEM: interned by text next time, still right. */
	if (copy && pool->nstable < HMAP_NONE &&
	    !grow((void **)&pool->stable, &pool->stable_cap, pool->nstable, sizeof(*pool->stable), 256) &&
	    !hmap_add(&pool->stable_index, h, (uint32_t)pool->nstable))
		pool->stable[pool->nstable++] = (struct stable){ s, copy };
	return copy;
}

void strpool_free(struct strpool *pool)
{
	if (!pool)
		return;
	while (pool->blocks) {
		struct block *next = pool->blocks->next;

		free(pool->blocks);
		pool->blocks = next;
	}
	hmap_free(&pool->index);
	hmap_free(&pool->stable_index);
	free(pool->stable);
	free(pool->strs);
	free(pool);
}
