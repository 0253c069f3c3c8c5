/* SPDX-License-Identifier: MIT */
/*
 * Inside one trace: the state that session.c (the event loop),
 * session_ptrace.c (launching, attaching, ptrace stops, --follow) and
 * session_sample.c (the periodic sampler: time series, live view,
 * snapshots) share.  Not an interface: session.h is.
 */
#ifndef MEMTRACE_SESSION_STATE_H
#define MEMTRACE_SESSION_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "faults.h"
#include "gc.h"
#include "heap.h"
#include "launch.h"
#include "leakwatch.h"
#include "session.h"
#include "symbolize.h"
#include "tracer.h"

#define MT_MAX_FOLLOWERS 256

struct session {
	const struct trace_opts *opts;
	const struct trace_hooks *hooks;
	struct tracer tracer;
	struct symbolizer *sym;
	struct ring_buffer *rb;
	pid_t pid;
	bool launched;   /* "-- CMD" (or adopted): we started it and trace it with ptrace */
	bool ptraced;    /* we are its ptracer: launched, adopted, or -p with --follow */
	bool announced;  /* the "Tracing" line is out */
	bool exited;     /* the target is gone */
	bool stop;       /* Ctrl-C, SIGTERM or -d */
	int wait_status; /* of the launched command */
	char comm[64];
	uint64_t start_ns, start_real_ns, end_ns;
	uint64_t dl_stops_seen;
	uint64_t prev_inuse, prev_alloc, prev_view_ns;
	struct mt_sample *series;
	size_t nseries, series_cap;
	struct gc_tracer *gc; /* NULL with --gc off or when no runtime was found */
	struct faults_tracer *faults; /* NULL without --faults */
	struct leakwatch watch;
	pid_t followers[MT_MAX_FOLLOWERS]; /* memtrace processes tracing forked children */
	int nfollowers;
};

/* session.c */
void session_read_comm(struct session *s);
int session_reprobe(struct session *s);
/* session_usdt.c: the otel_memory contract in place of the allocator
 * uprobes (--source).  0: the contract is in use, or awaited (usdt);
 * 1: use the uprobes; negative errno: fatal, reported. */
int session_try_usdt(struct session *s);
int session_on_exec(struct session *s);
void session_warm_symbols(struct session *s);

/* session_ptrace.c */
int session_ptrace_stops(struct session *s);
int session_start_launched(struct session *s, struct launch *l);
int session_start_adopted(struct session *s);
int session_release_adopted(struct session *s);
void session_wait_followers(struct session *s);
int session_start_attached(struct session *s);

/* session_sample.c */
int session_build_profile(struct session *s, struct mt_profile *p);
void session_push_sample(struct session *s, const struct heap_snapshot *snap, uint64_t now);
void session_take_snapshot(struct session *s, enum trace_snapshot why);
void session_sample(struct session *s);
void session_live_view(struct session *s);

#endif
