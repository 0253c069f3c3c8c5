// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "gc_data.h"
#include "gc_report.h"
#include "gc_waits.h"
#include "record_gc.h"

/* Layout: u32 runtimes, u32 reserved, u64 start_ns, end_ns, other_stw,
 * other_stw_ns, lost_events; the summary (u64 cycles, pauses, p50, p90,
 * p99, max, total; f64 mmu 1/10/100 ms, pause_fraction, gc_cpu_fraction);
 * then three tables, each u32 count + u32 record size + records; then,
 * where the runtime reported mutator waits, u64 waits_unpaired and a
 * fourth table (absent in older recordings). */
#define HEAD_LEN (8 + 5 * 8 + 7 * 8 + 5 * 8)
#define PAUSE_LEN 32
#define CYCLE_LEN 80
#define HEAP_LEN 16
#define WAIT_LEN 32

int record_gc_encode(const struct gc_data *d, uint8_t **out, size_t *len)
{
	const struct gc_summary *s = &d->sum;
	struct wbuf w = { 0 };

	wb_u32(&w, d->runtimes);
	wb_u32(&w, 0);
	wb_u64(&w, d->start_ns);
	wb_u64(&w, d->end_ns);
	wb_u64(&w, d->other_stw);
	wb_u64(&w, d->other_stw_ns);
	wb_u64(&w, d->lost_events);
	wb_u64(&w, s->cycles);
	wb_u64(&w, s->pauses);
	wb_u64(&w, s->p50);
	wb_u64(&w, s->p90);
	wb_u64(&w, s->p99);
	wb_u64(&w, s->max);
	wb_u64(&w, s->total);
	wb_f64(&w, s->mmu_1ms);
	wb_f64(&w, s->mmu_10ms);
	wb_f64(&w, s->mmu_100ms);
	wb_f64(&w, s->pause_fraction);
	wb_f64(&w, s->gc_cpu_fraction);
	wb_u32(&w, (uint32_t)d->npauses);
	wb_u32(&w, PAUSE_LEN);
	for (size_t i = 0; i < d->npauses; i++) {
		wb_u64(&w, d->pauses[i].cycle);
		wb_u32(&w, d->pauses[i].phase);
		wb_u32(&w, d->pauses[i].runtime);
		wb_u64(&w, d->pauses[i].start_ns);
		wb_u64(&w, d->pauses[i].duration_ns);
	}
	wb_u32(&w, (uint32_t)d->ncycles);
	wb_u32(&w, CYCLE_LEN);
	for (size_t i = 0; i < d->ncycles; i++) {
		const struct gc_cycle *c = &d->cycles[i];

		wb_u64(&w, c->id);
		wb_u32(&w, c->runtime);
		wb_u32(&w, c->npauses);
		wb_u64(&w, c->start_ns);
		wb_u64(&w, c->end_ns);
		wb_u64(&w, c->pause_ns);
		wb_u64(&w, c->has_heap);
		wb_u64(&w, c->heap_before);
		wb_u64(&w, c->heap_goal);
		wb_u64(&w, c->heap_after);
		wb_u64(&w, c->freed);
	}
	wb_u32(&w, (uint32_t)d->nheap);
	wb_u32(&w, HEAP_LEN);
	for (size_t i = 0; i < d->nheap; i++) {
		wb_u64(&w, d->heap[i].t_ns);
		wb_u64(&w, d->heap[i].bytes);
	}
	if (d->nwaits || d->waits_unpaired) {
		wb_u64(&w, d->waits_unpaired);
		wb_u32(&w, (uint32_t)d->nwaits);
		wb_u32(&w, WAIT_LEN);
		for (size_t i = 0; i < d->nwaits; i++) {
			wb_u64(&w, d->waits[i].cycle);
			wb_u32(&w, d->waits[i].kind);
			wb_u32(&w, d->waits[i].tid);
			wb_u64(&w, d->waits[i].start_ns);
			wb_u64(&w, d->waits[i].duration_ns);
		}
	}
	if (w.err) {
		free(w.b);
		return w.err;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

int record_gc_decode(const uint8_t *buf, size_t len, struct gc_data **out)
{
	struct rbuf r = { buf, buf + len, 0 };
	struct gc_data *d = calloc(1, sizeof(*d));
	struct gc_summary *s;
	uint32_t n, size;

	if (!d)
		return -ENOMEM;
	s = &d->sum;
	d->runtimes = rb_u32(&r);
	rb_u32(&r);
	d->start_ns = rb_u64(&r);
	d->end_ns = rb_u64(&r);
	d->other_stw = rb_u64(&r);
	d->other_stw_ns = rb_u64(&r);
	d->lost_events = rb_u64(&r);
	s->cycles = rb_u64(&r);
	s->pauses = rb_u64(&r);
	s->p50 = rb_u64(&r);
	s->p90 = rb_u64(&r);
	s->p99 = rb_u64(&r);
	s->max = rb_u64(&r);
	s->total = rb_u64(&r);
	s->mmu_1ms = rb_f64(&r);
	s->mmu_10ms = rb_f64(&r);
	s->mmu_100ms = rb_f64(&r);
	s->pause_fraction = rb_f64(&r);
	s->gc_cpu_fraction = rb_f64(&r);
	/* The runtime's name is the first bit's, as when it was traced. */
	for (unsigned b = 1; b <= GC_RT_CPYTHON && !d->runtime; b <<= 1)
		if (d->runtimes & b)
			d->runtime = gc_runtime_id(b);

	n = rb_table(&r, PAUSE_LEN, &size);
	d->pauses = calloc(n ? n : 1, sizeof(*d->pauses));
	for (uint32_t i = 0; d->pauses && !r.err && i < n; i++) {
		const uint8_t *next = r.p + size;

		d->pauses[i].cycle = rb_u64(&r);
		d->pauses[i].phase = rb_u32(&r);
		d->pauses[i].runtime = rb_u32(&r);
		d->pauses[i].start_ns = rb_u64(&r);
		d->pauses[i].duration_ns = rb_u64(&r);
		r.p = next; /* records may grow: skip what this reader does not know */
		d->npauses++;
	}
	n = rb_table(&r, CYCLE_LEN, &size);
	d->cycles = calloc(n ? n : 1, sizeof(*d->cycles));
	for (uint32_t i = 0; d->cycles && !r.err && i < n; i++) {
		const uint8_t *next = r.p + size;
		struct gc_cycle *c = &d->cycles[i];

		c->id = rb_u64(&r);
		c->runtime = rb_u32(&r);
		c->npauses = rb_u32(&r);
		c->start_ns = rb_u64(&r);
		c->end_ns = rb_u64(&r);
		c->pause_ns = rb_u64(&r);
		c->has_heap = rb_u64(&r) != 0;
		c->heap_before = rb_u64(&r);
		c->heap_goal = rb_u64(&r);
		c->heap_after = rb_u64(&r);
		c->freed = rb_u64(&r);
		r.p = next;
		d->ncycles++;
	}
	n = rb_table(&r, HEAP_LEN, &size);
	d->heap = calloc(n ? n : 1, sizeof(*d->heap));
	for (uint32_t i = 0; d->heap && !r.err && i < n; i++) {
		const uint8_t *next = r.p + size;

		d->heap[i].t_ns = rb_u64(&r);
		d->heap[i].bytes = rb_u64(&r);
		r.p = next;
		d->nheap++;
	}
	if (!r.err && r.p < r.end) {
		d->waits_unpaired = rb_u64(&r);
		n = rb_table(&r, WAIT_LEN, &size);
		d->waits = calloc(n ? n : 1, sizeof(*d->waits));
		for (uint32_t i = 0; d->waits && !r.err && i < n; i++) {
			const uint8_t *next = r.p + size;
			struct gc_wait *wt = &d->waits[i];

			wt->cycle = rb_u64(&r);
			wt->kind = rb_u32(&r);
			wt->tid = rb_u32(&r);
			wt->start_ns = rb_u64(&r);
			wt->duration_ns = rb_u64(&r);
			r.p = next;
			d->nwaits++;
		}
		if (!d->waits)
			r.err = r.err ? r.err : -ENOMEM;
		else if (!r.err && gc_waits_summarize(d))
			r.err = -ENOMEM;
	}
	if (!d->pauses || !d->cycles || !d->heap)
		r.err = r.err ? r.err : -ENOMEM;
	if (!r.err && r.p != r.end)
		r.err = -EINVAL;
	if (r.err) {
		gc_data_free(d);
		return r.err;
	}
	*out = d;
	return 0;
}
