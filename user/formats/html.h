/* SPDX-License-Identifier: MIT */
/*
 * One self-contained HTML report: no script, style, font or image is
 * fetched (a Content-Security-Policy forbids it), so the file can be mailed
 * or attached to a bug as is.
 *
 * The page is a list of sections, each drawn by one html_section (see
 * html_sections in html.c): summary, top allocation sites, flame graphs of
 * the four metrics (tabs), in-use bytes over time.  A new report part (leak
 * alerts, GC pauses, page faults...) is one more entry in that list; a
 * section's writer gets the profile and writes an HTML fragment.
 */
#ifndef MEMTRACE_HTML_H
#define MEMTRACE_HTML_H

#include <stdio.h>

#include "profile.h"

#define HTML_TOP_SITES 50

struct html_section {
	const char *id;    /* anchor, unique in the page */
	const char *title; /* heading and navigation label */
	/* Writes the section body; 0 or a negative errno. */
	int (*write)(const struct mt_profile *p, FILE *out);
};

/* A table cell with a stack's first frames, for sections in other files. */
void html_frames_cell(const struct mt_profile *p, const struct mt_frame *f, uint32_t n, FILE *out);

/* 0, -ENOMEM, -EIO. */
int html_write(const struct mt_profile *p, FILE *out);

#endif
