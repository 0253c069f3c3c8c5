/* Internal interfaces shared by the runtime's files. Not installed.
 *
 * Heap shape: 64 KiB spans, aligned to their size, each holding blocks of
 * one size class; large objects get a span-aligned mapping of their own
 * with the same header. A block is an 8-byte header (the refgc_type
 * pointer) followed by the object, so obj - 8 masked down is the span.
 *
 * Concurrency rules (who may touch what):
 *  - A span owned by a thread cache is only allocated from by that thread.
 *  - Mark bits are atomic (markers, barriers and black allocation race).
 *  - Alloc bits and free lists belong to the owner, or to whoever popped
 *    the span from a class list under its lock (sweeper).
 *  - Anything done inside stop-the-world sees every attached thread stopped
 *    at a safepoint or parked, with its cache and buffers consistent.
 */
#ifndef REFGC_INTERNAL_H
#define REFGC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refgc.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define SPAN_SHIFT 16
#define SPAN_SIZE ((size_t)1 << SPAN_SHIFT)
#define SPAN_MASK (~(uintptr_t)(SPAN_SIZE - 1))
#define SPAN_MAGIC 0x52474353u /* "RGCS" */
#define OBJ_HDR 8
#define MIN_BLOCK 16
#define MAX_BLOCKS (SPAN_SIZE / MIN_BLOCK)
#define BITMAP_WORDS (MAX_BLOCKS / 64)
#define SPAN_HDR_SIZE 1152 /* >= sizeof(struct span), multiple of 128 */
#define MAX_SMALL 8192     /* largest small block, header included */
#define ARENA_SPANS 64     /* spans mapped at a time */

#ifdef __SANITIZE_ADDRESS__
#define REFGC_DEBUG 1
#endif
#ifndef REFGC_DEBUG
#define REFGC_DEBUG 0
#endif
#define POISON_BYTE 0xdb

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define ASAN_POISON(p, n) __asan_poison_memory_region((p), (n))
#define ASAN_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define ASAN_POISON(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct span {
	uint32_t magic;
	uint16_t cls;       /* size class; 0 for a large object */
	uint16_t owned;     /* in a thread cache */
	uint32_t block_size;
	uint32_t nblocks;
	uint32_t nfree;
	uint32_t bump;      /* blocks >= bump were never allocated */
	char *base;         /* first block */
	void *freelist;     /* free blocks linked through their first word */
	struct span *next;  /* class list / free span stack / large list */
	size_t map_size;    /* large: bytes mapped */
	uint64_t alloc[BITMAP_WORDS];
	_Atomic uint64_t mark[BITMAP_WORDS];
};

_Static_assert(sizeof(struct span) <= SPAN_HDR_SIZE, "span header too big");

/* ---- heap.c: size classes, spans, large objects ---- */
extern int nclasses;
extern uint32_t class_size[];
int size_to_class(size_t block_bytes);
int heap_init(void);
void heap_fini(void);
struct span *span_new(int cls);        /* fresh, empty, swept */
void span_free(struct span *s);        /* back to the free span stack */
void span_reset_freelist(struct span *s); /* rebuild from alloc bits */
struct span *large_new(size_t block_bytes);
void large_free(struct span *s);
/* Give the pages of free spans beyond keep_bytes back to the OS. */
void heap_scavenge(uint64_t keep_bytes);
uint64_t heap_released_bytes(void);

static inline struct span *span_of(const void *obj)
{
	return (struct span *)(((uintptr_t)obj - OBJ_HDR) & SPAN_MASK);
}

static inline uint32_t block_index(const struct span *s, const void *obj)
{
	return (uint32_t)(((const char *)obj - OBJ_HDR - s->base) / s->block_size);
}

/* Per-class span sets. Index [sweepgen & 1] holds swept spans; the other
 * index holds spans still to sweep this cycle. Flipping sweepgen in a
 * stop-the-world turns every swept span into an unswept one at O(1). */
struct class_lists {
	pthread_mutex_t lock;
	struct span *partial[2];
	struct span *full[2];
};
/* Files a span on its class's partial or full list for sweep generation
 * idx, under the class lock. */
void class_lists_push(struct class_lists *cl, struct span *s, unsigned idx);

/* ---- threads.c ---- */
enum { TH_RUNNING = 0, TH_STOPPED = 1, TH_PARKED = 2 };

struct greybuf;
struct marker;

