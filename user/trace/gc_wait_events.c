// SPDX-License-Identifier: MIT
/*
 * refgc's mutator waits: assist__start/assist__done and
 * stall__start/stall__done on one thread become one struct gc_wait, timed
 * by the probes' own timestamps (the clock of the pauses beside them).  A
 * thread makes one wait of a kind at a time, so a start waits for the next
 * end of its kind on its thread.
 */
#include <string.h>

#include "gc_state.h"
#include "grow.h"

static struct open_wait *find_open(struct gc_tracer *t, uint32_t tid, uint32_t kind)
{
	for (int i = 0; i < GC_MAX_OPEN_WAITS; i++) {
		struct open_wait *o = &t->open_waits[i];

		if (o->used && o->tid == tid && o->kind == kind)
			return o;
	}
	return NULL;
}

static void open_wait(struct gc_tracer *t, uint32_t tid, uint32_t kind, uint64_t cycle, uint64_t ts)
{
	struct open_wait *slot = find_open(t, tid, kind);

	if (slot) {
		t->waits_unpaired++; /* its end never came */
	} else {
		for (int i = 0; i < GC_MAX_OPEN_WAITS && !slot; i++) {
			if (!t->open_waits[i].used)
				slot = &t->open_waits[i];
		}
	}
	if (!slot) {
		/* More threads waiting than slots: drop the oldest, counted. */
		slot = &t->open_waits[0];
		for (int i = 1; i < GC_MAX_OPEN_WAITS; i++) {
			if (t->open_waits[i].ts < slot->ts)
				slot = &t->open_waits[i];
		}
		t->waits_unpaired++;
	}
	*slot = (struct open_wait){ true, tid, kind, cycle, ts };
}

static void close_wait(struct gc_tracer *t, uint32_t tid, uint32_t kind, uint64_t ts)
{
	struct open_wait *o = find_open(t, tid, kind);

	if (!o) {
		t->waits_unpaired++; /* begun before the trace */
		return;
	}
	o->used = false;
	if (grow((void **)&t->waits, &t->waits_cap, t->nwaits, sizeof(*t->waits), 1024)) {
		t->waits_unpaired++;
		return;
	}
	t->waits[t->nwaits++] = (struct gc_wait){ .cycle = o->cycle,
						  .kind = kind,
						  .tid = tid,
						  .start_ns = o->ts,
						  .duration_ns = ts > o->ts ? ts - o->ts : 0 };
}

void gc_wait_event(struct gc_tracer *t, const struct gc_event *e)
{
	switch (e->kind) {
	case GCP_REFGC_ASSIST_START:
		open_wait(t, e->tid, GC_WAIT_ASSIST, e->args[0], e->ts_ns);
		break;
	case GCP_REFGC_STALL_START:
		open_wait(t, e->tid, GC_WAIT_STALL, e->args[0], e->ts_ns);
		break;
	case GCP_REFGC_ASSIST_DONE:
		close_wait(t, e->tid, GC_WAIT_ASSIST, e->ts_ns);
		break;
	case GCP_REFGC_STALL_DONE:
		close_wait(t, e->tid, GC_WAIT_STALL, e->ts_ns);
		break;
	}
}
