/* An object pool like Go's sync.Pool, on top of the collector.
 *
 * Get takes from the calling thread's own cache, then from the pool's
 * shared stack, then allocates; Put clears the object and keeps it in the
 * thread's cache, then on the shared stack up to `capacity`, otherwise
 * drops it for the collector. The thread cache needs no lock: with one
 * global mutex, two threads reusing objects were slower than one.
 *
 * Every collection empties every pool (at its first pause, world stopped,
 * before roots are scanned): a pool never keeps objects alive across a
 * cycle, and what it held is reclaimed by that cycle. Objects put during
 * concurrent marking are marked already (allocated black, or reachable at
 * mark start), so the thread caches need not be roots; the shared stack
 * is a registered root range all the same. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define POOL_LOCAL 16 /* objects one thread keeps per pool */
#define POOL_TLS 4    /* pools one thread keeps a cache for; others use the shared stack */

struct refgc_pool {
	pthread_mutex_t lock;
	const refgc_type *type;
	size_t capacity, n;
	void **slots;
	struct refgc_pool *next; /* live pools, under pools_lock */
	_Atomic uint64_t total, cleared;
	uint64_t gets, hits, puts, dropped; /* shared-stack part, under lock */
};

/* One thread's cache for one pool. Only its thread touches obj[] and n,
 * except the collector with the world stopped; the counters are read by
 * refgc_pool_read_stats from other threads (relaxed). */
struct pool_local {
	_Atomic(refgc_pool *) pool;
	uint32_t n;
	void *obj[POOL_LOCAL];
	_Atomic uint64_t gets, hits, puts;
};

static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static refgc_pool *pools;

static void bump(_Atomic uint64_t *c)
{
	/* Owner-only writer: a plain load and store, no locked instruction. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* The calling thread's cache for p, claimed on first use; NULL when the
 * thread has no free entry (or is not attached). */
static struct pool_local *local_of(refgc_pool *p)
{
	struct rthread *th = self_thread;
	struct pool_local *free_e = NULL;

	if (!th)
		return NULL;
	if (!th->pool_local && !(th->pool_local = calloc(POOL_TLS, sizeof(struct pool_local))))
		return NULL;
	for (int i = 0; i < POOL_TLS; i++) {
		struct pool_local *e = &th->pool_local[i];
		refgc_pool *ep = atomic_load_explicit(&e->pool, memory_order_relaxed);

		if (ep == p)
			return e;
		if (!ep && !free_e)
			free_e = e;
	}
	if (free_e) {
		free_e->n = 0;
		atomic_store(&free_e->gets, 0);
		atomic_store(&free_e->hits, 0);
		atomic_store(&free_e->puts, 0);
		atomic_store(&free_e->pool, p);
	}
	return free_e;
}

int refgc_pool_create(const refgc_type *t, size_t capacity, refgc_pool **out)
{
	refgc_pool *p = NULL;
	int err = -EINVAL;

	if (!t || !capacity || !out) {
		set_error("refgc_pool_create: need a type and a capacity > 0");
		goto fail;
	}
	err = -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail_msg;
	p->slots = calloc(capacity, sizeof(*p->slots));
	if (!p->slots)
		goto fail_msg;
	p->type = t;
	p->capacity = capacity;
	pthread_mutex_init(&p->lock, NULL);
	if ((err = refgc_root_add(p->slots, capacity)))
		goto fail;
	pthread_mutex_lock(&pools_lock);
	p->next = pools;
	pools = p;
	pthread_mutex_unlock(&pools_lock);
	*out = p;
	return 0;
fail_msg:
	set_error("refgc_pool_create: out of memory");
fail:
	if (p)
		free(p->slots);
	free(p);
	return err;
}

void refgc_pool_destroy(refgc_pool *p)
{
	refgc_pool **pp;

	if (!p)
		return;
	pthread_mutex_lock(&pools_lock);
	for (pp = &pools; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&pools_lock);
	/* Other threads' caches of p are released (their objects are not
	 * roots: the next collection reclaims them). Using a pool while it
	 * is destroyed is the caller's bug, as with any object. */
	pthread_mutex_lock(&rt.thr_lock);
	for (struct rthread *t = rt.threads; t; t = t->next)
		for (int i = 0; t->pool_local && i < POOL_TLS; i++)
			if (atomic_load(&t->pool_local[i].pool) == p)
				atomic_store(&t->pool_local[i].pool, NULL);
	pthread_mutex_unlock(&rt.thr_lock);
	refgc_root_remove(p->slots);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p);
}

