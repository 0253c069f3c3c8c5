/* A fixed-size object pool on top of the collector: Get reuses an object
 * kept in the pool or allocates one; Put keeps it for reuse up to
 * `capacity`, otherwise drops it for the collector to reclaim. The pool's
 * slots are one registered root range, so pooled objects stay alive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct refgc_pool {
	pthread_mutex_t lock;
	const refgc_type *type;
	size_t capacity, n;
	void **slots;
	uint64_t total, gets, hits, puts, dropped;
};

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
	if (!p)
		return;
	refgc_root_remove(p->slots);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p);
}

void *refgc_pool_get(refgc_pool *p)
{
	void *obj = NULL;

	pthread_mutex_lock(&p->lock);
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
	if (obj) {
		pthread_mutex_lock(&p->lock);
		p->total++;
		pthread_mutex_unlock(&p->lock);
	}
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
	if (!obj)
		return;
	clear_object(obj);
	pthread_mutex_lock(&p->lock);
	p->puts++;
	if (p->n < p->capacity)
		__atomic_store_n(&p->slots[p->n++], obj, __ATOMIC_RELAXED);
	else
		p->dropped++;
	pthread_mutex_unlock(&p->lock);
}

void refgc_pool_read_stats(refgc_pool *p, refgc_pool_stats *st)
{
	pthread_mutex_lock(&p->lock);
	st->total = p->total;
	st->available = p->n;
	st->gets = p->gets;
	st->hits = p->hits;
	st->puts = p->puts;
	st->dropped = p->dropped;
	/* Put also accepts objects the pool did not create: clamp at 0. */
	st->allocated = p->total > p->dropped + p->n ? p->total - p->dropped - p->n : 0;
	st->hit_rate = p->gets ? (double)p->hits / (double)p->gets : 0;
	pthread_mutex_unlock(&p->lock);
}
