// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "gc_stats.h"
#include "gc_waits.h"
#include "hmap.h"

const char *gc_wait_name(uint32_t kind)
{
	return kind == GC_WAIT_ASSIST ? "assist" : kind == GC_WAIT_STALL ? "stall" : "?";
}

static uint64_t cycle_hash(uint32_t runtime, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)runtime << 56)) * 0x9E3779B97F4A7C15ull;

	return h ^ (h >> 29);
}

/* Waits carry the runtime's cycle number; cycles are few, waits many. */
static void per_cycle(struct gc_data *d, uint32_t runtime)
{
	struct hmap m = { 0 };

	for (size_t i = 0; i < d->ncycles; i++) {
		struct gc_cycle *c = &d->cycles[i];

		c->nassists = c->nstalls = 0;
		c->assist_ns = c->stall_ns = 0;
		if (c->runtime == runtime && hmap_add(&m, cycle_hash(runtime, c->id), (uint32_t)i))
			goto out;
	}
	for (size_t i = 0; i < d->nwaits; i++) {
		const struct gc_wait *w = &d->waits[i];
		struct hmap_probe p;

		for (uint32_t k = hmap_first(&m, cycle_hash(runtime, w->cycle), &p); k != HMAP_NONE;
		     k = hmap_next(&m, &p)) {
			struct gc_cycle *c = &d->cycles[k];

			if (c->id != w->cycle)
				continue;
			if (w->kind == GC_WAIT_ASSIST) {
				c->nassists++;
				c->assist_ns += w->duration_ns;
			} else {
				c->nstalls++;
				c->stall_ns += w->duration_ns;
			}
			break;
		}
	}
out:
	hmap_free(&m);
}

int gc_waits_summarize(struct gc_data *d)
{
	struct gc_summary *s = &d->sum;
	struct gc_pause *lost;
	size_t n = 0;

	s->assists = s->assist_ns = s->max_assist = 0;
	s->stalls = s->stall_ns = s->max_stall = 0;
	if (!d->nwaits)
		return 0;
	for (size_t i = 0; i < d->nwaits; i++) {
		const struct gc_wait *w = &d->waits[i];

		if (w->kind == GC_WAIT_ASSIST) {
			s->assists++;
			s->assist_ns += w->duration_ns;
			if (w->duration_ns > s->max_assist)
				s->max_assist = w->duration_ns;
		} else {
			s->stalls++;
			s->stall_ns += w->duration_ns;
			if (w->duration_ns > s->max_stall)
				s->max_stall = w->duration_ns;
		}
	}
	per_cycle(d, GC_RT_REFGC);
	s->mmu_pauses_1ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 1000000ULL);
	s->mmu_pauses_10ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 10000000ULL);
	s->mmu_pauses_100ms = gc_mmu(d->pauses, d->npauses, d->start_ns, d->end_ns, 100000000ULL);
	/* gc_mmu merges overlapping spans: pauses and waits as one list. */
	lost = malloc((d->npauses + d->nwaits) * sizeof(*lost));
	if (!lost)
		return -ENOMEM;
	for (size_t i = 0; i < d->npauses; i++)
		lost[n++] = d->pauses[i];
	for (size_t i = 0; i < d->nwaits; i++)
		lost[n++] = (struct gc_pause){ .start_ns = d->waits[i].start_ns,
					       .duration_ns = d->waits[i].duration_ns };
	s->mmu_1ms = gc_mmu(lost, n, d->start_ns, d->end_ns, 1000000ULL);
	s->mmu_10ms = gc_mmu(lost, n, d->start_ns, d->end_ns, 10000000ULL);
	s->mmu_100ms = gc_mmu(lost, n, d->start_ns, d->end_ns, 100000000ULL);
	free(lost);
	return 0;
}
