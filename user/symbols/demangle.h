/* SPDX-License-Identifier: MIT */
/*
 * The one place that turns a mangled symbol into the name people write.
 * What a caller may rely on: demangle() never returns NULL; a name it does
 * not recognise comes back as given (the same pointer).
 */
#ifndef MEMTRACE_DEMANGLE_H
#define MEMTRACE_DEMANGLE_H

struct strpool;

/* name demangled, interned in pool; name itself when it is not mangled or on ENOMEM. */
const char *demangle(struct strpool *pool, const char *name);

#endif
