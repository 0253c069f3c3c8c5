// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

/* Open-addressing set of string pointers; the strings themselves are
 * carved from large blocks so interning thousands of symbols costs a few
 * allocations, not one each. */
struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct strpool {
	const char **slots;
	size_t cap, count;
	struct block *blocks;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct strpool *strpool_new(void)
{
	struct strpool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	pool->cap = 1024;
	pool->slots = calloc(pool->cap, sizeof(*pool->slots));
	if (!pool->slots) {
		free(pool);
		return NULL;
	}
	return pool;
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

static int grow(struct strpool *pool)
{
	size_t cap = pool->cap * 2;
	const char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < pool->cap; i++) {
		const char *s = pool->slots[i];
		size_t j;

		if (!s)
			continue;
		for (j = hash_str(s) & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = s;
	}
	free(pool->slots);
	pool->slots = slots;
	pool->cap = cap;
	return 0;
}

const char *strpool_intern(struct strpool *pool, const char *s)
{
	size_t j, len;
	char *copy;

	if (pool->count * 2 >= pool->cap && grow(pool))
		return NULL;
	for (j = hash_str(s) & (pool->cap - 1); pool->slots[j]; j = (j + 1) & (pool->cap - 1)) {
		if (strcmp(pool->slots[j], s) == 0)
			return pool->slots[j];
	}
	len = strlen(s) + 1;
	copy = pool_alloc(pool, len);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	pool->slots[j] = copy;
	pool->count++;
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
	free(pool->slots);
	free(pool);
}
