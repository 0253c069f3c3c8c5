/* refgc: a small precise mark-sweep garbage collector.
 *
 * What a caller may rely on:
 *  - One runtime per process: refgc_init() once, refgc_shutdown() once.
 *  - Every thread that touches refgc objects is attached (the thread calling
 *    refgc_init() is attached by it; others call refgc_thread_attach()).
 *  - Objects are zero-filled, 8-byte aligned, never moved. A pointer to an
 *    object is only ever its start address (no interior pointers).
 *  - Marking is precise: the refgc_type says where an object's pointer slots
 *    are; those slots must hold NULL or a refgc object start address.
 *  - Stores of pointers into heap objects go through refgc_store() (it is the
 *    write barrier incremental marking needs). Stores into roots do not.
 *  - A thread only stops for the collector at refgc_alloc*(), refgc_safepoint()
 *    and refgc_leave_blocking(); a thread that waits outside the runtime for
 *    long must bracket that with refgc_enter_blocking()/refgc_leave_blocking()
 *    and must not touch refgc objects in between.
 *  - A thread waiting in a blocking region (or joining a thread that
 *    allocates) must be parked with refgc_enter_blocking(), or the next
 *    stop-the-world waits for it forever. While parked, call only
 *    refgc_read_stats() and refgc_leave_blocking().
 *  - Functions returning int return 0 or a negative errno; on error a one-line
 *    message starting "refgc:" is available from refgc_last_error();
 *    refgc_init() also prints it to stderr.
 */
#ifndef REFGC_H
#define REFGC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration -------------------------------------------------- */

typedef enum refgc_mode {
	REFGC_MODE_STW = 0,         /* mark entirely inside one pause */
	REFGC_MODE_INCREMENTAL = 1, /* mark concurrently; two short pauses */
} refgc_mode;

#define REFGC_GCPERCENT_OFF (-1)
#define REFGC_MEMLIMIT_NONE UINT64_C(0)
#define REFGC_MEMLIMIT_MIN  (UINT64_C(8) << 20) /* smaller limits are rejected */
#define REFGC_GCPERCENT_MAX 100000

typedef struct refgc_config {
	refgc_mode mode;
	int gc_percent;     /* heap goal = marked * (1 + pct/100); OFF disables */
	uint64_t mem_limit; /* soft limit in bytes, REFGC_MEMLIMIT_NONE = none */
	int procs;          /* mark worker threads, >= 1 */
	int ignore_env;     /* non-zero: refgc_init() does not read REFGC_* */
	/* Mean bytes between allocations sampled for the otel_memory USDT
	 * probes (a profiler attached sees a heap profile); 0 = 512 KiB.
	 * Costs nothing while no profiler enables the probes. */
	uint64_t sample_bytes;
	/* Attached threads that may run refgc code at once (Go's
	 * GOMAXPROCS); 0 = online CPUs. Others wait, parked, for a P: a
	 * stop-the-world does not wait for them. A thread gives its P up in
	 * refgc_enter_blocking() and, when others wait, after 10 ms. */
	int max_procs;
} refgc_config;

/* Defaults: stw (the baseline to tune from), 100%, no limit, procs = online
 * CPUs. */
void refgc_config_default(refgc_config *cfg);
/* Presets: "low-latency", "high-throughput", "memory-constrained",
 * "balanced". Limits are scaled down to half the machine's memory. */
int refgc_config_preset(refgc_config *cfg, const char *name);
/* Apply REFGC_PRESET, then REFGC_MODE, REFGC_GCPERCENT, REFGC_MEMLIMIT,
 * REFGC_PROCS, REFGC_MAXPROCS, REFGC_SAMPLE_BYTES on top of cfg. Garbage in any of them is an error. */
int refgc_config_from_env(refgc_config *cfg);
/* Checks ranges; the same checks refgc_init() makes. */
int refgc_config_validate(const refgc_config *cfg);
/* Parsers shared with tools: "123", "64KiB", "512MiB", "2GiB", "off". */
int refgc_parse_bytes(const char *s, uint64_t *out);
int refgc_parse_percent(const char *s, int *out);
int refgc_parse_mode(const char *s, refgc_mode *out);
const char *refgc_mode_name(refgc_mode m);

