/* SPDX-License-Identifier: MIT */
/*
 * Writes a profile to a file in the format its name asks for: .json,
 * .pb.gz (pprof), .folded, .svg (flamegraph), .html, .txt (the text report,
 * as printed on stderr at the end of a trace), .trace.json (the timeline,
 * Chrome trace events; plain .json stays the report).  Files are written to a
 * temporary name and renamed, so a reader never sees half a report.
 */
#ifndef MEMTRACE_OUTPUT_H
#define MEMTRACE_OUTPUT_H

#include <stdio.h>

#include "profile.h"

enum out_format {
	OUT_JSON,
	OUT_PPROF,
	OUT_FOLDED,
	OUT_SVG,
	OUT_HTML,
	OUT_TEXT,
	OUT_TIMELINE, /* .trace.json: Chrome trace events (timeline.h) */
};

/* Sites listed by .txt outputs (--top); 10 unless set. */
void output_set_text_top(int top);

/* -EINVAL for a name with no known extension. */
int output_format_for(const char *path, enum out_format *fmt);
/* path "-" writes to stdout.  Reports its own errors ("memtrace: ..."). */
int output_write(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric);

/* What the stack formats (.pb.gz, .folded, .svg) show; JSON and HTML show all. */
enum out_view {
	VIEW_HEAP,   /* allocations, by --metric */
	VIEW_FAULTS, /* page faults: who grew RSS */
	VIEW_MAPPED, /* mmap/brk growth: who grew the address space */
};

/* -EINVAL for an unknown name ("heap", "faults", "mapped"). */
int output_view_parse(const char *name, enum out_view *out);
/* output_write of the chosen view; -ENOENT (reported) when faults were not traced. */
int output_write_view(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric,
		      enum out_view view);

#endif
