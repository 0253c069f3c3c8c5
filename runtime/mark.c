/* Tri-colour marking. White = mark bit clear; grey = mark bit set and the
 * object sits in some grey buffer; black = mark bit set and scanned.
 * Setting the bit and queueing happen together (mark_shade), so an object
 * whose bit is set is always scanned before marking ends.
 *
 * Grey buffers are shared through one global pool (a locked stack of full
 * buffers); workers keep a private buffer and only touch the lock when it
 * fills or runs dry. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct greybuf *pool_full;   /* buffers with grey objects */
static struct greybuf *pool_empty;  /* recycled buffers */
static _Atomic size_t pool_nfull;
static _Atomic int nbusy;           /* workers holding or seeking work */
static _Atomic int nworkers;        /* workers in the current parallel drain */
/* Mutator assists in flight: an assist may hold the only grey buffer (it
 * pops from the pool into its own), so the pool alone does not say that
 * marking is done. */
static _Atomic int assists_active;
/* An assist found the pool empty: a draining worker splits its buffer
 * into the pool, as it does for an idle worker. */
static _Atomic int assist_wants_work;
/* Slots the current parallel drain may still scan; drain_limited says
 * whether it counts (termination) or not (concurrent mark, stw). */
static _Atomic long drain_budget;
static _Atomic int drain_limited;
static _Atomic uint64_t drain_scanned; /* slots scanned in the current parallel drain */

struct greybuf *greybuf_get(void)
{
	struct greybuf *b;

	pthread_mutex_lock(&pool_lock);
	b = pool_empty;
	if (b)
		pool_empty = b->next;
	pthread_mutex_unlock(&pool_lock);
	if (!b) {
		b = malloc(sizeof(*b));
		/* Dropping grey objects would free live ones: stop instead. */
		if (!b) {
			fprintf(stderr, "refgc: out of memory for the mark stack\n");
			abort();
		}
	}
	b->n = 0;
	b->next = NULL;
	return b;
}

void greybuf_put(struct greybuf *b)
{
	pthread_mutex_lock(&pool_lock);
	b->next = pool_empty;
	pool_empty = b;
	pthread_mutex_unlock(&pool_lock);
}

void pool_push_buf(struct greybuf *b)
{
	pthread_mutex_lock(&pool_lock);
	b->next = pool_full;
	pool_full = b;
	atomic_fetch_add(&pool_nfull, 1);
	pthread_mutex_unlock(&pool_lock);
}

static struct greybuf *pool_pop_buf(void)
{
	struct greybuf *b;

	if (!atomic_load(&pool_nfull))
		return NULL;
	pthread_mutex_lock(&pool_lock);
	b = pool_full;
	if (b) {
		pool_full = b->next;
		atomic_fetch_sub(&pool_nfull, 1);
	}
	pthread_mutex_unlock(&pool_lock);
	return b;
}

bool mark_pool_empty(void)
{
	return atomic_load(&pool_nfull) == 0;
}

bool mark_work_outstanding(void)
{
	return atomic_load(&pool_nfull) != 0 || atomic_load(&assists_active) != 0;
}

void mark_fini(void)
{
	struct greybuf *b;

	while ((b = pool_full)) {
		pool_full = b->next;
		free(b);
	}
	while ((b = pool_empty)) {
		pool_empty = b->next;
		free(b);
	}
	atomic_store(&pool_nfull, 0);
}

static void push(struct marker *m, void *obj)
{
	if (unlikely(m->local->n == GREYBUF_CAP)) {
		pool_push_buf(m->local);
		m->local = greybuf_get();
	}
	m->local->obj[m->local->n++] = obj;
}

static void check_object(const struct span *s, uint32_t idx, const void *obj)
{
	/* A pointer to a freed block means a live object was reclaimed (or
	 * the program stored garbage): both are bugs worth stopping for. */
	if (s->magic != SPAN_MAGIC || idx >= s->nblocks ||
	    !(s->alloc[idx >> 6] & (UINT64_C(1) << (idx & 63)))) {
		fprintf(stderr, "refgc: reachable pointer %p is not an allocated object\n", obj);
		abort();
	}
}

