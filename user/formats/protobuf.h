/* SPDX-License-Identifier: MIT */
/*
 * Just enough protocol buffers for pprof: an encoder in the style of Go's
 * runtime/pprof/protobuf.go and a bounds-checked decoder.
 *
 * Encoder: fields append to one growing buffer; a nested message is opened
 * with pb_start() and closed with pb_end(), which slides the body right to
 * make room for its length.  Zero scalars are omitted as proto3 does.  An
 * allocation failure is sticky: check pb->err once at the end.
 *
 * Decoder: pb_next() walks the fields of one message; every length is
 * checked against the message end, so no input can read out of bounds.
 */
#ifndef MEMTRACE_PROTOBUF_H
#define MEMTRACE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb_enc {
	uint8_t *data;
	size_t len, cap;
	int nest; /* open messages; 0 means data ends between top-level fields */
	int err;  /* first -ENOMEM, then every call is a no-op */
};

void pb_enc_free(struct pb_enc *pb);
void pb_varint(struct pb_enc *pb, uint64_t v);
void pb_uint64(struct pb_enc *pb, int tag, uint64_t v);     /* omitted when 0 */
void pb_int64(struct pb_enc *pb, int tag, int64_t v);       /* omitted when 0 */
void pb_bool(struct pb_enc *pb, int tag, int v);            /* omitted when false */
void pb_bytes(struct pb_enc *pb, int tag, const void *b, size_t n); /* always written */
void pb_string(struct pb_enc *pb, int tag, const char *s);  /* always written */
/* Packed repeated field; nothing when n == 0. */
void pb_uint64s(struct pb_enc *pb, int tag, const uint64_t *v, size_t n);
size_t pb_start(struct pb_enc *pb);
void pb_end(struct pb_enc *pb, int tag, size_t start);

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pb_dec {
	const uint8_t *p, *end;
};

struct pb_field {
	uint32_t tag;
	enum pb_wire wire;
	uint64_t v;           /* PB_VARINT, PB_I64, PB_I32 */
	const uint8_t *bytes; /* PB_LEN */
	size_t len;
};

/* 1 with *f filled, 0 at the end of the message, -EINVAL on malformed input. */
int pb_next(struct pb_dec *d, struct pb_field *f);
/* Reads one varint from d; -EINVAL when malformed. */
int pb_read_varint(struct pb_dec *d, uint64_t *v);
/*
 * Calls fn for each value of a repeated integer field, whether it came
 * packed (PB_LEN) or as a single varint.  Stops at fn's first non-zero return.
 */
int pb_each_uint64(const struct pb_field *f, int (*fn)(uint64_t v, void *arg), void *arg);

#endif
