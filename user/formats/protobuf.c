// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "protobuf.h"

void pb_enc_free(struct pb_enc *pb)
{
	free(pb->data);
	memset(pb, 0, sizeof(*pb));
}

static int reserve(struct pb_enc *pb, size_t n)
{
	if (pb->err)
		return pb->err;
	if (n > SIZE_MAX - pb->len || grow_to((void **)&pb->data, &pb->cap, pb->len + n, 1, 4096))
		return pb->err = -ENOMEM;
	return 0;
}

static size_t put_varint(uint8_t *b, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	return n;
}

void pb_varint(struct pb_enc *pb, uint64_t v)
{
	if (reserve(pb, 10))
		return;
	pb->len += put_varint(pb->data + pb->len, v);
}

static void key(struct pb_enc *pb, int tag, enum pb_wire wire)
{
	pb_varint(pb, (uint64_t)tag << 3 | wire);
}

void pb_uint64(struct pb_enc *pb, int tag, uint64_t v)
{
	if (!v)
		return;
	key(pb, tag, PB_VARINT);
	pb_varint(pb, v);
}

void pb_int64(struct pb_enc *pb, int tag, int64_t v)
{
	pb_uint64(pb, tag, (uint64_t)v);
}

void pb_bool(struct pb_enc *pb, int tag, int v)
{
	pb_uint64(pb, tag, v ? 1 : 0);
}

void pb_bytes(struct pb_enc *pb, int tag, const void *b, size_t n)
{
	key(pb, tag, PB_LEN);
	pb_varint(pb, n);
	if (reserve(pb, n))
		return;
	memcpy(pb->data + pb->len, b, n);
	pb->len += n;
}

void pb_string(struct pb_enc *pb, int tag, const char *s)
{
	pb_bytes(pb, tag, s, strlen(s));
}

void pb_uint64s(struct pb_enc *pb, int tag, const uint64_t *v, size_t n)
{
	size_t start;

	if (!n)
		return;
	start = pb_start(pb);
	for (size_t i = 0; i < n; i++)
		pb_varint(pb, v[i]);
	pb_end(pb, tag, start);
}

size_t pb_start(struct pb_enc *pb)
{
	pb->nest++;
	return pb->len;
}

void pb_end(struct pb_enc *pb, int tag, size_t start)
{
	uint8_t hdr[20];
	size_t n, body;

	pb->nest--;
	if (pb->err)
		return;
	body = pb->len - start;
	n = put_varint(hdr, (uint64_t)tag << 3 | PB_LEN);
	n += put_varint(hdr + n, body);
	if (reserve(pb, n))
		return;
	/* The key and length go before a body already written: slide it. */
	memmove(pb->data + start + n, pb->data + start, body);
	memcpy(pb->data + start, hdr, n);
	pb->len += n;
}

int pb_read_varint(struct pb_dec *d, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (d->p >= d->end)
			return -EINVAL;
		b = *d->p++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EINVAL;
}

int pb_next(struct pb_dec *d, struct pb_field *f)
{
	uint64_t k;

	if (d->p >= d->end)
		return 0;
	if (pb_read_varint(d, &k) || (k >> 3) == 0 || (k >> 3) > UINT32_MAX)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->tag = (uint32_t)(k >> 3);
	f->wire = (enum pb_wire)(k & 7);
	switch (f->wire) {
	case PB_VARINT:
		return pb_read_varint(d, &f->v) ? -EINVAL : 1;
	case PB_I64:
		if (d->end - d->p < 8)
			return -EINVAL;
		for (int i = 7; i >= 0; i--)
			f->v = f->v << 8 | d->p[i];
		d->p += 8;
		return 1;
	case PB_I32:
		if (d->end - d->p < 4)
			return -EINVAL;
		for (int i = 3; i >= 0; i--)
			f->v = f->v << 8 | d->p[i];
		d->p += 4;
		return 1;
	case PB_LEN:
		if (pb_read_varint(d, &k) || k > (uint64_t)(d->end - d->p))
			return -EINVAL;
		f->bytes = d->p;
		f->len = (size_t)k;
		d->p += k;
		return 1;
	}
	return -EINVAL; /* groups (3, 4) and reserved wire types */
}

int pb_each_uint64(const struct pb_field *f, int (*fn)(uint64_t v, void *arg), void *arg)
{
	struct pb_dec d;
	uint64_t v;
	int err;

	if (f->wire == PB_VARINT)
		return fn(f->v, arg);
	if (f->wire != PB_LEN)
		return -EINVAL;
	d.p = f->bytes;
	d.end = f->bytes + f->len;
	while (d.p < d.end) {
		if (pb_read_varint(&d, &v))
			return -EINVAL;
		err = fn(v, arg);
		if (err)
			return err;
	}
	return 0;
}