struct rthread {
	struct rthread *next;
	int state;                 /* under rt.thr_lock */
	struct span **cache;       /* [nclasses] */
	uint64_t alloc_bytes, alloc_count; /* not yet flushed to rt */
	uint64_t black_bytes;      /* bytes this thread allocated black */
	uint64_t traced_bytes;     /* bytes this thread's barrier/assists marked */
	void ***roots;             /* handle stack */
	size_t nroots, roots_cap;
	struct greybuf *wbuf;      /* barrier / assist output */
	long assist_debt;          /* marking slots owed for allocating during marking */
	struct pool_local *pool_local; /* pool.c: this thread's pool caches, or NULL */
	uint64_t p_since;          /* procs.c: when this thread last got its P */
};

extern __thread struct rthread *self_thread __attribute__((tls_model("initial-exec")));
void threads_stop_world(void);
void threads_start_world(void);
/* Stops the world from an attached thread, which counts as stopped
 * until the next threads_start_world(). */
void threads_stop_world_self(struct rthread *self);
/* rt.stw_flag: STW_ON stops every running thread at its next poll;
 * STW_HANDOFF makes the first running thread to poll stop the world
 * itself and run the requested pause on its own stack (it is its own
 * safepoint, so the pause does not wait for the kernel to run it). */
enum { STW_OFF = 0, STW_ON = 1, STW_HANDOFF = 2 };
/* Runs fn(self, arg) as a pause: called with thr_lock held, the caller
 * counted as stopped and STW_ON set; fn first waits for the others
 * (threads_wait_stopped) and must end by restarting the world. It runs on
 * the first attached thread to poll (self), or on the caller (self NULL)
 * as soon as no attached thread is running. Returns after fn ran. */
void threads_handoff(void (*fn)(struct rthread *self, void *arg), void *arg);
void threads_wait_stopped(void); /* under thr_lock, STW_ON set */
void safepoint_slow(struct rthread *th);
void threads_flush_counters(void);  /* STW only */
void threads_release_caches(void);  /* STW only */
void thread_release_cache(struct rthread *th);
void threads_fini(void);
void threads_flush_wbufs(void);     /* STW only */
void roots_scan_threads(struct marker *m); /* STW only */

/* ---- procs.c: the P limit (REFGC_MAXPROCS) ---- */
void procs_init(void);
/* Under thr_lock: wait (PARKED) until a P is free, this thread is first
 * in line and the world runs; the thread is then RUNNING with the P. */
void procs_acquire_locked(struct rthread *th);
void procs_release_locked(struct rthread *th); /* under thr_lock */
/* At a refill: past its time slice with others waiting, hand the P over
 * and queue for one again. */
void procs_poll(struct rthread *th);
/* Ps no attached thread holds now (a snapshot: mutators may take them
 * right after). */
int procs_idle(void);

/* ---- roots.c ---- */
struct marker;
void roots_scan(struct marker *m); /* STW only */
void roots_fini(void);

/* ---- mark.c ---- */
#define GREYBUF_CAP 1022
struct greybuf {
	struct greybuf *next;
	size_t n;
	void *obj[GREYBUF_CAP];
};

struct marker {
	struct greybuf *local;
	uint64_t marked_bytes;
	uint64_t scanned_objects;
};

void mark_shade(struct marker *m, void *obj);
/* budget: pointer slots to examine, < 0 until the pool is empty.
 * Returns the slots examined. */
long mark_drain(struct marker *m, long budget);
void mark_flush(struct marker *m);              /* local buffer -> pool */
bool mark_pool_empty(void);
/* Grey work in the pool or held by a mutator assist. Mutators' barrier
 * buffers are not counted: termination flushes them. */
bool mark_work_outstanding(void);
void mark_barrier_slow(struct rthread *th, void *old);
/* Up to `slots` slots of marking on the caller's buffer; returns the
 * slots examined (0: no grey work was available). Counted as outstanding
 * work while it runs. */
long mark_assist(struct rthread *th, long slots);
#define DRAIN_CHUNK 1024
/* Slots all workers together may scan in one mark-termination pause
 * (about 0.3 ms of marking); more work than that resumes concurrent
 * marking. The bound on slots scanned per pause is
 * REFGC_TERM_BUDGET + procs * 513 (a worker stops after the item that
 * spends the budget; no item is more than 513 slots). */
#ifndef REFGC_TERM_BUDGET /* tests build with a tiny one to force resumes */
#define REFGC_TERM_BUDGET 32768
#endif
/* Drains with `workers` workers until the pool is empty, or (budget >= 0)
 * until about `budget` slots were scanned in all (overshoot at most one
 * item, 513 slots, per worker); leftover work stays in the pool. Returns the
 * slots scanned. */
