/* SPDX-License-Identifier: MIT */
/*
 * The reachability scan in the reports: the scan's line (what it read, how
 * long the target was stopped, what it could not see) and each leak's
 * classes, in text, JSON and HTML.  pprof carries the classes as sample
 * types (pprof.c).  All of them say nothing when no scan was asked for.
 */
#ifndef MEMTRACE_REACH_REPORT_H
#define MEMTRACE_REACH_REPORT_H

#include <stdio.h>

#include "json.h"
#include "profile.h"

/* Text: the scan's line, then the top leaks by definitely lost bytes. */
void reach_text_write(const struct mt_profile *p, int top, FILE *out);
/* JSON: a leak's classes, as members of its object. */
void reach_json_counts(struct json *j, const struct mt_reach_counts *c);
/* JSON: the "reachability" object (state, pause, totals). */
void reach_json_write(struct json *j, const struct mt_reach *r);
/* HTML: the scan's summary and the classes of the leaks (html_section). */
int reach_html_section(const struct mt_profile *p, FILE *out);

#endif
