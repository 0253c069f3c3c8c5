/* SPDX-License-Identifier: MIT */
/*
 * No silent emptiness: a stack output (.folded, .svg) whose metric is 0 at
 * every site is written as asked, and one line on stderr says so and names
 * a metric that has data ("--metric alloc_space").  A pprof file holds all
 * four metrics; the line comes when the one its readers open on
 * (inuse_space) is 0 everywhere, naming the -sample_index with data.
 */
#ifndef MEMTRACE_OUTPUT_EMPTY_H
#define MEMTRACE_OUTPUT_EMPTY_H

#include "output.h"

/* Says so when path (format fmt, showing metric) came out empty; whether it did. */
bool output_say_empty(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric);

#endif
