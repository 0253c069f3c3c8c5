/* SPDX-License-Identifier: MIT */
/*
 * Heap state as the BPF side left it (raw sites with addresses and
 * counters), and its symbolized form, the profile every report reads.
 */
#ifndef MEMTRACE_HEAP_H
#define MEMTRACE_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "memtrace.h"
#include "profile.h"

struct memtrace_bpf;
struct symbolizer;

struct raw_site {
	uint64_t key;
	struct mt_site_value v;
};

struct heap_snapshot {
	struct raw_site *sites;
	size_t nsites;
	struct mt_counters counters;
	uint64_t inuse_count; /* sum over sites */
	uint64_t alloc_count, alloc_bytes;
};

/* Copies the sites map and counters out of the loaded BPF object. */
int snapshot_read(struct memtrace_bpf *skel, struct heap_snapshot *out);
void snapshot_free(struct heap_snapshot *snap);

/*
 * Builds the report view: one mt_site per raw site that allocated anything,
 * frames symbolized through sym (raw addresses when sym is NULL), totals,
 * drops, modules; sites sorted for reports.  Fills pid/command/duration
 * from the arguments.
 */
int profile_build(const struct heap_snapshot *snap, struct symbolizer *sym, struct mt_profile *out);

#endif
