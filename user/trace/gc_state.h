/* SPDX-License-Identifier: MIT */
/*
 * The GC tracer's own state, shared by the files that make it up (gc.h is
 * its interface): gc.c finds runtimes and attaches, gc_scan.c reads a
 * target's ELF files (USDT notes, Go build info, Go machine code),
 * gc_pauses.c turns the ring's events into cycles and paired pauses.
 * Nothing outside trace/gc*.c includes this but go_heap.c, for elf_scan.
 */
#ifndef MEMTRACE_GC_STATE_H
#define MEMTRACE_GC_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gc.h"
#include "gc_events.h"

struct gc_bpf;
struct elf_image;
struct elf_sym;

#define GC_MAX_SEEN 512
#define GC_MAX_OPEN 32

struct seen_obj {
	char path[PATH_MAX];
	uint64_t inode;
};

struct open_pause {
	bool used;
	uint32_t tid;
	uint32_t runtime;
	uint32_t phase;
	uint64_t cycle;
	uint64_t ts;
};

/* A wait begun (assist__start, stall__start) whose end has not come. */
struct open_wait {
	bool used;
	uint32_t tid;
	uint32_t kind;  /* enum gc_wait_kind */
	uint64_t cycle;
	uint64_t ts;
};

#define GC_MAX_OPEN_WAITS 256

struct go_state {
	bool reason_abi;      /* stopTheWorldWithSema(reason): Go >= 1.21 */
	bool cycle_pending;   /* gcBgMarkStartWorkers seen, no pause yet */
	uint64_t pending_ts;
	bool cycle_active;
	bool markdone_seen;
	uint64_t ncycles;
	int stw;              /* 0 none, 1 stopped, 2 restarting */
	uint64_t stw_begin, reason;
	int phase;            /* GC_PH_* or -1: not the GC's */
	bool saw_markterm;
	uint64_t markterm_now, end_entry, end_now;
};

struct gc_tracer {
	pid_t pid;
	int verbose;
	struct gc_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	struct seen_obj *seen;
	size_t nseen;
	unsigned runtimes;
	char name[64];
	char describe[512];
	uint64_t start_ns, stop_ns;
	/* what the events built */
	struct gc_pause *pauses;
	size_t npauses, pauses_cap;
	struct gc_cycle *cycles;
	size_t ncycles, cycles_cap;
	struct gc_heap_sample *heap;
	size_t nheap, heap_cap;
	struct open_pause open[GC_MAX_OPEN];
	/* mutator waits (gc_wait_events.c) */
	struct open_wait open_waits[GC_MAX_OPEN_WAITS];
	struct gc_wait *waits;
	size_t nwaits, waits_cap;
	uint64_t waits_unpaired; /* an end without its start, or a start pushed out */
	uint64_t hotspot_cycles, py_cycles;
	/* A ZGC cycle is open (its "ZGC Cycles" manager began and has not
	 * ended): pauses are its own, not cycles of their own. */
	bool zgc_cycle;
	/* HotSpot's memory-manager probes are attached: a pause none of
	 * them saw is a pause of a concurrent cycle (G1's remark and
	 * cleanup, which HotSpot counts as one GC with the concurrent mark:
	 * hotspot_conc_cycle, 0 when none is open). */
	bool hotspot_pools;
	uint64_t hotspot_conc_cycle;
	/* A full collection came while hotspot_conc_cycle was open: it
	 * aborted that concurrent mark, whose cleanup may still come (already
	 * queued) before the next young pause, never after it. */
	bool hotspot_conc_aborted;
	uint64_t other_stw, other_stw_ns;
	struct go_state go;
};

/* What a look at one ELF file found. */
struct elf_scan {
	unsigned refgc_mask;   /* bit per refgc probe kind present */
	bool hotspot_begin, hotspot_end;
	bool hotspot_pools;    /* mem__pool__gc__begin and mem__pool__gc__end */
	bool py_start, py_done;
	bool otel_alloc, otel_free; /* the otel_memory contract (otel_usdt.c) */
	bool go;               /* a Go executable */
	bool go_symtab;
	bool go_pclntab;        /* .gopclntab: function names when .symtab is stripped */
	bool needs_libs;        /* a DT_NEEDED entry: libraries the dynamic linker maps */
	char go_version[32];   /* "go1.19.8", "" when unknown */
};

struct refgc_probe {
	const char *name;
	int kind;
};

#define NREFGC 8
/* refgc's USDT probes that the pause timeline reads (gc_scan.c): pauses
 * first, then assists and stalls. */
extern const struct refgc_probe refgc_probes[NREFGC];

/* gc_scan.c */
int elf_scan(const char *host_path, struct elf_scan *s);
int calls_to(const char *host_path, const struct elf_image *img, const struct elf_sym *fn,
	     const uint64_t *targets, int ntargets, uint64_t *after, int max);
bool go_reason_abi(const char *version);

/* gc_pauses.c */
int on_ring_event(void *ctx, void *data, size_t len);
void go_finish_stw(struct gc_tracer *t);

/* gc_wait_events.c: refgc's assist__* and stall__* events into t->waits. */
void gc_wait_event(struct gc_tracer *t, const struct gc_event *e);

#endif
