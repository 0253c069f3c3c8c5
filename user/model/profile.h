/* SPDX-License-Identifier: MIT */
/*
 * The finished, symbolized view of one trace: the only thing report writers
 * (JSON, pprof, folded, flamegraph, HTML) read.  The collector builds it from
 * the BPF aggregates; writers never touch BPF maps or the target process.
 *
 * Ownership: a profile owns every array and string it points to and is freed
 * with profile_free().  Strings are interned, so writers may compare
 * pointers, but must not rely on it.
 */
#ifndef MEMTRACE_PROFILE_H
#define MEMTRACE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One loaded object of the target, as pprof's Mapping wants it. */
struct mt_module {
	const char *path;      /* absolute path as the target sees it */
	const char *build_id;  /* lowercase hex, or NULL when the object has none */
	uint64_t start, limit; /* runtime address range of its executable mapping */
	uint64_t file_offset;  /* file offset that maps at start */
};

/* One stack frame, already symbolized. */
struct mt_frame {
	uint64_t addr;        /* runtime address (a return address for frames > 0) */
	uint64_t offset;      /* address relative to the module's ELF image (addr2line's view) */
	const char *function; /* symbol name, NULL when the frame cannot be named */
	const char *file;     /* source file of the line, NULL when unknown */
	int32_t module;       /* index into mt_profile.modules, -1 when unknown */
	uint32_t line;        /* source line, 0 when unknown */
	uint32_t fn_line;     /* the function's first line, 0 when unknown */
	/* Code of this function inlined into the next frame, which has the same
	 * addr: one instruction, several source frames, innermost first. */
	bool inlined;
};

/*
 * The address of the frame that ends a stack the walk could not finish (it
 * met an address outside the target's code, a frame outside the thread's
 * stack, or the depth limit): always the last frame, named "[truncated]",
 * with no module.  Everything above it in the real stack is unknown.
 */
#define MT_TRUNCATED_ADDR 0xfffffffffffffffeULL
#define MT_TRUNCATED_NAME "[truncated]"

/*
 * The only frame of a stack taken before the process's program was
 * running (include/memtrace.h MT_FRAME_EXEC: the launcher's execvp):
 * named "[exec]", with no module; not truncated.
 */
#define MT_EXEC_ADDR 0xfffffffffffffffdULL
#define MT_EXEC_NAME "[exec]"

/*
 * The first frame of a CPython pymalloc pool site (trace/python_pymalloc.h):
 * the site's blocks are 16 KiB pools its stack took for one size class,
 * not objects.  MT_PYMALLOC_ADDR | class (0-63, blocks of (class + 1) * 16
 * bytes), named "[pymalloc pool 208 B]", with no module.
 */
#define MT_PYMALLOC_ADDR 0xfffffffffffffd00ULL
#define MT_PYMALLOC_CLASSES 64
#define MT_PYMALLOC_NAME "[pymalloc pool"

static inline int frame_is_pymalloc(uint64_t addr)
{
	return (addr & ~(uint64_t)(MT_PYMALLOC_CLASSES - 1)) == MT_PYMALLOC_ADDR;
}

/* Whether the stack f[0..n) ends with the truncation marker. */
static inline int frames_truncated(const struct mt_frame *f, uint32_t n)
{
	return n && f[n - 1].addr == MT_TRUNCATED_ADDR;
}

/*
 * How live blocks split under a reachability scan (mt_reach); all zero when
 * no scan ran.  Every block is in exactly one class.
 */
struct mt_reach_counts {
	uint64_t lost_count, lost_bytes;           /* definitely lost: no pointer from a root */
	uint64_t indirect_count, indirect_bytes;   /* reached only from lost blocks */
	uint64_t reachable_count, reachable_bytes; /* still reachable from a root */
};

/* One allocation site: a distinct user stack, frames innermost first. */
struct mt_site {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t alloc_count, alloc_bytes; /* everything allocated here during the trace */
	uint64_t inuse_count, inuse_bytes; /* still allocated at the end of the trace */
	struct mt_reach_counts reach;      /* its live blocks at the scan */
};

/* One point of the time series sampled at every interval. */
struct mt_sample {
	uint64_t t_ns; /* since the start of the trace */
	uint64_t inuse_bytes, inuse_count;
	uint64_t alloc_bytes, alloc_count; /* cumulative */
	uint64_t free_bytes, free_count;   /* cumulative */
	uint64_t rss_bytes;                /* 0 when unknown */
	uint64_t frees_unseen;             /* cumulative: as mt_profile.frees_unseen */
	uint64_t faults;                   /* cumulative minflt+majflt (proc_faults.h), 0 when unknown */
};

