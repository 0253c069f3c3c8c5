/* SPDX-License-Identifier: MIT */
/*
 * GC pauses in memtrace's outputs: the JSON "gc" member, the live view's
 * GC line, the text report's GC section, the pause timeline (SVG, alone or
 * inline) and the HTML report's GC section.
 */
#ifndef MEMTRACE_GC_REPORT_H
#define MEMTRACE_GC_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "gc_data.h"
#include "json.h"

/* Pause durations for people: "850 ns", "12.3 us", "1.25 ms", "2.50 s". */
char *gc_fmt_duration(uint64_t ns, char *buf, size_t len);
/* The object `name`: minimum mutator utilization over 1, 10 and 100 ms
 * windows, as the GC section writes it ("1ms", "10ms", "100ms"). */
void gc_json_mmu(struct json *j, const char *name, double mmu_1ms, double mmu_10ms, double mmu_100ms);
/* The `"gc": {...}` member of the report object j is inside.  Nothing when d is NULL.
 * origin: CLOCK_MONOTONIC of the trace's start (trace_clock.h), for each
 * pause's and cycle's "t_s" (and "end_t_s") beside its CLOCK_MONOTONIC ns. */
int gc_json_write(struct json *j, const struct gc_data *d, uint64_t origin);
/* One line (with newline): cycles and pauses that started at or after since_ns (CLOCK_MONOTONIC). */
void gc_live_line(const struct gc_data *d, uint64_t since_ns, FILE *out);
/* The text report's GC section: summary and up to max_cycles cycles (0: none). */
void gc_text_write(const struct gc_data *d, int max_cycles, FILE *out);
/* A self-contained SVG file: pause bars over time, heap size area beneath. 0 or -EIO. */
int gc_svg_write(const struct gc_data *d, FILE *out);
/* The same chart without the XML prolog, for inlining in HTML. */
int gc_svg_inline(const struct gc_data *d, FILE *out);
/* <section id="gc">: summary table, timeline, per-cycle table.  0 or -EIO. */
int gc_html_section(const struct gc_data *d, FILE *out);
/* Writes the chart to the file at path; one "memtrace:" line on failure. */
int gc_svg_save(const struct gc_data *d, const char *path);

#endif
