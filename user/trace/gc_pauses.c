// SPDX-License-Identifier: MIT
/*
 * GC events into cycles, heap samples and pauses: a begin waits in open[]
 * (by runtime, thread, cycle and phase) for its end; Go's stop-the-world
 * pauses are paired by the state machine in go_state (see gc.c's comment).
 */
#include <stdlib.h>
#include <string.h>

#include "gc_state.h"
#include "gc_stats.h"
#include "grow.h"
#include "log.h"

static struct gc_cycle *find_cycle(struct gc_tracer *t, unsigned rt, uint64_t id)
{
	for (size_t i = t->ncycles; i-- > 0;) {
		if (t->cycles[i].runtime == rt && t->cycles[i].id == id)
			return &t->cycles[i];
		if (t->ncycles - i > 64)
			break;
	}
	return NULL;
}

static struct gc_cycle *new_cycle(struct gc_tracer *t, unsigned rt, uint64_t id, uint64_t start)
{
	struct gc_cycle *c;

	if (grow((void **)&t->cycles, &t->cycles_cap, t->ncycles, sizeof(*t->cycles), 256))
		return NULL;
	c = &t->cycles[t->ncycles++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->runtime = rt;
	c->start_ns = start;
	return c;
}

static void add_heap(struct gc_tracer *t, uint64_t ts, uint64_t bytes)
{
	if (grow((void **)&t->heap, &t->heap_cap, t->nheap, sizeof(*t->heap), 256))
		return;
	t->heap[t->nheap++] = (struct gc_heap_sample){ ts, bytes };
}

static void add_pause(struct gc_tracer *t, unsigned rt, uint64_t cycle, uint32_t phase, uint64_t start,
		      uint64_t end)
{
	struct gc_cycle *c = find_cycle(t, rt, cycle);

	if (end < start)
		end = start;
	if (!c)
		c = new_cycle(t, rt, cycle, start);
	if (c) {
		c->npauses++;
		c->pause_ns += end - start;
	}
	if (grow((void **)&t->pauses, &t->pauses_cap, t->npauses, sizeof(*t->pauses), 256))
		return;
	t->pauses[t->npauses++] = (struct gc_pause){
		.cycle = cycle, .phase = phase, .runtime = rt, .start_ns = start, .duration_ns = end - start
	};
}

static struct open_pause *open_find(struct gc_tracer *t, unsigned rt, uint32_t tid, uint64_t cycle,
				    uint32_t phase, bool by_tid)
{
	for (int i = 0; i < GC_MAX_OPEN; i++) {
		struct open_pause *o = &t->open[i];

		if (o->used && o->runtime == rt &&
		    (by_tid ? o->tid == tid : (o->cycle == cycle && o->phase == phase)))
			return o;
	}
	return NULL;
}

static void open_add(struct gc_tracer *t, unsigned rt, uint32_t tid, uint64_t cycle, uint32_t phase,
		     uint64_t ts)
{
	struct open_pause *slot = NULL;

	for (int i = 0; i < GC_MAX_OPEN && !slot; i++) {
		if (!t->open[i].used)
			slot = &t->open[i];
	}
	if (!slot) {
		/* Ends that never came: reuse the oldest. */
		slot = &t->open[0];
		for (int i = 1; i < GC_MAX_OPEN; i++) {
			if (t->open[i].ts < slot->ts)
				slot = &t->open[i];
		}
	}
	*slot = (struct open_pause){ true, tid, rt, phase, cycle, ts };
}

/*
 * A memory manager began or ended a collection.  A begin inside an open
 * pause marks it as a manager's (G1's young and full pauses, Parallel's,
 * Serial's; G1's remark and cleanup have none: they belong to the
 * concurrent mark's GC id).  ZGC's "ZGC Cycles" manager brackets a cycle:
 * HotSpot counts a ZGC cycle (GC(N) in -Xlog:gc) with its three pauses
 * (mark start, mark end, relocate start), each a gc__begin/gc__end pair.
 */
static void hotspot_pool_event(struct gc_tracer *t, const struct gc_event *e)
{
	static const char zgc[8] = { 'Z', 'G', 'C', ' ', 'C', 'y', 'c', 'l' };
	struct gc_cycle *c;
	struct open_pause *o = open_find(t, GC_RT_HOTSPOT, e->tid, 0, 0, true);

	if (o && e->kind == GCP_HOTSPOT_POOL_BEGIN)
		o->cycle = 1;
	if (memcmp(&e->args[2], zgc, sizeof(zgc)))
		return;
	/* One event per memory pool: the first begin opens the cycle and the
	 * first end closes it. */
	if (e->kind == GCP_HOTSPOT_POOL_BEGIN) {
		if (t->zgc_cycle)
			return;
		t->hotspot_cycles++;
		new_cycle(t, GC_RT_HOTSPOT, t->hotspot_cycles, e->ts_ns);
		t->zgc_cycle = true;
		return;
	}
	c = t->zgc_cycle ? find_cycle(t, GC_RT_HOTSPOT, t->hotspot_cycles) : NULL;
	if (c)
		c->end_ns = e->ts_ns;
	t->zgc_cycle = false;
}

/* ---- events --------------------------------------------------------- */

void go_finish_stw(struct gc_tracer *t)
{
	struct go_state *g = &t->go;
	uint64_t end;

	if (!g->stw)
		return;
	if (g->saw_markterm && g->markterm_now)
		end = g->markterm_now;
	else if (g->end_now)
		end = g->end_now;
	else
		end = g->end_entry;
	g->stw = 0;
	if (!end || end < g->stw_begin)
		return; /* the world never restarted in what we saw */
	switch (g->phase) {
	case GC_PH_SWEEP_TERM: {
		struct gc_cycle *c;

		g->ncycles++;
		c = new_cycle(t, GC_RT_GO, g->ncycles, g->cycle_pending ? g->pending_ts : g->stw_begin);
		(void)c;
		g->cycle_pending = false;
		g->cycle_active = true;
		g->markdone_seen = false;
		add_pause(t, GC_RT_GO, g->ncycles, GC_PH_SWEEP_TERM, g->stw_begin, end);
		break;
	}
	case GC_PH_MARK_TERM: {
		struct gc_cycle *c;

		if (!g->ncycles) {
			/* Attached mid-cycle: its first pause was missed. */
			g->ncycles++;
			new_cycle(t, GC_RT_GO, g->ncycles, g->stw_begin);
		}
		add_pause(t, GC_RT_GO, g->ncycles, GC_PH_MARK_TERM, g->stw_begin, end);
		g->markdone_seen = false;
		if (g->saw_markterm) {
			c = find_cycle(t, GC_RT_GO, g->ncycles);
			if (c)
				c->end_ns = end;
			g->cycle_active = false;
		}
		break;
	}
	default:
		t->other_stw++;
		t->other_stw_ns += end - g->stw_begin;
	}
}

static void go_event(struct gc_tracer *t, const struct gc_event *e)
{
	struct go_state *g = &t->go;

	switch (e->kind) {
	case GCP_GO_CYCLE_START:
		g->cycle_pending = true;
		g->pending_ts = e->ts_ns;
		break;
	case GCP_GO_MARK_DONE:
		if (g->cycle_active)
			g->markdone_seen = true;
		break;
	case GCP_GO_STW_BEGIN:
		go_finish_stw(t);
		g->stw = 1;
		g->stw_begin = e->ts_ns;
		g->reason = e->args[0];
		g->saw_markterm = false;
		g->markterm_now = g->end_entry = g->end_now = 0;
		if (g->reason_abi)
			/* stwReason: 1 GC mark termination, 2 GC sweep termination */
			g->phase = g->reason == 2 ? GC_PH_SWEEP_TERM : g->reason == 1 ? GC_PH_MARK_TERM : -1;
		else if (g->cycle_pending)
			g->phase = GC_PH_SWEEP_TERM;
		else if (g->cycle_active && g->markdone_seen)
			g->phase = GC_PH_MARK_TERM;
		else
			g->phase = -1;
		break;
	case GCP_GO_MARK_TERM:
		if (g->stw == 1) {
			g->saw_markterm = true;
			g->phase = GC_PH_MARK_TERM;
		}
		break;
	case GCP_GO_RESET_LIVE: {
		/* Mark termination hands the pacer the bytes marked: the heap
		 * live after this cycle, in the timeline's heap panel. */
		struct gc_cycle *c = g->ncycles ? find_cycle(t, GC_RT_GO, g->ncycles) : NULL;

		if (c) {
			c->has_heap = true;
			c->heap_after = e->args[1];
		}
		add_heap(t, e->ts_ns, e->args[1]);
		break;
	}
	case GCP_GO_MARK_TERM_NOW:
		if (g->stw == 1 && g->saw_markterm)
			g->markterm_now = e->ts_ns;
		break;
	case GCP_GO_STW_END_ENTRY:
		if (g->stw == 1) {
			g->stw = 2;
			g->end_entry = e->ts_ns;
		}
		break;
	case GCP_GO_STW_END_NOW:
		if (g->stw == 2) {
			g->end_now = e->ts_ns;
			go_finish_stw(t);
		}
		break;
	}
}

static void handle_event(struct gc_tracer *t, const struct gc_event *e)
{
	struct open_pause *o;
	struct gc_cycle *c;

	switch (e->kind) {
	case GCP_REFGC_GC_START:
		c = find_cycle(t, GC_RT_REFGC, e->args[0]);
		if (!c)
			c = new_cycle(t, GC_RT_REFGC, e->args[0], e->ts_ns);
		if (c) {
			c->start_ns = e->ts_ns;
			c->has_heap = true;
			c->heap_before = e->args[1];
			c->heap_goal = e->args[2];
		}
		add_heap(t, e->ts_ns, e->args[1]);
		break;
	case GCP_REFGC_GC_DONE:
		c = find_cycle(t, GC_RT_REFGC, e->args[0]);
		if (!c)
			c = new_cycle(t, GC_RT_REFGC, e->args[0], e->ts_ns);
		if (c) {
			c->end_ns = e->ts_ns;
			c->has_heap = true;
			c->heap_after = e->args[1];
			c->freed = e->args[2];
		}
		add_heap(t, e->ts_ns, e->args[1]);
		break;
	case GCP_REFGC_PAUSE_START:
		open_add(t, GC_RT_REFGC, e->tid, e->args[0], (uint32_t)e->args[1], e->ts_ns);
		break;
	case GCP_REFGC_PAUSE_DONE:
		o = open_find(t, GC_RT_REFGC, e->tid, e->args[0], (uint32_t)e->args[1], false);
		if (o) {
			uint32_t ph = o->phase <= GC_PH_MARK_TERM ? o->phase : GC_PH_STW;

			add_pause(t, GC_RT_REFGC, o->cycle, ph, o->ts, e->ts_ns);
			o->used = false;
		}
		break;
	case GCP_REFGC_ASSIST_START:
	case GCP_REFGC_ASSIST_DONE:
	case GCP_REFGC_STALL_START:
	case GCP_REFGC_STALL_DONE:
		gc_wait_event(t, e);
		break;
	case GCP_HOTSPOT_GC_BEGIN:
		open_add(t, GC_RT_HOTSPOT, e->tid, 0, (e->args[0] & 0xff) ? GC_PH_FULL : GC_PH_YOUNG, e->ts_ns);
		break;
	case GCP_HOTSPOT_GC_END:
		o = open_find(t, GC_RT_HOTSPOT, e->tid, 0, 0, true);
		if (o && t->zgc_cycle) {
			add_pause(t, GC_RT_HOTSPOT, t->hotspot_cycles, o->phase, o->ts, e->ts_ns);
			o->used = false;
		} else if (o) {
			/* o->cycle: a memory manager saw the pause (hotspot_pool_event). */
			bool concurrent = t->hotspot_pools && !o->cycle;
			uint64_t id;

			c = concurrent && t->hotspot_conc_cycle ? find_cycle(t, GC_RT_HOTSPOT, t->hotspot_conc_cycle)
								: NULL;
			if (c) {
				/* The concurrent cycle's second pause (cleanup) ends it. */
				id = c->id;
				t->hotspot_conc_cycle = 0;
				t->hotspot_conc_aborted = false;
			} else {
				id = ++t->hotspot_cycles;
				new_cycle(t, GC_RT_HOTSPOT, id, o->ts);
				if (concurrent)
					t->hotspot_conc_cycle = id;
			}
			/* A full collection aborts G1's concurrent mark: a remark
			 * whose cleanup never comes must not take the next cycle's
			 * remark (-Xlog:gc: GC(64) Pause Remark, GC(75) Pause
			 * Full, no GC(64) Pause Cleanup).  A cleanup already queued
			 * still comes, before any young pause; the next cycle
			 * starts with one (Pause Young (Concurrent Start)). */
			if (!concurrent && o->phase == GC_PH_FULL && t->hotspot_conc_cycle) {
				t->hotspot_conc_aborted = true;
			} else if (!concurrent && t->hotspot_conc_aborted) {
				t->hotspot_conc_cycle = 0;
				t->hotspot_conc_aborted = false;
			}
			add_pause(t, GC_RT_HOTSPOT, id, o->phase, o->ts, e->ts_ns);
			c = find_cycle(t, GC_RT_HOTSPOT, id);
			if (c)
				c->end_ns = e->ts_ns;
			o->used = false;
		}
		break;
	case GCP_HOTSPOT_POOL_BEGIN:
	case GCP_HOTSPOT_POOL_END:
		hotspot_pool_event(t, e);
		break;
	case GCP_PY_GC_START:
		open_add(t, GC_RT_CPYTHON, e->tid, 0, GC_PH_GEN0 + (uint32_t)((int32_t)e->args[0] > 2 ? 2 :
							(int32_t)e->args[0] < 0 ? 0 : (int32_t)e->args[0]), e->ts_ns);
		break;
	case GCP_PY_GC_DONE:
		o = open_find(t, GC_RT_CPYTHON, e->tid, 0, 0, true);
		if (o) {
			t->py_cycles++;
			new_cycle(t, GC_RT_CPYTHON, t->py_cycles, o->ts);
			add_pause(t, GC_RT_CPYTHON, t->py_cycles, o->phase, o->ts, e->ts_ns);
			c = find_cycle(t, GC_RT_CPYTHON, t->py_cycles);
			if (c)
				c->end_ns = e->ts_ns;
			o->used = false;
		}
		break;
	default:
		if (e->kind >= GCP_GO_STW_BEGIN && e->kind <= GCP_GO_RESET_LIVE)
			go_event(t, e);
	}
}

int on_ring_event(void *ctx, void *data, size_t len)
{
	struct gc_tracer *t = ctx;
	const struct gc_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (t->pid && e->pid != (uint32_t)t->pid)
		return 0;
	log_debug(t->verbose, 3, "gc event %u tid %u at %llu args %llu %llu %llu", e->kind, e->tid,
		  (unsigned long long)e->ts_ns, (unsigned long long)e->args[0], (unsigned long long)e->args[1],
		  (unsigned long long)e->args[2]);
	handle_event(t, e);
	return 0;
}
