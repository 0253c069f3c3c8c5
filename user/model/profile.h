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

/* One allocation site: a distinct user stack, frames innermost first. */
struct mt_site {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t alloc_count, alloc_bytes; /* everything allocated here during the trace */
	uint64_t inuse_count, inuse_bytes; /* still allocated at the end of the trace */
};

/* One point of the time series sampled at every interval. */
struct mt_sample {
	uint64_t t_ns; /* since the start of the trace */
	uint64_t inuse_bytes, inuse_count;
	uint64_t alloc_bytes, alloc_count; /* cumulative */
	uint64_t free_bytes, free_count;   /* cumulative */
	uint64_t rss_bytes;                /* 0 when unknown */
};

enum mt_trend {
	MT_TREND_FLAT,
	MT_TREND_INCREASING,   /* consistently increasing */
	MT_TREND_DECREASING,   /* consistently decreasing */
	MT_TREND_FLUCTUATING,
};

/* One leak alert raised while tracing. */
struct mt_alert {
	uint64_t t_ns;      /* since the start of the trace */
	uint64_t wall_ns;   /* CLOCK_REALTIME */
	struct mt_site site; /* the site as it was at the alert (owns its frames) */
	double rate_bytes_per_s;
	enum mt_trend trend;
	uint64_t oldest_age_ns;
};

/* Blocks still outstanding at the end, older than the leak age, per stack. */
struct mt_leak {
	const struct mt_frame *frames;
	uint32_t nframes;
	uint64_t count, bytes;
	uint64_t oldest_age_ns;
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
	const char *command;        /* comm or argv[0] of the target */
	uint64_t start_realtime_ns; /* wall-clock start, for titles */
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
	struct mt_module *modules;
	size_t nmodules;
	struct mt_site *sites; /* sorted by inuse_bytes, then alloc_bytes, descending */
	size_t nsites;
	struct mt_sample *series;
	size_t nseries;
	struct mt_alert *alerts; /* in the order they were raised */
	size_t nalerts;
	struct mt_leak *leaks;   /* largest first */
	size_t nleaks;
	struct gc_data *gc;      /* GC cycles and pauses (gc.h), NULL when none was traced */
	struct mt_faults *faults; /* page faults and mappings (faults.h), NULL when not traced */
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
