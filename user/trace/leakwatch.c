// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "grow.h"
#include "leakwatch.h"
#include "session.h"
#include "sitegroup.h"

int leakwatch_open(struct leakwatch *w, const struct trace_opts *o, const struct trace_hooks *hooks)
{
	struct leak_config lc = { o->leak_window_s, o->leak_min_rate, o->leak_min_age_s, o->leak_min_confidence,
				  LEAK_SETTLE_S };

	memset(w, 0, sizeof(*w));
	w->min_age_ns = (uint64_t)(o->leak_min_age_s * 1e9);
	w->hooks = hooks;
	w->det = leak_detector_new(&lc);
	w->groups = site_groups_new();
	if (!w->det || !w->groups) {
		leakwatch_close(w);
		return -ENOMEM;
	}
	return 0;
}

void leakwatch_close(struct leakwatch *w)
{
	leak_detector_free(w->det);
	site_groups_free(w->groups);
	free(w->alerts);
	memset(w, 0, sizeof(*w));
}

static int keep_alert(struct leakwatch *s, const struct raw_site *raw, const struct leak_verdict *v,
		      uint64_t age, uint64_t now)
{
	struct pending_alert *pa;

	if (grow((void **)&s->alerts, &s->alerts_cap, s->nalerts, sizeof(*s->alerts), 8))
		return -ENOMEM;
	pa = &s->alerts[s->nalerts++];
	pa->raw = *raw;
	pa->verdict = *v;
	pa->oldest_age_ns = age;
	pa->t_ns = now - s->start_ns;
	pa->wall_ns = clock_ns(CLOCK_REALTIME);
	return 0;
}

static int cmp_raw_key(const void *key, const void *site)
{
	uint64_t k = *(const uint64_t *)key, sk = ((const struct raw_site *)site)->key;

	return k < sk ? -1 : k > sk;
}

/* Snapshot sites come in ascending key order. */
static const struct raw_site *raw_find(const struct heap_snapshot *snap, uint64_t key)
{
	return snap->nsites ? bsearch(&key, snap->sites, snap->nsites, sizeof(*snap->sites), cmp_raw_key) : NULL;
}

/* An alert as the writers want it, its strings interned in p. */
static int alert_from_pending(struct mt_profile *p, struct symbolizer *sym, const struct pending_alert *pa,
			      struct mt_alert *out)
{
	const struct leak_verdict *v = &pa->verdict;

	memset(out, 0, sizeof(*out));
	out->t_ns = pa->t_ns;
	out->wall_ns = pa->wall_ns;
	out->rate_bytes_per_s = v->rate_bytes_per_s;
	out->trend = v->trend;
	out->oldest_age_ns = pa->oldest_age_ns;
	out->confidence = v->judgement.confidence;
	out->why = (struct mt_alert_why){
		.tracked_rate = v->tracked_rate,
		.recent_rate = v->recent_rate,
		.fit = v->evidence.fit,
		.window_s = v->window_s,
		.samples = v->samples,
		.discounted_rate = v->judgement.discounted,
		.replaced_share = v->judgement.replaced_share,
		.process_cover = v->judgement.process_cover,
		.unseen_frees = v->evidence.unseen_frees,
		.process_growth = v->evidence.process_growth,
		.rss_rate = v->evidence.rss_rate,
		.rss_known = v->evidence.rss_known,
	};
	return profile_site_from_raw(p, &pa->raw.v, sym, &out->site);
}

/* Sums per site group, for the leak detector. */
struct group_sum {
	uint64_t group, bytes, count, replaced;
	const struct raw_site *largest; /* its frames stand for the group in alerts */
};

/* By group, then by site key: a tie in size goes to the group's first site. */
static int cmp_group(const void *a, const void *b)
{
	const struct group_sum *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->largest->key < y->largest->key ? -1 : x->largest->key > y->largest->key;
}

/*
 * v[0..n) holds one entry per site; merges those of a group into one,
 * in place, and returns how many groups there are.  Sorting first keeps
 * this n log n: a scan of the groups per site was quadratic in the sites
 * of a program with many distinct ones, every second.
 */
static size_t groups_merge(struct group_sum *v, size_t n)
{
	size_t ng = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_group);
	for (size_t i = 0; i < n; i++) {
		struct group_sum *g;

		if (!ng || v[ng - 1].group != v[i].group) {
			v[ng++] = v[i];
			continue;
		}
		g = &v[ng - 1];
		if (v[i].bytes > g->largest->v.alloc_bytes - g->largest->v.free_bytes)
			g->largest = v[i].largest;
		g->bytes += v[i].bytes;
		g->count += v[i].count;
		g->replaced += v[i].replaced;
	}
	return ng;
}

