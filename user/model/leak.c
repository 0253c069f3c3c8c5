// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "leak.h"

#define RING 64

struct history {
	uint64_t site; /* 0 = empty slot */
	bool alerted;
	uint32_t head, len;
	uint64_t t[RING], bytes[RING], count[RING];
};

struct leak_detector {
	struct leak_config cfg;
	struct history *slots;
	size_t cap, used;
};

struct leak_detector *leak_detector_new(const struct leak_config *cfg)
{
	struct leak_detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->cap = 256;
	d->slots = calloc(d->cap, sizeof(*d->slots));
	if (!d->slots) {
		free(d);
		return NULL;
	}
	return d;
}

void leak_detector_free(struct leak_detector *d)
{
	if (!d)
		return;
	free(d->slots);
	free(d);
}

/* Site keys are stack hashes; key 0 (unknown stack) is stored as ~0. */
static uint64_t slot_key(uint64_t site)
{
	return site ? site : ~0ULL;
}

static struct history *find(struct leak_detector *d, uint64_t site, bool create);

static int grow(struct leak_detector *d)
{
	struct history *old = d->slots;
	size_t oldcap = d->cap;

	d->slots = calloc(oldcap * 2, sizeof(*d->slots));
	if (!d->slots) {
		d->slots = old;
		return -ENOMEM;
	}
	d->cap = oldcap * 2;
	d->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].site) {
			struct history *h = find(d, old[i].site, true);

			*h = old[i];
		}
	}
	free(old);
	return 0;
}

static struct history *find(struct leak_detector *d, uint64_t key, bool create)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (d->cap - 1);

	while (d->slots[i].site && d->slots[i].site != key)
		i = (i + 1) & (d->cap - 1);
	if (d->slots[i].site || !create)
		return d->slots[i].site ? &d->slots[i] : NULL;
	d->slots[i].site = key;
	d->used++;
	return &d->slots[i];
}

int leak_observe(struct leak_detector *d, uint64_t site, uint64_t t_ns, uint64_t inuse_bytes,
		 uint64_t inuse_count)
{
	struct history *h;
	uint32_t at;

	if (d->used * 2 >= d->cap && grow(d))
		return -ENOMEM;
	h = find(d, slot_key(site), true);
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

	for (size_t i = 0; i < d->cap; i++) {
		struct history *h = &d->slots[i];
		uint64_t t[RING], y[RING];
		size_t k = 0;
		double slope;
		enum mt_trend trend;

		if (!h->site || h->alerted)
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
		if (n == cap) {
			struct leak_verdict *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 8;
		}
		v[n++] = (struct leak_verdict){
			.site = h->site == ~0ULL ? 0 : h->site, .rate_bytes_per_s = slope, .trend = trend
		};
	}
	*out = v;
	return (int)n;
}

void leak_mark_alerted(struct leak_detector *d, uint64_t site)
{
	struct history *h = find(d, slot_key(site), false);

	if (h)
		h->alerted = true;
}
