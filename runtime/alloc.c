/* Allocation. The fast path pops a block from a span this thread owns
 * exclusively (no atomics except when marking); the slow path (refill)
 * returns the used-up span, accounts the bytes, consults the pacer and
 * takes a swept span from the class lists, sweeping lazily if needed. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "probes.h"
#include "sample.h"

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

/* Pays the thread's assist debt, in chunks, while there is grey work. */
static void assist(struct rthread *th)
{
	uint64_t t0 = now_ns(), cycle = atomic_load(&rt.cycle);
	long done = 0, n;
	bool asked = false;

	PROBE_ASSIST_START(cycle, th->assist_debt);
	while (th->assist_debt > 0 && atomic_load(&rt.marking)) {
		refgc_safepoint();
		n = mark_assist(th, th->assist_debt < DRAIN_CHUNK ? th->assist_debt : DRAIN_CHUNK);
		if (n == 0 && !asked) {
			/* The pool was empty, which asked a draining worker to
			 * split its buffer: give it a moment, once. */
			asked = true;
			sched_yield();
			continue;
		}
		if (n == 0)
			break; /* no grey work at hand: background marking is ahead */
		done += n;
		th->assist_debt -= n;
	}
	/* Debt that found no work is forgiven, not carried: the marker is
	 * keeping up, which is what the debt was to ensure. */
	th->assist_debt = 0;
	/* The end time is taken before the done probe, as the start time is
	 * before the start probe (and as stall() does): a tracer's timestamps
	 * then sit at the same point of each probe's trap and bracket what is
	 * counted here. Taken after it, each assist counted about one trap
	 * more than a tracer saw: memtrace read 5-15% less assist time. */
	t0 = now_ns() - t0;
	PROBE_ASSIST_DONE(cycle, done);
	stats_record_wait(WAIT_ASSIST, t0);
}

/* Over the hard goal: help mark while there is work, otherwise wait for
 * the next phase change, until the marking of the cycle in progress (or
 * the one just requested) has ended. Termination resets heap_live to what
 * marking found, so a thread waits at most until mark end, never for the
 * sweep; if the heap is still over the hard goal then (a growing live
 * set), the thread goes on and the next cycle paces it again. */
static void stall(struct rthread *th, uint64_t live)
{
	uint64_t t0 = now_ns(), cycle = atomic_load(&rt.cycle);
	uint64_t marks0 = atomic_load(&rt.marks_done);

	PROBE_STALL_START(cycle, live, atomic_load(&rt.hard_goal));
	while (atomic_load(&rt.marks_done) == marks0 &&
	       pacer_over_hard(atomic_load(&rt.heap_live))) {
		/* Running, not parked: termination must be able to stop us. */
		refgc_safepoint();
		if (atomic_load(&rt.marking)) {
			if (mark_assist(th, DRAIN_CHUNK) > 0)
				continue;
			/* Queued work another thread took first: look again.
			 * With none queued, spinning threads would only slow
			 * the next stop-the-world (each must be scheduled to
			 * see it: 260 ms on a loaded machine), so park. */
			if (mark_work_outstanding()) {
				sched_yield();
				continue;
			}
		}
		if (!collector_wait_phase())
			break;
	}
	t0 = now_ns() - t0;
	PROBE_STALL_DONE(cycle, t0);
	stats_record_wait(WAIT_STALL, t0);
}

/* Pacing at a refill: start a cycle at the trigger, pay assist debt while
 * marking, and stall beyond the hard goal. */
static void pace(struct rthread *th)
{
	uint64_t live, bytes = th->alloc_bytes;

	atomic_fetch_add(&rt.mallocs, th->alloc_count);
	atomic_fetch_add(&rt.total_alloc, bytes);
	live = atomic_fetch_add(&rt.heap_live, bytes) + bytes;
	th->alloc_count = th->alloc_bytes = 0;
	procs_poll(th);

	/* Over the GC CPU cap the program gets its CPU back: no assists
	 * or stalls, the heap may pass the limit (cpu_limit.c). */
	if (atomic_load_explicit(&rt.marking, memory_order_relaxed) && !cpu_limit_on()) {
		th->assist_debt += pacer_assist_slots(bytes, live);
		if (th->assist_debt >= DRAIN_CHUNK)
			th->assist_debt = assist_credit_pay(th->assist_debt);
		if (th->assist_debt >= DRAIN_CHUNK)
			assist(th);
	}
	if (!pacer_should_trigger(live))
		return;
	/* Incremental: this thread runs the mark-start pause itself. */
	if (!collector_begin_here())
		collector_request();
	if (pacer_over_hard(live) && !cpu_limit_on())
		stall(th, live);
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
	if (!s) {
		/* Out of memory: a collection may free spans; try once more
		 * before the caller sees ENOMEM. */
		refgc_collect();
		s = sweep_take_for_alloc(cls);
		if (!s)
			s = span_new(cls);
	}
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
		/* Dead large objects are unmapped by the sweep: collect once
		 * before reporting ENOMEM. */
		refgc_collect();
		s = large_new(need);
	}
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

static inline __attribute__((always_inline)) void *alloc_object(const refgc_type *t, size_t size)
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

void *refgc_alloc_size(const refgc_type *t, size_t size)
{
	void *obj = alloc_object(t, size);

	if (unlikely(OTEL_MEMORY_ALLOC_ENABLED()) && obj)
		sample_alloc(obj);
	return obj;
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
	return (const refgc_type *)(*(const uintptr_t *)((const char *)obj - OBJ_HDR) & ~HDR_SAMPLED);
}