void mark_shade(struct marker *m, void *obj)
{
	struct span *s = span_of(obj);
	uint32_t idx = block_index(s, obj);
	uint64_t bit = UINT64_C(1) << (idx & 63);

	if (atomic_load_explicit(&s->mark[idx >> 6], memory_order_relaxed) & bit)
		return;
	/* Checked only when unmarked: black allocations race with their
	 * owner's alloc-bit store, but are marked before they are visible. */
	if (REFGC_DEBUG)
		check_object(s, idx, obj);
	if (atomic_fetch_or(&s->mark[idx >> 6], bit) & bit)
		return;
	m->marked_bytes += s->cls ? s->block_size : s->map_size;
	/* Queue without reading the object: its header is a cache miss that
	 * scan() takes later, after drain has prefetched it. */
	push(m, obj);
}

/* Long pointer arrays are scanned SCAN_CHUNK slots at a time: the rest is
 * queued as a continuation (offset, then object tagged with bit 0), so no
 * single grey item - an assist in particular - takes long. */
#define SCAN_CHUNK 512
#define CONT_TAG ((uintptr_t)1)

static void push_cont(struct marker *m, void *obj, size_t off)
{
	if (m->local->n + 2 > GREYBUF_CAP) {
		pool_push_buf(m->local);
		m->local = greybuf_get();
	}
	m->local->obj[m->local->n++] = (void *)off;
	m->local->obj[m->local->n++] = (void *)((uintptr_t)obj | CONT_TAG);
}

static void scan_slots(struct marker *m, void **slots, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		void *v = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);

		if (v)
			mark_shade(m, v);
	}
}

/* Returns the number of slots looked at, the unit of assist budgets. */
static size_t scan(struct marker *m, void *obj, size_t off)
{
	/* Bit 0 of the header marks a sampled object (sample.h). */
	const refgc_type *t = (const refgc_type *)(*(uintptr_t *)((char *)obj - OBJ_HDR) & ~(uintptr_t)1);

	m->scanned_objects++;
	if (t->kind == REFGC_TYPE_NOSCAN)
		return 1;
	if (t->kind == REFGC_TYPE_PTRARRAY) {
		size_t n = refgc_object_size(obj) / sizeof(void *);
		size_t end = n - off > SCAN_CHUNK ? off + SCAN_CHUNK : n;

		if (end < n)
			push_cont(m, obj, end);
		scan_slots(m, obj, off, end);
		return end - off + 1;
	}
	for (size_t i = 0; i < t->nptrs; i++) {
		void *v = __atomic_load_n((void **)((char *)obj + t->ptr_offsets[i]),
					  __ATOMIC_ACQUIRE);

		if (v)
			mark_shade(m, v);
	}
	return t->nptrs + 1;
}

/* Pops one grey item; *off is its scan offset (non-zero: continuation). */
static void *pop(struct marker *m, size_t *off)
{
	struct greybuf *b = m->local;
	void *obj;

	if (!b->n) {
		b = pool_pop_buf();
		if (!b || !b->n) {
			if (b)
				greybuf_put(b);
			return NULL;
		}
		greybuf_put(m->local);
		m->local = b;
	}
	obj = b->obj[--b->n];
	*off = 0;
	if ((uintptr_t)obj & CONT_TAG) {
		*off = (size_t)b->obj[--b->n];
		obj = (void *)((uintptr_t)obj & ~CONT_TAG);
	}
	return obj;
}

/* Grey objects pass through a small FIFO and are prefetched on the way
 * in, so that by the time one is scanned its cache line has arrived:
 * marking is dominated by cache misses on objects. */
#define PREFETCH_DEPTH 8

struct fifo_item {
	void *obj;
	size_t off;
};

static void share_work(struct marker *m)
{
	struct greybuf *nb = greybuf_get();
	size_t half = m->local->n / 2;

	/* Never separate a continuation from its offset. */
	if ((uintptr_t)m->local->obj[half] & CONT_TAG)
		half++;
	memcpy(nb->obj, m->local->obj, half * sizeof(void *));
	memmove(m->local->obj, m->local->obj + half, (m->local->n - half) * sizeof(void *));
	nb->n = half;
	m->local->n -= half;
	pool_push_buf(nb);
}

