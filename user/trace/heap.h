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
struct proc_maps;
struct symbolizer;

struct raw_site {
	uint64_t key; /* the site's id (mt_site_stack.id) */
	struct mt_site_value v;
};

struct heap_snapshot {
	struct raw_site *sites; /* ascending key; counters already unbiased when sampling */
	size_t nsites;
	uint64_t sample_bytes;  /* --sample-bytes; 0 = every allocation seen */
	struct mt_counters counters;
	uint64_t inuse_count; /* sum over sites */
	uint64_t alloc_count, alloc_bytes;
};

/* One site's stack, kept from its first read on: a site's stack never
 * changes, so each is fetched from the sites map once. */
struct heap_stack {
	uint32_t nframes;
	uint64_t *frames; /* NULL until fetched */
};

/*
 * The BPF side's heap state as the collector sees it: the counter and
 * block arrays mapped once for the whole trace, and the stacks fetched so
 * far, by site id.
 */
struct heap_maps {
	const volatile struct mt_site_counts *counts; /* MT_MAX_SITES, by id */
	const volatile struct mt_block_bucket *blocks; /* nbuckets */
	uint32_t nbuckets; /* the table's size, MT_BLOCK_BUCKETS unless set smaller */
	const volatile struct mt_counters *counters; /* the process's (its mt_proc) */
	/* The object's: site ids' keys, and its counters of sites and stacks
	 * (sites_used, stack_full, stack_collide, events_lost), shared by the
	 * processes it traces. */
	const volatile uint64_t *site_keys;
	const volatile struct mt_counters *object;
	void *state_map; /* mapped mt_proc */
	int sites_fd, blocks_more_fd;
	uint64_t sample_bytes;
	/* The period the target's otel_memory samples carry (0 before the
	 * first): overrides sample_bytes when set (otel_usdt.h). */
	const volatile uint64_t *otel_weight;
	uint32_t tgid; /* the traced process */
	struct heap_stack *stacks; /* by id, ncap of them */
	uint32_t ncap;
};

/* Reads pm's process's heap state in the loaded object through the slot's
 * own mappings (proc_views.h: they must outlive m); heap_maps_close()
 * undoes the rest. */
int heap_maps_open(struct heap_maps *m, struct memtrace_bpf *skel, const struct proc_maps *pm);
void heap_maps_close(struct heap_maps *m);

/*
 * Go's unbiasing of Poisson byte sampling at mean N bytes: `count` sampled
 * blocks averaging bytes/count stand for count / (1 - e^(-avg/N)) blocks.
 * Scales count and bytes in place; no-op for N == 0.
 */
void sample_unbias(uint64_t *count, uint64_t *bytes, uint64_t sample_bytes);
/* Copies the sites and counters out of the BPF side, with sampled
 * counters scaled to estimates of the whole.  Fetches the stacks of the
 * sites that appeared since the last read, and only those. */
int snapshot_read(struct heap_maps *m, struct heap_snapshot *out);
void snapshot_free(struct heap_snapshot *snap);

/*
 * Builds the report view: one mt_site per raw site that allocated anything,
 * frames symbolized through sym (raw addresses when sym is NULL), totals,
 * drops, modules; sites sorted for reports.  Fills pid/command/duration
 * from the arguments.
 */
int profile_build(const struct heap_snapshot *snap, struct symbolizer *sym, struct mt_profile *out);
/* Symbolizes one raw site into *out, its strings interned in p (frames malloc'd). */
int profile_site_from_raw(struct mt_profile *p, const struct mt_site_value *v, struct symbolizer *sym,
			  struct mt_site *out);

/* Outstanding blocks of one site, from the live-block table. */
struct site_blocks {
	uint64_t site;
	uint64_t count, bytes;
	uint64_t oldest_ns; /* CLOCK_MONOTONIC at its oldest block's allocation (100 ms ticks) */
};

/* One live block as the block table holds it. */
struct live_block {
	uint64_t ptr, size, site;
	uint64_t alloc_ns; /* CLOCK_MONOTONIC (100 ms ticks) */
};

/* Every block in the live-block table (and its overflow), in no order;
 * *out is malloc'd. */
int blocks_read(const struct heap_maps *m, struct live_block **out, size_t *n);
/* Walks the live-block table and groups it by site; *out sorted by site. */
int blocks_by_site(const struct heap_maps *m, struct site_blocks **out, size_t *n);
/* The entry for site in a blocks_by_site() result, or NULL. */
const struct site_blocks *site_blocks_find(const struct site_blocks *v, size_t n, uint64_t site);

#endif
