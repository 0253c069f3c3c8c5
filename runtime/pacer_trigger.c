/* The feedback trigger (incremental mode), after Go 1.5's pacer: the
 * trigger is a fraction f of the runway from `marked` to the goal, and
 * after every cycle f moves by half of the error
 *     e = (1 - f) - (g - f) / (1 - a)
 * where g is where the heap got at mark end (as a fraction of the runway)
 * and a the share of the cycle's marking that mutators did (assists and
 * stalls). 1 / (1 - a) is Go's u_a / u_g: the marking used that much more
 * of the machine than the background workers' share. In the steady state
 * e = 0: with no assists, marking ends just as the heap reaches the goal;
 * a background marker that needed help starts earlier next time, one that
 * finished with room to spare starts later (a smaller heap between
 * cycles, fewer cycles). f stays within [MIN_PM, MAX_PM] per mille.
 * Cycles that did not start at the trigger say nothing about it and are
 * ignored: those started below it (refgc_collect, an allocation that found
 * no memory) and those started at or past the goal (the goal moved under
 * the heap: refgc_set_gc_percent, the first goal after the live set was
 * built with the collector off, a cycle held back by the GC CPU cap). */
#include "internal.h"

#define MIN_PM 50
#define MAX_PM 950
#define START_PM 700 /* the old fixed trigger */

static _Atomic uint32_t frac_pm = START_PM;
static _Atomic uint64_t start_live;

void pacer_trigger_cycle_start(uint64_t live)
{
	atomic_store(&start_live, live);
}

void pacer_trigger_feedback(uint64_t marked, uint64_t live_end,
			    uint64_t scanned, uint64_t assisted)
{
	uint64_t goal = atomic_load(&rt.heap_goal), trigger = atomic_load(&rt.trigger);
	double runway, f, g, a, e;
	long pm;

	if (rt.cfg.mode != REFGC_MODE_INCREMENTAL || goal == UINT64_MAX ||
	    goal <= marked || trigger < marked || atomic_load(&start_live) < trigger ||
	    atomic_load(&start_live) >= goal)
		return;
	runway = (double)(goal - marked);
	f = (double)(trigger - marked) / runway;
	g = live_end > marked ? (double)(live_end - marked) / runway : 0;
	a = scanned ? (double)assisted / (double)scanned : 0;
	if (a > 0.9) /* 10x the background share: as far as the formula goes */
		a = 0.9;
	e = (1 - f) - (g - f) / (1 - a);
	pm = (long)(1000 * (f + e / 2));
	if (pm < MIN_PM)
		pm = MIN_PM;
	if (pm > MAX_PM)
		pm = MAX_PM;
	atomic_store(&frac_pm, (uint32_t)pm);
}

uint64_t pacer_trigger_point(uint64_t marked, uint64_t goal)
{
	return marked + (goal - marked) / 1000 * atomic_load(&frac_pm);
}

uint32_t pacer_trigger_pm(void)
{
	return rt.cfg.mode == REFGC_MODE_INCREMENTAL ? atomic_load(&frac_pm) : 1000;
}