long mark_drain(struct marker *m, long budget)
{
	struct fifo_item q[PREFETCH_DEPTH];
	unsigned head = 0, count = 0;
	long used = 0;

	for (;;) {
		while (count < PREFETCH_DEPTH) {
			struct fifo_item *it = &q[(head + count) % PREFETCH_DEPTH];

			if (!(it->obj = pop(m, &it->off)))
				break;
			__builtin_prefetch((char *)it->obj - OBJ_HDR);
			count++;
		}
		if (!count || budget == 0)
			break;
		struct fifo_item it = q[head];
		long work;

		head = (head + 1) % PREFETCH_DEPTH;
		count--;
		work = (long)scan(m, it.obj, it.off);
		used += work;
		if (budget > 0)
			budget = budget > work ? budget - work : 0;
		/* Share work when another worker is idle and the pool is dry. */
		if (m->local->n > 64 && mark_pool_empty() &&
		    (atomic_load_explicit(&nbusy, memory_order_relaxed) <
		     atomic_load_explicit(&nworkers, memory_order_relaxed) ||
		     atomic_exchange_explicit(&assist_wants_work, 0, memory_order_relaxed)))
			share_work(m);
	}
	/* Out of budget: what is still in the FIFO goes back on the stack. */
	while (count) {
		struct fifo_item *it = &q[(head + --count) % PREFETCH_DEPTH];

		if (it->off)
			push_cont(m, it->obj, it->off);
		else
			push(m, it->obj);
	}
	return used;
}

void mark_flush(struct marker *m)
{
	if (m->local->n) {
		pool_push_buf(m->local);
		m->local = greybuf_get();
	}
}

void mark_release(struct marker *m)
{
	mark_flush(m);
	greybuf_put(m->local);
	m->local = NULL;
	atomic_fetch_add(&rt.cycle_marked, m->marked_bytes);
	m->marked_bytes = 0;
}

/* ---- parallel drain: the coordinator plus procs-1 helper threads ---- */

static pthread_mutex_t help_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t help_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t help_done = PTHREAD_COND_INITIALIZER;
static uint64_t help_gen;
static int helpers_active;         /* helpers still draining this round */
static int help_slots;             /* helpers wanted this round, not yet joined */
static bool help_quit;
static pthread_t *helpers;
static int nhelpers;

/* Runs until the pool is empty and no worker holds work it could share,
 * or, in a limited drain, until the shared slot budget is spent (what is
 * left goes back to the pool). */
static void drain_until_quiet(void)
{
	struct marker m = { .local = greybuf_get() };
	long used, scanned = 0;

	for (;;) {
		if (atomic_load(&drain_limited)) {
			long left = atomic_load(&drain_budget);

			if (left <= 0) {
				atomic_fetch_sub(&nbusy, 1);
				break;
			}
			used = mark_drain(&m, left < DRAIN_CHUNK ? left : DRAIN_CHUNK);
			scanned += used;
			atomic_fetch_add_explicit(&rt.cycle_scanned, (uint64_t)used,
						  memory_order_relaxed);
			atomic_fetch_sub(&drain_budget, used);
			if (m.local->n)
				continue;
		} else {
			/* In chunks, so the pacer sees marking progress. */
			used = mark_drain(&m, DRAIN_CHUNK);
			scanned += used;
			atomic_fetch_add_explicit(&rt.cycle_scanned, (uint64_t)used,
						  memory_order_relaxed);
			if (m.local->n)
				continue;
		}
		atomic_fetch_sub(&nbusy, 1);
		while (mark_pool_empty() && atomic_load(&nbusy) > 0)
			sched_yield();
		if (mark_pool_empty())
			break; /* nobody busy and nothing queued */
		atomic_fetch_add(&nbusy, 1);
	}
	atomic_fetch_add(&drain_scanned, (uint64_t)scanned);
	mark_release(&m);
}

