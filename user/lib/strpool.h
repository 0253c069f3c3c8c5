/* SPDX-License-Identifier: MIT */
/* Interned, immutable strings that live as long as their pool. */
#ifndef MEMTRACE_STRPOOL_H
#define MEMTRACE_STRPOOL_H

struct strpool;

struct strpool *strpool_new(void);
/* The pool's copy of s: equal strings give the same pointer. NULL on ENOMEM. */
const char *strpool_intern(struct strpool *pool, const char *s);
/*
 * strpool_intern(pool, s), remembered by s's address: the same pointer is
 * looked up without reading the text again.  Only for strings that stay
 * alive and unchanged for as long as they are interned into this pool (a
 * symbolizer's names into a profile built from it).  NULL on ENOMEM.
 */
const char *strpool_intern_stable(struct strpool *pool, const char *s);
void strpool_free(struct strpool *pool);

#endif
