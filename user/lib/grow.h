/* SPDX-License-Identifier: MIT */
/*
 * The one growable array of memtrace: a pointer, a count and a capacity the
 * caller keeps side by side (T *v; size_t n, cap;), grown by doubling.
 *
 *	if (grow((void **)&v, &cap, n, sizeof(*v), 64))
 *		return -ENOMEM;
 *	v[n++] = x;
 *
 * A NULL array with cap 0 is empty.  On failure *v and *cap are as they
 * were, so the caller still owns (and frees) the old array.  Growing moves
 * the array: pointers into it are stale afterwards; keep entry numbers.
 */
#ifndef MEMTRACE_GROW_H
#define MEMTRACE_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Makes *v (*cap elements of size bytes) hold at least need, doubling from
 * *cap, or from first when empty.  0, or -ENOMEM (also when need elements
 * would not fit in a size_t).
 */
static inline int grow_to(void **v, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t nc = *cap ? *cap : (first ? first : 1);
	void *nv;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -ENOMEM;
		nc *= 2;
	}
	if (nc > SIZE_MAX / size)
		return -ENOMEM;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

/* Room for one more element when n are in use: grow_to(n + 1). */
static inline int grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	return n < *cap ? 0 : grow_to(v, cap, n + 1, size, first);
}

#endif
