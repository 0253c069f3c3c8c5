/* SPDX-License-Identifier: MIT */
/*
 * Real-time leak detection.  Keeps a ring of in-use samples per allocation
 * site, and one of the process's balance; a site is a suspect when its
 * in-use bytes grew over the window at or above a minimum rate with a
 * consistently increasing trend, still grows over the later half of the
 * window, and its verdict (leak_verdict.h: pre-attach churn discounted,
 * confidence) holds; it alerts once its oldest live block is older than a
 * minimum age (old blocks survive: caches and request buffers recycle
 * theirs, leaks keep them).
 *
 * Warm-up: a site's first settle_s seconds after its first allocation are
 * not judged (a cache filling, a JVM sizing its tables); only samples
 * after them count, and at least 5 of them.  The ring keeps the whole
 * window at any sampling interval (samples closer than window / 62 are
 * merged), so leak_verdict.window_s reaches window_s.
 */
#ifndef MEMTRACE_LEAK_H
#define MEMTRACE_LEAK_H

#include <stddef.h>
#include <stdint.h>

#include "leak_verdict.h"
#include "profile.h"

struct leak_config {
	double window_s;    /* --leak-window: the trend is judged over this span */
	double min_rate;    /* --leak-min-rate: bytes/s of growth to care about */
	double min_age_s;   /* --leak-min-age: the oldest block must be this old */
	double min_confidence; /* --leak-min-confidence: 0..1 */
	double settle_s;    /* warm-up after a site's first allocation, not judged */
};

#define LEAK_DEFAULT_WINDOW_S 10.0
#define LEAK_DEFAULT_MIN_RATE 1024.0
#define LEAK_DEFAULT_MIN_AGE_S 5.0
#define LEAK_DEFAULT_MIN_CONFIDENCE 0.6
/* Short enough that a leak starting in a running service is named within
 * 10 s (3 s + 5 samples a second apart + the age), long enough to pass a
 * JVM's start-up. */
#define LEAK_SETTLE_S 3.0

struct leak_detector;

struct leak_detector *leak_detector_new(const struct leak_config *cfg);
void leak_detector_free(struct leak_detector *d);

/* One sample of a site: in use now, and its cumulative replacements of
 * pre-attach blocks (mt_site_counts.replaced). */
struct leak_sample {
	uint64_t t_ns; /* monotonic */
	uint64_t inuse_bytes, inuse_count;
	uint64_t replaced;
};

/* Records one sample of a site. */
int leak_observe_site(struct leak_detector *d, uint64_t site, const struct leak_sample *s);
/* The same with no replacement counts (a trace from the process's start). */
int leak_observe(struct leak_detector *d, uint64_t site, uint64_t t_ns, uint64_t inuse_bytes,
		 uint64_t inuse_count);

/* One sample of the whole process, taken with the sites' samples. */
struct leak_process_sample {
	uint64_t t_ns;
	int64_t net_count;     /* allocations seen - frees of seen blocks - frees of unseen blocks */
	uint64_t frees_unseen; /* cumulative */
	uint64_t rss_bytes;    /* 0: unknown */
};

int leak_observe_process(struct leak_detector *d, const struct leak_process_sample *s);

struct leak_verdict {
	uint64_t site;
	double rate_bytes_per_s;   /* after discounts (judgement.rate) */
	enum mt_trend trend;
	double tracked_rate;       /* the site's tracked growth before discounts */
	double recent_rate;        /* over the later half of the window */
	double window_s;           /* span of the samples judged */
	uint32_t samples;
	struct leak_evidence evidence;
	struct leak_judgement judgement;
};

/*
 * Sites whose window shows a leak-like trend, whose verdict's rate is at
 * least min_rate and confidence at least min_confidence, and that have not
 * alerted yet;
 * the caller checks their oldest block's age and calls leak_mark_alerted()
 * for those that alert.  *out is malloc'd (free it); returns the count or
 * negative errno.
 */
int leak_suspects(struct leak_detector *d, uint64_t now_ns, struct leak_verdict **out);
void leak_mark_alerted(struct leak_detector *d, uint64_t site);

/*
 * Trend of a series (t in ns, y in bytes): slope by least squares in
 * units/s, and its class.  Pure: exposed for tests.
 */
enum mt_trend leak_trend(const uint64_t *t_ns, const uint64_t *y, size_t n, double *slope);
/* Least squares through (t, y): slope in units/s, and r^2 (1 for a
 * perfect line, 0 when y is flat). */
double leak_fit(const uint64_t *t_ns, const double *y, size_t n, double *r2);

#endif
