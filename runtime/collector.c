/* The collector: runtime lifecycle and the cycle driver.
 *
 * A coordinator thread runs every cycle; procs-1 helper threads join in
 * whenever grey work is drained in parallel. Cycle shape:
 *   stw:          [pause 0: roots, mark all, terminate] sweep
 *   incremental:  [pause 1: barrier on, roots] concurrent mark
 *                 [pause 2: barrier buffers, roots again, drain at most
 *                  REFGC_TERM_BUDGET slots; work left: resume concurrent
 *                  mark and try pause 2 again; else terminate] sweep
 * Sweeping runs in the background on the coordinator while mutators also
 * sweep lazily; the next cycle starts only after it completes.
 *
 * Probe placement: pause__start sits right before the pause's first
 * timestamp and pause__done right after its last, so a tracer's
 * probe-to-probe time equals the recorded pause. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "probes.h"

struct runtime rt;

static pthread_t coordinator;
static uint64_t phase_gen; /* under gc_lock: marking started or ended, or a cycle ended */

void mark_roots(void)
{
	struct marker m = { .local = greybuf_get() };

	roots_scan(&m);
	mark_release(&m);
}

/* Stop-the-world only: finish the cycle's mark and hand spans to sweep. */
static void mark_terminate(uint64_t cycle, uint64_t term_marked, uint64_t term_slots)
{
	uint64_t marked, black, scanned;

	threads_flush_counters();
	threads_release_caches();
	sweep_flip();
	marked = atomic_exchange(&rt.cycle_marked, 0);
	black = atomic_exchange(&rt.cycle_black, 0);
	scanned = atomic_exchange(&rt.cycle_scanned, 0);
	pacer_trigger_feedback(atomic_load(&rt.heap_marked), atomic_load(&rt.heap_live),
			       scanned, atomic_exchange(&rt.cycle_assist_scanned, 0));
	/* Objects allocated during marking survive this cycle but are not
	 * known to be live: pacing on traced bytes only keeps a fast
	 * allocator from inflating its own next goal. */
	atomic_store(&rt.heap_marked, marked);
	atomic_store(&rt.heap_live, marked + black);
	pacer_floating(black);
	pacer_update(marked);
	atomic_store(&rt.last_scanned, scanned);
	atomic_fetch_add(&rt.marks_done, 1);
	PROBE_MARK_DONE(cycle, marked + black, term_marked, term_slots);
	stats_term_marked(term_marked, term_slots);
}

/* Like Go, background marking takes a quarter of the workers (at least
 * one) so that mutators keep the rest of the machine; pauses use all.
 * Ps that no mutator holds when marking starts get a worker each on top,
 * after Go's idle mark workers. This is one thread more than Go runs:
 * Go's 25% worker occupies a P, refgc's workers hold none. On a loaded
 * machine that thread is what gets marking a share of the CPUs (each
 * worker got ~24% of a CPU while runnable at load ~5, gc_sched.py), and
 * one mutator on 2 Ps stopped paying for most of the mark in assists; on
 * an idle one it competes with the mutator for a CPU while marking. */
static int background_workers(void)
{
	int n = (rt.cfg.procs + 2) / 4;

	if (n < 1)
		n = 1;
	n += procs_idle();
	return n < rt.cfg.procs ? n : rt.cfg.procs;
}

/* The end timestamp is taken before the world restarts: restarting wakes
 * every mutator, and a collector descheduled by them would otherwise add
 * time to a pause during which mutators already run. */
void pause_end(uint64_t cycle, uint32_t phase, uint64_t t0, uint64_t stopped,
	       uint64_t marked, uint64_t slots)
{
	uint64_t t1 = now_ns();

	PROBE_PAUSE_DONE(cycle, phase);
	threads_start_world();
	stats_record_pause(cycle, phase, t0, t1 - t0, stopped - t0, marked, slots);
}

/* Concurrent marking is over when no grey work is queued and no mutator
 * assist holds some: an assist can take the pool's only buffer (right
 * after mark start that is the roots), and an empty pool then says
 * nothing about how much marking is left. */
static void mark_concurrent(void)
{
	for (;;) {
		mark_drain_parallel(background_workers(), -1);
		if (!mark_work_outstanding())
			break;
		if (mark_pool_empty())
			sched_yield(); /* an assist is running; its leftovers come back */
	}
}

