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
	uint64_t first_ns; /* its first sample: the settling period starts here */
	uint64_t t[RING], bytes[RING], count[RING], replaced[RING];
};

/* The process's balance, sampled with the sites: one ring, decimated alike. */
struct process_history {
	uint32_t head, len;
	uint64_t t[RING], unseen[RING], rss[RING];
	int64_t net[RING];
};

struct leak_detector {
	struct leak_config cfg;
	struct process_history proc;
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

/*
 * The ring slot for a sample at t_ns: RING samples must span the whole
 * window whatever the interval (-i 0.1 used to keep 6.4 s of a 10 s
 * window): a sample closer than window / (RING - 2) replaces the newest
 * while the newest is itself closer than that to the one before it, so
 * stored samples stay at least that far apart (all but the newest pair)
 * and the newest is fresh.
 */
static uint32_t ring_slot(uint32_t *head, uint32_t *len, const uint64_t *t, uint64_t t_ns, double window_s)
{
	uint32_t at;

	if (*len >= 2) {
		uint64_t step = (uint64_t)(window_s * 1e9 / (RING - 2));
		uint32_t newest = (*head + *len - 1) % RING, before = (*head + *len - 2) % RING;

		if (t_ns >= t[newest] && t[newest] - t[before] < step)
			return newest;
	}
	at = (*head + *len) % RING;
	if (*len == RING)
		*head = (*head + 1) % RING;
	else
		(*len)++;
	return at;
}

int leak_observe_site(struct leak_detector *d, uint64_t site, const struct leak_sample *s)
{
	struct history *h;
	uint32_t at;

	h = find(d, site);
	if (!h) {
		if (!(h = add(d, site)))
			return -ENOMEM;
		h->first_ns = s->t_ns;
	}
	at = ring_slot(&h->head, &h->len, h->t, s->t_ns, d->cfg.window_s);
	h->t[at] = s->t_ns;
	h->bytes[at] = s->inuse_bytes;
	h->count[at] = s->inuse_count;
	h->replaced[at] = s->replaced;
	return 0;
}

int leak_observe(struct leak_detector *d, uint64_t site, uint64_t t_ns, uint64_t inuse_bytes,
		 uint64_t inuse_count)
{
	struct leak_sample s = { t_ns, inuse_bytes, inuse_count, 0 };

	return leak_observe_site(d, site, &s);
}

int leak_observe_process(struct leak_detector *d, const struct leak_process_sample *s)
{
	struct process_history *p = &d->proc;
	uint32_t at = ring_slot(&p->head, &p->len, p->t, s->t_ns, d->cfg.window_s);

	p->t[at] = s->t_ns;
	p->net[at] = s->net_count;
	p->unseen[at] = s->frees_unseen;
	p->rss[at] = s->rss_bytes;
	return 0;
}

double leak_fit(const uint64_t *t, const double *y, size_t n, double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;

	*r2 = 0;
	if (n < 2)
		return 0;
	/* Centred first: bytes in the hundreds of MB squared would lose the
	 * variance to rounding in the one-pass sums. */
	for (size_t i = 0; i < n; i++) {
		mx += (double)(t[i] - t[0]) / 1e9;
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (size_t i = 0; i < n; i++) {
		double dx = (double)(t[i] - t[0]) / 1e9 - mx, dy = y[i] - my;

		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (sxx <= 0)
		return 0;
	if (syy > 0)
		*r2 = sxy * sxy / (sxx * syy);
	return sxy / sxx;
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

/* The process's evidence over [t0, t1]: its net growth in blocks, its
 * unseen frees, and its RSS slope. */
static void process_evidence(const struct process_history *p, uint64_t t0, uint64_t t1, struct leak_evidence *e)
{
	uint64_t t[RING], u0 = 0, u1 = 0;
	double net[RING], rss[RING], r2;
	size_t k = 0, krss = 0;
	uint64_t trss[RING];

	for (uint32_t j = 0; j < p->len; j++) {
		uint32_t at = (p->head + j) % RING;

		if (p->t[at] < t0 || p->t[at] > t1)
			continue;
		if (!k)
			u0 = p->unseen[at];
		u1 = p->unseen[at];
		t[k] = p->t[at];
		net[k++] = (double)p->net[at];
		if (p->rss[at]) {
			trss[krss] = p->t[at];
			rss[krss++] = (double)p->rss[at];
		}
	}
	e->unseen_frees = (double)(u1 - u0);
	e->process_growth = k >= 2 ? leak_fit(t, net, k, &r2) * (double)(t[k - 1] - t[0]) / 1e9 : 0;
	e->rss_known = krss >= 2;
	e->rss_rate = e->rss_known ? leak_fit(trss, rss, krss, &r2) : 0;
}

/* The verdict on one site's judged window, or false when it is no suspect. */
static bool judge_site(const struct leak_detector *d, const struct history *h, uint64_t now_ns,
		       struct leak_verdict *v)
{
	uint64_t window = (uint64_t)(d->cfg.window_s * 1e9), settle = (uint64_t)(d->cfg.settle_s * 1e9);
	uint64_t t[RING], y[RING], r0 = 0, r1 = 0;
	double yb[RING], yc[RING], r2, span;
	size_t k = 0, half;
	double slope;

	memset(v, 0, sizeof(*v));
	for (uint32_t j = 0; j < h->len; j++) {
		uint32_t at = (h->head + j) % RING;

		if (h->t[at] + window < now_ns || h->t[at] < h->first_ns + settle)
			continue;
		if (!k)
			r0 = h->replaced[at];
		r1 = h->replaced[at];
		t[k] = h->t[at];
		y[k] = h->bytes[at];
		yb[k] = (double)h->bytes[at];
		yc[k++] = (double)h->count[at];
	}
	/* Five points at least: two or three rising samples are noise. */
	if (k < 5)
		return false;
	v->trend = leak_trend(t, y, k, &slope);
	if (v->trend != MT_TREND_INCREASING || slope < d->cfg.min_rate)
		return false;
	/* Still growing: a cache that filled and stopped is warm-up, however
	 * straight its rise looked while the window held it. */
	half = k / 2;
	v->recent_rate = leak_fit(t + half, yb + half, k - half, &r2);
	if (v->recent_rate < d->cfg.min_rate)
		return false;
	span = (double)(t[k - 1] - t[0]) / 1e9;
	v->site = h->site;
	v->samples = (uint32_t)k;
	v->window_s = span;
	v->tracked_rate = leak_fit(t, yb, k, &v->evidence.fit);
	v->evidence.rate = v->tracked_rate;
	v->evidence.count_growth = leak_fit(t, yc, k, &r2) * span;
	v->evidence.replaced = (double)(r1 - r0);
	process_evidence(&d->proc, t[0], t[k - 1], &v->evidence);
	leak_judge(&v->evidence, d->cfg.min_rate, &v->judgement);
	v->rate_bytes_per_s = v->judgement.rate;
	return v->judgement.rate >= d->cfg.min_rate && v->judgement.confidence >= d->cfg.min_confidence;
}

int leak_suspects(struct leak_detector *d, uint64_t now_ns, struct leak_verdict **out)
{
	struct leak_verdict *v = NULL, one;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].alerted || !judge_site(d, &d->v[i], now_ns, &one))
			continue;
		if (grow((void **)&v, &cap, n, sizeof(*v), 8)) {
			free(v);
			return -ENOMEM;
		}
		v[n++] = one;
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
