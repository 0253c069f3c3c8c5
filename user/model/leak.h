/* SPDX-License-Identifier: MIT */
/*
 * Real-time leak detection.  Keeps a ring of in-use samples per allocation
 * site; a site is a suspect when its in-use bytes grew over the window at
 * or above a minimum rate with a consistently increasing trend, and it
 * alerts once its oldest live block is older than a minimum age (old blocks
 * survive: caches and request buffers recycle theirs, leaks keep them).
 */
#ifndef MEMTRACE_LEAK_H
#define MEMTRACE_LEAK_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct leak_config {
	double window_s;    /* --leak-window: the trend is judged over this span */
	double min_rate;    /* --leak-min-rate: bytes/s of growth to care about */
	double min_age_s;   /* --leak-min-age: the oldest block must be this old */
};

#define LEAK_DEFAULT_WINDOW_S 10.0
#define LEAK_DEFAULT_MIN_RATE 1024.0
#define LEAK_DEFAULT_MIN_AGE_S 5.0

struct leak_detector;

struct leak_detector *leak_detector_new(const struct leak_config *cfg);
void leak_detector_free(struct leak_detector *d);

/* Records one sample of a site's in-use state at t_ns (monotonic). */
int leak_observe(struct leak_detector *d, uint64_t site, uint64_t t_ns, uint64_t inuse_bytes,
		 uint64_t inuse_count);

struct leak_verdict {
	uint64_t site;
	double rate_bytes_per_s;
	enum mt_trend trend;
};

/*
 * Sites whose window shows a leak-like trend and that have not alerted yet;
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

#endif
