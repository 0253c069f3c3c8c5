// SPDX-License-Identifier: MIT
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

void sample_unbias(uint64_t *count, uint64_t *bytes, uint64_t sample_bytes)
{
	double f;

	if (!sample_bytes || !*count)
		return;
	f = 1.0 / -expm1(-((double)*bytes / (double)*count) / (double)sample_bytes);
	*count = (uint64_t)llround((double)*count * f);
	*bytes = (uint64_t)llround((double)*bytes * f);
}

/* Scales one site's sampled counters: what was allocated and what is still
 * in use are estimated separately (their average sizes differ), frees are
 * the difference. */
static void unbias_site(struct mt_site_value *v, uint64_t sample_bytes)
{
	uint64_t ac = v->alloc_count, ab = v->alloc_bytes;
	uint64_t ic = v->alloc_count - v->free_count, ib = v->alloc_bytes - v->free_bytes;

	if (!sample_bytes)
		return;
	sample_unbias(&ac, &ab, sample_bytes);
	sample_unbias(&ic, &ib, sample_bytes);
	if (ic > ac)
		ic = ac;
	if (ib > ab)
		ib = ab;
	v->alloc_count = ac;
	v->alloc_bytes = ab;
	v->free_count = ac - ic;
	v->free_bytes = ab - ib;
}

/* A site's counters, read in place from the mmap'd site_counts. */
static void counts_into(const volatile struct mt_site_counts *c, struct mt_site_value *v)
{
	v->alloc_count = c->alloc_count;
	v->alloc_bytes = c->alloc_bytes;
	v->free_count = c->free_count;
	v->free_bytes = c->free_bytes;
	v->untracked_count = c->untracked_count;
	v->untracked_bytes = c->untracked_bytes;
}

int heap_maps_open(struct heap_maps *m, struct memtrace_bpf *skel)
{
	size_t clen = (size_t)MT_MAX_SITES * sizeof(struct mt_site_counts);
	size_t blen = (size_t)MT_BLOCK_BUCKETS * sizeof(struct mt_block_bucket);
	void *c, *b;

	memset(m, 0, sizeof(*m));
	c = mmap(NULL, clen, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.site_counts), 0);
	if (c == MAP_FAILED)
		return -errno;
	b = mmap(NULL, blen, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.blocks), 0);
	if (b == MAP_FAILED) {
		int err = -errno;

		munmap(c, clen);
		return err;
	}
	m->counts = c;
	m->blocks = b;
	m->counters = &skel->bss->counters;
	m->sites_fd = bpf_map__fd(skel->maps.sites);
	m->blocks_more_fd = bpf_map__fd(skel->maps.blocks_more);
	m->sample_bytes = skel->rodata->sample_bytes;
	return 0;
}

void heap_maps_close(struct heap_maps *m)
{
	if (m->counts)
		munmap((void *)m->counts, (size_t)MT_MAX_SITES * sizeof(struct mt_site_counts));
	if (m->blocks)
		munmap((void *)m->blocks, (size_t)MT_BLOCK_BUCKETS * sizeof(struct mt_block_bucket));
	for (uint32_t i = 0; i < m->ncap; i++)
		free(m->stacks[i].frames);
	free(m->stacks);
	memset(m, 0, sizeof(*m));
}

/*
 * Fetches the stacks of ids [1, used) not fetched yet whose key the BPF
 * side has published.  An id lost to a race on the BPF side (two CPUs
 * adding one stack) never gets a key and stays empty.
 */
static int stacks_fetch(struct heap_maps *m, uint32_t used)
{
	if (used > m->ncap) {
		struct heap_stack *v = realloc(m->stacks, (size_t)used * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + m->ncap, 0, (size_t)(used - m->ncap) * sizeof(*v));
		m->stacks = v;
		m->ncap = used;
	}
	for (uint32_t id = 1; id < used; id++) {
		struct heap_stack *hs = &m->stacks[id];
		__u64 key = m->counts[id].key;
		struct mt_site_stack st;
		uint32_t n;

		if (hs->frames || !key)
			continue;
		if (bpf_map_lookup_elem(m->sites_fd, &key, &st) || st.id != id)
			continue; /* not there yet: the next read takes it */
		n = st.nframes > MT_MAX_FRAMES ? MT_MAX_FRAMES : st.nframes;
		hs->frames = malloc((n ? n : 1) * sizeof(*hs->frames));
		if (!hs->frames)
			return -ENOMEM;
		memcpy(hs->frames, st.frames, n * sizeof(*hs->frames));
		hs->nframes = n;
	}
	return 0;
}

static void site_into(struct heap_snapshot *out, uint32_t id, const struct heap_stack *hs,
		      const volatile struct mt_site_counts *c)
{
	struct raw_site *rs = &out->sites[out->nsites++];

	rs->key = id;
	counts_into(c, &rs->v);
	rs->v.nframes = hs ? hs->nframes : 0;
	if (hs)
		memcpy(rs->v.frames, hs->frames, hs->nframes * sizeof(*hs->frames));
	unbias_site(&rs->v, out->sample_bytes);
	out->alloc_count += rs->v.alloc_count;
	out->alloc_bytes += rs->v.alloc_bytes;
	out->inuse_count += rs->v.alloc_count - rs->v.free_count;
}

