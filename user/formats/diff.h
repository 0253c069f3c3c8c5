/* SPDX-License-Identifier: MIT */
/*
 * Growth between two profiles of the same program (memtrace diff).
 *
 * Sites are matched by their symbolized stack: the frame_name() of every
 * frame (function names; "module+0xoffset" with the module's basename for
 * unnamed frames), never by address, since ASLR moves addresses between
 * runs.  Sites of one profile with the same names are summed.
 *
 * Callers may rely on:
 *  - one entry per distinct stack present in either profile, with the four
 *    metrics before and after (0 where the stack is absent);
 *  - entries ordered by growth of the chosen metric (after - before),
 *    largest first, then by after descending, then by stack name;
 *  - the writers' formats:
 *      JSON    { "version": 1, "metric": M,
 *                "before": {"pid","command","duration_ns"}, "after": {...},
 *                "totals": { <metric>: {"before","after","delta"} x 4 },
 *                "sites": [ { "frames": [names, innermost first],
 *                             "before", "after", "delta" (chosen metric),
 *                             <metric>: {"before","after","delta"} x 4 } ] }
 *      folded  "outer;...;leaf BEFORE AFTER" per stack with a non-zero value
 *              in either profile, sorted like folded_write (the two-column
 *              input of flamegraph.pl and difffolded.pl's output format);
 *      text    totals, then the top sites by growth and by shrinkage, with
 *              signed human units.
 */
#ifndef MEMTRACE_DIFF_H
#define MEMTRACE_DIFF_H

#include <stdint.h>
#include <stdio.h>

#include "profile.h"

#define DIFF_NMETRICS 4 /* indexed by enum mt_metric */

struct diff_entry {
	const char *key;                 /* folded stack, outermost first; owned by the diff */
	const struct mt_profile *prof;   /* a profile holding this stack, and */
	const struct mt_site *site;      /* one of its sites, to name the frames */
	uint64_t before[DIFF_NMETRICS];
	uint64_t after[DIFF_NMETRICS];
};

struct diff {
	struct diff_entry *entries;
	size_t n;
	enum mt_metric metric;
	struct strpool *keys;
};

/* Borrows before/after, which must outlive the diff.  0 or -ENOMEM. */
int diff_build(const struct mt_profile *before, const struct mt_profile *after, enum mt_metric m,
	       struct diff *out);
void diff_free(struct diff *d);
/* after - before of one metric. */
int64_t diff_delta(const struct diff_entry *e, enum mt_metric m);

/* 0, -ENOMEM or -EIO when out fails. */
int diff_write_json(const struct diff *d, const struct mt_profile *before,
		    const struct mt_profile *after, FILE *out);
int diff_write_folded(const struct mt_profile *before, const struct mt_profile *after,
		      enum mt_metric m, FILE *out);
void diff_write_text(const struct diff *d, const struct mt_profile *before,
		     const struct mt_profile *after, int top, FILE *out);

#endif
