// SPDX-License-Identifier: MIT
/*
 * A heap snapshot into an mt_profile: frames symbolized, sampled counts
 * already scaled, the untracked allocations shared out among sites.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "frames.h"
#include "grow.h"
#include "heap.h"
#include "memtrace.skel.h"
#include "symbolize.h"

/* At the allocator's return every frame is a return address: frames[0] is
 * where the allocator returns to in its caller. */
static int build_frames(struct mt_profile *p, const struct mt_site_value *v, struct symbolizer *sym,
			struct mt_site *site)
{
	uint32_t n = v->nframes > MT_MAX_FRAMES ? MT_MAX_FRAMES : v->nframes;
	struct mt_frame *frames;
	int err = frames_symbolize(p, sym, v->frames, n, true, &frames, &n);

	if (err)
		return err;
	site->frames = frames;
	site->nframes = n;
	return 0;
}

/*
 * A site's in-use count and bytes.  Its tracked blocks are exact (allocs
 * less untracked less matched frees); of its untracked allocations, the
 * share still live is the share of all untracked allocations that no
 * unmatched free has released, the same for every site.  With nothing
 * untracked this is alloc - free.
 */
/*
 * The untracked blocks still live are shared out by cumulative rounding
 * (each site gets round(live * untracked so far) minus what earlier sites
 * got), so the shares add up to exactly allocs - frees_unmatched: rounding
 * each site on its own drifts the exact total by one per site.
 */
struct untracked_share {
	uint64_t seen_count, seen_bytes, given_count, given_bytes;
};

static void untracked_inuse(const struct mt_profile *p, const struct mt_site_value *v,
			    struct untracked_share *sh, uint64_t *count, uint64_t *bytes)
{
	uint64_t all = p->untracked.allocs, freed = p->untracked.frees_unmatched;
	uint64_t tc = v->alloc_count - v->free_count, tb = v->alloc_bytes - v->free_bytes;
	uint64_t want_count, want_bytes;
	double live;

	if (!all || !v->untracked_count) {
		*count = tc;
		*bytes = tb;
		return;
	}
	tc = tc > v->untracked_count ? tc - v->untracked_count : 0;
	tb = tb > v->untracked_bytes ? tb - v->untracked_bytes : 0;
	live = freed >= all ? 0 : (double)(all - freed) / (double)all;
	sh->seen_count += v->untracked_count;
	sh->seen_bytes += v->untracked_bytes;
	want_count = (uint64_t)llround((double)sh->seen_count * live);
	want_bytes = (uint64_t)llround((double)sh->seen_bytes * live);
	*count = tc + (want_count - sh->given_count);
	*bytes = tb + (want_bytes - sh->given_bytes);
	sh->given_count = want_count;
	sh->given_bytes = want_bytes;
}

int profile_site_from_raw(struct mt_profile *p, const struct mt_site_value *v, struct symbolizer *sym,
			  struct mt_site *out)
{
	memset(out, 0, sizeof(*out));
	out->alloc_count = v->alloc_count;
	out->alloc_bytes = v->alloc_bytes;
	out->inuse_count = v->alloc_count - v->free_count;
	out->inuse_bytes = v->alloc_bytes - v->free_bytes;
	return build_frames(p, v, sym, out);
}

int profile_build(const struct heap_snapshot *snap, struct symbolizer *sym, struct mt_profile *p)
{
	const struct mt_counters *c = &snap->counters;
	struct untracked_share share = { 0 };
	int err;

	p->sites = calloc(snap->nsites ? snap->nsites : 1, sizeof(*p->sites));
	if (!p->sites)
		return -ENOMEM;
	for (size_t i = 0; i < snap->nsites; i++)
		p->untracked.allocs += snap->sites[i].v.untracked_count;
	p->untracked.frees_unmatched = c->frees_unmatched;
	p->frees_unseen = c->frees_unseen;
	for (size_t i = 0; i < snap->nsites; i++) {
		const struct mt_site_value *v = &snap->sites[i].v;
		struct mt_site *site = &p->sites[p->nsites];

		if (!v->alloc_count)
			continue;
		err = build_frames(p, v, sym, site);
		if (err)
			return err;
		site->alloc_count = v->alloc_count;
		site->alloc_bytes = v->alloc_bytes;
		untracked_inuse(p, v, &share, &site->inuse_count, &site->inuse_bytes);
		p->totals.inuse_count += site->inuse_count;
		p->totals.inuse_bytes += site->inuse_bytes;
		p->totals.alloc_count += v->alloc_count;
		p->totals.alloc_bytes += v->alloc_bytes;
		p->nsites++;
	}
	/* Frees include the untracked blocks' share of the unmatched ones. */
	p->totals.free_count = p->totals.alloc_count - p->totals.inuse_count;
	p->totals.free_bytes = p->totals.alloc_bytes - p->totals.inuse_bytes;
	p->totals.peak_inuse_bytes = c->peak_inuse_bytes;
	p->sample_bytes = snap->sample_bytes;
	/* Sampled: the kernel's peak is of sampled bytes; scale it as the
	 * in-use total was scaled. */
	if (snap->sample_bytes && c->inuse_bytes)
		p->totals.peak_inuse_bytes = (uint64_t)((double)c->peak_inuse_bytes * (double)p->totals.inuse_bytes /
							(double)c->inuse_bytes);
	if (p->totals.peak_inuse_bytes < p->totals.inuse_bytes)
		p->totals.peak_inuse_bytes = p->totals.inuse_bytes;
	p->drops.stack_full = c->stack_full + c->stack_collide;
	p->drops.allocs_full = c->allocs_full;
	p->drops.inflight_full = c->inflight_full;
	p->drops.events_lost = c->events_lost;
	profile_sort_sites(p);
	return 0;
}
