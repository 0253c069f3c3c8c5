/* SPDX-License-Identifier: MIT */
/* Reachability classes from a profile's leaks onto its sites. */
#ifndef MEMTRACE_REACH_SITES_H
#define MEMTRACE_REACH_SITES_H

#include "profile.h"

/*
 * Gives each of p->sites the classes of the leak with the same stack (the
 * same frame addresses); sites without one keep zeros.  0 or -ENOMEM.
 */
int reach_sites_from_leaks(struct mt_profile *p);

#endif