enum mt_trend {
	MT_TREND_FLAT,
	MT_TREND_INCREASING,   /* consistently increasing */
	MT_TREND_DECREASING,   /* consistently decreasing */
	MT_TREND_FLUCTUATING,
};

/* Why a leak alert fired: what its window measured (leak_verdict.h). */
struct mt_alert_why {
	double tracked_rate;   /* bytes/s the site's tracked in-use grew, before discounts */
	double recent_rate;    /* the same over the later half of the window */
	double fit;            /* r^2 of the growth's line */
	double window_s;       /* span of the samples judged */
	uint32_t samples;
	double discounted_rate; /* bytes/s taken off as pre-attach churn */
	double replaced_share; /* of the site's block growth, replacements of pre-attach blocks */
	double process_cover;  /* how much of the rest the process's net balance shows */
	double unseen_frees;   /* the process's frees of pre-attach blocks in the window */
	double process_growth; /* the process's net blocks gained in the window */
	double rss_rate;       /* resident bytes/s; rss_known false: unread */
	int rss_known;
};

/* One leak alert raised while tracing. */
struct mt_alert {
	uint64_t t_ns;      /* since the start of the trace */
	uint64_t wall_ns;   /* CLOCK_REALTIME */
	struct mt_site site; /* the site as it was at the alert (owns its frames) */
	double rate_bytes_per_s; /* after discounts: the growth the alert stands on */
	enum mt_trend trend;
	uint64_t oldest_age_ns;
	double confidence;  /* 0..1; 0 when read from a recording */
	struct mt_alert_why why; /* zero when read from a recording (why.samples 0) */
};

/* Blocks still outstanding at the end, older than the leak age, per stack. */
struct mt_leak {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t count, bytes;
	uint64_t oldest_age_ns;
	struct mt_reach_counts reach; /* of these blocks, when a scan ran */
};

enum mt_reach_state {
	MT_REACH_NONE,    /* no scan was asked for */
	MT_REACH_DONE,    /* leaks and sites carry classes */
	MT_REACH_REFUSED, /* the estimated pause was over --reachability-max-pause */
	MT_REACH_FAILED,  /* the process could not be stopped or read (said on stderr) */
};

/* The reachability scan: what it did and how long the target was stopped. */
struct mt_reach {
	enum mt_reach_state state;
	uint64_t pause_ns;          /* the target held still, first stop to release */
	uint64_t estimate_ns;       /* the pause expected before it (roots + blocks at the measured rate) */
	uint64_t max_pause_ns;      /* the limit asked for; 0 = none */
	double rate_bytes_per_s;    /* read and lookup speed measured before stopping */
	uint64_t blocks, block_bytes; /* live blocks classified */
	uint64_t root_bytes;        /* stacks, data, TLS scanned (blocks inside excluded) */
	uint64_t before_trace_bytes; /* of them, memory allocated before the trace (-p) */
	uint64_t unreadable_bytes;  /* could not be read: scanned as zeros */
	uint32_t threads, threads_without_regs;
	uint64_t untracked_blocks;  /* the block table had no room: not classified, their pointers not followed */
	uint64_t overlapping;       /* table entries dropped as overlapping another */
	struct mt_reach_counts total;
};

struct mt_totals {
	uint64_t alloc_count, alloc_bytes;
	uint64_t free_count, free_bytes;
	uint64_t inuse_count, inuse_bytes;
	uint64_t peak_inuse_bytes;
};

/* Everything that was lost, by cause; writers show the sum and the parts. */
struct mt_drops {
	uint64_t stack_full;    /* stack storage full or bucket taken: site unknown */
	uint64_t allocs_full;   /* live-block table full: block not tracked */
	uint64_t inflight_full; /* per-thread call table full: call missed */
	uint64_t events_lost;   /* ring buffer full */
};

struct gc_data;
struct mt_faults;