uint64_t mark_drain_parallel(int workers, long budget);
int mark_helpers_start(int n);
void mark_helpers_stop(void);
void mark_release(struct marker *m);
void mark_fini(void);
struct greybuf *greybuf_get(void);
void greybuf_put(struct greybuf *b);
void pool_push_buf(struct greybuf *b);

/* ---- pool.c ---- */
/* Empties every pool, thread caches included. STW only, before roots are
 * scanned: pools never keep objects alive across a collection. */
void pool_clear_all(void);

/* ---- sweep.c ---- */
/* Sweep one span popped from an unswept list; returns freed bytes. */
uint64_t sweep_span(struct span *s);
struct span *sweep_take_for_alloc(int cls); /* lazy sweep in refill */
void sweep_all(void);                        /* background, after mark */
void sweep_flip(void);                       /* STW only */

/* ---- sweep_helpers.c: procs - 1 threads share the background sweep ---- */
int sweep_helpers_start(int n);
void sweep_helpers_stop(void);
void sweep_helpers_run(void (*fn)(void)); /* fn on every helper and here; waits for all */

/* ---- pacer.c ---- */
/* At mark termination, before pacer_update(): bytes this mark allocated
 * black (incremental; ignored in stw), which widen the next hard goal. */
void pacer_floating(uint64_t black);
void pacer_update(uint64_t marked);          /* after mark termination */
bool pacer_should_trigger(uint64_t live);
bool pacer_over_hard(uint64_t live);
/* Slots of assist work owed for `bytes` allocated while marking, with the
 * heap at `live`. */
long pacer_assist_slots(uint64_t bytes, uint64_t live);

/* ---- pacer_trigger.c: the feedback trigger (incremental) ---- */
void pacer_trigger_cycle_start(uint64_t live);  /* heap_live at gc__start */
/* At mark termination, before pacer_update(): the last mark's `marked`,
 * heap_live at mark end, and this cycle's slots scanned in all and by
 * mutators. Moves the trigger for the next cycle. */
void pacer_trigger_feedback(uint64_t marked, uint64_t live_end,
			    uint64_t scanned, uint64_t assisted);
/* The trigger between `marked` and `goal` (goal > marked). */
uint64_t pacer_trigger_point(uint64_t marked, uint64_t goal);
/* Where the trigger sits, per mille of the runway from marked to goal:
 * the feedback's fraction (incremental), 1000 (stw: the goal itself). */
uint32_t pacer_trigger_pm(void);

/* ---- assist_credit.c: background credit for assists ---- */
void assist_credit_reset(void);  /* at cycle start */
/* Pays `debt` slots from what background workers scanned this cycle and
 * no assist took yet; returns the debt left to mark. */
long assist_credit_pay(long debt);

/* ---- mark_start.c: a cycle's opening and mark-start pause ---- */
uint64_t cycle_open(void);           /* numbers the cycle, fires gc__start; returns its id */
uint64_t cycle_freed_at_open(void);  /* rt.freed_bytes when the running cycle opened */
/* Incremental phase 1: stop the world, barrier on, shade the roots. self:
 * the calling mutator (it is its own safepoint), or NULL for the
 * coordinator. */
void mark_start_pause(uint64_t cycle, struct rthread *self);
/* The same pause for the coordinator, as a threads_handoff() function
 * (arg: the cycle id): it runs on the first mutator to poll, or on the
 * coordinator when no mutator runs (refgc_collect's cycles, requests a
 * mutator could not begin itself). */
void mark_start_handoff(struct rthread *self, void *arg);

/* ---- collector.c ---- */
void mark_roots(void);  /* STW only: shade every root */
/* Ends a pause: end timestamp, pause__done, world restarted, recorded. */
void pause_end(uint64_t cycle, uint32_t phase, uint64_t t0, uint64_t stopped,
	       uint64_t marked, uint64_t slots);
/* Incremental mode: the calling mutator, past the trigger, opens the
 * cycle and runs its mark-start pause itself, then hands the cycle to the
 * coordinator. False (nothing done) when a cycle is already wanted or
 * running, the GC CPU cap holds cycles back, or the mode is stw. */
bool collector_begin_here(void);
int collector_start(void);
void collector_stop(void);
void collector_request(void);      /* the pacer wants a cycle */
void collector_wait_cycle(void); /* a mutator waits for the running cycle */
/* The coordinator calls this when marking starts or ends (a cycle's end
 * counts too); it wakes collector_wait_phase(). */
