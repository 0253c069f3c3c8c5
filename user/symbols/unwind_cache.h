/* SPDX-License-Identifier: MIT */
/*
 * Unwind tables shared by build-id: an object mapped by many processes, or
 * seen again after a dlclose/dlopen or in the next trace of the same
 * collector, is compiled once.  A zeroed struct unwind_cache is empty.  Not
 * thread-safe.
 */
#ifndef MEMTRACE_UNWIND_CACHE_H
#define MEMTRACE_UNWIND_CACHE_H

#include <stddef.h>

#include "hmap.h"
#include "unwind_table.h"

struct unwind_cache_entry {
	char *key;
	struct unwind_table *table; /* NULL when the object could not be compiled */
	int err;                    /* why, then */
};

struct unwind_cache {
	struct unwind_cache_entry *v;
	size_t n, cap;
	struct hmap map;
	size_t hits, compiled;
};

/*
 * The table of the object open on fd (the caller's), under key: its
 * build-id, or for an object without one an identity the caller vouches
 * for (e.g. "dev:inode:mtime").  The first call with a key compiles it;
 * later ones return the same table (or the same error) without reading fd.
 * The table lives until unwind_cache_free.  0, or unwind_table_load_fd's
 * error, or -ENOMEM.
 */
int unwind_cache_get(struct unwind_cache *c, const char *key, int fd, const struct unwind_table **out);
/* The same, also giving the entry's number (stable: 0, 1, ... in order of
 * first sight) for callers that keep something per table. */
int unwind_cache_get_index(struct unwind_cache *c, const char *key, int fd, const struct unwind_table **out,
			   size_t *index);
void unwind_cache_free(struct unwind_cache *c);

#endif
