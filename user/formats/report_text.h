/* SPDX-License-Identifier: MIT */
/* Human-readable views: the live line per interval and the final report. */
#ifndef MEMTRACE_REPORT_TEXT_H
#define MEMTRACE_REPORT_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "profile.h"

/*
 * The live view: one summary line (time, in use, change since the previous
 * view, alloc rate, RSS from the last point of p->series, drops) and the top
 * sites by in-use bytes.
 * prev_inuse/elapsed_ns describe the previous view, for rates.
 */
void live_view_print(const struct mt_profile *p, int top, uint64_t prev_inuse, uint64_t prev_alloc,
		     uint64_t elapsed_ns, FILE *out);
/* The final report: totals, drops, top sites with up to 8 frames each. */
void report_text_write(const struct mt_profile *p, int top, FILE *out);
/* "f0 <- f1 <- f2": the innermost `depth` frames of a site. */
void site_label(const struct mt_profile *p, const struct mt_site *s, int depth, char *buf, size_t len);

#endif
