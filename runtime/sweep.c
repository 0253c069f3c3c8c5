/* Sweeping: turn unmarked allocated blocks back into free blocks.
 *
 * After mark termination flips sweepgen, every span is "unswept". Spans are
 * swept either lazily by a mutator that needs a span of that class
 * (sweep_take_for_alloc) or by the collector in the background
 * (sweep_all). Whoever pops a span from an unswept list under the class
 * lock owns it while sweeping; sweeps_active lets the collector wait for
 * those in flight before it declares the sweep finished. */
#include <sched.h>
#include <string.h>


#include "internal.h"
#include "probes.h"
#include "sample.h"

static _Atomic uint64_t swept_bytes; /* span bytes examined this cycle */

static unsigned swept_idx(void)
{
	return atomic_load(&rt.sweepgen) & 1;
}

uint64_t sweep_span(struct span *s)
{
	uint64_t freed = 0, nfreed = 0;
	uint32_t words = (s->nblocks + 63) / 64;
	bool sampled = sample_any();

	for (uint32_t w = 0; w < words; w++) {
		uint64_t mark = atomic_load_explicit(&s->mark[w], memory_order_relaxed);
		uint64_t dead = s->alloc[w] & ~mark;

		s->alloc[w] &= mark;
		atomic_store_explicit(&s->mark[w], 0, memory_order_relaxed);
		while (dead) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(dead);
			char *b = s->base + (size_t)i * s->block_size;

			dead &= dead - 1;
			nfreed++;
			if (unlikely(sampled))
				sample_sweep_block(b);
			/* Freed blocks are filled with a pattern (and hidden from
			 * ASan) so a use of a wrongly freed object shows at once. */
			if (REFGC_DEBUG) {
				memset(b, POISON_BYTE, s->block_size);
				ASAN_POISON(b + OBJ_HDR, s->block_size - OBJ_HDR);
			}
		}
	}
	freed = nfreed * s->block_size;
	if (nfreed) {
		atomic_fetch_add(&rt.frees, nfreed);
		atomic_fetch_add(&rt.freed_bytes, freed);
	}
	atomic_fetch_add(&swept_bytes, SPAN_SIZE);
	span_reset_freelist(s);
	return freed;
}

/* Put a swept span where it belongs; empty spans go back to the heap. */
static void file_swept(struct class_lists *cl, struct span *s, unsigned idx)
{
	if (s->nfree == s->nblocks) {
		span_free(s);
		return;
	}
	class_lists_push(cl, s, idx);
}

void class_lists_push(struct class_lists *cl, struct span *s, unsigned idx)
{
	pthread_mutex_lock(&cl->lock);
	if (s->nfree) {
		s->next = cl->partial[idx];
		cl->partial[idx] = s;
	} else {
		s->next = cl->full[idx];
		cl->full[idx] = s;
	}
	pthread_mutex_unlock(&cl->lock);
}

/* Pop a span to sweep; increments sweeps_active while under the lock so
 * the collector never sees "lists empty and nothing active" too early. */
static struct span *pop_unswept(struct class_lists *cl, unsigned *idx)
{
	struct span *s;
	unsigned u;

	pthread_mutex_lock(&cl->lock);
	*idx = swept_idx();
	u = *idx ^ 1;
	if ((s = cl->partial[u]))
		cl->partial[u] = s->next;
	else if ((s = cl->full[u]))
		cl->full[u] = s->next;
	if (s)
		atomic_fetch_add(&rt.sweeps_active, 1);
	pthread_mutex_unlock(&cl->lock);
	return s;
}

struct span *sweep_take_for_alloc(int cls)
{
	struct class_lists *cl = &rt.classes[cls];
	struct span *s;
	unsigned idx;

	pthread_mutex_lock(&cl->lock);
	idx = swept_idx();
	if ((s = cl->partial[idx])) {
		cl->partial[idx] = s->next;
		pthread_mutex_unlock(&cl->lock);
		return s;
	}
	pthread_mutex_unlock(&cl->lock);

	/* Sweep a bounded number of spans: if they are all full, a fresh
	 * span is cheaper than sweeping the whole class in this thread. */
	for (int tries = 0; tries < 8 && (s = pop_unswept(cl, &idx)); tries++) {
		sweep_span(s);
		atomic_fetch_sub(&rt.sweeps_active, 1);
		if (s->nfree)
			return s;
		file_swept(cl, s, idx);
	}
	return NULL;
}

/* Keep a cushion of free spans for the next cycle's allocation (an eighth
 * of the heap in use); under a memory limit keep only what fits below it. */
static void scavenge(void)
{
	uint64_t inuse = atomic_load(&rt.heap_inuse), keep = inuse / 8;
	uint64_t limit = rt.cfg.mem_limit;

	if (limit != REFGC_MEMLIMIT_NONE)
		keep = inuse + keep > limit ? (limit > inuse ? limit - inuse : 0) : keep;
	heap_scavenge(keep);
}

static void sweep_classes(void)
{
	for (int c = 1; c < nclasses; c++) {
		struct class_lists *cl = &rt.classes[c];
		struct span *s;
		unsigned idx;

		while ((s = pop_unswept(cl, &idx))) {
			sweep_span(s);
			file_swept(cl, s, idx);
			atomic_fetch_sub(&rt.sweeps_active, 1);
		}
	}
}

void sweep_all(void)
{
	uint64_t cycle = atomic_load(&rt.cycle);

	PROBE_SWEEP_START(cycle);
	sweep_helpers_run(sweep_classes);
	for (;;) {
		struct span *s;
		unsigned idx;

		pthread_mutex_lock(&rt.large_lock);
		idx = swept_idx();
		if ((s = rt.large[idx ^ 1]))
			rt.large[idx ^ 1] = s->next;
		pthread_mutex_unlock(&rt.large_lock);
		if (!s)
			break;
		atomic_fetch_add(&swept_bytes, s->map_size);
		if (atomic_load(&s->mark[0]) & 1) {
			atomic_store(&s->mark[0], 0);
			pthread_mutex_lock(&rt.large_lock);
			s->next = rt.large[idx];
			rt.large[idx] = s;
			pthread_mutex_unlock(&rt.large_lock);
		} else {
			if (unlikely(sample_any()))
				sample_sweep_block(s->base);
			atomic_fetch_add(&rt.frees, 1);
			atomic_fetch_add(&rt.freed_bytes, s->map_size);
			large_free(s);
		}
	}
	/* Lazy sweepers may still hold spans; the next cycle must not start
	 * marking while a stale mark bitmap is being read. */
	while (atomic_load(&rt.sweeps_active))
		sched_yield();
	scavenge();
	PROBE_SWEEP_DONE(cycle, atomic_exchange(&swept_bytes, 0));
}

/* Inside stop-the-world: every swept span becomes unswept. Thread caches
 * must have been released first so that no owned span escapes the flip. */
void sweep_flip(void)
{
	atomic_fetch_add(&rt.sweepgen, 1);
}
