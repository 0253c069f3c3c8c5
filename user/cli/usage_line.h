/* SPDX-License-Identifier: MIT */
/*
 * Usage errors in one line.  argp prints a usage error as two lines, the
 * message and "Try `memtrace --help' or `memtrace --usage' for more
 * information."; the README promises one line that says what to do.
 */
#ifndef MEMTRACE_USAGE_LINE_H
#define MEMTRACE_USAGE_LINE_H

#include <stdio.h>

/*
 * A stream for argp_state.err_stream (set it at ARGP_KEY_INIT): what is
 * written to it reaches stderr line by line, except argp's "Try `" line,
 * whose advice is folded into the line before it as " (see memtrace
 * --help)".  Lines are passed on as they end; what is left is passed on at
 * fclose or exit.  Falls back to stderr itself (NULL never returned).
 */
FILE *usage_line_stream(void);

/* The filter itself, for tests: one line (without '\n') in, 1 to print it, 0 to drop it. */
int usage_line_keep(const char *line);

#endif