struct mt_profile {
	int32_t pid;
	int32_t nspid;              /* its PID in its own PID namespace (proc_nspid.h), 0 when unknown or == pid */
	const char *command;        /* comm or argv[0] of the target */
	const char *cgroup;         /* its cgroup path (proc_cgroup.h), NULL when unknown or "/" */
	const char *container_id;   /* 64 hex digits, NULL when not in a container (or unknown) */
	uint64_t start_realtime_ns; /* wall-clock start, for titles */
	/* CLOCK_MONOTONIC at the same start (0: unknown, an older file): the
	 * origin of every "seconds since the trace started" (trace_clock.h) */
	uint64_t start_mono_ns;
	uint64_t duration_ns;
	uint64_t sample_bytes;      /* 0: every allocation; N: estimates from Poisson sampling */
	struct mt_totals totals;
	struct mt_drops drops;
	/*
	 * Allocations the live-block table had no room for, and the frees it
	 * could not match once it overflowed.  The unmatched frees are charged
	 * against the untracked allocations, so the in-use count stays right in
	 * total (when the trace saw the process from its start); how it splits
	 * among sites, and all in-use bytes of untracked blocks, are estimated
	 * in proportion.  allocs > 0 means in-use figures are estimates, and
	 * every writer says so.
	 */
	struct {
		uint64_t allocs, frees_unmatched;
	} untracked;
	/*
	 * Frees of blocks allocated before the trace began (-p): a count, not
	 * bytes (the allocator alone knows a block's size).  Only while every
	 * allocation is traced and the block table never overflowed; 0 under
	 * --sample-bytes.
	 */
	uint64_t frees_unseen;
	/*
	 * A --follow child's frees of blocks it did not allocate: the heap it
	 * inherited from fork_parent, not blocks from before the trace (the
	 * child is traced from its birth).  frees_unseen is then 0.
	 */
	uint64_t frees_inherited;
	int32_t fork_parent; /* the PID it forked from; 0 when not a forked child */
	/*
	 * Go's heap, counted at runtime.mallocgc: every call and its requested
	 * bytes (calls 0: no Go heap traced).  Its sites are among `sites`,
	 * allocated and at once counted as freed: Go's in-use is not per stack,
	 * since the GC frees without calls.
	 */
	struct {
		uint64_t calls, bytes;
		uint64_t missed;   /* calls whose stack could not be read: not counted */
		uint64_t restarts; /* entries that grew the stack first: counted at their rerun */
		const char *version; /* "go1.19.8", NULL when unknown */
	} go_heap;
	struct mt_module *modules;
	size_t nmodules;
	struct mt_site *sites; /* sorted by inuse_bytes, then alloc_bytes, descending */
	size_t nsites;
	struct mt_sample *series;
	size_t nseries;
	struct mt_alert *alerts; /* in the order they were raised */
	size_t nalerts;
	struct mt_leak *leaks;   /* largest first; with a scan, most definitely lost bytes first */
	size_t nleaks;
	struct mt_reach reach;
	struct gc_data *gc;      /* GC cycles and pauses (gc.h), NULL when none was traced */
	struct mt_faults *faults; /* page faults and mappings (faults.h), NULL when not traced */
	struct mt_layout_savings *layout; /* --layout (layout_savings.h), NULL when not asked */
	struct strpool *strings; /* owns every string above */
};

enum mt_metric {
	MT_INUSE_SPACE,
	MT_INUSE_OBJECTS,
	MT_ALLOC_SPACE,
	MT_ALLOC_OBJECTS,
};

/*
 * Interned copy of s owned by the profile (creates the pool on first use);
 * NULL for s == NULL or when out of memory.
 */
const char *profile_intern(struct mt_profile *profile, const char *s);
/* profile_intern for a string that outlives the profile's interning from it
 * (strpool_intern_stable): looked up by address. */
const char *profile_intern_stable(struct mt_profile *profile, const char *s);
/* Value of one site under a metric. */
uint64_t site_metric(const struct mt_site *site, enum mt_metric metric);
/* "inuse_space" etc.; returns -EINVAL for an unknown name. */
int metric_parse(const char *name, enum mt_metric *out);
const char *metric_name(enum mt_metric metric);
/* "consistently increasing" etc. */
const char *trend_name(enum mt_trend trend);
uint64_t drops_total(const struct mt_drops *drops);
/* Sort sites by inuse_bytes, then alloc_bytes, descending. */
void profile_sort_sites(struct mt_profile *profile);
/* Frees sites (and their frames), modules, series and strings; zeroes *profile. */
void profile_free(struct mt_profile *profile);

#endif
