/* SPDX-License-Identifier: MIT */
/*
 * `memtrace layout`'s output: per type its layout as pahole shows it
 * (members, offsets, sizes, holes, padding) and the suggested reordering
 * with its declaration, new size and saving; with a heap profile, per type
 * what the heap holds of it and would save.  Text for people, JSON for
 * programs (field names below are the JSON keys).
 */
#ifndef MEMTRACE_LAYOUT_REPORT_H
#define MEMTRACE_LAYOUT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"

/* What a heap profile says of one type (all 0 without a profile). */
struct layout_heap {
	uint64_t live_count, live_bytes;   /* objects of the type live at the end, their bytes now */
	uint64_t alloc_count, alloc_bytes; /* allocated during the trace */
	uint64_t live_saving, alloc_saving;
	uint32_t sites;                    /* allocation sites attributed to the type */
	const char *match;                 /* its sites' least confident match (alloc_types.h) */
	const char *confidence;            /* "high", "medium" or "low" */
};

struct layout_row {
	const struct lt_type *t;
	struct lt_holes h;
	struct lt_suggestion s;
	int64_t *hole;      /* per member: bytes of hole after it */
	int32_t *bit_hole;  /* per member: bits of hole after it */
	struct layout_heap heap;
};

struct layout_doc {
	const char *binary;
	const char *build_id;
	const char *debug_path;   /* separate debug file read, or NULL */
	struct layout_row *rows;  /* in the order shown */
	size_t nrows;
	uint64_t ntypes;          /* types read */
	uint64_t duplicates;      /* definitions already listed */
	uint64_t refused;         /* types that could not be read */
	uint64_t filtered;        /* read but not shown (--type, --min-waste) */
	bool profiled;            /* rows carry heap figures */
	const char *profile;      /* the profile's path */
	uint64_t sites_total, sites_matched, sites_by_call_site, sites_ambiguous, sites_unmatched, sites_other_binary;
};

void layout_report_text(FILE *f, const struct layout_doc *d);
void layout_report_json(FILE *f, const struct layout_doc *d);

#endif