int snapshot_read(struct heap_maps *m, struct heap_snapshot *out)
{
	uint32_t used;
	int err;

	memset(out, 0, sizeof(*out));
	/* One copy, so the counters are read at one instant. */
	out->counters = *(const struct mt_counters *)m->counters;
	out->sample_bytes = m->sample_bytes;
	used = out->counters.sites_used >= MT_MAX_SITES ? MT_MAX_SITES : (uint32_t)out->counters.sites_used + 1;
	err = stacks_fetch(m, used);
	if (err)
		return err;
	/* malloc, not calloc: each entry is written before it is read. */
	out->sites = malloc((size_t)used * sizeof(*out->sites));
	if (!out->sites)
		return -ENOMEM;
	/* Id 0, the unknown site, has no stack. */
	site_into(out, MT_UNKNOWN_STACK, NULL, &m->counts[0]);
	for (uint32_t id = 1; id < used; id++)
		if (m->stacks[id].frames)
			site_into(out, id, &m->stacks[id], &m->counts[id]);
	return 0;
}

void snapshot_free(struct heap_snapshot *snap)
{
	free(snap->sites);
	memset(snap, 0, sizeof(*snap));
}

/* At the allocator's return every frame is a return address: frames[0] is
 * where the allocator returns to in its caller. */
static int build_frames(struct mt_profile *p, const struct mt_site_value *v, struct symbolizer *sym,
			struct mt_site *site)
{
	uint32_t n = v->nframes > MT_MAX_FRAMES ? MT_MAX_FRAMES : v->nframes;
	struct mt_frame *frames;
	int err = frames_symbolize(p, sym, v->frames, n, true, &frames);

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

struct block_rec {
	uint64_t site, size, ns;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct block_rec *x = a, *y = b;

	return x->site < y->site ? -1 : x->site > y->site;
}

struct block_recs {
	struct block_rec *v;
	size_t n, cap;
};

static int recs_push(struct block_recs *r, const struct mt_block *b)
{
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v), 1024))
		return -ENOMEM;
	r->v[r->n++] = (struct block_rec){ b->site, b->size, b->alloc_ns };
	return 0;
}

/* The table's ways, read in place: a BPF array is shared memory, and a
 * syscall per block would take seconds for a million of them. */
static int recs_from_table(const struct heap_maps *m, struct block_recs *r)
{
	const volatile struct mt_block_bucket *t = m->blocks;
	int err = 0;

	for (uint32_t i = 0; i < MT_BLOCK_BUCKETS && !err; i++) {
		for (int w = 0; w < MT_BLOCK_WAYS && !err; w++) {
			/* A copy, since the BPF side writes on; alloc_ns 0 is a way
			 * being claimed or given up. */
			struct mt_block_data d = t[i].data[w];
			struct mt_block b = { t[i].ptr[w], d.size, d.alloc_ns, d.site, 0 };

			if (b.ptr && b.alloc_ns)
				err = recs_push(r, &b);
		}
	}
	return err;
}

static int recs_from_overflow(const struct heap_maps *m, struct block_recs *r)
{
	int fd = m->blocks_more_fd;
	__u64 key, next, *prev = NULL;
	int err = 0;

	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct mt_block b;

		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &b))
			err = recs_push(r, &b);
	}
	return err;
}

int blocks_by_site(const struct heap_maps *m, struct site_blocks **out, size_t *nout)
{
	struct block_recs r = { 0 };
	struct site_blocks *v = NULL;
	size_t nv = 0;
	int err;

	err = recs_from_table(m, &r);
	if (!err)
		err = recs_from_overflow(m, &r);
	if (err)
		goto out;
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), cmp_rec);
	v = calloc(r.n ? r.n : 1, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct block_rec *b = &r.v[i];

		if (!nv || v[nv - 1].site != b->site)
			v[nv++] = (struct site_blocks){ .site = b->site, .oldest_ns = b->ns };
		v[nv - 1].count++;
		v[nv - 1].bytes += b->size;
		if (b->ns < v[nv - 1].oldest_ns)
			v[nv - 1].oldest_ns = b->ns;
	}
	*out = v;
	*nout = nv;
	v = NULL;
out:
	free(r.v);
	free(v);
	return err;
}

static int cmp_blocks_site(const void *key, const void *b)
{
	uint64_t k = *(const uint64_t *)key, site = ((const struct site_blocks *)b)->site;

	return k < site ? -1 : k > site;
}

const struct site_blocks *site_blocks_find(const struct site_blocks *v, size_t n, uint64_t site)
{
	return n ? bsearch(&site, v, n, sizeof(*v), cmp_blocks_site) : NULL;
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
