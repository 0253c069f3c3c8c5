/* SPDX-License-Identifier: MIT */
/*
 * Mutator waits (refgc's assists and stalls, gc_data.h's struct gc_wait)
 * in the GC section of each format, beside the pauses gc_report.c writes.
 * Each writes nothing when the data has no waits and no unpaired events,
 * so runtimes without wait probes read as before.
 */
#ifndef MEMTRACE_GC_WAITS_REPORT_H
#define MEMTRACE_GC_WAITS_REPORT_H

#include <stdio.h>

#include "gc_data.h"
#include "json.h"

/* JSON, inside the "gc" object: "waits" {assists and stalls: count,
 * total_ns, max_ns; "unpaired"; "mmu_counts"; "mmu_pauses_only"; "list" of every wait with
 * kind, cycle, tid, start_ns, t_s (since origin), duration_ns}. */
void gc_waits_json(struct json *j, const struct gc_data *d, uint64_t origin);
/* JSON, inside one cycle_list entry: assists, assist_ns, stalls, stall_ns. */
void gc_waits_json_cycle(struct json *j, const struct gc_data *d, const struct gc_cycle *c);
/* Text: one summary line after the MMU line. */
void gc_waits_text(const struct gc_data *d, FILE *out);
/* Text: the cycle's waits appended to its line (no newline). */
void gc_waits_text_cycle(const struct gc_data *d, const struct gc_cycle *c, FILE *out);
/* HTML: rows of the GC summary table. */
void gc_waits_html_rows(const struct gc_data *d, FILE *out);
/* SVG: a lane of waits, one bar per pixel column and kind (the longest
 * there), in x from plot_x over plot_w pixels for [t0, t0 + span], at y. */
void gc_waits_svg_lane(const struct gc_data *d, FILE *out, int plot_x, int plot_w, int y, uint64_t t0,
		       double span);

#endif
