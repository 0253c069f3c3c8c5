/* SPDX-License-Identifier: MIT */
/*
 * One trace from start to end: launches or attaches to the target, keeps
 * probes in step with what it loads and execs, samples the heap at every
 * interval, and hands what it saw up as model data (profiles, alerts, GC
 * data) through the hooks of the layer above.  A trace never formats or
 * writes a report: the CLI (cli/trace_run.c) does, from what the hooks get.
 */
#ifndef MEMTRACE_SESSION_H
#define MEMTRACE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "custom.h"
#include "gc_data.h"
#include "profile.h"

/* What to trace and how: the tracing half of the command line. */
struct trace_opts {
	pid_t pid;              /* -p; 0 when launching a command */
	char **argv;            /* command after "--", NULL with -p */
	double duration_s;      /* -d; 0 = until the target exits or Ctrl-C */
	double interval_s;      /* -i: live view every interval */
	int verbose;
	bool quiet;             /* no live view (the live hook is not called) */
	struct custom_spec custom[MT_MAX_CUSTOM];
	int ncustom;
	bool probe_floor;
	bool follow;            /* forked children get traces of their own */
	uint64_t sample_bytes;  /* Poisson sampling, mean N bytes; 0 = exact */
	int unwind;             /* enum mt_unwind_mode (--unwind) */
	int source;             /* enum heap_source (otel_usdt.h): --source */
	bool gc;
	bool no_go_heap;        /* runtime.mallocgc is not probed */
	bool no_pymalloc;       /* CPython's pymalloc pools are not probed */
	int faults;             /* nonzero: trace page faults and mappings */
	double leak_window_s, leak_min_rate, leak_min_age_s;
	double leak_min_confidence; /* 0..1 */
	bool alert_snapshots;   /* a heap snapshot for each leak alert */
	double snapshot_every_s; /* 0: no periodic snapshots */
	bool metrics;            /* the metrics hook every second */
	int reachability;        /* 1: scan (-p: at the end); 0: never; -1: at the exit of a launched command */
	double reachability_max_pause_ms; /* 0: no limit */
	double reachability_every_s; /* -p: a scan every so often, said on stderr (0: none) */
	bool alert_reachability;     /* -p: a scan at each leak alert, the alert's site's classes said */
};

/* A heap snapshot's cause: where the CLI writes it. */
enum trace_snapshot {
	TRACE_SNAPSHOT_ALERT, /* a leak alert was raised */
	TRACE_SNAPSHOT_EVERY, /* snapshot_every_s has passed */
};

/*
 * What the trace hands up while it runs and when it ends.  The profiles
 * and data passed are the trace's: a hook reads them during the call and
 * keeps nothing.  Any hook may be NULL.
 */
struct trace_hooks {
	void *ctx;
	/* Every interval (unless quiet): the profile now, its series holding only
	 * the latest sample; the totals and time of the previous view; the leak
	 * alerts raised so far; the GC data so far (NULL when no GC is traced). */
	void (*live)(void *ctx, const struct mt_profile *p, uint64_t prev_inuse, uint64_t prev_alloc,
		     uint64_t since_ns, size_t nalerts, const struct gc_data *gc, uint64_t gc_since_ns);
	/* The whole heap now, with the series so far. */
	void (*snapshot)(void *ctx, enum trace_snapshot why, const struct mt_profile *p);
	/* Every second with opts.metrics: the profile now (series: the latest
	 * sample), the leak alerts raised so far and the GC data so far (NULL
	 * when no GC is traced). */
	void (*metrics)(void *ctx, const struct mt_profile *p, size_t nalerts, const struct gc_data *gc);
	/* A leak alert as it is raised; p supplies its strings and the PID. */
	void (*alert)(void *ctx, const struct mt_profile *p, const struct mt_alert *a);
	/* A child that is neither the target nor a follower ended: returns
	 * nonzero when it was the hooks' own (an --on-alert command). */
	int (*reap)(void *ctx, pid_t pid, int status);
	/* The final profile; returns 0, or nonzero when an output failed
	 * (already reported). */
	int (*report)(void *ctx, const struct mt_profile *p);
	/* Instead of report when more than one process was traced (--follow
	 * saw a fork): the profile is one process's of several (p->pid).
	 * Called from a writer thread for children that ended during the
	 * trace (kid_reports.h), one report at a time, while the other
	 * hooks run in the tracing thread. */
	int (*report_many)(void *ctx, const struct mt_profile *p);
};

/* Returns memtrace's exit status: the command's for "-- CMD", 0 for a
 * completed -p trace, 1 after an error already reported on stderr (or a
 * report hook that failed). */
int session_run(const struct trace_opts *opts, const struct trace_hooks *hooks);

#endif
