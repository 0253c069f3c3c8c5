/* SPDX-License-Identifier: MIT */
/*
 * Known allocator wrappers: functions whose only job is to call the
 * allocator (redis' zmalloc, gnulib's xmalloc, glib's g_malloc, CPython's
 * PyMem_Malloc, operator new, std::allocator...).  A site named by its
 * leaf frame would be named by the wrapper, and every site of redis would
 * be "zmalloc": the name a reader can act on is the first frame outside
 * them.  The list is by function name (the full, demangled name), so it
 * holds for any program that keeps such a wrapper under its usual name.
 */
#ifndef MEMTRACE_ALLOC_WRAPPER_H
#define MEMTRACE_ALLOC_WRAPPER_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

/* Whether name (a frame's function, NULL for an unnamed frame: no) is a
 * known allocator wrapper. */
bool alloc_wrapper_is(const char *name);

/* The index of the frame that names site s: its first frame whose function
 * is not a known wrapper.  0 when s has no frames, or when every frame is
 * a wrapper (the leaf then names it, as before). */
uint32_t alloc_wrapper_naming_frame(const struct mt_site *s);

#endif