/* One attempt at mark termination, as a pause run by threads_handoff():
 * on the first mutator to poll, or here when none is running. Everything
 * marked in the pause is bounded: barrier buffers and roots are shaded
 * (one object each), then all workers drain at most REFGC_TERM_BUDGET
 * slots. Work left over means marking was not done: the world restarts
 * with the barrier still on and concurrent marking resumes, as Go's mark
 * termination does. */
struct term_ctx {
	uint64_t cycle;
	uint64_t marked, slots; /* in this cycle's earlier termination pauses */
	bool done;              /* marking finished */
};

static void term_pause(struct rthread *self, void *arg)
{
	struct term_ctx *c = arg;
	uint64_t cpu0 = self ? thread_cpu_ns() : 0, t0, stopped, m0, marked, slots;

	PROBE_PAUSE_START(c->cycle, REFGC_PHASE_MARK_TERM);
	t0 = now_ns();
	threads_wait_stopped();
	stopped = now_ns();
	m0 = atomic_load(&rt.cycle_marked);
	threads_flush_wbufs();
	mark_roots();
	/* No helpers: the pause would wait for every helper it wakes, and
	 * on a loaded machine a woken helper waited 4-16 ms for a CPU, and
	 * the pause's own thread, woken when the helper was done, up to
	 * 986 us more (ttsp_sched.py). The budget alone bounds the work:
	 * about 0.3 ms on one thread. */
	slots = mark_drain_parallel(1, REFGC_TERM_BUDGET);
	marked = atomic_load(&rt.cycle_marked) - m0;
	c->done = mark_pool_empty();
	if (c->done) {
		atomic_store(&rt.marking, 0);
		mark_terminate(c->cycle, c->marked + marked, c->slots + slots);
	} else {
		c->marked += marked;
		c->slots += slots;
		atomic_fetch_add(&rt.term_retries, 1);
	}
	if (self) /* the coordinator's own time is counted by its loop */
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
	pause_end(c->cycle, REFGC_PHASE_MARK_TERM, t0, stopped, marked, slots);
}

/* The stop-the-world collection as a pause run by threads_handoff(), as
 * mark termination is: on the first mutator to poll, which is running and
 * its own safepoint, or on the coordinator when no mutator runs. Run by
 * the coordinator, the pause waited for every mutator it had preempted to
 * be put back on a CPU (time to safepoint, see mark_start.c). */
static void stw_pause(struct rthread *self, void *arg)
{
	uint64_t cycle = *(uint64_t *)arg;
	uint64_t cpu0 = self ? thread_cpu_ns() : 0, t0, stopped, marked, slots;

	PROBE_PAUSE_START(cycle, REFGC_PHASE_STW);
	t0 = now_ns();
	threads_wait_stopped();
	stopped = now_ns();
	pool_clear_all();
	PROBE_MARK_START(cycle);
	mark_roots();
	slots = mark_drain_parallel(rt.cfg.procs, -1);
	marked = atomic_load(&rt.cycle_marked);
	mark_terminate(cycle, marked, slots);
	if (self) /* the coordinator's own time is counted by its loop */
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
	pause_end(cycle, REFGC_PHASE_STW, t0, stopped, marked, slots);
}

/* begun: a mutator opened the cycle and ran its mark-start pause. */
static void run_cycle(bool begun)
{
	uint64_t cycle = begun ? atomic_load(&rt.cycle) : cycle_open();

	if (rt.cfg.mode == REFGC_MODE_STW) {
		threads_handoff(stw_pause, &cycle);
		/* Stalled threads are woken only now: woken inside the pause
		 * they would preempt the collector and lengthen it. */
		collector_phase_changed();
	} else {
		if (!begun)
			threads_handoff(mark_start_handoff, &cycle);

		struct term_ctx tc = { .cycle = cycle };

		do {
			mark_concurrent();
			threads_handoff(term_pause, &tc);
		} while (!tc.done);
		collector_phase_changed();
	}

	sweep_all();
	PROBE_GC_DONE(cycle, atomic_load(&rt.heap_marked),
		      atomic_load(&rt.freed_bytes) - cycle_freed_at_open());
	stats_cycle_done(now_ns());
}

static _Atomic int gc_pending; /* a cycle is wanted or running */
/* Under gc_lock: a mutator claimed the next cycle (collector_begin_here)
 * and has (begun) or has not yet finished its mark-start pause. */
static bool mutator_claimed, mutator_begun;

/* Called by the coordinator when a cycle ends: new requests may come in. */
static void clear_pending_locked(void)
{
	if (rt.cycles_wanted <= rt.cycles_done)
		atomic_store(&gc_pending, 0);
}

