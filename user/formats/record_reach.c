// SPDX-License-Identifier: MIT
/* The reachability section of a recording (see record_reach.h). */
#include <errno.h>
#include <stdlib.h>

#include "bytebuf.h"
#include "reach_sites.h"
#include "record_reach.h"

#define REACH_FIXED (4 * 4 + 11 * 8)
#define COUNTS_LEN (6 * 8)
#define MAX_FIXED 65536

static void put_counts(struct wbuf *w, const struct mt_reach_counts *c)
{
	wb_u64(w, c->lost_count);
	wb_u64(w, c->lost_bytes);
	wb_u64(w, c->indirect_count);
	wb_u64(w, c->indirect_bytes);
	wb_u64(w, c->reachable_count);
	wb_u64(w, c->reachable_bytes);
}

static void get_counts(struct rbuf *r, struct mt_reach_counts *c, uint32_t size)
{
	c->lost_count = rb_u64(r);
	c->lost_bytes = rb_u64(r);
	c->indirect_count = rb_u64(r);
	c->indirect_bytes = rb_u64(r);
	c->reachable_count = rb_u64(r);
	c->reachable_bytes = rb_u64(r);
	rb_skip(r, size - COUNTS_LEN);
}

int record_reach_encode(const struct mt_profile *p, uint8_t **out, size_t *len)
{
	const struct mt_reach *s = &p->reach;
	struct wbuf w = { 0 };

	wb_u32(&w, REACH_FIXED);
	wb_u32(&w, (uint32_t)s->state);
	wb_u32(&w, s->threads);
	wb_u32(&w, s->threads_without_regs);
	wb_u32(&w, 0);
	wb_u64(&w, s->pause_ns);
	wb_u64(&w, s->estimate_ns);
	wb_u64(&w, s->max_pause_ns);
	wb_f64(&w, s->rate_bytes_per_s);
	wb_u64(&w, s->blocks);
	wb_u64(&w, s->block_bytes);
	wb_u64(&w, s->root_bytes);
	wb_u64(&w, s->before_trace_bytes);
	wb_u64(&w, s->unreadable_bytes);
	wb_u64(&w, s->untracked_blocks);
	wb_u64(&w, s->overlapping);
	wb_u32(&w, (uint32_t)(p->nleaks + 1));
	wb_u32(&w, COUNTS_LEN);
	put_counts(&w, &s->total);
	for (size_t i = 0; i < p->nleaks; i++)
		put_counts(&w, &p->leaks[i].reach);
	if (w.err) {
		free(w.b);
		return w.err;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

int record_reach_decode(const uint8_t *buf, size_t len, struct mt_profile *p)
{
	struct rbuf r = { buf, buf + len, 0 };
	struct mt_reach *s = &p->reach;
	uint32_t fixed = rb_u32(&r), n, size;

	if (r.err || fixed < REACH_FIXED || fixed > MAX_FIXED)
		return -EINVAL;
	s->state = rb_u32(&r);
	if (s->state > MT_REACH_FAILED)
		return -EINVAL;
	s->threads = rb_u32(&r);
	s->threads_without_regs = rb_u32(&r);
	rb_u32(&r);
	s->pause_ns = rb_u64(&r);
	s->estimate_ns = rb_u64(&r);
	s->max_pause_ns = rb_u64(&r);
	s->rate_bytes_per_s = rb_f64(&r);
	s->blocks = rb_u64(&r);
	s->block_bytes = rb_u64(&r);
	s->root_bytes = rb_u64(&r);
	s->before_trace_bytes = rb_u64(&r);
	s->unreadable_bytes = rb_u64(&r);
	s->untracked_blocks = rb_u64(&r);
	s->overlapping = rb_u64(&r);
	rb_skip(&r, fixed - REACH_FIXED);
	n = rb_table(&r, COUNTS_LEN, &size);
	if (r.err || n != p->nleaks + 1)
		return -EINVAL;
	get_counts(&r, &s->total, size);
	for (size_t i = 0; i < p->nleaks && !r.err; i++)
		get_counts(&r, &p->leaks[i].reach, size);
	if (r.err)
		return r.err;
	return s->state == MT_REACH_DONE ? reach_sites_from_leaks(p) : 0;
}
