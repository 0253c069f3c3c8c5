/* SPDX-License-Identifier: MIT */
/*
 * In-use bytes over time as an inline SVG line chart (for the HTML report),
 * with the RSS line beside it when the series has any rss_bytes.  Long
 * series are cut into at most TIMECHART_MAX_POINTS buckets, each drawn at its
 * maximum, so peaks survive and the output stays small.
 */
#ifndef MEMTRACE_TIMECHART_H
#define MEMTRACE_TIMECHART_H

#include <stdio.h>

#include "profile.h"

#define TIMECHART_MAX_POINTS 1000

/* No XML prolog: meant to be inlined.  0 or -EIO. */
int timechart_write(const struct mt_profile *p, FILE *out);

#endif
