/* SPDX-License-Identifier: MIT */
/*
 * Page faults and address-space changes of the target as plain data: what
 * the fault tracer (trace/faults.c) hands back, what recordings keep and
 * the writers read.  Frames and strings belong to the profile the data
 * hangs from (mt_profile.faults), which frees it in profile_free().
 */
#ifndef MEMTRACE_FAULTS_DATA_H
#define MEMTRACE_FAULTS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/*
 * Where a faulting address lands.  The values are the BPF contract's
 * (include/faults_bpf.h, enum mt_region): trace/faults.c checks it.
 */
enum fault_region {
	FAULT_REGION_HEAP = 0,  /* the brk heap */
	FAULT_REGION_ANON = 1,  /* anonymous mapping (malloc arenas, big malloc blocks...) */
	FAULT_REGION_STACK = 2, /* a thread's stack */
	FAULT_REGION_FILE = 3,  /* file-backed mapping (code, data, mmap'd files, shm) */
	FAULT_REGION_OTHER = 4, /* no mapping (a segfault), or it could not be looked up */
	FAULT_NREGIONS = 5,
};

/* Bytes one fault counts for (hugetlbfs faults: 2 MiB); the contract's MT_PAGE_SIZE. */
#define FAULT_PAGE_SIZE 4096ULL

/* One faulting stack: frames innermost first, frames[0] is the access that faulted. */
struct mt_fault_site {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t count, bytes;
	uint64_t regions[FAULT_NREGIONS]; /* count by enum fault_region */
};

/* Address-space changes of one stack (or the totals over all of them). */
struct mt_mmap_stats {
	uint64_t mmap_count, mmap_bytes;
	uint64_t munmap_count, munmap_bytes;
	uint64_t mremap_count, mremap_grow_bytes, mremap_shrink_bytes;
	uint64_t brk_count, brk_grow_bytes, brk_shrink_bytes;
	uint64_t madvise_count, madvise_bytes; /* MADV_DONTNEED / MADV_FREE */
};

/* One stack that changed the address space: frames[0] is in the syscall wrapper. */
struct mt_mmap_site {
	const struct mt_frame *frames;
	uint32_t nframes;
	struct mt_mmap_stats s;
};

struct mt_fault_drops {
	uint64_t stack_unknown; /* stack not kept (table full, collision, walk failed) */
	uint64_t vma_unknown;   /* region not looked up (mmap lock busy): counted as "other" */
	uint64_t inflight_full; /* syscall missed: per-thread table full */
};

struct mt_faults {
	const char *source; /* "tracepoint" or "perf_event" (interned), NULL when faults are off */
	uint64_t count, bytes;
	uint64_t regions[FAULT_NREGIONS];
	struct mt_fault_site *sites; /* sorted by bytes, then count, descending */
	size_t nsites, sites_cap; /* cap: room grow.h may assume (0: exactly nsites) */
	struct mt_mmap_stats mmap; /* totals */
	struct mt_mmap_site *mmap_sites; /* sorted by mapped (mmap+brk+mremap growth) bytes, descending */
	size_t nmmap_sites, mmap_sites_cap;
	struct mt_fault_drops drops;
	uint64_t hugetlb_faults; /* faults in hugetlbfs mappings (charged 2 MiB each) */
	uint64_t leaf_fixups;    /* syscall stacks whose wrapper's caller came from [sp] */
};

/* "heap", "anon", "stack", "file", "other" (and "other" for anything else). */
const char *fault_region_name(enum fault_region r);

/* Sorts both site lists for reports. */
void faults_sort(struct mt_faults *f);

/* Frees f, its sites and their frames (not the strings: the profile's pool has them).  NULL is fine. */
void faults_data_free(struct mt_faults *f);

#endif