/* Under gc_lock. While the GC CPU cap is on, an unforced cycle waits for
 * it to go off; refgc_collect() (also an allocation that found no memory)
 * does not wait. */
static void wait_cpu_limit(void)
{
	uint64_t until, now;
	struct timespec ts;

	while (!rt.shutdown && !rt.forced_pending && (until = cpu_limit_until()) > (now = now_ns())) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)((until - now) / 1000000000u);
		ts.tv_nsec += (long)((until - now) % 1000000000u);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&rt.gc_cond, &rt.gc_lock, &ts);
	}
}

static void *coordinator_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rt.gc_lock);
	for (;;) {
		uint64_t cpu0;
		bool begun;

		while (!rt.shutdown && rt.cycles_done >= rt.cycles_wanted)
			pthread_cond_wait(&rt.gc_cond, &rt.gc_lock);
		if (rt.shutdown)
			break;
		begun = mutator_claimed;
		if (begun) {
			while (!mutator_begun)
				pthread_cond_wait(&rt.gc_cond, &rt.gc_lock);
			mutator_claimed = mutator_begun = false;
		} else {
			wait_cpu_limit();
			if (rt.shutdown)
				break;
			rt.gc_running = true;
			if (rt.forced_pending) {
				rt.forced_pending--;
				atomic_fetch_add(&rt.num_forced, 1);
			}
		}
		pthread_mutex_unlock(&rt.gc_lock);

		cpu0 = thread_cpu_ns();
		run_cycle(begun);
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
		cpu_limit_cycle_done(now_ns());

		pthread_mutex_lock(&rt.gc_lock);
		rt.cycles_done++;
		rt.gc_running = false;
		phase_gen++;
		clear_pending_locked();
		pthread_cond_broadcast(&rt.done_cond);
	}
	pthread_mutex_unlock(&rt.gc_lock);
	return NULL;
}


void collector_request(void)
{
	/* Called at every refill past the trigger: stay off the lock. */
	if (atomic_load_explicit(&gc_pending, memory_order_relaxed))
		return;
	pthread_mutex_lock(&rt.gc_lock);
	if (rt.cycles_wanted <= rt.cycles_done && !rt.gc_running) {
		rt.cycles_wanted = rt.cycles_done + 1;
		pthread_cond_signal(&rt.gc_cond);
	}
	atomic_store(&gc_pending, 1);
	pthread_mutex_unlock(&rt.gc_lock);
}

bool collector_begin_here(void)
{
	struct rthread *th = self_thread;
	uint64_t cpu0, cycle;

	if (rt.cfg.mode != REFGC_MODE_INCREMENTAL || !th ||
	    atomic_load_explicit(&gc_pending, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&rt.gc_lock);
	if (rt.shutdown || rt.gc_running || rt.cycles_wanted > rt.cycles_done ||
	    cpu_limit_until() > now_ns()) {
		pthread_mutex_unlock(&rt.gc_lock);
		return false;
	}
	rt.cycles_wanted = rt.cycles_done + 1;
	rt.gc_running = true;
	mutator_claimed = true;
	atomic_store(&gc_pending, 1);
	pthread_mutex_unlock(&rt.gc_lock);

	cpu0 = thread_cpu_ns();
	cycle = cycle_open();
	mark_start_pause(cycle, th);
	atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);

	pthread_mutex_lock(&rt.gc_lock);
	mutator_begun = true;
	pthread_cond_signal(&rt.gc_cond);
	pthread_mutex_unlock(&rt.gc_lock);
	return true;
}

/* Waits with the thread parked so that the cycle can stop the world. */
static void wait_cycles(uint64_t target)
{
	refgc_enter_blocking();
	pthread_mutex_lock(&rt.gc_lock);
	while (rt.cycles_done < target && !rt.shutdown)
		pthread_cond_wait(&rt.done_cond, &rt.gc_lock);
	pthread_mutex_unlock(&rt.gc_lock);
	refgc_leave_blocking();
}

void collector_phase_changed(void)
{
	pthread_mutex_lock(&rt.gc_lock);
	phase_gen++;
	pthread_cond_broadcast(&rt.done_cond);
	pthread_mutex_unlock(&rt.gc_lock);
}

