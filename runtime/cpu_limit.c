/* The GC CPU limiter (Go's gcCPULimiter, simplified): with a memory limit
 * the live heap does not fit in, every cycle is limit-driven and the next
 * one is wanted at once, so collector work plus mutator assists and stalls
 * would take the whole machine (83% of a run was stalls). Go caps that at
 * 50% of CPU time and lets the heap exceed its soft limit instead; so does
 * refgc.
 *
 * Accounting is per cycle, over the interval from the previous cycle's end
 * to this one's: GC time = max(collector threads' CPU, pause time x CPUs)
 * + assist time + stall time, against wall time x CPUs. As in Go, a pause
 * takes every CPU from the program; the max keeps the collector's own CPU
 * inside pauses from being counted twice; a stalled mutator is CPU the
 * program does not get. Over 50%, the limiter is "on" until enough wall time
 * has passed for the fraction to fall back to 50%: the next cycle does
 * not start before then (unless forced by refgc_collect or an allocation
 * that found no memory), and allocating threads neither assist nor stall
 * meanwhile, so the heap grows past the limit. */
#include "internal.h"

static uint64_t prev_end, prev_cpu, prev_pause, prev_wait; /* coordinator only */
static _Atomic uint64_t capped_until; /* CLOCK_MONOTONIC; 0: not capped */
static _Atomic uint64_t capped_total, capped_n;

void cpu_limit_reset(void)
{
	prev_end = now_ns();
	prev_cpu = prev_pause = prev_wait = 0;
	atomic_store(&capped_until, 0);
	atomic_store(&capped_total, 0);
	atomic_store(&capped_n, 0);
}

void cpu_limit_cycle_done(uint64_t end)
{
	uint64_t cpu = atomic_load(&rt.gc_cpu_ns), pause, wait, used;
	uint64_t span = (end - prev_end) * (uint64_t)rt.ncpu;

	stats_gc_times(&pause, &wait);
	used = (pause - prev_pause) * (uint64_t)rt.ncpu;
	if (cpu - prev_cpu > used)
		used = cpu - prev_cpu;
	used += wait - prev_wait;
	prev_end = end;
	prev_cpu = cpu;
	prev_pause = pause;
	prev_wait = wait;
	if (rt.cfg.mem_limit == REFGC_MEMLIMIT_NONE || !rt.ncpu)
		return;
	/* used / (span + wait x ncpu) <= 1/2 */
	if (2 * used > span) {
		uint64_t hold = (2 * used - span) / (uint64_t)rt.ncpu;

		atomic_store(&capped_until, end + hold);
		atomic_fetch_add(&capped_total, hold);
		atomic_fetch_add(&capped_n, 1);
	}
}

bool cpu_limit_on(void)
{
	uint64_t until = atomic_load_explicit(&capped_until, memory_order_relaxed);

	return until && now_ns() < until;
}

uint64_t cpu_limit_until(void)
{
	return atomic_load(&capped_until);
}

void cpu_limit_read(uint64_t *ns, uint64_t *n)
{
	*ns = atomic_load(&capped_total);
	*n = atomic_load(&capped_n);
}
