/* The P limit (REFGC_MAXPROCS, as Go's GOMAXPROCS): at most max_procs
 * attached threads run refgc code at once. A thread holds a P while it is
 * RUNNING; one waiting for a P is PARKED, which is a safepoint, so a
 * stop-the-world never waits for it. Threads give their P up in blocking
 * regions and, when others wait, at a refill after a time slice (10 ms,
 * Go's forcePreemptNS); waiters get Ps in arrival order.
 *
 * Why: with more runnable mutators than CPUs, a stop-the-world waited
 * for every one of them to be scheduled again by the kernel (4 threads
 * on 2 CPUs: time to safepoint up to 10.9 ms in check_termination). */
#include "internal.h"

#define SLICE_NS 10000000u

static int procs_free;             /* under thr_lock */
static uint64_t next_ticket, serving; /* under thr_lock: FIFO of waiters */
static _Atomic int nwaiting;       /* threads waiting for a P */

void procs_init(void)
{
	procs_free = rt.cfg.max_procs ? rt.cfg.max_procs : online_cpus();
	next_ticket = serving = 0;
	atomic_store(&nwaiting, 0);
}

void procs_acquire_locked(struct rthread *th)
{
	uint64_t t = next_ticket++;

	th->state = TH_PARKED;
	atomic_fetch_add(&nwaiting, 1);
	while (atomic_load(&rt.stw_flag) || procs_free == 0 || t != serving)
		pthread_cond_wait(&rt.resume_cond, &rt.thr_lock);
	serving++;
	procs_free--;
	atomic_fetch_sub(&nwaiting, 1);
	/* The next in line may find a free P too. */
	pthread_cond_broadcast(&rt.resume_cond);
	th->state = TH_RUNNING;
	th->p_since = now_ns();
}

void procs_release_locked(struct rthread *th)
{
	(void)th;
	procs_free++;
	pthread_cond_broadcast(&rt.resume_cond);
}

void procs_poll(struct rthread *th)
{
	if (likely(!atomic_load_explicit(&nwaiting, memory_order_relaxed)) ||
	    now_ns() - th->p_since < SLICE_NS)
		return;
	pthread_mutex_lock(&rt.thr_lock);
	procs_release_locked(th);
	/* A stop-the-world may be waiting for us: we are parked from here. */
	pthread_cond_broadcast(&rt.thr_cond);
	procs_acquire_locked(th);
	pthread_mutex_unlock(&rt.thr_lock);
}

int procs_idle(void)
{
	int n;

	pthread_mutex_lock(&rt.thr_lock);
	n = procs_free;
	pthread_mutex_unlock(&rt.thr_lock);
	return n;
}