/* The message of the last failed call, "refgc: ..." (thread-local). */
const char *refgc_last_error(void);

/* ---- lifecycle ------------------------------------------------------ */

/* cfg may be NULL (defaults). Unless cfg->ignore_env, environment variables
 * override cfg. Starts the collector's worker threads. */
int refgc_init(const refgc_config *cfg);
/* Stops workers and unmaps the heap. All other threads must be detached. */
void refgc_shutdown(void);

int refgc_thread_attach(void);
void refgc_thread_detach(void);

/* Poll for a pending stop-the-world; cheap when none is pending. */
void refgc_safepoint(void);
void refgc_enter_blocking(void);
void refgc_leave_blocking(void);

/* Change knobs at run time (like Go's debug.SetGCPercent). */
int refgc_set_gc_percent(int pct);
int refgc_set_mem_limit(uint64_t bytes);

/* ---- objects -------------------------------------------------------- */

enum {
	REFGC_TYPE_PLAIN = 0,    /* pointer slots at ptr_offsets[0..nptrs) */
	REFGC_TYPE_NOSCAN = 1,   /* no pointers at all (raw bytes) */
	REFGC_TYPE_PTRARRAY = 2, /* every 8-byte word of the object is a slot */
};

typedef struct refgc_type {
	const char *name;
	size_t size;               /* object size in bytes for refgc_alloc() */
	int kind;                  /* REFGC_TYPE_* */
	size_t nptrs;
	const size_t *ptr_offsets; /* byte offsets, 8-byte aligned */
} refgc_type;

/* Allocate t->size bytes (or `size` bytes for refgc_alloc_size, which is
 * what REFGC_TYPE_PTRARRAY and NOSCAN objects of varying length use).
 * May stop at a safepoint; may assist marking or stall (see the stats'
 * assist and stall counters); may collect. Returns NULL only when out of
 * memory even after a collection (errno ENOMEM). */
void *refgc_alloc(const refgc_type *t);
void *refgc_alloc_size(const refgc_type *t, size_t size);
/* The usable size of an object (>= requested size). */
size_t refgc_object_size(const void *obj);
const refgc_type *refgc_object_type(const void *obj);

