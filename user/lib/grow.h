/* SPDX-License-Identifier: MIT */
/* Growing arrays: room for one more element, doubling as needed. */
#ifndef MEMTRACE_GROW_H
#define MEMTRACE_GROW_H

#include <errno.h>
#include <stdlib.h>

/*
 * Makes *v (of *cap elements of size bytes, n in use) hold at least n + 1,
 * doubling, or starting at first.  -ENOMEM leaves *v and *cap as they were.
 */
static inline int grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : first;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

#endif
