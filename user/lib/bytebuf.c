// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "grow.h"

void wb_put(struct wbuf *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > SIZE_MAX - w->len || grow_to((void **)&w->b, &w->cap, w->len + n, 1, 4096)) {
		w->err = -ENOMEM;
		return;
	}
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

void wb_u64(struct wbuf *w, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	wb_put(w, x, 8);
}

void wb_u32(struct wbuf *w, uint32_t v)
{
	uint8_t x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	wb_put(w, x, 4);
}

void wb_f64(struct wbuf *w, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	wb_u64(w, v);
}

void wb_str(struct wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	wb_u32(w, s ? (uint32_t)n : 0xffffffffu);
	if (s)
		wb_put(w, s, n);
}

uint64_t rb_u64(struct rbuf *r)
{
	uint64_t v = 0;

	if (r->err || r->end - r->p < 8) {
		r->err = -EINVAL;
		return 0;
	}
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	return v;
}

uint32_t rb_u32(struct rbuf *r)
{
	uint32_t v = 0;

	if (r->err || r->end - r->p < 4) {
		r->err = -EINVAL;
		return 0;
	}
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)r->p[i] << (8 * i);
	r->p += 4;
	return v;
}

double rb_f64(struct rbuf *r)
{
	uint64_t v = rb_u64(r);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

const char *rb_str(struct rbuf *r, char *buf, size_t size)
{
	uint32_t n = rb_u32(r);
	size_t keep;

	if (r->err || n == 0xffffffffu)
		return NULL;
	if ((uint64_t)n > (uint64_t)(r->end - r->p)) {
		r->err = -EINVAL;
		return NULL;
	}
	keep = n < size ? n : size - 1;
	memcpy(buf, r->p, keep);
	buf[keep] = '\0';
	r->p += n;
	return buf;
}

void rb_skip(struct rbuf *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = -EINVAL;
		return;
	}
	r->p += n;
}

uint32_t rb_table(struct rbuf *r, uint32_t min, uint32_t *size)
{
	uint32_t n = rb_u32(r);

	*size = rb_u32(r);
	if (!r->err && (*size < min || (uint64_t)n * *size > (uint64_t)(r->end - r->p)))
		r->err = -EINVAL;
	return r->err ? 0 : n;
}
