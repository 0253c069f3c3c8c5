// SPDX-License-Identifier: MIT
/*
 * The heap tracer's BPF maps read into snapshots: counters mapped once
 * (heap_maps_open), stacks fetched by id, sampled counts scaled up.
 * heap_profile.c builds profiles from the snapshots, heap_blocks.c groups
 * the live blocks by site.
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
#include "python_frame.h"
#include "memtrace.skel.h"
#include "proc_maps.h"
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
	v->replaced = c->replaced;
}

#define KEYS_LEN ((size_t)MT_MAX_SITES * sizeof(uint64_t))

static void *map_ro(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int heap_maps_open(struct heap_maps *m, struct memtrace_bpf *skel, const struct proc_maps *pm)
{
	memset(m, 0, sizeof(*m));
	if (!pm->blocks_view)
		return -EINVAL;
	m->nbuckets = 1u << pm->bucket_bits;
	m->tgid = pm->tgid;
	/* The slot's own mappings (proc_views.h), made with it: they outlive m. */
	m->counts = pm->counts_view;
	m->blocks = pm->blocks_view;
	m->state_map = pm->state_view;
	m->site_keys = map_ro(bpf_map__fd(skel->maps.site_keys), KEYS_LEN);
	if (!m->site_keys) {
		int err = -errno;

		memset(m, 0, sizeof(*m));
		return err;
	}
	m->counters = &((const volatile struct mt_proc *)m->state_map)->counters;
	m->object = &skel->bss->counters;
	m->sites_fd = bpf_map__fd(skel->maps.sites);
	m->blocks_more_fd = pm->more_fd;
	m->sample_bytes = skel->rodata->sample_bytes;
	m->otel_weight = (const volatile uint64_t *)&skel->bss->otel_weight;
	return 0;
}

void heap_maps_close(struct heap_maps *m)
{
	if (m->site_keys)
		munmap((void *)m->site_keys, KEYS_LEN);
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
		__u64 key = m->site_keys[id];
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
		/* Python frames are named now, while their code is alive. */
		for (uint32_t i = 0; i < n && m->tgid; i++)
			python_frame_remember((pid_t)m->tgid, hs->frames[i]);
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
	if (!m->counters)
		return -ENODATA; /* its tables were never mapped (said then) */
	/* One copy, so the counters are read at one instant. */
	out->counters = *(const struct mt_counters *)m->counters;
	out->counters.sites_used = m->object->sites_used;
	out->counters.stack_full = m->object->stack_full;
	out->counters.stack_collide = m->object->stack_collide;
	out->counters.events_lost = m->object->events_lost;
	out->sample_bytes = m->otel_weight && *m->otel_weight ? *m->otel_weight : m->sample_bytes;
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
