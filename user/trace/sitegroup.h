/* SPDX-License-Identifier: MIT */
/*
 * Groups allocation sites by their symbolized stack (function names, or
 * module+offset for frames without one) rather than by return addresses:
 * two calls of the same function from two lines of its caller are one site
 * for leak detection, so memory moving between them (a cache filled from
 * one call and refilled from another) is not mistaken for growth.
 */
#ifndef MEMTRACE_SITEGROUP_H
#define MEMTRACE_SITEGROUP_H

#include <stdint.h>

#include "memtrace.h"

struct symbolizer;
struct site_groups;

struct site_groups *site_groups_new(void);
void site_groups_free(struct site_groups *g);
/* The group key of a raw site (never 0), computed once per site and cached. */
uint64_t site_group_of(struct site_groups *g, struct symbolizer *sym, uint64_t site,
		       const struct mt_site_value *v);

#endif