static int check_leaks(struct leakwatch *s, const struct heap_maps *heap, struct symbolizer *sym,
		       const struct heap_snapshot *snap, const struct group_sum *groups, size_t ngroups, uint64_t now)
{
	uint64_t min_age = s->min_age_ns;
	struct leak_verdict *v = NULL;
	struct site_blocks *blocks = NULL;
	size_t nblocks = 0;
	int n, raised = 0;

	n = leak_suspects(s->det, now, &v);
	if (n <= 0)
		goto out;
	/* Ages need the live-block table: walk it only when a site is suspect. */
	if (blocks_by_site(heap, &blocks, &nblocks))
		goto out;
	for (int i = 0; i < n; i++) {
		const struct group_sum *g = NULL;
		struct mt_profile p = { .pid = s->pid };
		struct raw_site rep;
		uint64_t oldest = UINT64_MAX, age;
		struct mt_alert a;

		for (size_t k = 0; k < ngroups && !g; k++)
			if (groups[k].group == v[i].site)
				g = &groups[k];
		if (!g)
			continue;
		/* The group's oldest block: over every raw site in it. */
		for (size_t k = 0; k < snap->nsites; k++) {
			const struct raw_site *rs = &snap->sites[k];
			const struct site_blocks *b;

			if (!rs->v.alloc_count || site_group_of(s->groups, sym, rs->key, &rs->v) != g->group)
				continue;
			b = site_blocks_find(blocks, nblocks, rs->key);
			if (b && b->oldest_ns < oldest)
				oldest = b->oldest_ns;
		}
		if (oldest == UINT64_MAX || now < oldest || now - oldest < min_age)
			continue;
		age = now - oldest;
		leak_mark_alerted(s->det, v[i].site);
		/* The group's largest site stands for it, with the group's totals. */
		rep = *g->largest;
		rep.v.alloc_bytes = rep.v.free_bytes + g->bytes;
		rep.v.alloc_count = rep.v.free_count + g->count;
		if (keep_alert(s, &rep, &v[i], age, now))
			continue;
		p.command = profile_intern(&p, s->comm);
		if (s->hooks->alert && alert_from_pending(&p, sym, &s->alerts[s->nalerts - 1], &a) == 0) {
			s->hooks->alert(s->hooks->ctx, &p, &a);
			free((void *)a.site.frames);
		}
		profile_free(&p);
		raised++;
	}
out:
	free(v);
	free(blocks);
	return raised;
}

int leakwatch_sample(struct leakwatch *w, const struct heap_maps *heap, struct symbolizer *sym,
		     const struct heap_snapshot *snap, uint64_t now, uint64_t rss_bytes)
{
	struct leak_process_sample ps = {
		now, (int64_t)snap->inuse_count - (int64_t)snap->counters.frees_unseen, snap->counters.frees_unseen,
		rss_bytes
	};
	struct group_sum *groups = calloc(snap->nsites ? snap->nsites : 1, sizeof(*groups));
	size_t ngroups = 0;
	int raised;

	if (!groups)
		return 0;
	for (size_t i = 0; i < snap->nsites; i++) {
		const struct raw_site *rs = &snap->sites[i];

		if (rs->v.alloc_count)
			groups[ngroups++] = (struct group_sum){ site_group_of(w->groups, sym, rs->key, &rs->v),
								rs->v.alloc_bytes - rs->v.free_bytes,
								rs->v.alloc_count - rs->v.free_count,
								rs->v.replaced, rs };
	}
	ngroups = groups_merge(groups, ngroups);
	leak_observe_process(w->det, &ps);
	for (size_t i = 0; i < ngroups; i++) {
		struct leak_sample ls = { now, groups[i].bytes, groups[i].count, groups[i].replaced };

		leak_observe_site(w->det, groups[i].group, &ls);
	}
	raised = check_leaks(w, heap, sym, snap, groups, ngroups, now);
	free(groups);
	return raised;
}

int leakwatch_add_alerts(const struct leakwatch *w, struct mt_profile *p, struct symbolizer *sym)
{
	if (!w->nalerts)
		return 0;
	p->alerts = calloc(w->nalerts, sizeof(*p->alerts));
	if (!p->alerts)
		return -ENOMEM;
	for (size_t i = 0; i < w->nalerts; i++)
		if (alert_from_pending(p, sym, &w->alerts[i], &p->alerts[p->nalerts]) == 0)
			p->nalerts++;
	return 0;
}

static int cmp_leak(const void *a, const void *b)
{
	const struct mt_leak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int leakwatch_add_leaks(const struct heap_maps *heap, struct symbolizer *sym, const struct heap_snapshot *snap,
			uint64_t end_ns, uint64_t min_age, struct mt_profile *p)
{
	struct site_blocks *blocks = NULL;
	size_t nblocks = 0;
	int err;

	err = blocks_by_site(heap, &blocks, &nblocks);
	if (err)
		return err;
	p->leaks = calloc(nblocks ? nblocks : 1, sizeof(*p->leaks));
	if (!p->leaks) {
		free(blocks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nblocks; i++) {
		const struct raw_site *raw = raw_find(snap, blocks[i].site);
		uint64_t age = end_ns > blocks[i].oldest_ns ? end_ns - blocks[i].oldest_ns : 0;
		struct mt_site site;

		if (!raw || age < min_age)
			continue;
		if (profile_site_from_raw(p, &raw->v, sym, &site))
			continue;
		p->leaks[p->nleaks] = (struct mt_leak){
			.frames = site.frames, .nframes = site.nframes, .count = blocks[i].count,
			.bytes = blocks[i].bytes, .oldest_age_ns = age,
		};
		sample_unbias(&p->leaks[p->nleaks].count, &p->leaks[p->nleaks].bytes, snap->sample_bytes);
		p->nleaks++;
	}
	free(blocks);
	if (p->nleaks)
		qsort(p->leaks, p->nleaks, sizeof(*p->leaks), cmp_leak);
	return 0;
}

