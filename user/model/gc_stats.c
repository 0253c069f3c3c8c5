// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gc_stats.h"
#include "gc_waits.h"

uint64_t gc_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

struct span {
	uint64_t a, b;
};

static int cmp_span(const void *x, const void *y)
{
	const struct span *p = x, *q = y;

	return p->a < q->a ? -1 : p->a > q->a;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Paused time in [t0, x] given disjoint sorted spans and their prefix sums. */
static uint64_t paused_until(const struct span *s, const uint64_t *prefix, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	/* first span with a > x */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s[mid].a <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	return prefix[lo - 1] + ((x < s[lo - 1].b ? x : s[lo - 1].b) - s[lo - 1].a);
}

double gc_mmu(const struct gc_pause *p, size_t n, uint64_t t0, uint64_t t1, uint64_t window)
{
	struct span *s;
	uint64_t *prefix, total = 0, len = t1 > t0 ? t1 - t0 : 0;
	size_t m = 0;
	double worst = 1.0;

	if (!n)
		return 1.0;
	s = malloc(n * sizeof(*s));
	prefix = malloc(n * sizeof(*prefix));
	if (!s || !prefix) {
		free(s);
		free(prefix);
		return -1.0;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t a = p[i].start_ns, b = p[i].start_ns + p[i].duration_ns;

		if (a < t0)
			a = t0;
		if (b > t1)
			b = t1;
		if (b > a)
			s[m++] = (struct span){ a, b };
	}
	qsort(s, m, sizeof(*s), cmp_span);
	/* Merge overlaps: nested runtimes or a pause reported twice. */
	{
		size_t k = 0;

		for (size_t i = 0; i < m; i++) {
			if (k && s[i].a <= s[k - 1].b) {
				if (s[i].b > s[k - 1].b)
					s[k - 1].b = s[i].b;
			} else {
				s[k++] = s[i];
			}
		}
		m = k;
	}
	for (size_t i = 0; i < m; i++) {
		prefix[i] = total;
		total += s[i].b - s[i].a;
	}
	if (!m) {
		worst = 1.0;
	} else if (!window || !len) {
		worst = 0.0;
	} else if (len <= window) {
		worst = 1.0 - (double)total / (double)len;
	} else {
		/* Utilization is piecewise linear in the window's start a: its
		 * minimum is where a or a + window meets a pause boundary. */
		uint64_t last = t1 - window;

		for (size_t i = 0; i < m; i++) {
			uint64_t cand[4] = { s[i].a, s[i].b, s[i].a - (s[i].a >= window ? window : s[i].a),
					     s[i].b - (s[i].b >= window ? window : s[i].b) };

			for (int c = 0; c < 4; c++) {
				uint64_t a = cand[c] < t0 ? t0 : cand[c] > last ? last : cand[c];
				uint64_t paused = paused_until(s, prefix, m, a + window) - paused_until(s, prefix, m, a);
				double u = 1.0 - (double)paused / (double)window;

				if (u < worst)
					worst = u;
			}
		}
	}
	free(s);
	free(prefix);
	return worst < 0 ? 0 : worst;
}

void gc_summarize(struct gc_data *d)
{
	struct gc_summary *sum = &d->sum;
	uint64_t *durs = NULL, len = d->end_ns > d->start_ns ? d->end_ns - d->start_ns : 0;

	memset(sum, 0, sizeof(*sum));
	sum->gc_cpu_fraction = -1;
	sum->cycles = d->ncycles;
	sum->pauses = d->npauses;
	if (d->npauses)
		durs = malloc(d->npauses * sizeof(*durs));
	if (durs) {
		for (size_t i = 0; i < d->npauses; i++) {
			durs[i] = d->pauses[i].duration_ns;
			sum->total += durs[i];
		}
		qsort(durs, d->npauses, sizeof(*durs), cmp_u64);
		sum->p50 = gc_percentile(durs, d->npauses, 50);
		sum->p90 = gc_percentile(durs, d->npauses, 90);
		sum->p99 = gc_percentile(durs, d->npauses, 99);
		sum->max = durs[d->npauses - 1];
		free(durs);
	}
	sum->pause_fraction = len ? (double)sum->total / (double)len : 0;
	sum->mmu_1ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 1000000ULL);
	sum->mmu_10ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 10000000ULL);
	sum->mmu_100ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 100000000ULL);
	gc_waits_summarize(d);
}
