/* SPDX-License-Identifier: MIT */
/*
 * Custom allocators: --alloc FUNC:size=argN[:count=argM], --free
 * FUNC:ptr=argN, --realloc FUNC:ptr=argN:size=argM probe any function of
 * the target (a pool or arena allocator) with the same reports as malloc.
 */
#ifndef MEMTRACE_CUSTOM_H
#define MEMTRACE_CUSTOM_H

#include <stddef.h>
#include <sys/types.h>

#include "resolve.h"

#define MT_MAX_CUSTOM 8

struct custom_spec {
	char func[128];
	int kind;   /* AK_CUSTOM_ALLOC, AK_CUSTOM_FREE, AK_CUSTOM_REALLOC */
	unsigned a, b; /* argument positions, 1-6 (b: 0 = none) */
};

/*
 * Parses "FUNC:size=arg1:count=arg2" (what = "alloc"), "FUNC:ptr=arg1"
 * ("free"), "FUNC:ptr=arg1:size=arg2" ("realloc"); -EINVAL for a bad spec.
 */
int custom_parse(const char *what, const char *text, struct custom_spec *out);
/* The attach cookie of a spec (MT_COOKIE in memtrace.h). */
unsigned long long custom_cookie(const struct custom_spec *s);
/*
 * Finds each spec's function in pid (the program first, then its
 * libraries) and groups them by object into sets[] (up to MT_MAX_CUSTOM).
 * A function found nowhere is reported ("memtrace: --alloc F: ...") and
 * makes it return -ENOENT.
 */
int custom_resolve(pid_t pid, const struct custom_spec *specs, int n, struct allocator *sets, int *nsets);

/*
 * "; palloc/pfree in server" for the Tracing line: each set's functions
 * and its object's file name; "" when there are none.  Always terminated.
 */
void custom_describe(const struct allocator *sets, int n, char *buf, size_t len);

#endif
