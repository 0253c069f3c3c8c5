/* SPDX-License-Identifier: MIT */
/*
 * Numbers for people: the writers' tooltips, tables and axis labels.
 *
 * Every function writes a NUL-terminated string into buf (HUMAN_BUFSZ bytes
 * is always enough) and returns buf, so calls can sit inside a printf.
 */
#ifndef MEMTRACE_HUMANIZE_H
#define MEMTRACE_HUMANIZE_H

#include <stdint.h>

#include "profile.h"

#define HUMAN_BUFSZ 48

/* "512 B", "1.5 KiB", "12.0 MiB", "3.25 GiB": binary units, 3 significant digits. */
char *human_bytes(uint64_t bytes, char *buf);
/* "1,234,567": plain count with thousands separators. */
char *human_count(uint64_t n, char *buf);
/* human_bytes for space metrics, human_count + " objects" for object metrics. */
char *human_metric(enum mt_metric m, uint64_t v, char *buf);
/* "850 ms", "12.3 s", "4m05s", "2h03m". */
char *human_duration(uint64_t ns, char *buf);
/* "2024-05-01 12:00:00 UTC", or "unknown time" for 0. */
char *human_time(uint64_t realtime_ns, char *buf);
/* 1 when the metric counts bytes, 0 when it counts objects. */
int metric_is_space(enum mt_metric m);

#endif
