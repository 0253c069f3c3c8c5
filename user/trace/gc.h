/* SPDX-License-Identifier: MIT */
/*
 * GC pause timelines: finds the garbage-collected runtimes in a process
 * (refgc, Go, HotSpot, CPython) from its mappings, ELF symbols and USDT
 * notes, probes their pause begin/end points (bpf/gc.bpf.c) and turns the
 * timestamped events into cycles and stop-the-world pauses.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock the
 * runtimes themselves use for their own pause accounts.
 */
#ifndef MEMTRACE_GC_H
#define MEMTRACE_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum gc_runtime {
	GC_RT_REFGC = 1 << 0,
	GC_RT_GO = 1 << 1,
	GC_RT_HOTSPOT = 1 << 2,
	GC_RT_CPYTHON = 1 << 3,
};

enum gc_phase {
	GC_PH_STW = 0,        /* refgc: the whole collection in one pause */
	GC_PH_MARK_START = 1, /* refgc incremental: start of mark */
	GC_PH_MARK_TERM = 2,  /* refgc incremental and Go: mark termination */
	GC_PH_SWEEP_TERM = 3, /* Go: sweep termination (the cycle's first pause) */
	GC_PH_YOUNG = 4,      /* HotSpot: a collection that is not full */
	GC_PH_FULL = 5,       /* HotSpot: full collection */
	GC_PH_GEN0 = 6,       /* CPython: collection of generation 0, 1, 2 */
	GC_PH_GEN1 = 7,
	GC_PH_GEN2 = 8,
	GC_PH_COUNT
};

/* "stw", "mark start", "mark termination", "sweep termination", "young", "full", "gen0".. */
const char *gc_phase_name(uint32_t phase);
/* "refgc", "go", "hotspot", "cpython" for one GC_RT_* bit; NULL otherwise. */
const char *gc_runtime_id(unsigned rt);

struct gc_pause {
	uint64_t cycle;       /* the runtime's cycle number (Go, HotSpot, CPython: counted from 1) */
	uint32_t phase;       /* enum gc_phase */
	uint32_t runtime;     /* one GC_RT_* bit */
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	uint64_t duration_ns;
};

struct gc_cycle {
	uint64_t id;
	uint32_t runtime;     /* one GC_RT_* bit */
	uint32_t npauses;
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	uint64_t end_ns;      /* 0: still running when collected */
	uint64_t pause_ns;    /* sum of its pauses */
	bool has_heap;        /* the runtime exposes heap sizes (refgc) */
	uint64_t heap_before; /* live bytes at the cycle's start */
	uint64_t heap_goal;
	uint64_t heap_after;  /* live bytes after it */
	uint64_t freed;
};

/* Heap size over time, where the runtime tells it (refgc: at each cycle's start and end). */
struct gc_heap_sample {
	uint64_t t_ns;  /* CLOCK_MONOTONIC */
	uint64_t bytes;
};

struct gc_summary {
	uint64_t cycles;          /* cycles started in the trace */
	uint64_t pauses;
	uint64_t p50, p90, p99, max, total; /* pause durations, ns */
	double mmu_1ms, mmu_10ms, mmu_100ms; /* minimum mutator utilization, 0..1 */
	double pause_fraction;    /* total pause / traced wall time */
	double gc_cpu_fraction;   /* < 0: not known from the probes */
};

struct gc_data {
	unsigned runtimes;        /* GC_RT_* bits found */
	const char *runtime;      /* the main one, as in JSON "runtime" */
	uint64_t start_ns, end_ns; /* the traced window, CLOCK_MONOTONIC */
	struct gc_pause *pauses;  /* by start time */
	size_t npauses;
	struct gc_cycle *cycles;  /* by start time */
	size_t ncycles;
	struct gc_heap_sample *heap;
	size_t nheap;
	uint64_t other_stw;       /* Go: stop-the-world pauses not made by the GC */
	uint64_t other_stw_ns;
	uint64_t lost_events;     /* ring buffer full: pauses may be missing */
	struct gc_summary sum;
};

struct gc_tracer;

/*
 * Detects GC runtimes in pid and probes them.  Returns 0 with *out NULL, after
 * printing nothing, when no runtime is there; 0 with *out set when at least
 * one is traced; a negative errno when tracing could not start.  Every
 * problem (CPython without probes, a stripped Go binary, a JVM without
 * probes, BPF load failure) is one "memtrace:" line on stderr.
 */
int gc_open(struct gc_tracer **out, pid_t pid, int verbose);
/*
 * The same, but *out is always set (unless an error is returned) so that
 * gc_refresh() can find runtimes loaded later: for "-- CMD", where the
 * target has not exec'd yet when tracing starts.  The BPF programs are
 * loaded on the first runtime found.
 */
int gc_open_watch(struct gc_tracer **out, pid_t pid, int verbose);
/* Re-detects after the loaded objects changed (exec, dlopen): probes newly
 * mapped runtimes.  Returns 0 or a negative errno (already reported). */
int gc_refresh(struct gc_tracer *t);
/* "refgc", "go", "hotspot", "cpython", joined by "+" when several; NULL when none yet. */
const char *gc_runtime_name(const struct gc_tracer *t);
/* One sentence for the Tracing line, e.g. "GC: refgc (8 USDT probes in /path/librefgc.so)". NULL when none. */
const char *gc_describe(const struct gc_tracer *t);
/* -1 until a runtime is probed (then call it again to add it to epoll). */
int gc_epoll_fd(struct gc_tracer *t);
/* Drains the ring buffer; returns events consumed or a negative errno. */
int gc_poll(struct gc_tracer *t);
/* A snapshot of everything so far (drains the ring buffer first). */
int gc_collect(struct gc_tracer *t, struct gc_data **out);
void gc_data_free(struct gc_data *d);
/* Ends tracing at now: later gc_collect() calls use it as the window's end. */
void gc_stop(struct gc_tracer *t);
void gc_close(struct gc_tracer *t);

#endif
