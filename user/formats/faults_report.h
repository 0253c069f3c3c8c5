/* SPDX-License-Identifier: MIT */
/*
 * Reports of struct mt_faults (user/faults.h): the "faults" and "mmap" JSON
 * sections, text lines, an HTML section, and a struct mt_profile view of
 * the fault sites for the folded, flame graph and pprof writers.
 *
 * Every function takes the profile whose modules and strings the frames
 * refer to (faults_collect's owner).
 */
#ifndef MEMTRACE_FAULTS_REPORT_H
#define MEMTRACE_FAULTS_REPORT_H

#include <stdio.h>

#include "faults_data.h"
#include "json.h"
#include "profile.h"

/*
 * Writes the members "faults" and "mmap" into the JSON object open in j
 * (the report's top level).  f NULL writes nothing.  0 or -EIO.
 *
 *   "faults": { "source", "count", "bytes", "page_size",
 *               "regions": {heap, anon, stack, file, other},
 *               "drops": {stack_unknown, region_unknown, hugetlb_faults},
 *               "sites": [ { "frames": [ {function, module, address, offset} ],
 *                            "count", "bytes", "regions": {...} } ] }   largest first
 *   "mmap":   { <totals: mmap_count, mmap_bytes, munmap_count, munmap_bytes,
 *                mremap_count, mremap_grow_bytes, mremap_shrink_bytes,
 *                brk_count, brk_bytes, brk_shrink_bytes, madvise_count, madvise_bytes>,
 *               "drops": {stack_unknown, syscall_missed},
 *               "sites": [ { "frames": [...], <the same counters> } ] }
 */
int faults_json_write(struct json *j, const struct mt_profile *p, const struct mt_faults *f);

/* Text: totals by region, the top fault sites and top mapping sites, up to 8 frames each. */
void faults_text_write(const struct mt_profile *p, const struct mt_faults *f, int top, FILE *out);

/*
 * The HTML section body (see html.h): totals, top fault sites with their
 * regions, a "who grew my RSS" flame graph, top mmap/brk/madvise sites.
 * f NULL writes a one-line note.  0, -ENOMEM, -EIO.
 */
int faults_html_section(const struct mt_profile *p, const struct mt_faults *f, FILE *out);

/* What a view of faults charges to each site. */
enum faults_view_kind {
	FAULTS_VIEW_FAULTS, /* fault bytes/count: who grew RSS */
	FAULTS_VIEW_MAPPED, /* mmap + brk + mremap growth: who grew the address space */
};

/*
 * A plain mt_profile view of f for writers that take one (folded_write,
 * flamegraph_write, pprof_write): one mt_site per site with alloc_* =
 * inuse_* = its count and bytes, totals to match, pid/command/times/modules
 * /strings shared with p.  The view borrows frames, modules and strings:
 * free it with faults_view_free(), never profile_free().  0 or -ENOMEM.
 */
int faults_view(const struct mt_profile *p, const struct mt_faults *f, enum faults_view_kind kind,
		struct mt_profile *view);
void faults_view_free(struct mt_profile *view);
/* What a view's values are called (its pprof sample types, its flame
 * graph's label): "faults" and "fault_bytes", or "mappings" and "mapped". */
const char *faults_view_count_name(enum faults_view_kind kind);
const char *faults_view_bytes_name(enum faults_view_kind kind);

#endif
