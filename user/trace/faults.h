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
 *    and the region each address lands in (enum fault_region in faults_data.h).
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

#include "faults_bpf.h"
#include "faults_data.h"
#include "profile.h"

struct symbolizer;
struct faults_tracer;

/* faults_open flags. */
#define FAULTS_TRACE_FAULTS 0x1u /* page faults */
#define FAULTS_TRACE_MMAP 0x2u   /* mmap/munmap/mremap/brk/madvise */
#define FAULTS_FORCE_PERF 0x4u   /* use the perf-event fallback even where the tracepoint exists */
#define FAULTS_TRACE_ALL (FAULTS_TRACE_FAULTS | FAULTS_TRACE_MMAP)

/*
 * Loads the programs for pid (0 = every process, for tests) and attaches
 * what flags ask for.  On failure prints one "memtrace:" line and returns
 * -errno; *out is NULL.
 */
int faults_open(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose);
/*
 * The heap tracer's unwinding (--unwind), for the fault and mmap stacks.
 * With auto|dwarf they are walked by the same unwind rows, on the heap
 * tracer's own exec_ranges and unwind_rows maps (shared, not copied: its
 * loads and refreshes serve both, and faults_refresh_ranges does nothing).
 * A fault's frame 0 is the faulting instruction, looked up at itself, not
 * at the address before it as a return address is.
 */
struct faults_unwind {
	int mode;      /* enum mt_unwind_mode; MT_UNWIND_FP: frame pointers, nothing shared */
	int ranges_fd; /* the heap tracer's exec_ranges map */
	int rows_fd;   /* its unwind_rows map */
};
/* faults_open, walking stacks as uw says (NULL: frame pointers). */
int faults_open_unwind(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose,
		       const struct faults_unwind *uw);
/*
 * For --follow's pool of tracers (tracer_pool.h): programs loaded ahead,
 * for no process, so a forked child needs no load of its own.
 *  - faults_load_unbound: loads them as faults_open_unwind does (uw's maps
 *    are shared; with frame pointers too, its exec_ranges), traces no
 *    process, and attaches the per-syscall mmap programs only (for good:
 *    they return at the tgid check until bound); one "memtrace:" line on
 *    failure.
 *  - faults_bind: names pid as the traced process, then attaches the
 *    page-fault program (and the raw sys_enter/sys_exit pair without
 *    tracefs): no load, no perf-event tracepoint; held forks wait
 *    ~0.2-0.5 ms on it.  The process's faults and mmaps are counted from
 *    the next one on.  On failure nothing it attached stays (the caller
 *    says so).
 *  - faults_unbind: detaches what faults_bind attached (waits for the
 *    kernel's RCU grace periods: not for an event loop) and traces no
 *    process.
 *  - faults_reset (faults_reset.c): unbinds and empties every map and
 *    counter, so the tracer serves a next faults_bind as new; on failure
 *    a negative errno, and the tracer should be closed.
 */
#define FAULTS_TGID_NONE 0xffffffffu /* no process has it (pid_max <= 2^22) */
int faults_load_unbound(struct faults_tracer **out, unsigned flags, int verbose, const struct faults_unwind *uw);
int faults_bind(struct faults_tracer *t, pid_t pid);
void faults_unbind(struct faults_tracer *t);
int faults_reset(struct faults_tracer *t);
/*
 * Reads the aggregates now and builds *out: frames symbolized through sym
 * (raw addresses when NULL), strings interned in owner's pool and modules
 * appended to owner->modules, so frames index owner->modules like heap
 * sites do.  Set owner->faults = *out and profile_free() frees it; otherwise
 * free it with faults_data_free() before profile_free(owner).
 */
int faults_collect(struct faults_tracer *t, struct symbolizer *sym, struct mt_profile *owner,
		   struct mt_faults **out);
/* Gives the stack walk the target's executable mappings again (exec_ranges.h):
 * call after each exec or change of its loaded objects.  A no-op when the
 * maps are the heap tracer's (faults_open_unwind). */
int faults_refresh_ranges(struct faults_tracer *t);
void faults_close(struct faults_tracer *t);

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

#endif