void *refgc_pool_get(refgc_pool *p)
{
	struct pool_local *e = local_of(p);
	void *obj = NULL;

	if (e) {
		bump(&e->gets);
		if (e->n) {
			bump(&e->hits);
			obj = e->obj[--e->n];
			e->obj[e->n] = NULL;
			return obj;
		}
	}
	pthread_mutex_lock(&p->lock);
	if (!e)
		p->gets++;
	if (p->n) {
		/* Clearing a root slot needs no barrier: roots are rescanned
		 * at mark termination. */
		obj = p->slots[--p->n];
		__atomic_store_n(&p->slots[p->n], NULL, __ATOMIC_RELAXED);
		p->hits++;
	}
	pthread_mutex_unlock(&p->lock);
	if (obj)
		return obj;
	/* Allocate outside the lock: allocation can stop at a safepoint, and
	 * another thread must not block on our lock during a pause. */
	obj = refgc_alloc(p->type);
	if (obj)
		atomic_fetch_add_explicit(&p->total, 1, memory_order_relaxed);
	return obj;
}

/* A pooled object must not keep what its last user pointed to alive, nor
 * hand that user's data to the next: clear it. Pointer slots go through
 * the write barrier first (while marking, the overwritten values must be
 * shaded), after which a plain memset sees only NULLs among the pointers. */
static void clear_object(void *obj)
{
	const refgc_type *t = refgc_object_type(obj);
	size_t size = refgc_object_size(obj);

	if (t->kind == REFGC_TYPE_PTRARRAY) {
		for (size_t i = 0; i < size / sizeof(void *); i++)
			refgc_store(obj, (void **)obj + i, NULL);
	} else if (t->kind == REFGC_TYPE_PLAIN) {
		for (size_t i = 0; i < t->nptrs; i++)
			refgc_store(obj, (void **)((char *)obj + t->ptr_offsets[i]), NULL);
	}
	memset(obj, 0, size);
}

void refgc_pool_put(refgc_pool *p, void *obj)
{
	struct pool_local *e;

	if (!obj)
		return;
	clear_object(obj);
	e = local_of(p);
	if (e) {
		bump(&e->puts);
		if (e->n < POOL_LOCAL && e->n < p->capacity) {
			e->obj[e->n++] = obj;
			return;
		}
	}
	pthread_mutex_lock(&p->lock);
	if (!e)
		p->puts++;
	if (p->n < p->capacity)
		__atomic_store_n(&p->slots[p->n++], obj, __ATOMIC_RELAXED);
	else
		p->dropped++;
	pthread_mutex_unlock(&p->lock);
}

void pool_clear_all(void)
{
	pthread_mutex_lock(&pools_lock);
	for (refgc_pool *p = pools; p; p = p->next) {
		pthread_mutex_lock(&p->lock);
		atomic_fetch_add(&p->cleared, p->n);
		memset(p->slots, 0, p->n * sizeof(*p->slots));
		p->n = 0;
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&pools_lock);
	for (struct rthread *t = rt.threads; t; t = t->next) {
		for (int i = 0; t->pool_local && i < POOL_TLS; i++) {
			struct pool_local *e = &t->pool_local[i];
			refgc_pool *ep = atomic_load(&e->pool);

			if (ep && e->n)
				atomic_fetch_add(&ep->cleared, e->n);
			memset(e->obj, 0, sizeof(e->obj));
			e->n = 0;
		}
	}
}

void refgc_pool_read_stats(refgc_pool *p, refgc_pool_stats *st)
{
	uint64_t local_n = 0;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&rt.thr_lock);
	for (struct rthread *t = rt.threads; t; t = t->next) {
		for (int i = 0; t->pool_local && i < POOL_TLS; i++) {
			struct pool_local *e = &t->pool_local[i];

			if (atomic_load(&e->pool) != p)
				continue;
			st->gets += atomic_load_explicit(&e->gets, memory_order_relaxed);
			st->hits += atomic_load_explicit(&e->hits, memory_order_relaxed);
			st->puts += atomic_load_explicit(&e->puts, memory_order_relaxed);
			/* Exact for the calling thread; another thread's count
			 * may be a moment old. */
			local_n += __atomic_load_n(&e->n, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&rt.thr_lock);
	pthread_mutex_lock(&p->lock);
	st->total = atomic_load(&p->total);
	st->available = p->n + local_n;
	st->gets += p->gets;
	st->hits += p->hits;
	st->puts += p->puts;
	st->dropped = p->dropped;
	st->cleared = atomic_load(&p->cleared);
	pthread_mutex_unlock(&p->lock);
	/* Put also accepts objects the pool did not create: clamp at 0. */
	st->allocated = st->total > st->dropped + st->cleared + st->available ?
				st->total - st->dropped - st->cleared - st->available : 0;
	st->hit_rate = st->gets ? (double)st->hits / (double)st->gets : 0;
}
