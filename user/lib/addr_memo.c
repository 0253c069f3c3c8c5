// SPDX-License-Identifier: MIT
/* Answers remembered by address.  See addr_memo.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "addr_memo.h"
#include "grow.h"

/* 64 KiB a chunk: one malloc per ~2,700 DWARF frames, and a Go binary's
 * few lines cost one chunk. */
#define CHUNK_BYTES (64u << 10)

/* Runs live in chunks that never move, so a run handed out stays valid. */
struct addr_memo_chunk {
	struct addr_memo_chunk *next;
	size_t used, cap; /* in elements */
	_Alignas(max_align_t) unsigned char v[];
};

void addr_memo_init(struct addr_memo *m, size_t elem_size)
{
	memset(m, 0, sizeof(*m));
	m->elem_size = elem_size;
}

bool addr_memo_find(const struct addr_memo *m, uint64_t addr, const void **run, uint32_t *n)
{
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&m->index, hmap_hash_u64(addr), &p); i != HMAP_NONE;
	     i = hmap_next(&m->index, &p)) {
		if (m->v[i].addr == addr) {
			*run = m->v[i].run;
			*n = m->v[i].n;
			return true;
		}
	}
	return false;
}

/* Room for n elements that will not move, or NULL. */
static void *room(struct addr_memo *m, uint32_t n)
{
	struct addr_memo_chunk *c = m->chunks;

	if (!c || c->used + n > c->cap) {
		size_t cap = CHUNK_BYTES / m->elem_size;

		if (cap < ADDR_MEMO_MAX_RUN)
			cap = ADDR_MEMO_MAX_RUN;
		c = malloc(sizeof(*c) + cap * m->elem_size);
		if (!c)
			return NULL;
		c->next = m->chunks;
		c->used = 0;
		c->cap = cap;
		m->chunks = c;
	}
	c->used += n;
	return c->v + (c->used - n) * m->elem_size;
}

const void *addr_memo_add(struct addr_memo *m, uint64_t addr, const void *run, uint32_t n)
{
	void *copy = NULL;

	if (n > ADDR_MEMO_MAX_RUN)
		return NULL;
	if (n) {
		copy = room(m, n);
		if (!copy)
			return NULL;
		memcpy(copy, run, n * m->elem_size);
	}
	/* Unremembered without room: the answer is still handed out. */
	if (!grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v), 1024) &&
	    !hmap_add(&m->index, hmap_hash_u64(addr), (uint32_t)m->n))
		m->v[m->n++] = (struct addr_memo_entry){ addr, copy, n };
	return copy;
}

void addr_memo_free(struct addr_memo *m)
{
	while (m->chunks) {
		struct addr_memo_chunk *c = m->chunks;

		m->chunks = c->next;
		free(c);
	}
	free(m->v);
	hmap_free(&m->index);
	addr_memo_init(m, m->elem_size);
}
