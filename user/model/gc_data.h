/* SPDX-License-Identifier: MIT */
/*
 * GC pauses and cycles as plain data: what the GC tracer (trace/gc.c) hands
 * back, what recordings keep (formats/record_gc.c) and what the writers and
 * gc_stats read.  Nothing here touches BPF or the target.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock the
 * runtimes themselves use for their own pause accounts.
 */
#ifndef MEMTRACE_GC_DATA_H
#define MEMTRACE_GC_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	/* waits begun in this cycle (gc_waits_summarize) */
	uint32_t nassists, nstalls;
	uint64_t assist_ns, stall_ns;
};

/* Why a mutator thread waited for the collector outside a pause (refgc). */
enum gc_wait_kind {
	GC_WAIT_ASSIST = 1, /* marking work owed for allocating while marking */
	GC_WAIT_STALL = 2,  /* over the hard heap goal: helping or parked */
};

/* One thread's wait: other threads may run meanwhile (unlike a pause). */
struct gc_wait {
	uint64_t cycle;       /* the runtime's cycle number when the wait began */
	uint32_t kind;        /* enum gc_wait_kind */
	uint32_t tid;
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	uint64_t duration_ns;
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
	/* minimum mutator utilization, 0..1: time in pauses and, where the
	 * runtime reports them, in waits (assists, stalls) is the mutator's loss */
	double mmu_1ms, mmu_10ms, mmu_100ms;
	double pause_fraction;    /* total pause / traced wall time */
	double gc_cpu_fraction;   /* < 0: not known from the probes */
	/* mutator waits (gc_waits_summarize): counts, summed and longest ns */
	uint64_t assists, assist_ns, max_assist;
	uint64_t stalls, stall_ns, max_stall;
	double mmu_pauses_1ms, mmu_pauses_10ms, mmu_pauses_100ms; /* with waits: pauses alone */
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
	struct gc_wait *waits;    /* by start time; NULL when none */
	size_t nwaits;
	uint64_t waits_unpaired;  /* wait starts or ends seen without the other */
	uint64_t other_stw;       /* Go: stop-the-world pauses not made by the GC */
	uint64_t other_stw_ns;
	uint64_t lost_events;     /* ring buffer full: pauses may be missing */
	struct gc_summary sum;
};

/* Frees d and its arrays; NULL is fine. */
void gc_data_free(struct gc_data *d);

#endif