bool collector_wait_phase(void)
{
	uint64_t gen;

	pthread_mutex_lock(&rt.gc_lock);
	if (!rt.gc_running && rt.cycles_wanted <= rt.cycles_done) {
		pthread_mutex_unlock(&rt.gc_lock);
		return false;
	}
	gen = phase_gen;
	pthread_mutex_unlock(&rt.gc_lock);
	refgc_enter_blocking();
	pthread_mutex_lock(&rt.gc_lock);
	while (phase_gen == gen && !rt.shutdown &&
	       (rt.gc_running || rt.cycles_wanted > rt.cycles_done))
		pthread_cond_wait(&rt.done_cond, &rt.gc_lock);
	pthread_mutex_unlock(&rt.gc_lock);
	refgc_leave_blocking();
	return true;
}

void collector_wait_cycle(void)
{
	uint64_t target;

	pthread_mutex_lock(&rt.gc_lock);
	target = rt.gc_running || rt.cycles_wanted > rt.cycles_done ? rt.cycles_done + 1 : 0;
	pthread_mutex_unlock(&rt.gc_lock);
	if (target)
		wait_cycles(target);
}

int refgc_collect(void)
{
	uint64_t target;

	if (!rt.inited) {
		set_error("refgc_collect: runtime not initialised");
		return -EINVAL;
	}
	pthread_mutex_lock(&rt.gc_lock);
	/* A cycle already running began before this call: ours is the next. */
	target = rt.cycles_done + (rt.gc_running ? 2 : 1);
	if (rt.cycles_wanted < target) {
		rt.cycles_wanted = target;
		rt.forced_pending++;
	}
	atomic_store(&gc_pending, 1);
	pthread_cond_signal(&rt.gc_cond);
	pthread_mutex_unlock(&rt.gc_lock);
	wait_cycles(target);
	return 0;
}

int collector_start(void)
{
	if (pthread_create(&coordinator, NULL, coordinator_main, NULL))
		return -EAGAIN;
	/* Named so that per-thread CPU (/proc/PID/task/TID) can be told apart. */
	pthread_setname_np(coordinator, "refgc-coord");
	if (mark_helpers_start(rt.cfg.procs - 1) || sweep_helpers_start(rt.cfg.procs - 1)) {
		collector_stop();
		return -EAGAIN;
	}
	return 0;
}

void collector_stop(void)
{
	pthread_mutex_lock(&rt.gc_lock);
	rt.shutdown = true;
	pthread_cond_broadcast(&rt.gc_cond);
	pthread_cond_broadcast(&rt.done_cond);
	pthread_mutex_unlock(&rt.gc_lock);
	pthread_join(coordinator, NULL);
	mark_helpers_stop();
	sweep_helpers_stop();
}

int refgc_init(const refgc_config *cfg)
{
	refgc_config c;
	int err;

	if (rt.inited) {
		set_error("refgc_init: already initialised");
		err = -EBUSY;
		goto fail;
	}
	if (cfg)
		c = *cfg;
	else
		refgc_config_default(&c);
	if (!c.ignore_env && (err = refgc_config_from_env(&c)))
		goto fail;
	if ((err = refgc_config_validate(&c)))
		goto fail;

	memset(&rt, 0, sizeof(rt));
	rt.cfg = c;
	rt.ncpu = online_cpus();
	rt.init_ns = now_ns();
	pthread_mutex_init(&rt.thr_lock, NULL);
	pthread_cond_init(&rt.thr_cond, NULL);
	pthread_cond_init(&rt.resume_cond, NULL);
	pthread_mutex_init(&rt.large_lock, NULL);
	pthread_mutex_init(&rt.span_lock, NULL);
	pthread_mutex_init(&rt.gc_lock, NULL);
	pthread_cond_init(&rt.gc_cond, NULL);
	pthread_cond_init(&rt.done_cond, NULL);
	atomic_store(&gc_pending, 0);
	stats_reset();
	cpu_limit_reset();
	procs_init();
	if ((err = heap_init())) {
		set_error("refgc_init: out of memory");
		goto fail;
	}
	pacer_update(0);
	rt.inited = true;
	if ((err = refgc_thread_attach()))
		goto fail_heap;
	if ((err = collector_start())) {
		set_error("refgc_init: cannot start collector threads");
		goto fail_thread;
	}
	return 0;

fail_thread:
	refgc_thread_detach();
fail_heap:
	rt.inited = false;
	heap_fini();
fail:
	/* Configuration mistakes must be loud: print as well as return. */
	fprintf(stderr, "%s\n", refgc_last_error());
	return err;
}

void refgc_shutdown(void)
{
	if (!rt.inited)
		return;
	/* Detach first: a cycle in flight must not wait for us to stop. */
	threads_fini();
	collector_stop();
	mark_fini();
	roots_fini();
	heap_fini();
	rt.inited = false;
}
