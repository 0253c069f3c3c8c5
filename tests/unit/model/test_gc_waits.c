// SPDX-License-Identifier: MIT
/* gc_waits: mutator waits in the GC summary, per cycle and in the MMU. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_stats.h"
#include "gc_waits.h"

#define MS 1000000ULL

static struct gc_data *data(void)
{
	struct gc_data *d = calloc(1, sizeof(*d));

	d->runtimes = GC_RT_REFGC;
	d->start_ns = 0;
	d->end_ns = 1000 * MS;
	d->cycles = calloc(2, sizeof(*d->cycles));
	d->cycles[0] = (struct gc_cycle){ .id = 7, .runtime = GC_RT_REFGC, .start_ns = 0, .end_ns = 400 * MS };
	d->cycles[1] = (struct gc_cycle){ .id = 8, .runtime = GC_RT_REFGC, .start_ns = 500 * MS, .end_ns = 900 * MS };
	d->ncycles = 2;
	d->pauses = calloc(1, sizeof(*d->pauses));
	d->pauses[0] = (struct gc_pause){ .cycle = 7, .runtime = GC_RT_REFGC, .start_ns = 100 * MS, .duration_ns = 1 * MS };
	d->npauses = 1;
	d->waits = calloc(4, sizeof(*d->waits));
	/* cycle 7: an assist of 2 ms and a stall of 50 ms; cycle 8: an
	 * assist of 3 ms; cycle 99 is not in the trace. */
	d->waits[0] = (struct gc_wait){ 7, GC_WAIT_ASSIST, 11, 200 * MS, 2 * MS };
	d->waits[1] = (struct gc_wait){ 7, GC_WAIT_STALL, 12, 300 * MS, 50 * MS };
	d->waits[2] = (struct gc_wait){ 8, GC_WAIT_ASSIST, 11, 600 * MS, 3 * MS };
	d->waits[3] = (struct gc_wait){ 99, GC_WAIT_ASSIST, 13, 950 * MS, 1 * MS };
	d->nwaits = 4;
	return d;
}

Test(gc_waits, totals_and_maxima)
{
	struct gc_data *d = data();

	gc_summarize(d);
	cr_assert_eq(d->sum.assists, 3);
	cr_assert_eq(d->sum.assist_ns, 6 * MS);
	cr_assert_eq(d->sum.max_assist, 3 * MS);
	cr_assert_eq(d->sum.stalls, 1);
	cr_assert_eq(d->sum.stall_ns, 50 * MS);
	cr_assert_eq(d->sum.max_stall, 50 * MS);
	gc_data_free(d);
}

Test(gc_waits, each_wait_counts_in_its_cycle)
{
	struct gc_data *d = data();

	gc_summarize(d);
	cr_assert_eq(d->cycles[0].nassists, 1);
	cr_assert_eq(d->cycles[0].assist_ns, 2 * MS);
	cr_assert_eq(d->cycles[0].nstalls, 1);
	cr_assert_eq(d->cycles[0].stall_ns, 50 * MS);
	cr_assert_eq(d->cycles[1].nassists, 1);
	cr_assert_eq(d->cycles[1].assist_ns, 3 * MS);
	cr_assert_eq(d->cycles[1].nstalls, 0);
	gc_data_free(d);
}

Test(gc_waits, mmu_counts_waits_and_keeps_pauses_alone)
{
	struct gc_data *d = data();

	gc_summarize(d);
	/* Pauses alone: 1 ms in any 100 ms window at most. */
	cr_assert_float_eq(d->sum.mmu_pauses_100ms, 0.99, 1e-9);
	/* With the 50 ms stall: half of the worst 100 ms window is lost. */
	cr_assert_float_eq(d->sum.mmu_100ms, 0.5, 1e-9);
	cr_assert_float_eq(d->sum.mmu_10ms, 0.0, 1e-9);
	gc_data_free(d);
}

Test(gc_waits, overlapping_waits_count_once)
{
	struct gc_data *d = data();

	/* A second thread stalls inside the first's stall: the union is still 50 ms. */
	d->waits[2] = (struct gc_wait){ 7, GC_WAIT_STALL, 11, 310 * MS, 20 * MS };
	gc_summarize(d);
	cr_assert_float_eq(d->sum.mmu_100ms, 0.5, 1e-9);
	cr_assert_eq(d->sum.stall_ns, 70 * MS);
	gc_data_free(d);
}

Test(gc_waits, without_waits_nothing_changes)
{
	struct gc_data *d = data();

	d->nwaits = 0;
	gc_summarize(d);
	cr_assert_eq(d->sum.assists + d->sum.stalls, 0);
	cr_assert_float_eq(d->sum.mmu_100ms, 0.99, 1e-9);
	cr_assert_eq(d->cycles[0].nassists, 0);
	gc_data_free(d);
}

Test(gc_waits, names)
{
	cr_assert_str_eq(gc_wait_name(GC_WAIT_ASSIST), "assist");
	cr_assert_str_eq(gc_wait_name(GC_WAIT_STALL), "stall");
	cr_assert_str_eq(gc_wait_name(0), "?");
}
