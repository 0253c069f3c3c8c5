// SPDX-License-Identifier: MIT
/*
 * gc_pauses: HotSpot G1's cycles from the order of its USDT events, as the
 * ring hands them over.  The sequences are those of `java -XX:+UseG1GC
 * -Xmx64m -Xlog:gc tools/GcJava.java`, where a full collection aborts a
 * concurrent mark after its remark (GC(64) Pause Remark, GC(75) Pause Full,
 * no GC(64) Pause Cleanup).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gc_state.h"

static uint64_t now = 1000;

static void event(struct gc_tracer *t, uint32_t kind, uint64_t arg0, const char *manager)
{
	struct gc_event e = { .ts_ns = now += 1000, .kind = kind, .tid = 7, .pid = 42, .nargs = 3 };

	e.args[0] = arg0;
	if (manager)
		memcpy(&e.args[2], manager, 8);
	cr_assert_eq(on_ring_event(t, &e, sizeof(e)), 0);
}

/* A pause a memory manager saw (young or full), or one it did not
 * (G1's remark and cleanup). */
static void hs_pause(struct gc_tracer *t, bool full, bool managed)
{
	const char *mgr = full ? "G1 Old Generation" : "G1 Young Generation";

	event(t, GCP_HOTSPOT_GC_BEGIN, full, NULL);
	if (managed) {
		event(t, GCP_HOTSPOT_POOL_BEGIN, 0, mgr);
		event(t, GCP_HOTSPOT_POOL_BEGIN, 0, mgr);
		event(t, GCP_HOTSPOT_POOL_END, 0, mgr);
		event(t, GCP_HOTSPOT_POOL_END, 0, mgr);
	}
	event(t, GCP_HOTSPOT_GC_END, 0, NULL);
}

static struct gc_tracer *g1(void)
{
	struct gc_tracer *t = calloc(1, sizeof(*t));

	cr_assert_not_null(t);
	t->pid = 42;
	t->hotspot_pools = true;
	return t;
}

static void drop(struct gc_tracer *t)
{
	free(t->pauses);
	free(t->cycles);
	free(t->heap);
	free(t);
}

Test(gc_pauses, g1_remark_and_cleanup_are_one_cycle)
{
	struct gc_tracer *t = g1();

	hs_pause(t, false, true);  /* GC(0) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(1) Pause Remark */
	hs_pause(t, false, true);  /* GC(2) Pause Young: during the rebuild */
	hs_pause(t, false, false); /* GC(1) Pause Cleanup */
	cr_assert_eq(t->npauses, 4);
	cr_assert_eq(t->ncycles, 3);
	cr_assert_eq(t->cycles[1].npauses, 2, "remark and cleanup share GC(1)");
	drop(t);
}

Test(gc_pauses, g1_full_gc_aborts_the_concurrent_mark)
{
	struct gc_tracer *t = g1();

	hs_pause(t, false, true);  /* GC(63) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(64) Pause Remark */
	hs_pause(t, true, true);   /* GC(75) Pause Full: GC(64) never cleans up */
	hs_pause(t, false, true);  /* GC(77) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(78) Pause Remark */
	hs_pause(t, false, false); /* GC(78) Pause Cleanup */
	hs_pause(t, false, true);  /* GC(393) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(394) Pause Remark */
	hs_pause(t, true, true);   /* GC(411) Pause Full */
	hs_pause(t, false, true);  /* GC(413) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(414) Pause Remark */
	hs_pause(t, false, false); /* GC(414) Pause Cleanup */
	cr_assert_eq(t->npauses, 12);
	/* GC ids with a pause: 63, 64, 75, 77, 78, 393, 394, 411, 413, 414. */
	cr_assert_eq(t->ncycles, 10, "cycles: %zu", t->ncycles);
	cr_assert_eq(t->cycles[1].npauses, 1, "GC(64): its remark only");
	cr_assert_eq(t->cycles[4].npauses, 2, "GC(78): remark and cleanup");
	cr_assert_eq(t->cycles[9].npauses, 2, "GC(414): remark and cleanup");
	drop(t);
}

Test(gc_pauses, g1_cleanup_queued_before_the_full_gc_still_counts)
{
	struct gc_tracer *t = g1();

	hs_pause(t, false, true);  /* GC(10) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(11) Pause Remark */
	hs_pause(t, true, true);   /* GC(12) Pause Full */
	hs_pause(t, false, false); /* GC(11) Pause Cleanup, queued before the full GC */
	hs_pause(t, false, true);  /* GC(13) Pause Young (Concurrent Start) */
	hs_pause(t, false, false); /* GC(14) Pause Remark */
	hs_pause(t, false, false); /* GC(14) Pause Cleanup */
	cr_assert_eq(t->ncycles, 5, "cycles: %zu", t->ncycles);
	cr_assert_eq(t->cycles[1].npauses, 2, "GC(11): remark and its late cleanup");
	cr_assert_eq(t->cycles[4].npauses, 2, "GC(14): remark and cleanup");
	drop(t);
}
