/* SPDX-License-Identifier: MIT */
/*
 * Leak detection on a live trace: feeds each second's heap snapshot to the
 * detector (by site group), checks suspects' oldest blocks, raises and
 * delivers alerts, and at the end adds the alerts and the outstanding
 * blocks ("leaks") to the final profile.
 */
#ifndef MEMTRACE_LEAKWATCH_H
#define MEMTRACE_LEAKWATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heap.h"
#include "leak.h"

struct trace_opts;
struct trace_hooks;
struct site_groups;
struct symbolizer;

/* An alert as raised: the raw site is symbolized again for the final report. */
struct pending_alert {
	struct raw_site raw;
	struct leak_verdict verdict;
	uint64_t oldest_age_ns, t_ns, wall_ns;
};

struct leakwatch {
	struct leak_detector *det;
	struct site_groups *groups;
	const struct trace_hooks *hooks; /* alerts go to hooks->alert */
	struct pending_alert *alerts;
	size_t nalerts, alerts_cap;
	uint64_t min_age_ns;
	uint64_t start_ns; /* of the trace, for alert times */
	pid_t pid;
	const char *comm;
};

/* Sets up detection from the options; alerts are handed to hooks->alert. */
int leakwatch_open(struct leakwatch *w, const struct trace_opts *o, const struct trace_hooks *hooks);
/* One second's sample, with the target's RSS then (0: unknown); returns
 * how many alerts it raised (already delivered). */
int leakwatch_sample(struct leakwatch *w, const struct heap_maps *heap, struct symbolizer *sym,
		     const struct heap_snapshot *snap, uint64_t now_ns, uint64_t rss_bytes);
/* Adds the alerts raised so far to p, symbolized through sym. */
int leakwatch_add_alerts(const struct leakwatch *w, struct mt_profile *p, struct symbolizer *sym);
/*
 * Adds p->leaks: blocks still outstanding at end_ns older than min_age_ns,
 * grouped by stack, largest first (min_age_ns 0: every block).
 */
int leakwatch_add_leaks(const struct heap_maps *heap, struct symbolizer *sym, const struct heap_snapshot *snap,
			uint64_t end_ns, uint64_t min_age_ns, struct mt_profile *p);
void leakwatch_close(struct leakwatch *w);

#endif
