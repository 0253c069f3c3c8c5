/* Mutator threads: registration, safepoints, parking and stop-the-world.
 *
 * One mutex guards every thread's state. A stop sets stw_flag and waits
 * until no attached thread is RUNNING; a running thread notices the flag at
 * its next poll and sleeps in safepoint_slow() until the world restarts. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* initial-exec: the fast path must not call __tls_get_addr from the .so */
__thread struct rthread *self_thread __attribute__((tls_model("initial-exec")));

static void thread_flush_counters(struct rthread *th)
{
	if (th->alloc_count) {
		atomic_fetch_add(&rt.mallocs, th->alloc_count);
		atomic_fetch_add(&rt.total_alloc, th->alloc_bytes);
		atomic_fetch_add(&rt.heap_live, th->alloc_bytes);
		th->alloc_count = th->alloc_bytes = 0;
	}
}

int refgc_thread_attach(void)
{
	struct rthread *th;

	if (!rt.inited) {
		set_error("refgc_thread_attach: runtime not initialised");
		return -EINVAL;
	}
	if (self_thread)
		return 0;
	th = calloc(1, sizeof(*th));
	if (!th)
		goto nomem;
	th->cache = calloc((size_t)nclasses, sizeof(*th->cache));
	th->wbuf = greybuf_get();
	if (!th->cache || !th->wbuf)
		goto nomem;
	pthread_mutex_lock(&rt.thr_lock);
	/* Joining while the world is stopped would let us run inside it. */
	while (atomic_load(&rt.stw_flag))
		pthread_cond_wait(&rt.resume_cond, &rt.thr_lock);
	th->state = TH_PARKED;
	th->next = rt.threads;
	rt.threads = th;
	procs_acquire_locked(th);
	pthread_mutex_unlock(&rt.thr_lock);
	self_thread = th;
	return 0;
nomem:
	if (th) {
		free(th->cache);
		if (th->wbuf)
			greybuf_put(th->wbuf);
		free(th);
	}
	set_error("refgc_thread_attach: out of memory");
	return -ENOMEM;
}

void refgc_thread_detach(void)
{
	struct rthread *th = self_thread, **pp;

	if (!th)
		return;
	refgc_safepoint();
	/* While we are RUNNING no stop-the-world section can be in progress,
	 * so handing our spans and grey objects back here is race-free. */
	thread_flush_counters(th);
	thread_release_cache(th);
	if (th->wbuf->n)
		pool_push_buf(th->wbuf);
	else
		greybuf_put(th->wbuf);
	atomic_fetch_add(&rt.cycle_black, th->black_bytes);
	atomic_fetch_add(&rt.cycle_marked, th->traced_bytes);
	pthread_mutex_lock(&rt.thr_lock);
	for (pp = &rt.threads; *pp; pp = &(*pp)->next) {
		if (*pp == th) {
			*pp = th->next;
			break;
		}
	}
	procs_release_locked(th);
	pthread_cond_broadcast(&rt.thr_cond);
	pthread_mutex_unlock(&rt.thr_lock);
	free(th->roots);
	free(th->pool_local); /* not roots: the next cycle reclaims what it held */
	free(th->cache);
	free(th);
	self_thread = NULL;
}

/* Under thr_lock: the pause a STW_HANDOFF asks for, and a count of those
 * run, which the requester waits on. */
static void (*handoff_fn)(struct rthread *self, void *arg);
static void *handoff_arg;
static uint64_t handoff_gen;
static struct rthread *stw_self; /* under thr_lock: a mutator stopping the world */

/* Called with thr_lock held; returns with it released. */
static void handoff_take(struct rthread *th)
{
	atomic_store(&rt.stw_flag, STW_ON);
	if (th) {
		th->state = TH_STOPPED;
		stw_self = th;
	}
	handoff_fn(th, handoff_arg); /* restarts the world: thr_lock released */
	pthread_mutex_lock(&rt.thr_lock);
	handoff_gen++;
	pthread_cond_broadcast(&rt.thr_cond);
	pthread_mutex_unlock(&rt.thr_lock);
}

void safepoint_slow(struct rthread *th)
{
	pthread_mutex_lock(&rt.thr_lock);
	if (atomic_load(&rt.stw_flag) == STW_HANDOFF) {
		handoff_take(th);
		return;
	}
	if (atomic_load(&rt.stw_flag)) {
		th->state = TH_STOPPED;
		pthread_cond_broadcast(&rt.thr_cond);
		while (atomic_load(&rt.stw_flag))
			pthread_cond_wait(&rt.resume_cond, &rt.thr_lock);
		th->state = TH_RUNNING;
	}
	pthread_mutex_unlock(&rt.thr_lock);
}

