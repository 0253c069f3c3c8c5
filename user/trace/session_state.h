/* SPDX-License-Identifier: MIT */
/*
 * Inside one trace: the state that session.c (the event loop),
 * session_ptrace.c (launching, attaching, ptrace stops, --follow) and
 * session_sample.c (the periodic sampler: time series, live view,
 * snapshots) share.  Not an interface: session.h is.
 */
#ifndef MEMTRACE_SESSION_STATE_H
#define MEMTRACE_SESSION_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "faults.h"
#include "follow_births.h"
#include "gc.h"
#include "go_heap.h"
#include "python_pymalloc.h"
#include "heap.h"
#include "launch.h"
#include "leakwatch.h"
#include "proc_cgroup.h"
#include "proc_nspid.h"
#include "reach.h"
#include "kid_reports.h"
#include "session.h"
#include "symbolize.h"
#include "tracer.h"
#include "tracer_pool.h"

struct session {
	const struct trace_opts *opts;
	const struct trace_hooks *hooks;
	struct tracer tracer;
	struct symbolizer *sym;
	struct ring_buffer *rb;
	pid_t pid;
	bool launched;   /* "-- CMD" or a --follow child: we started it and trace it with ptrace */
	bool ptraced;    /* we are its ptracer: launched, followed, or -p with --follow */
	bool announced;  /* the "Tracing" line is out */
	bool exited;     /* the target is gone */
	bool stop;       /* Ctrl-C, SIGTERM or -d */
	int wait_status; /* of the launched command */
	char comm[64];
	struct proc_cgroup cgroup; /* as last read; kept when the process is gone */
	int32_t nspid;             /* likewise, from /proc/PID/status; 0 when unread */
	uint64_t start_ns, start_real_ns, end_ns;
	uint64_t dl_stops_seen;
	uint64_t prev_inuse, prev_alloc, prev_view_ns;
	struct mt_sample *series;
	size_t nseries, series_cap;
	struct gc_tracer *gc; /* NULL with --gc off or when no runtime was found */
	struct go_heap go;    /* Go's heap: go.path[0] when runtime.mallocgc is probed */
	struct pymalloc *py;  /* CPython's pools: py->path[0] when probed; NULL before the first look */
	/* What the Tracing line (and any "Also tracing" line since) named:
	 * whatever is found after it gets one more line. */
	bool told_go, told_stripped, told_py;
	size_t told_gc_len;
	struct faults_tracer *faults; /* NULL without --faults */
	struct leakwatch watch;
	struct reach_result reach; /* the reachability scan, once done (session_reach.c) */
	uint64_t reach_next_ns;    /* --reachability-every: when the next scan is due */
	/* --follow's tree (follow.c), in the root's session: the traces of
	 * forked children, and with --faults fault programs loaded ahead. */
	struct session **kids;
	size_t nkids, kids_cap;
	struct tracer_pool *pool;
	struct kid_reports *reports; /* ended children's reports and freeing (kid_reports.h) */
	bool many; /* more than one process is traced: outputs are named per PID */
	/* A forked child's GC tracer, opened by a thread (gc_open loads BPF). */
	pthread_t gc_thread;
	bool gc_loading, gc_done;
	struct gc_tracer *gc_loaded;
	/* Likewise its faults tracer (faults_open loads BPF). */
	pthread_t faults_thread;
	bool faults_loading, faults_done;
	struct faults_tracer *faults_loaded;
	/* A child's: the root's pool, to take a set from when none was ready
	 * at its fork (faults_loaded then came from it: it goes back). */
	struct tracer_pool *kid_pool;
	bool faults_from_pool;
	/* Likewise its CPython pool probes (46 uprobes and a read of the
	 * interpreter's code: 24-195 ms). */
	pthread_t py_thread;
	bool py_loading, py_done;
	struct pymalloc *py_loaded;
	bool shared_sym; /* a forked child's sym is the root's, as its mappings are, until it execs or dlopens */
	uint64_t held_max_ns, held_total_ns, nheld; /* how long forked children waited on us */
	struct births births; /* --follow: new tasks between their two reports */
	struct session *settle_parent; /* a forked child bound, its trace to complete (follow_settle) */
	pid_t fork_parent; /* a --follow child: the PID it forked from (session_fork.c) */
};

/* session.c */
void session_read_comm(struct session *s);
/* session_fork.c: a forked child's frees of blocks it never allocated are
 * of the heap it inherited, not from before the trace: p says so. */