static void *helper_main(void *arg)
{
	uint64_t seen = 0;
	uint64_t cpu0;

	(void)arg;
	pthread_mutex_lock(&help_lock);
	for (;;) {
		while (help_gen == seen && !help_quit)
			pthread_cond_wait(&help_cond, &help_lock);
		if (help_quit)
			break;
		seen = help_gen;
		if (help_slots == 0)
			continue; /* this round wants fewer workers */
		help_slots--;
		pthread_mutex_unlock(&help_lock);
		cpu0 = thread_cpu_ns();
		drain_until_quiet();
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
		pthread_mutex_lock(&help_lock);
		if (--helpers_active == 0)
			pthread_cond_broadcast(&help_done);
	}
	pthread_mutex_unlock(&help_lock);
	return NULL;
}

int mark_helpers_start(int n)
{
	helpers = calloc((size_t)(n > 0 ? n : 1), sizeof(*helpers));
	if (!helpers)
		return -1;
	help_quit = false;
	for (nhelpers = 0; nhelpers < n; nhelpers++) {
		if (pthread_create(&helpers[nhelpers], NULL, helper_main, NULL))
			return -1;
		pthread_setname_np(helpers[nhelpers], "refgc-mark");
	}
	return 0;
}

void mark_helpers_stop(void)
{
	pthread_mutex_lock(&help_lock);
	help_quit = true;
	pthread_cond_broadcast(&help_cond);
	pthread_mutex_unlock(&help_lock);
	for (int i = 0; i < nhelpers; i++)
		pthread_join(helpers[i], NULL);
	free(helpers);
	helpers = NULL;
	nhelpers = 0;
}

uint64_t mark_drain_parallel(int workers, long budget)
{
	int n = workers - 1 < nhelpers ? workers - 1 : nhelpers;

	if (mark_pool_empty())
		return 0;
	if (n < 0)
		n = 0;
	atomic_store(&drain_limited, budget >= 0);
	atomic_store(&drain_budget, budget);
	atomic_store(&drain_scanned, 0);
	pthread_mutex_lock(&help_lock);
	/* Helpers count as busy from the start so that an early-finishing
	 * worker does not conclude marking is over before they arrive. */
	atomic_store(&nbusy, n + 1);
	atomic_store(&nworkers, n + 1);
	helpers_active = n;
	help_slots = n;
	help_gen++;
	pthread_cond_broadcast(&help_cond);
	pthread_mutex_unlock(&help_lock);

	drain_until_quiet();

	pthread_mutex_lock(&help_lock);
	while (helpers_active)
		pthread_cond_wait(&help_done, &help_lock);
	pthread_mutex_unlock(&help_lock);
	return atomic_load(&drain_scanned);
}

/* ---- mutator side: deletion barrier and assists ---- */

void mark_barrier_slow(struct rthread *th, void *old)
{
	struct marker m = { .local = th->wbuf };

	mark_shade(&m, old);
	th->wbuf = m.local;
	th->traced_bytes += m.marked_bytes;
	/* Hand over in small batches so termination has little left to do. */
	if (th->wbuf->n >= 128) {
		pool_push_buf(th->wbuf);
		th->wbuf = greybuf_get();
	}
}

long mark_assist(struct rthread *th, long slots)
{
	struct marker m = { .local = th->wbuf };
	long used;

	atomic_fetch_add(&assists_active, 1);
	used = mark_drain(&m, slots);
	atomic_fetch_add_explicit(&rt.cycle_scanned, (uint64_t)used, memory_order_relaxed);
	atomic_fetch_add_explicit(&rt.cycle_assist_scanned, (uint64_t)used, memory_order_relaxed);
	mark_flush(&m);
	atomic_fetch_sub(&assists_active, 1);
	if (!used)
		atomic_store_explicit(&assist_wants_work, 1, memory_order_relaxed);
	th->wbuf = m.local;
	th->traced_bytes += m.marked_bytes;
	return used;
}

void refgc_store(void *obj, void **slot, void *val)
{
	(void)obj; /* kept in the API for barriers that need the holder */
	if (unlikely(atomic_load_explicit(&rt.marking, memory_order_relaxed))) {
		void *old = __atomic_load_n(slot, __ATOMIC_RELAXED);
		struct rthread *th = self_thread;

		/* Yuasa: shade what is being overwritten so everything
		 * reachable at mark start is still found. */
		if (old && th)
			mark_barrier_slow(th, old);
	}
	/* Release pairs with the marker's acquire loads: a marker that finds
	 * val also sees its header and its span's header initialised. */
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
}
