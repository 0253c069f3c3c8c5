/* SPDX-License-Identifier: MIT */
/*
 * Which stream memtrace's own text goes to.  The traced command owns stdout:
 * a command run under memtrace (-- CMD) writes there, piped into whatever
 * reads it, and memtrace must not add a byte.
 *
 * Callers may rely on:
 *  - streams_check refuses (one line, -EINVAL) any output named "-" (stdout)
 *    when memtrace runs a command: --json -, -o -, --record -, --gc-svg -,
 *    --log-file -.  With -p, stdout is memtrace's and "-" is fine, except
 *    for a report (--json -, -o -, --record -) when several processes are
 *    traced (--follow, -p A,B): stdout is then refused too (one line,
 *    -EINVAL), as the reports would be several documents back to back.
 *  - streams_log_open gives the stream for the live view and the final text
 *    report: the --log-file file opened for appending (safe_file_append_open),
 *    else stderr; never stdout unless --log-file - with -p.
 */
#ifndef MEMTRACE_STREAMS_H
#define MEMTRACE_STREAMS_H

#include <stdio.h>

#include "options.h"

int streams_check(const struct options *o);
/* 0 or a negative errno, reported ("memtrace: cannot open the log file ..."). */
int streams_log_open(const struct options *o, FILE **out);
/* Closes what streams_log_open opened (not stderr); -EIO if a write was lost. */
int streams_log_close(FILE *f);

#endif
