/* Opening a cycle and its mark-start pause (incremental phase 1), shared
 * by the coordinator and by the mutator that crosses the trigger.
 *
 * Why a mutator: the coordinator, woken by the trigger's request, is
 * usually placed on the requesting mutator's CPU and preempts it; the
 * pause it then starts has to wait until the kernel runs that mutator
 * again to reach its safepoint. Traced on the loaded 2-CPU VM (bpftrace,
 * runtime/bench/ttsp_sched.py, incremental, 64 MiB), 9 of 38 pauses had
 * 0.7-16 ms of time to safepoint, 8 of them mark start, each 98-99% spent
 * by the one mutator waiting on a run queue. Go starts its cycles on the
 * allocating goroutine (gcStart) for the same reason: the thread that
 * asks is running, and is its own first safepoint. */
#include "internal.h"
#include "probes.h"

static uint64_t freed_at_open;

uint64_t cycle_open(void)
{
	uint64_t cycle = atomic_fetch_add(&rt.cycle, 1) + 1;

	freed_at_open = atomic_load(&rt.freed_bytes);
	PROBE_GC_START(cycle, atomic_load(&rt.heap_live), atomic_load(&rt.heap_goal),
		       pacer_trigger_pm());
	atomic_store(&rt.cycle_marked, 0);
	atomic_store(&rt.cycle_black, 0);
	atomic_store(&rt.cycle_scanned, 0);
	atomic_store(&rt.cycle_assist_scanned, 0);
	assist_credit_reset();
	pacer_trigger_cycle_start(atomic_load(&rt.heap_live));
	return cycle;
}

uint64_t cycle_freed_at_open(void)
{
	return freed_at_open;
}

/* handoff: the world is being stopped by threads_handoff() (thr_lock
 * held, STW_ON set) on behalf of the coordinator. */
static void mark_start_run(uint64_t cycle, struct rthread *self, bool handoff)
{
	uint64_t t0, stopped;

	PROBE_PAUSE_START(cycle, REFGC_PHASE_MARK_START);
	t0 = now_ns();
	if (handoff)
		threads_wait_stopped();
	else if (self)
		threads_stop_world_self(self);
	else
		threads_stop_world();
	stopped = now_ns();
	pool_clear_all();
	atomic_store(&rt.marking, 1);
	PROBE_MARK_START(cycle);
	mark_roots();
	pause_end(cycle, REFGC_PHASE_MARK_START, t0, stopped, atomic_load(&rt.cycle_marked), 0);
	collector_phase_changed();
}

void mark_start_pause(uint64_t cycle, struct rthread *self)
{
	mark_start_run(cycle, self, false);
}

void mark_start_handoff(struct rthread *self, void *arg)
{
	uint64_t cpu0 = self ? thread_cpu_ns() : 0;

	mark_start_run(*(uint64_t *)arg, self, true);
	if (self) /* the coordinator's own time is counted by its loop */
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
}