void session_fork_frees(const struct session *s, struct mt_profile *p);
int session_reprobe(struct session *s);
/* session_usdt.c: the otel_memory contract in place of the allocator
 * uprobes (--source).  0: the contract is in use, or awaited (usdt);
 * 1: use the uprobes; negative errno: fatal, reported. */
int session_try_usdt(struct session *s);
int session_on_exec(struct session *s);
void session_warm_symbols(struct session *s);

int session_finish(struct session *s);
/* session_finish's profile, not handed to the hooks: the caller owns it
 * (profile_free).  0 or a negative errno, reported. */
int session_final_profile(struct session *s, struct mt_profile *out);
/* Hands p to the report hook (report_many for one process of several)
 * and frees it. */
void session_deliver(struct session *s, struct mt_profile *p);
void session_announce(struct session *s);

/* follow.c: forked children traced by this memtrace (see follow.c). */
/* Reads the root's objects' names ahead, for its forks' reports. */
void follow_warm_symbols(struct session *root);
/* Makes tables ready for the first forks and, with --faults, waits until
 * the pool has their fault programs loaded. */
void follow_ready(struct session *root);
/* Raises the calling thread's priority (after the command is started). */
void follow_prioritize(int verbose);
/* Sets the calling thread's priority back to nice 0 (threads it starts). */
void plain_priority(void);
/* follow.c: frees an ended child taken out of root->kids (its threads
 * joined, its tracer closed, its slot given back). */
void follow_kid_free(struct session *root, struct session *k);
/* child's first stop (ppid its parent, 0 when not known): held while it
 * joins the root's object and is probed (no BPF load), then let run; on
 * failure let run untraced, said in one line. */
void follow_adopt(struct session *root, pid_t child, pid_t ppid);
/* Completes the traces of children bound since (symbols, ring buffer,
 * faults and GC), once no ptrace stop is queued. */
void follow_settle(struct session *root);
/* The same for one child, before anything else is done with it. */
void follow_settle_kid(struct session *root, struct session *kid);
struct session *follow_find(struct session *root, pid_t pid);
/* A child about to exec or dlopen gets a symbolizer of its own. */
void follow_own_symbols(struct session *kid);
/* A child exec'd: its own symbols, and a look for GC runtimes. */
void follow_exec(struct session *kid);
/* A child ended: its report is written by follow_finish_one. */
void follow_exited(struct session *root, struct session *kid, int status);
/* Hands one child that ended to kid_reports' thread, if any; whether it did. */
bool follow_finish_one(struct session *root);
void follow_poll(struct session *root, uint64_t now);
/* An event of root's object from another process: a --follow child's
 * (its children share root's programs and ring buffer). */
void follow_kid_event(struct session *root, const struct mt_event *ev);
void follow_sample(struct session *root);
void follow_end(struct session *root, bool report);

/* session_ptrace.c */
int session_ptrace_stops(struct session *s);
int session_start_launched(struct session *s, struct launch *l);
int session_start_attached(struct session *s);

/* session_cgroup.c */
void session_read_cgroup(struct session *s);
/* Puts the cgroup and container id last read into p (interned); 0 or -ENOMEM. */
int session_label_cgroup(const struct session *s, struct mt_profile *p);
/* session_reach.c */
void session_reach_at_exit(struct session *s);
void session_reach_at_end(struct session *s);
void session_reach_sampled(struct session *s, int raised, uint64_t now);
int session_add_leaks(struct session *s, const struct heap_snapshot *snap, struct mt_profile *p);

/* session_sample.c */
int session_build_profile(struct session *s, struct mt_profile *p);

/* session_announce.c */
void session_probe_runtimes(struct session *s);
/* CPython's pymalloc pools alone (a followed fork of a probed interpreter). */
void session_probe_pymalloc(struct session *s);
bool session_traces_something(const struct session *s);
/* The Tracing line once something is traced; an "Also tracing" line for
 * each runtime found after it. */
void session_announce(struct session *s);
/* Managed runtimes' totals (Go's heap) into p. */
void session_add_runtimes(struct session *s, struct mt_profile *p);
void session_push_sample(struct session *s, const struct heap_snapshot *snap, uint64_t now);
void session_take_snapshot(struct session *s, enum trace_snapshot why);
void session_sample(struct session *s);
void session_live_view(struct session *s);

/* session_metrics.c */
void session_metrics(struct session *s);

#endif
