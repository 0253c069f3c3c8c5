/* SPDX-License-Identifier: MIT */
/*
 * A reachability scan of a live or exiting process: which of the blocks
 * memtrace tracks are definitely lost, indirectly lost or still reachable
 * (reach_mark.h for the rules, reach_roots.h for the roots), per site.
 *
 * The process is stopped only for the scan itself: the blocks are listed,
 * the scan's speed is measured on up to 4 MiB of them and the pause
 * estimated (blocks plus roots at that speed) while it still runs.  With
 * max_pause_ms > 0 a scan whose estimate is over it is refused (state
 * MT_REACH_REFUSED, one line on stderr) and the process is never stopped.
 */
#ifndef MEMTRACE_REACH_H
#define MEMTRACE_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heap.h"
#include "profile.h"

struct reach_opts {
	double max_pause_ms; /* 0: no limit */
	bool exiting;        /* a traced command held at its leader's exit stop */
	bool before_trace;   /* the trace did not see the process start (-p) */
	int verbose;
};

/* One site's classes. */
struct reach_site {
	uint64_t site;
	uint64_t oldest_ns; /* CLOCK_MONOTONIC of its oldest live block */
	struct mt_reach_counts c;
};

struct reach_result {
	struct mt_reach info;      /* state NONE until a scan was tried */
	struct reach_site *sites;  /* sorted by site; only with state DONE */
	size_t nsites;
};

/*
 * Scans pid.  Returns 0 with out->info.state DONE or REFUSED; a negative
 * errno (already said on stderr) with state FAILED.  Replaces what out held.
 */
int reach_run(pid_t pid, const struct heap_maps *heap, const struct reach_opts *o, struct reach_result *out);
void reach_result_free(struct reach_result *r);

#endif
