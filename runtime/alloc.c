/* Allocation. The fast path pops a block from a span this thread owns
 * exclusively (no atomics except when marking); the slow path (refill)
 * returns the used-up span, accounts the bytes, consults the pacer and
 * takes a swept span from the class lists, sweeping lazily if needed. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void thread_release_cache(struct rthread *th)
{
	unsigned idx = atomic_load(&rt.sweepgen) & 1;

	for (int c = 1; c < nclasses; c++) {
		struct span *s = th->cache[c];
		struct class_lists *cl = &rt.classes[c];

		if (!s)
			continue;
		th->cache[c] = NULL;
		s->owned = 0;
		class_lists_push(cl, s, idx);
	}
}

/* Pacing at a refill: start a cycle at the trigger, help marking past the
 * goal, and wait for the cycle beyond the hard goal. */
static void pace(struct rthread *th)
{
	uint64_t live;

	atomic_fetch_add(&rt.mallocs, th->alloc_count);
	atomic_fetch_add(&rt.total_alloc, th->alloc_bytes);
	live = atomic_fetch_add(&rt.heap_live, th->alloc_bytes) + th->alloc_bytes;
	th->alloc_count = th->alloc_bytes = 0;

	if (!pacer_should_trigger(live))
		return;
	collector_request();
	if (atomic_load_explicit(&rt.marking, memory_order_relaxed) && pacer_should_assist(live))
		mark_assist(th);
	if (pacer_over_hard(live))
		collector_wait_cycle();
}

static struct span *refill(struct rthread *th, int cls)
{
	struct class_lists *cl = &rt.classes[cls];
	struct span *s = th->cache[cls];

	if (s) {
		th->cache[cls] = NULL;
		s->owned = 0;
		pthread_mutex_lock(&cl->lock);
		unsigned idx = atomic_load(&rt.sweepgen) & 1;
		s->next = cl->full[idx];
		cl->full[idx] = s;
		pthread_mutex_unlock(&cl->lock);
	}
	pace(th);
	/* pace() may have waited at a safepoint; the cache is empty either way. */
	s = sweep_take_for_alloc(cls);
	if (!s)
		s = span_new(cls);
	if (!s)
		return NULL;
	s->owned = 1;
	th->cache[cls] = s;
	return s;
}

static void *finish_block(struct rthread *th, struct span *s, char *b, uint32_t idx,
			  const refgc_type *t)
{
	uint64_t bit = UINT64_C(1) << (idx & 63);
	size_t bs = s->block_size;

	if (s->cls) {
		if (REFGC_DEBUG) {
			ASAN_UNPOISON(b, bs);
			/* The pattern written at free time must be intact:
			 * anything else is a write through a dangling pointer. */
			for (size_t i = sizeof(void *); i < bs; i++) {
				if ((unsigned char)b[i] != POISON_BYTE) {
					fprintf(stderr, "refgc: freed block %p was written "
						"after free\n", (void *)b);
					abort();
				}
			}
		}
		memset(b, 0, bs);
		th->alloc_count++;
		th->alloc_bytes += bs;
	} /* large objects come zeroed from mmap and were counted up front */
	*(const refgc_type **)b = t;
	/* Allocate black while marking: the object was not in the snapshot
	 * and must survive this cycle. */
	if (atomic_load_explicit(&rt.marking, memory_order_relaxed)) {
		atomic_fetch_or(&s->mark[idx >> 6], bit);
		th->black_bytes += s->cls ? s->block_size : s->map_size;
	}
	return b + OBJ_HDR;
}

static void *alloc_large(struct rthread *th, size_t need, const refgc_type *t)
{
	struct span *s;
	unsigned idx;

	/* Account and pace before mapping: pacing may wait for a cycle, and
	 * an object nobody roots yet must not exist across that wait. */
	th->alloc_bytes += (SPAN_HDR_SIZE + need + 4095) & ~(size_t)4095;
	th->alloc_count++;
	pace(th);
	s = large_new(need);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&rt.large_lock);
	idx = atomic_load(&rt.sweepgen) & 1;
	s->next = rt.large[idx];
	rt.large[idx] = s;
	pthread_mutex_unlock(&rt.large_lock);
	return finish_block(th, s, s->base, 0, t);
}

void *refgc_alloc_size(const refgc_type *t, size_t size)
{
	struct rthread *th = self_thread;
	struct span *s;
	size_t need;
	char *b;
	int cls;

	if (unlikely(!th)) {
		fprintf(stderr, "refgc: allocation from a thread that is not attached\n");
		abort();
	}
	if (unlikely(atomic_load_explicit(&rt.stw_flag, memory_order_acquire)))
		safepoint_slow(th);
	if (size < sizeof(void *))
		size = sizeof(void *);
	need = (size + 7) / 8 * 8 + OBJ_HDR;
	if (unlikely(need > MAX_SMALL || size > MAX_SMALL))
		return alloc_large(th, need, t);
	cls = size_to_class(need);
	s = th->cache[cls];
	if (unlikely(!s || !s->nfree)) {
		s = refill(th, cls);
		if (!s) {
			errno = ENOMEM;
			return NULL;
		}
	}
	uint32_t idx;
	if (likely(s->freelist != NULL)) {
		b = s->freelist;
		s->freelist = *(void **)b;
		idx = (uint32_t)((size_t)(b - s->base) / s->block_size);
	} else {
		idx = s->bump++;
		b = s->base + (size_t)idx * s->block_size;
	}
	s->nfree--;
	s->alloc[idx >> 6] |= UINT64_C(1) << (idx & 63);
	return finish_block(th, s, b, idx, t);
}

void *refgc_alloc(const refgc_type *t)
{
	return refgc_alloc_size(t, t->size);
}

size_t refgc_object_size(const void *obj)
{
	const struct span *s = span_of(obj);

	return (s->cls ? s->block_size : s->map_size - SPAN_HDR_SIZE) - OBJ_HDR;
}

const refgc_type *refgc_object_type(const void *obj)
{
	return *(const refgc_type *const *)((const char *)obj - OBJ_HDR);
}
