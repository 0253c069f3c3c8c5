/* The pacer decides when a cycle starts, using Go's knobs:
 *   goal    = marked * (1 + gc_percent/100), at least MIN_GOAL;
 *             with a soft memory limit, min(goal, limit - headroom);
 *   trigger = goal for stw; for incremental, a fraction of the way from
 *             marked to goal set by feedback (pacer_trigger.c), so that
 *             concurrent marking finishes at the goal with few assists;
 *   hard    = where allocating threads stop: they help mark, or wait for
 *             the next phase change (mark start or end), never for a
 *             whole cycle; goal + runway / 2, widened in incremental mode
 *             by the last mark's black allocation (pacer_floating);
 *   assists = while marking, every allocating thread owes marking work
 *             in proportion to what it allocates (Go's assist debt): the
 *             marking still expected (the last mark's scanned slots minus
 *             what workers and assists scanned so far this cycle) spread
 *             over the heap growth left before the hard goal. When the
 *             background marker keeps up, assists owe little.
 * Heap sizes here are heap_live: marked bytes plus bytes allocated since. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

#define MIN_GOAL ((uint64_t)4 << 20)
#define NO_GOAL UINT64_MAX

/* Bytes the last incremental mark allocated black. They are floating
 * garbage in the next cycle: kept through it whether live or not, so the
 * heap a cycle starts from is marked + floating, not marked. The goal is
 * paced on traced bytes only (a fast allocator must not inflate its own
 * goal, as Go's heapMarked, which counts them, does), but the floating
 * bytes still take their room out of the runway to the hard goal: at
 * 256 MiB live, GC 100%, one mutator allocating ~790 MB/s, a cycle started
 * at ~444 MiB (256 marked + ~158 floating + what the sweep let through)
 * with 196 MiB left to the hard goal for ~158 MiB of its own allocation,
 * and assists covered every shortfall of the background workers (waits
 * 6-12% of run time). Widening the hard goal by them gives this cycle's
 * own allocation the runway the formula meant it to have. */
static _Atomic uint64_t floating;

void pacer_floating(uint64_t black)
{
	atomic_store(&floating, rt.cfg.mode == REFGC_MODE_INCREMENTAL ? black : 0);
}

/* Once per process: a limit the live heap does not fit in cannot be kept,
 * and without a word the program just runs cycle after cycle. */
static void warn_limit_below_live(uint64_t limit, uint64_t marked)
{
	static _Atomic int warned;

	if (atomic_exchange(&warned, 1))
		return;
	fprintf(stderr, "refgc: memory limit %" PRIu64 " MiB is below the live heap "
		"(%" PRIu64 " MiB marked, plus 1/8 headroom): the heap will exceed it and "
		"collections will run back to back (raise REFGC_MEMLIMIT)\n",
		limit >> 20, marked >> 20);
}

void pacer_update(uint64_t marked)
{
	const refgc_config *c = &rt.cfg;
	uint64_t goal = NO_GOAL, trigger, hard, floor, wide;

	if (c->gc_percent != REFGC_GCPERCENT_OFF) {
		goal = marked + marked / 100 * (uint64_t)c->gc_percent;
		if (goal < MIN_GOAL)
			goal = MIN_GOAL;
	}
	if (c->mem_limit != REFGC_MEMLIMIT_NONE) {
		/* Headroom for fragmentation in partly used spans. */
		uint64_t lim = c->mem_limit - c->mem_limit / 8;

		/* Never chase a goal below what is live: that would run
		 * back-to-back cycles and free nothing. */
		floor = marked + marked / 16 + ((uint64_t)1 << 20);
		if (lim < floor) {
			warn_limit_below_live(c->mem_limit, marked);
			lim = floor;
		}
		if (lim < goal)
			goal = lim;
	}
	if (goal == NO_GOAL) {
		trigger = hard = NO_GOAL;
	} else if (c->mode == REFGC_MODE_INCREMENTAL) {
		trigger = goal > marked ? pacer_trigger_point(marked, goal) : goal;
		hard = goal + (goal - marked) / 2;
		/* At most by half the runway the GC percent gives (goal -
		 * marked), so a low GC percent keeps its small heap
		 * (memory-constrained, GC 20%, 32 MiB live: peak 47-55 MiB
		 * unwidened, 52-62 widened by all of it, 52-59 by up to the
		 * runway, against balanced's 65 and its check's bound 58.5);
		 * under a memory limit the widening stops at the limit. */
		uint64_t fl = atomic_load(&floating);

		if (fl > (goal - marked) / 2)
			fl = (goal - marked) / 2;
		wide = hard + fl;
		if (c->mem_limit != REFGC_MEMLIMIT_NONE && wide > c->mem_limit)
			wide = c->mem_limit > hard ? c->mem_limit : hard;
		hard = wide;
	} else {
		trigger = goal;
		hard = goal + (goal - marked) / 2;
	}
	atomic_store(&rt.heap_goal, goal);
	atomic_store(&rt.trigger, trigger);
	atomic_store(&rt.hard_goal, hard);
}

bool pacer_should_trigger(uint64_t live)
{
	return live >= atomic_load_explicit(&rt.trigger, memory_order_relaxed);
}

long pacer_assist_slots(uint64_t bytes, uint64_t live)
{
	uint64_t hard = atomic_load_explicit(&rt.hard_goal, memory_order_relaxed);
	uint64_t expect = atomic_load_explicit(&rt.last_scanned, memory_order_relaxed);
	uint64_t done = atomic_load_explicit(&rt.cycle_scanned, memory_order_relaxed);
	uint64_t left, room;

	if (hard == NO_GOAL)
		return 0;
	if (!expect) /* first cycle: one slot per 8 marked bytes */
		expect = atomic_load_explicit(&rt.heap_marked, memory_order_relaxed) / 8;
	left = expect > done ? expect - done : 0;
	room = hard > live ? hard - live : 0;
	if (room < ((uint64_t)1 << 20))
		room = (uint64_t)1 << 20;
	/* bytes * left / room without overflow: both below 2^40 in practice */
	return (long)((double)bytes * (double)left / (double)room);
}

bool pacer_over_hard(uint64_t live)
{
	return live >= atomic_load_explicit(&rt.hard_goal, memory_order_relaxed);
}

int refgc_set_gc_percent(int pct)
{
	refgc_config c = rt.cfg;
	int err;

	c.gc_percent = pct;
	if ((err = refgc_config_validate(&c)))
		return err;
	rt.cfg.gc_percent = pct;
	pacer_update(atomic_load(&rt.heap_marked));
	return 0;
}

int refgc_set_mem_limit(uint64_t bytes)
{
	refgc_config c = rt.cfg;
	int err;

	c.mem_limit = bytes;
	if ((err = refgc_config_validate(&c)))
		return err;
	rt.cfg.mem_limit = bytes;
	pacer_update(atomic_load(&rt.heap_marked));
	return 0;
}
