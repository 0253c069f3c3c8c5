// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"
#include "leak.h"

#define RING 64

struct history {
	uint64_t site;
	bool alerted;
	uint32_t head, len;
	uint64_t t[RING], bytes[RING], count[RING];
};

struct leak_detector {
	struct leak_config cfg;
	struct history *v; /* by entry number, in the order sites were first seen */
	size_t n, cap;
	struct hmap index; /* hash of the site -> entry */
};

struct leak_detector *leak_detector_new(const struct leak_config *cfg)
{
	struct leak_detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	return d;
}

void leak_detector_free(struct leak_detector *d)
{
	if (!d)
		return;
	hmap_free(&d->index);
	free(d->v);
	free(d);
}

static struct history *find(struct leak_detector *d, uint64_t site)
{
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&d->index, hmap_hash_u64(site), &p); i != HMAP_NONE;
	     i = hmap_next(&d->index, &p))
		if (d->v[i].site == site)
			return &d->v[i];
	return NULL;
}

static struct history *add(struct leak_detector *d, uint64_t site)
{
	struct history *h;

	if (d->n >= HMAP_NONE || grow((void **)&d->v, &d->cap, d->n, sizeof(*d->v), 256) ||
	    hmap_add(&d->index, hmap_hash_u64(site), (uint32_t)d->n))
		return NULL;
	h = &d->v[d->n++];
	memset(h, 0, sizeof(*h));
	h->site = site;
	return h;
}

int leak_observe(struct leak_detector *d, uint64_t site, uint64_t t_ns, uint64_t inuse_bytes,
		 uint64_t inuse_count)
{
	struct history *h;
	uint32_t at;

	h = find(d, site);
	if (!h && !(h = add(d, site)))
		return -ENOMEM;
	/*
	 * RING samples must span the whole window whatever the interval (-i 0.1
	 * used to keep 6.4 s of a 10 s window): a sample closer than
	 * window / (RING - 2) replaces the newest while the newest is itself
	 * closer than that to the one before it, so stored samples stay at
	 * least that far apart (all but the newest pair) and the newest is fresh.
	 */
	if (h->len >= 2) {
		uint64_t step = (uint64_t)(d->cfg.window_s * 1e9 / (RING - 2));
		uint32_t newest = (h->head + h->len - 1) % RING, before = (h->head + h->len - 2) % RING;

		if (t_ns >= h->t[newest] && h->t[newest] - h->t[before] < step) {
			h->t[newest] = t_ns;
			h->bytes[newest] = inuse_bytes;
			h->count[newest] = inuse_count;
			return 0;
		}
	}
	at = (h->head + h->len) % RING;
	if (h->len == RING)
		h->head = (h->head + 1) % RING;
	else
		h->len++;
	h->t[at] = t_ns;
	h->bytes[at] = inuse_bytes;
	h->count[at] = inuse_count;
	return 0;
}

enum mt_trend leak_trend(const uint64_t *t, const uint64_t *y, size_t n, double *slope)
{
	double st = 0, sy = 0, stt = 0, sty = 0, up = 0, down = 0;
	size_t nup = 0, ndown = 0;

	*slope = 0;
	if (n < 2)
		return MT_TREND_FLAT;
	for (size_t i = 0; i < n; i++) {
		double x = (double)(t[i] - t[0]) / 1e9, v = (double)y[i];

		st += x;
		sy += v;
		stt += x * x;
		sty += x * v;
		if (i) {
			double dv = (double)y[i] - (double)y[i - 1];

			if (dv > 0) {
				up += dv;
				nup++;
			} else if (dv < 0) {
				down -= dv;
				ndown++;
			}
		}
	}
	if (n * stt - st * st > 0)
		*slope = (n * sty - st * sy) / (n * stt - st * st);
	if (!nup && !ndown)
		return MT_TREND_FLAT;
	/* "Consistently": most steps go one way and the steps back undo little of it. */
	if (nup * 5 >= (nup + ndown) * 4 && down * 10 <= up)
		return MT_TREND_INCREASING;
	if (ndown * 5 >= (nup + ndown) * 4 && up * 10 <= down)
		return MT_TREND_DECREASING;
	return MT_TREND_FLUCTUATING;
}

int leak_suspects(struct leak_detector *d, uint64_t now_ns, struct leak_verdict **out)
{
	uint64_t window = (uint64_t)(d->cfg.window_s * 1e9);
	struct leak_verdict *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct history *h = &d->v[i];
		uint64_t t[RING], y[RING];
		size_t k = 0;
		double slope;
		enum mt_trend trend;

		if (h->alerted)
			continue;
		for (uint32_t j = 0; j < h->len; j++) {
			uint32_t at = (h->head + j) % RING;

			if (h->t[at] + window < now_ns)
				continue;
			t[k] = h->t[at];
			y[k++] = h->bytes[at];
		}
		/* Five points at least: two or three rising samples are noise. */
		if (k < 5)
			continue;
		trend = leak_trend(t, y, k, &slope);
		if (trend != MT_TREND_INCREASING || slope < d->cfg.min_rate)
			continue;
		if (grow((void **)&v, &cap, n, sizeof(*v), 8)) {
			free(v);
			return -ENOMEM;
		}
		v[n++] = (struct leak_verdict){
			.site = h->site, .rate_bytes_per_s = slope, .trend = trend
		};
	}
	*out = v;
	return (int)n;
}

void leak_mark_alerted(struct leak_detector *d, uint64_t site)
{
	struct history *h = find(d, site);

	if (h)
		h->alerted = true;
}
