// SPDX-License-Identifier: MIT
/* record_gc: mutator waits survive a recording; a GC record without them
 * (an older recording) still reads. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_stats.h"
#include "record_gc.h"

#define MS 1000000ULL

static struct gc_data *data(size_t nwaits)
{
	struct gc_data *d = calloc(1, sizeof(*d));

	d->runtimes = GC_RT_REFGC;
	d->runtime = "refgc";
	d->end_ns = 1000 * MS;
	d->cycles = calloc(1, sizeof(*d->cycles));
	d->cycles[0] = (struct gc_cycle){ .id = 3, .runtime = GC_RT_REFGC, .start_ns = 10 * MS, .end_ns = 800 * MS };
	d->ncycles = 1;
	d->pauses = calloc(1, sizeof(*d->pauses));
	d->pauses[0] = (struct gc_pause){ .cycle = 3, .runtime = GC_RT_REFGC, .start_ns = 20 * MS, .duration_ns = MS };
	d->npauses = 1;
	d->heap = calloc(1, sizeof(*d->heap));
	d->waits = calloc(2, sizeof(*d->waits));
	d->waits[0] = (struct gc_wait){ 3, GC_WAIT_ASSIST, 41, 100 * MS, 2 * MS };
	d->waits[1] = (struct gc_wait){ 3, GC_WAIT_STALL, 42, 300 * MS, 40 * MS };
	d->nwaits = nwaits;
	d->waits_unpaired = nwaits ? 1 : 0;
	gc_summarize(d);
	return d;
}

Test(record_gc_waits, round_trip)
{
	struct gc_data *d = data(2), *back = NULL;
	uint8_t *buf;
	size_t len;

	cr_assert_eq(record_gc_encode(d, &buf, &len), 0);
	cr_assert_eq(record_gc_decode(buf, len, &back), 0);
	cr_assert_eq(back->nwaits, 2);
	cr_assert_eq(memcmp(back->waits, d->waits, 2 * sizeof(*d->waits)), 0);
	cr_assert_eq(back->waits_unpaired, 1);
	cr_assert_eq(back->sum.stall_ns, 40 * MS);
	cr_assert_eq(back->cycles[0].nassists, 1);
	cr_assert_eq(back->cycles[0].stall_ns, 40 * MS);
	cr_assert_float_eq(back->sum.mmu_100ms, d->sum.mmu_100ms, 1e-12);
	cr_assert_float_eq(back->sum.mmu_pauses_100ms, d->sum.mmu_pauses_100ms, 1e-12);
	free(buf);
	gc_data_free(back);
	gc_data_free(d);
}

Test(record_gc_waits, no_waits_writes_the_old_layout)
{
	struct gc_data *d = data(0), *with = data(2), *back = NULL;
	uint8_t *a, *b;
	size_t alen, blen;

	cr_assert_eq(record_gc_encode(d, &a, &alen), 0);
	cr_assert_eq(record_gc_encode(with, &b, &blen), 0);
	/* The waits are a tail: 8 bytes unpaired, 8 of table head, 32 a wait. */
	cr_assert_eq(blen, alen + 8 + 8 + 2 * 32);
	cr_assert_eq(record_gc_decode(a, alen, &back), 0);
	cr_assert_eq(back->nwaits, 0);
	cr_assert_eq(back->sum.assists, 0);
	free(a);
	free(b);
	gc_data_free(back);
	gc_data_free(with);
	gc_data_free(d);
}
