/* SPDX-License-Identifier: MIT */
/*
 * Option values both parsers take (tracing's argp in options.c, report's
 * and diff's in cmd_report.c), checked in one place so they agree.
 */
#ifndef MEMTRACE_OPTION_VALUES_H
#define MEMTRACE_OPTION_VALUES_H

#define TOP_MAX 100000

/* --top N: 1 .. TOP_MAX in decimal; 0, or -EINVAL with *out untouched. */
int top_parse(const char *s, int *out);

#endif
