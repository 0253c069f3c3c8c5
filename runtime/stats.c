/* Self-reported statistics (the MemStats analogue) and the pause ring.
 * Every recorded pause corresponds to exactly one pause__start/pause__done
 * probe pair in collector.c. */
#include <string.h>
#include <time.h>

#include "internal.h"

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static refgc_pause ring[REFGC_PAUSE_RING];
static uint64_t npauses, pause_total, last_gc_ns, num_gc;
static uint64_t term_last, term_max, term_slots_last, term_slots_max;
static uint64_t wait_ns[2], wait_n[2], wait_max[2];

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void stats_record_pause(uint64_t cycle, uint32_t phase, uint64_t start, uint64_t dur,
			uint64_t ttsp, uint64_t marked, uint64_t slots)
{
	pthread_mutex_lock(&stats_lock);
	ring[npauses % REFGC_PAUSE_RING] =
		(refgc_pause){ cycle, phase, start, dur, ttsp, marked, slots };
	npauses++;
	pause_total += dur;
	pthread_mutex_unlock(&stats_lock);
}

void stats_cycle_done(uint64_t end_ns)
{
	pthread_mutex_lock(&stats_lock);
	last_gc_ns = end_ns;
	num_gc++;
	pthread_mutex_unlock(&stats_lock);
}

void stats_term_marked(uint64_t bytes, uint64_t slots)
{
	pthread_mutex_lock(&stats_lock);
	term_last = bytes;
	if (bytes > term_max)
		term_max = bytes;
	term_slots_last = slots;
	if (slots > term_slots_max)
		term_slots_max = slots;
	pthread_mutex_unlock(&stats_lock);
}

void stats_record_wait(int kind, uint64_t ns)
{
	pthread_mutex_lock(&stats_lock);
	wait_ns[kind] += ns;
	wait_n[kind]++;
	if (ns > wait_max[kind])
		wait_max[kind] = ns;
	pthread_mutex_unlock(&stats_lock);
}

void stats_gc_times(uint64_t *pause_ns, uint64_t *wait)
{
	pthread_mutex_lock(&stats_lock);
	*pause_ns = pause_total;
	*wait = wait_ns[WAIT_ASSIST] + wait_ns[WAIT_STALL];
	pthread_mutex_unlock(&stats_lock);
}

void stats_reset(void)
{
	pthread_mutex_lock(&stats_lock);
	npauses = pause_total = last_gc_ns = num_gc = 0;
	term_last = term_max = term_slots_last = term_slots_max = 0;
	memset(wait_ns, 0, sizeof(wait_ns));
	memset(wait_n, 0, sizeof(wait_n));
	memset(wait_max, 0, sizeof(wait_max));
	pthread_mutex_unlock(&stats_lock);
}

void stats_note_heap_inuse(int64_t delta)
{
	uint64_t v = atomic_fetch_add(&rt.heap_inuse, (uint64_t)delta) + (uint64_t)delta;
	uint64_t peak = atomic_load(&rt.heap_inuse_peak);

	while (delta > 0 && v > peak &&
	       !atomic_compare_exchange_weak(&rt.heap_inuse_peak, &peak, v))
		;
}

void refgc_read_stats(refgc_stats *st)
{
	struct rthread *me = self_thread;
	uint64_t mallocs = atomic_load(&rt.mallocs), total = atomic_load(&rt.total_alloc);
	uint64_t elapsed = now_ns() - rt.init_ns;

	memset(st, 0, sizeof(*st));
	/* The caller's own unflushed counts make a single-threaded program's
	 * numbers exact; other threads' show up at their next refill. */
	if (me) {
		mallocs += me->alloc_count;
		total += me->alloc_bytes;
	}
	st->total_alloc = total;
	st->mallocs = mallocs;
	st->frees = atomic_load(&rt.frees);
	st->objects = st->mallocs - st->frees;
	st->heap_alloc = total - atomic_load(&rt.freed_bytes);
	st->heap_inuse = atomic_load(&rt.heap_inuse);
	st->heap_inuse_peak = atomic_load(&rt.heap_inuse_peak);
	st->heap_sys = atomic_load(&rt.heap_sys);
	st->heap_released = heap_released_bytes();
	st->heap_goal = atomic_load(&rt.heap_goal);
	st->heap_marked = atomic_load(&rt.heap_marked);
	st->num_forced_gc = atomic_load(&rt.num_forced);
	st->gc_cpu_ns = atomic_load(&rt.gc_cpu_ns);
	st->gc_cpu_fraction = elapsed ? (double)st->gc_cpu_ns / ((double)elapsed * rt.ncpu) : 0;
	st->mode = rt.cfg.mode;
	st->gc_percent = rt.cfg.gc_percent;
	st->mem_limit = rt.cfg.mem_limit;
	st->procs = rt.cfg.procs;
	st->term_retries = atomic_load(&rt.term_retries);
	st->trigger_fraction = pacer_trigger_pm() / 1000.0;

	pthread_mutex_lock(&stats_lock);
	st->num_gc = num_gc;
	st->pause_total_ns = pause_total;
	st->num_pauses = npauses;
	st->last_gc_ns = last_gc_ns;
	st->last_term_marked_bytes = term_last;
	st->max_term_marked_bytes = term_max;
	st->last_term_scan_slots = term_slots_last;
	st->max_term_scan_slots = term_slots_max;
	st->assist_ns = wait_ns[WAIT_ASSIST];
	st->num_assists = wait_n[WAIT_ASSIST];
	st->max_assist_ns = wait_max[WAIT_ASSIST];
	st->stall_ns = wait_ns[WAIT_STALL];
	st->num_stalls = wait_n[WAIT_STALL];
	st->max_stall_ns = wait_max[WAIT_STALL];
	cpu_limit_read(&st->cpu_capped_ns, &st->num_cpu_capped);
	st->npause_ring = (uint32_t)(npauses < REFGC_PAUSE_RING ? npauses : REFGC_PAUSE_RING);
	for (uint32_t i = 0; i < st->npause_ring; i++)
		st->pauses[i] = ring[(npauses - st->npause_ring + i) % REFGC_PAUSE_RING];
	pthread_mutex_unlock(&stats_lock);
}
