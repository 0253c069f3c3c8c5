/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * GC pause tracing: the contract between bpf/gc.bpf.c and user/trace/gc.c.
 *
 * The BPF side does no pairing or attribution: every probe hit becomes one
 * struct gc_event in the ring buffer, stamped with bpf_ktime_get_ns()
 * (CLOCK_MONOTONIC), so pause begin/end are exact.  User space pairs them.
 * Fixed-width types only: the struct is read by a 64-bit collector from a
 * BPF program, both little endian.
 */
#ifndef MEMTRACE_GC_EVENTS_H
#define MEMTRACE_GC_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides __u32/__u64. */
#else
#include <linux/types.h>
#endif

/* What a probe is: its attach cookie, echoed in gc_event.kind. */
enum gc_probe_kind {
	/* refgc USDT, provider "refgc" (args as the contract says) */
	GCP_REFGC_GC_START = 1,  /* cycle, heap_live_bytes, heap_goal_bytes */
	GCP_REFGC_GC_DONE,       /* cycle, heap_live_after_bytes, freed_bytes */
	GCP_REFGC_PAUSE_START,   /* cycle, phase */
	GCP_REFGC_PAUSE_DONE,    /* cycle, phase */
	GCP_REFGC_MARK_START,    /* cycle */
	GCP_REFGC_MARK_DONE,     /* cycle, marked_bytes */
	GCP_REFGC_SWEEP_START,   /* cycle */
	GCP_REFGC_SWEEP_DONE,    /* cycle, swept_bytes */
	/* a mutator's waits for the collector (refgc >= the assist probes) */
	GCP_REFGC_ASSIST_START,  /* cycle, assist debt (slots) */
	GCP_REFGC_ASSIST_DONE,   /* cycle, slots marked */
	GCP_REFGC_STALL_START,   /* cycle, heap_live, hard goal */
	GCP_REFGC_STALL_DONE,    /* cycle, stall ns (the runtime's own clock) */
	/* HotSpot USDT, provider "hotspot" */
	GCP_HOTSPOT_GC_BEGIN = 16, /* full (bool) */
	GCP_HOTSPOT_GC_END,
	/* mem__pool__gc__begin/end (manager name, its length, pool name, ...):
	 * args[2] is replaced by the first 8 bytes of the manager's name
	 * ("ZGC Cycl": a ZGC cycle, which holds several pauses) */
	GCP_HOTSPOT_POOL_BEGIN,
	GCP_HOTSPOT_POOL_END,
	/* CPython USDT, provider "python" */
	GCP_PY_GC_START = 24,      /* generation */
	GCP_PY_GC_DONE,            /* collected */
	/* Go: entry-only uprobes (never uretprobes: Go moves stacks) */
	GCP_GO_STW_BEGIN = 32,     /* runtime.stopTheWorldWithSema entry; args[0] = AX (reason, Go >= 1.21) */
	GCP_GO_STW_END_ENTRY,      /* runtime.startTheWorldWithSema entry */
	GCP_GO_STW_END_NOW,        /* the instruction after its nanotime call */
	GCP_GO_CYCLE_START,        /* runtime.gcBgMarkStartWorkers (or gcStart) entry */
	GCP_GO_MARK_DONE,          /* runtime.gcMarkDone entry */
	GCP_GO_MARK_TERM,          /* runtime.gcMarkTermination entry */
	GCP_GO_MARK_TERM_NOW,      /* after a nanotime call in gcMarkTermination */
	GCP_GO_RESET_LIVE,         /* runtime.(*gcControllerState).resetLive entry; args[1] = BX (bytes marked) */
};

#define GC_EVENT_ARGS 3
#define GC_RINGBUF_BYTES (512 * 1024)

struct gc_event {
	__u64 ts_ns;               /* bpf_ktime_get_ns() at the probe */
	__u64 args[GC_EVENT_ARGS]; /* probe arguments, 0 when absent */
	__u32 kind;                /* enum gc_probe_kind */
	__u32 tid;
	__u32 pid;
	__u32 nargs;
};

/* In .bss: the collector reads it to report what was lost. */
struct gc_counters {
	__u64 events;
	__u64 lost;      /* ring buffer full */
	__u64 bad_args;  /* a USDT argument could not be read */
};

_Static_assert(sizeof(struct gc_event) == 48, "gc_event layout is shared with BPF");
_Static_assert(sizeof(struct gc_counters) == 24, "gc_counters layout is shared with BPF");

#endif