/* Write barrier: *slot = val, where slot lies inside heap object obj. */
void refgc_store(void *obj, void **slot, void *val);
/* Load a pointer slot of a heap object (plain load; for symmetry). */
static inline void *refgc_load(void *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* ---- roots ---------------------------------------------------------- */

/* Global roots: n consecutive pointer slots that stay valid until removed. */
int refgc_root_add(void **slots, size_t n);
int refgc_root_remove(void **slots);

/* Per-thread handle scope: slots pushed after refgc_scope_enter() are roots
 * until the matching refgc_scope_leave(). Slots are addresses of the
 * caller's variables; they need no barrier. */
typedef size_t refgc_scope;
refgc_scope refgc_scope_enter(void);
void refgc_scope_leave(refgc_scope s);
void refgc_root_push(void **slot);
#define REFGC_ROOT(var) refgc_root_push((void **)&(var))

/* ---- collection ----------------------------------------------------- */

/* Run a whole cycle (mark and sweep) and wait for it. */
int refgc_collect(void);

#define REFGC_PAUSE_RING 256
enum { REFGC_PHASE_STW = 0, REFGC_PHASE_MARK_START = 1, REFGC_PHASE_MARK_TERM = 2 };

typedef struct refgc_pause {
	uint64_t cycle;
	uint32_t phase;       /* REFGC_PHASE_* */
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	uint64_t duration_ns;
	uint64_t ttsp_ns;     /* of duration, waiting for threads to stop */
	uint64_t marked_bytes; /* bytes of objects newly marked inside this pause */
	uint64_t scan_slots;   /* pointer slots scanned inside this pause */
} refgc_pause;

typedef struct refgc_stats {
	uint64_t heap_alloc;       /* bytes in allocated objects (incl. unswept garbage) */
	uint64_t heap_inuse;       /* bytes in spans and large objects in use */
	uint64_t heap_inuse_peak;
	uint64_t heap_sys;         /* bytes mapped from the OS for the heap */
	uint64_t heap_released;    /* of heap_sys, bytes free and given back */
	uint64_t heap_goal;        /* next cycle should end by this heap_alloc */
	uint64_t heap_marked;      /* live bytes found by the last mark */
	uint64_t total_alloc;      /* cumulative bytes allocated */
	uint64_t mallocs, frees;   /* cumulative object counts */
	uint64_t objects;          /* mallocs - frees */
	uint64_t num_gc;           /* completed cycles */
	uint64_t num_forced_gc;
	uint64_t pause_total_ns;
	uint64_t num_pauses;       /* pauses recorded since init */
	uint64_t last_gc_ns;       /* CLOCK_MONOTONIC end of last cycle */
	double gc_cpu_fraction;    /* GC CPU time / (wall time * CPUs) */
	uint64_t gc_cpu_ns;
	refgc_mode mode;
	int gc_percent;
	uint64_t mem_limit;
	int procs;
	/* Mark termination (incremental): bytes newly marked and pointer
	 * slots scanned inside the pauses of the last cycle's termination,
	 * and the most in any cycle (stw: all marking is in the pause);
	 * termination pauses that found more than their budget and resumed
	 * concurrent marking. */
	uint64_t last_term_marked_bytes, max_term_marked_bytes;
	uint64_t last_term_scan_slots, max_term_scan_slots;
	uint64_t term_retries;
	/* Every wait an allocating thread makes for the collector, apart from
	 * pauses: assists (marking work owed for allocating while marking)
	 * and stalls (over the hard goal: helping or parked until marking
	 * starts or ends). Totals over all threads, counts and the longest. */
	uint64_t assist_ns, num_assists, max_assist_ns;
	uint64_t stall_ns, num_stalls, max_stall_ns;
	/* GC CPU cap (memory limit only): times GC time (collector CPU,
	 * assists, stalls) passed half of CPU time since the cycle before,
	 * and the wall time the next cycle was held back for, during which
	 * mutators neither assisted nor stalled and the heap could pass the
	 * limit, as Go's does. */
	uint64_t cpu_capped_ns, num_cpu_capped;
	/* Where the next cycle starts, as a fraction of the runway from
	 * heap_marked to heap_goal: the feedback trigger's current value in
	 * incremental mode (0.05..0.95, moved after every cycle), 1 in stw. */
	double trigger_fraction;
	/* the last min(num_pauses, 256) pauses, oldest first */
	uint32_t npause_ring;
	refgc_pause pauses[REFGC_PAUSE_RING];
} refgc_stats;

void refgc_read_stats(refgc_stats *st);

/* ---- fixed-size object pool ----------------------------------------- */

typedef struct refgc_pool refgc_pool;

typedef struct refgc_pool_stats {
	uint64_t total;     /* objects the pool has created */
	uint64_t available; /* objects sitting in the pool */
	uint64_t allocated; /* objects handed out and not put back */
	uint64_t gets, hits, puts, dropped;
	uint64_t cleared;   /* objects the pool held when a collection emptied it */
	double hit_rate;    /* hits / gets, 0 when no gets */
} refgc_pool_stats;

/* Like Go's sync.Pool. Objects are refgc objects of type t. Each attached
 * thread keeps up to 16 of them per pool (for up to 4 pools) without a
 * lock; beyond that the pool shares up to `capacity`. Every collection
 * empties the pool: it keeps nothing alive across a cycle (`cleared`
 * counts what it dropped), so Get may allocate after a collection. Put
 * clears the object (zeroes it, pointer slots through the write barrier),
 * so the pool keeps nothing else alive and Get returns a zeroed object
 * either way. A pool is used from attached threads; stats are exact for
 * the calling thread's part, other threads' may be a moment old. */
int refgc_pool_create(const refgc_type *t, size_t capacity, refgc_pool **out);
void refgc_pool_destroy(refgc_pool *p);
void *refgc_pool_get(refgc_pool *p);
void refgc_pool_put(refgc_pool *p, void *obj);
void refgc_pool_read_stats(refgc_pool *p, refgc_pool_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* REFGC_H */
