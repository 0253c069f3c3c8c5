// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "unwind_cache.h"

int unwind_cache_get(struct unwind_cache *c, const char *key, int fd, const struct unwind_table **out)
{
	size_t index;

	return unwind_cache_get_index(c, key, fd, out, &index);
}

int unwind_cache_get_index(struct unwind_cache *c, const char *key, int fd, const struct unwind_table **out,
			   size_t *index)
{
	uint64_t h = hmap_hash_str(key);
	struct unwind_cache_entry e = {};
	struct hmap_probe p;
	int err;

	*out = NULL;
	for (uint32_t i = hmap_first(&c->map, h, &p); i != HMAP_NONE; i = hmap_next(&c->map, &p)) {
		if (!strcmp(c->v[i].key, key)) {
			c->hits++;
			*index = i;
			*out = c->v[i].table;
			return c->v[i].err;
		}
	}
	if (grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v), 16))
		return -ENOMEM;
	e.key = strdup(key);
	if (!e.key)
		return -ENOMEM;
	/* A failure is kept too: an object without tables is not read again. */
	e.err = unwind_table_load_fd(fd, &e.table);
	if (e.err == -ENOMEM || hmap_add(&c->map, h, (uint32_t)c->n)) {
		err = e.err ? e.err : -ENOMEM;
		unwind_table_free(e.table);
		free(e.key);
		return err;
	}
	c->compiled++;
	*index = c->n;
	c->v[c->n++] = e;
	*out = e.table;
	return e.err;
}

void unwind_cache_free(struct unwind_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		unwind_table_free(c->v[i].table);
		free(c->v[i].key);
	}
	free(c->v);
	hmap_free(&c->map);
	memset(c, 0, sizeof(*c));
}
