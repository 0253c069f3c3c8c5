/* SPDX-License-Identifier: MIT */
/*
 * The output options a live trace and `memtrace report` share (--json,
 * --timeline, --gc-svg), defined once as an argp child: options.c and
 * cmd_report.c both list it, so the two command lines take the same
 * spellings with the same help.  -o stays each parser's own (report's
 * takes no live-only formats).
 */
#ifndef MEMTRACE_OUTPUT_OPTIONS_H
#define MEMTRACE_OUTPUT_OPTIONS_H

#include <argp.h>

/* Where the child stores each option's FILE (the caller's strings, from
 * argv): set as the child's input, in the parent's ARGP_KEY_INIT. */
struct output_paths {
	const char **json;
	const char **timeline;
	const char **gc_svg;
};

extern const struct argp output_options_argp;

#endif