void refgc_safepoint(void)
{
	struct rthread *th = self_thread;

	if (th && unlikely(atomic_load_explicit(&rt.stw_flag, memory_order_acquire)))
		safepoint_slow(th);
}

void refgc_enter_blocking(void)
{
	struct rthread *th = self_thread;

	if (!th)
		return;
	pthread_mutex_lock(&rt.thr_lock);
	th->state = TH_PARKED;
	procs_release_locked(th);
	pthread_cond_broadcast(&rt.thr_cond);
	pthread_mutex_unlock(&rt.thr_lock);
}

void refgc_leave_blocking(void)
{
	struct rthread *th = self_thread;

	if (!th)
		return;
	pthread_mutex_lock(&rt.thr_lock);
	procs_acquire_locked(th);
	pthread_mutex_unlock(&rt.thr_lock);
}

static bool any_running(void)
{
	for (struct rthread *t = rt.threads; t; t = t->next)
		if (t->state == TH_RUNNING)
			return true;
	return false;
}

void threads_stop_world(void)
{
	pthread_mutex_lock(&rt.thr_lock);
	atomic_store(&rt.stw_flag, 1);
	while (any_running())
		pthread_cond_wait(&rt.thr_cond, &rt.thr_lock);
	/* Keep thr_lock: nobody may attach, detach or unpark until restart. */
}

void threads_stop_world_self(struct rthread *self)
{
	pthread_mutex_lock(&rt.thr_lock);
	self->state = TH_STOPPED;
	stw_self = self;
	atomic_store(&rt.stw_flag, STW_ON);
	while (any_running())
		pthread_cond_wait(&rt.thr_cond, &rt.thr_lock);
}

void threads_wait_stopped(void)
{
	while (any_running())
		pthread_cond_wait(&rt.thr_cond, &rt.thr_lock);
}

void threads_handoff(void (*fn)(struct rthread *self, void *arg), void *arg)
{
	uint64_t gen;

	pthread_mutex_lock(&rt.thr_lock);
	handoff_fn = fn;
	handoff_arg = arg;
	gen = handoff_gen;
	atomic_store(&rt.stw_flag, STW_HANDOFF);
	while (handoff_gen == gen) {
		/* Nobody running (all parked or blocked) will poll soon:
		 * the requester stops the world itself. */
		if (atomic_load(&rt.stw_flag) == STW_HANDOFF && !any_running()) {
			handoff_take(NULL);
			return;
		}
		pthread_cond_wait(&rt.thr_cond, &rt.thr_lock);
	}
	pthread_mutex_unlock(&rt.thr_lock);
}

void threads_start_world(void)
{
	if (stw_self) {
		stw_self->state = TH_RUNNING;
		stw_self = NULL;
	}
	atomic_store(&rt.stw_flag, 0);
	pthread_cond_broadcast(&rt.resume_cond);
	pthread_mutex_unlock(&rt.thr_lock);
}

void threads_flush_counters(void)
{
	for (struct rthread *t = rt.threads; t; t = t->next) {
		thread_flush_counters(t);
		atomic_fetch_add(&rt.cycle_black, t->black_bytes);
		atomic_fetch_add(&rt.cycle_marked, t->traced_bytes);
		t->black_bytes = t->traced_bytes = 0;
	}
}

void threads_release_caches(void)
{
	for (struct rthread *t = rt.threads; t; t = t->next)
		thread_release_cache(t);
}

/* Drain every thread's barrier buffer into the global grey pool. */
void threads_flush_wbufs(void)
{
	for (struct rthread *t = rt.threads; t; t = t->next) {
		if (t->wbuf->n) {
			pool_push_buf(t->wbuf);
			t->wbuf = greybuf_get();
		}
	}
}

void threads_fini(void)
{
	if (self_thread)
		refgc_thread_detach();
}

void roots_scan_threads(struct marker *m)
{
	for (struct rthread *t = rt.threads; t; t = t->next) {
		for (size_t i = 0; i < t->nroots; i++) {
			void *v = *t->roots[i];

			if (v)
				mark_shade(m, v);
		}
	}
}
