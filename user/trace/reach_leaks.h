/* SPDX-License-Identifier: MIT */
/* A reachability scan's result, into the final profile. */
#ifndef MEMTRACE_REACH_LEAKS_H
#define MEMTRACE_REACH_LEAKS_H

#include <stdint.h>

#include "heap.h"
#include "reach.h"

struct symbolizer;

/*
 * Sets p->reach from r and, when the scan was done, p->leaks: every site
 * with live blocks at the scan (whatever their age), with their classes,
 * most definitely lost bytes first (then indirectly lost, then all bytes),
 * and each of p->sites' classes.  end_ns gives the ages.  0 or -ENOMEM.
 */
int reach_add_leaks(const struct reach_result *r, struct symbolizer *sym, const struct heap_snapshot *snap,
		    uint64_t end_ns, struct mt_profile *p);

#endif
