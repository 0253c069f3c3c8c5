/* SPDX-License-Identifier: MIT */
/*
 * Page faults and address-space changes of the target (bpf/faults.bpf.c):
 * loading and attaching the programs, and collecting their aggregates into
 * a symbolized, report-ready struct mt_faults.
 *
 *  - Faults: exceptions:page_fault_user (tp_btf), or the
 *    PERF_COUNT_SW_PAGE_FAULTS software event (sample_period 1, one per
 *    CPU) where the tracepoint does not exist.  Per user stack (frames[0] = the faulting instruction): the
 *    number of faults, bytes (faults x 4 KiB; hugetlbfs faults count 2 MiB),
 *    and the region each address lands in (enum mt_region).
 *  - mmap, munmap, mremap, brk, madvise(MADV_DONTNEED|MADV_FREE) via the
 *    per-syscall tracepoints (syscalls:sys_enter_mmap, ...) when tracefs
 *    is readable, which run on these calls only; else the raw
 *    sys_enter/sys_exit tracepoints (tp_btf), which need no tracefs but run
 *    a filter on every syscall of the machine (MT_FAULTS_RAW_SYSCALLS
 *    forces them).  Native calls only.  Per user stack (frames[0] = the syscall instruction in the libc wrapper,
 *    frames[1] its caller): counts and page-aligned bytes.
 *
 * Both are filtered to the target's tgid inside the BPF programs.  Without
 * tracefs, CAP_BPF and CAP_PERFMON are enough to load and attach them.
 *
 * Cost (tools/workload_faults --bench, 4096 fresh pages x 15 runs, medians):
 * ~1.2 us per fault on top of ~1.4 us untraced.  The region lookup
 * (bpf_find_vma, ~10 us) is cached per 2 MiB granule and expired by the
 * mmap/munmap/mremap/brk programs, so the cache is only used with
 * FAULTS_TRACE_MMAP.  Experiments: MT_FAULTS_NO_VMA_CACHE=1 disables the
 * cache, MT_FAULTS_NO_VMA=1 the lookup (regions: heap or "other" only).
 */
#ifndef MEMTRACE_FAULTS_H
#define MEMTRACE_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The BPF contract, include/faults.h: same base name as this file, so by path. */
#include "faults_bpf.h"
#include "profile.h"

struct symbolizer;
struct faults_tracer;

/* faults_open flags. */
#define FAULTS_TRACE_FAULTS 0x1u /* page faults */
#define FAULTS_TRACE_MMAP 0x2u   /* mmap/munmap/mremap/brk/madvise */
#define FAULTS_FORCE_PERF 0x4u   /* use the perf-event fallback even where the tracepoint exists */
#define FAULTS_TRACE_ALL (FAULTS_TRACE_FAULTS | FAULTS_TRACE_MMAP)

/* One faulting stack: frames innermost first, frames[0] is the access that faulted. */
struct mt_fault_site {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t count, bytes;
	uint64_t regions[MT_NREGIONS]; /* count by enum mt_region */
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
	uint64_t regions[MT_NREGIONS];
	struct mt_fault_site *sites; /* sorted by bytes, then count, descending */
	size_t nsites;
	struct mt_mmap_stats mmap; /* totals */
	struct mt_mmap_site *mmap_sites; /* sorted by mapped (mmap+brk+mremap growth) bytes, descending */
	size_t nmmap_sites;
	struct mt_fault_drops drops;
	uint64_t hugetlb_faults; /* faults in hugetlbfs mappings (charged 2 MiB each) */
	uint64_t leaf_fixups;    /* syscall stacks whose wrapper's caller came from [sp] */
};

/* "heap", "anon", "stack", "file", "other". */
const char *fault_region_name(enum mt_region r);

/*
 * Loads the programs for pid (0 = every process, for tests) and attaches
 * what flags ask for.  On failure prints one "memtrace:" line and returns
 * -errno; *out is NULL.
 */
int faults_open(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose);
/* "tracepoint" or "perf_event": how faults are traced; NULL when they are not. */
const char *faults_source(const struct faults_tracer *t);
/*
 * Reads the aggregates now and builds *out: frames symbolized through sym
 * (raw addresses when NULL), strings interned in owner's pool and modules
 * appended to owner->modules, so frames index owner->modules like heap
 * sites do.  Free with faults_data_free() before profile_free(owner).
 */
int faults_collect(struct faults_tracer *t, struct symbolizer *sym, struct mt_profile *owner,
		   struct mt_faults **out);
void faults_close(struct faults_tracer *t);
/* Frees f, its sites and their frames (not the strings: owner's pool has them).  NULL is fine. */
void faults_data_free(struct mt_faults *f);

/* ---- building blocks, exposed for tests ---- */

/* The raw BPF site, as the collector reads it from the map. */
struct mt_fault_site_value;
/*
 * Adds one raw site's contents to f (a fault site and/or an mmap site) with
 * its frames resolved through sym; frames[0] is resolved as an instruction,
 * the others as return addresses.  Totals are not touched.
 */
int faults_add_raw(struct mt_faults *f, const struct mt_fault_site_value *v, struct symbolizer *sym,
		   struct mt_profile *owner);
/* Sorts both site lists for reports. */
void faults_sort(struct mt_faults *f);

#endif