void collector_phase_changed(void);
/* A mutator over the hard goal waits, parked, for the next of those
 * events only, never for a whole cycle. Returns false at once when no
 * cycle is wanted or running. */
bool collector_wait_phase(void);

/* ---- stats.c ---- */
uint64_t now_ns(void);
uint64_t thread_cpu_ns(void);
void stats_record_pause(uint64_t cycle, uint32_t phase, uint64_t start, uint64_t dur,
			uint64_t ttsp, uint64_t marked, uint64_t slots);
void stats_note_heap_inuse(int64_t delta);
void stats_cycle_done(uint64_t end_ns);
/* Bytes marked and slots scanned inside this cycle's termination. */
void stats_term_marked(uint64_t bytes, uint64_t slots);
enum { WAIT_ASSIST, WAIT_STALL };
void stats_record_wait(int kind, uint64_t ns);
/* Pause wall time and assist + stall time so far. */
void stats_gc_times(uint64_t *pause_ns, uint64_t *wait_ns);
void stats_reset(void);

/* ---- cpu_limit.c: GC CPU cap (50%) under a memory limit ---- */
void cpu_limit_reset(void);
/* Coordinator, after each cycle: turns the cap on when GC time (collector
 * CPU, assists, stalls) since the previous cycle's end exceeded half of
 * wall time x CPUs, for as long as it takes to fall back to half. */
void cpu_limit_cycle_done(uint64_t end_ns);
bool cpu_limit_on(void);        /* mutators skip assists and stalls */
uint64_t cpu_limit_until(void); /* no unforced cycle starts before this */
void cpu_limit_read(uint64_t *capped_ns, uint64_t *times);

/* ---- config.c ---- */
void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int online_cpus(void);

/* ---- the one runtime ---- */
struct runtime {
	bool inited;
	refgc_config cfg;
	uint64_t init_ns;
	int ncpu;

	/* threads */
	pthread_mutex_t thr_lock;
	pthread_cond_t thr_cond;    /* a thread stopped or parked */
	pthread_cond_t resume_cond; /* the world restarted */
	struct rthread *threads;
	_Atomic int stw_flag;

	/* heap */
	struct class_lists *classes;
	pthread_mutex_t large_lock;
	struct span *large[2];
	_Atomic uint32_t sweepgen;
	_Atomic int sweeps_active;
	pthread_mutex_t span_lock;
	struct span *free_spans;      /* free, pages still resident */
	struct span *released_spans;  /* free, pages given back (or never touched) */
	size_t nfree_spans, nreleased_spans;
	void **arenas;
	size_t narenas, arenas_cap;

	/* marking */
	_Atomic int marking;

	/* accounting (bytes) */
	_Atomic uint64_t heap_live;   /* marked at last cycle + allocated since */
	_Atomic uint64_t heap_marked; /* live bytes found by the last mark */
	_Atomic uint64_t cycle_marked; /* bytes traced so far this cycle */
	_Atomic uint64_t cycle_black;  /* bytes allocated black this cycle */
	_Atomic uint64_t heap_inuse;
	_Atomic uint64_t heap_inuse_peak;
	_Atomic uint64_t heap_sys;
	_Atomic uint64_t total_alloc;
	_Atomic uint64_t freed_bytes;
	_Atomic uint64_t mallocs, frees;
	_Atomic uint64_t heap_goal, trigger, hard_goal;
	_Atomic uint64_t cycle_scanned; /* slots scanned so far this cycle (workers, assists) */
	_Atomic uint64_t last_scanned;  /* slots the last completed mark scanned */
	_Atomic uint64_t cycle_assist_scanned; /* of cycle_scanned, by mutators */
	_Atomic uint64_t term_retries;
	_Atomic uint64_t marks_done;   /* mark terminations so far */ /* termination pauses that resumed concurrent marking */

	/* collector */
	pthread_mutex_t gc_lock;
	pthread_cond_t gc_cond;   /* work for the coordinator */
	pthread_cond_t done_cond; /* a cycle completed */
	uint64_t cycles_done, cycles_wanted, forced_pending;
	bool gc_running, shutdown;
	_Atomic uint64_t cycle;   /* id of the latest started cycle */
	_Atomic uint64_t gc_cpu_ns;
	_Atomic uint64_t num_forced;
};

extern struct runtime rt;

#endif
