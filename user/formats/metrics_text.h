/* SPDX-License-Identifier: MIT */
/*
 * A live trace as Prometheus metrics: the text exposition format 0.0.4
 * (Content-Type "text/plain; version=0.0.4"), what --metrics serves.
 *
 * Every series carries pid and comm labels.  Names and types:
 *   memtrace_heap_inuse_bytes, memtrace_heap_inuse_objects        gauge
 *   memtrace_heap_allocated_bytes_total, memtrace_heap_allocations_total,
 *   memtrace_heap_freed_bytes_total, memtrace_heap_frees_total    counter
 *   memtrace_rss_bytes                                            gauge (when read)
 *   memtrace_site_inuse_bytes, memtrace_site_inuse_objects,
 *   memtrace_site_allocated_bytes_total                           per site, labels
 *       site (16 hex digits: a hash of the symbolized stack, the same for
 *       the same stack in every run and every scrape) and function (its
 *       leaf); sites with the same names are one series; only the top
 *       `top` by bytes in use (then allocated), so cardinality is bounded
 *       by top
 *   memtrace_leak_alerts_total                                    counter
 *   memtrace_dropped_events_total{reason=stack_full|allocs_full|
 *       inflight_full|events_lost}                                counter
 *   memtrace_page_faults_total, memtrace_page_fault_bytes_total   counter (with --faults)
 *   memtrace_gc_pause_seconds                                     histogram (a GC traced),
 *       buckets 0.0001 .. 1 s, label runtime
 *   memtrace_gc_cycles_total                                      counter (a GC traced)
 *
 * Label values are escaped as the format says (\\, \", \n); a label value
 * is cut at 256 bytes.
 */
#ifndef MEMTRACE_METRICS_TEXT_H
#define MEMTRACE_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gc_data.h"
#include "profile.h"

/* The content type the text is in. */
#define METRICS_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Writes p (its series' last sample gives RSS), gc (NULL: none traced) and
 * the number of leak alerts raised so far.  0 or -EIO.
 */
int metrics_text_write(const struct mt_profile *p, const struct gc_data *gc, size_t nalerts, int top, FILE *out);

/* The site label: 64-bit FNV-1a of the frames' names (FRAME_STYLE_FOLDED), innermost first. */
uint64_t metrics_site_id(const struct mt_profile *p, const struct mt_site *s);

#endif
