/* SPDX-License-Identifier: MIT */
/* Interned, immutable strings that live as long as their pool. */
#ifndef MEMTRACE_STRPOOL_H
#define MEMTRACE_STRPOOL_H

struct strpool;

struct strpool *strpool_new(void);
/* The pool's copy of s: equal strings give the same pointer. NULL on ENOMEM. */
const char *strpool_intern(struct strpool *pool, const char *s);
void strpool_free(struct strpool *pool);

#endif
