/* SPDX-License-Identifier: MIT */
/*
 * Little-endian fixed-width encoding into a growing buffer, and bounds-
 * checked decoding out of one: for the recording sections that are self-
 * contained (GC, page faults).  Errors stick: after the first, every call
 * is a no-op (writes) or returns 0 (reads) and ->err says why.
 */
#ifndef MEMTRACE_BYTEBUF_H
#define MEMTRACE_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *b;
	size_t len, cap;
	int err; /* -ENOMEM */
};

void wb_put(struct wbuf *w, const void *p, size_t n);
void wb_u32(struct wbuf *w, uint32_t v);
void wb_u64(struct wbuf *w, uint64_t v);
void wb_f64(struct wbuf *w, double v);
/* u32 length, then the bytes; NULL as length 0xffffffff. */
void wb_str(struct wbuf *w, const char *s);

struct rbuf {
	const uint8_t *p, *end;
	int err; /* -EINVAL: past the end or inconsistent */
};

uint32_t rb_u32(struct rbuf *r);
uint64_t rb_u64(struct rbuf *r);
double rb_f64(struct rbuf *r);
/* A wb_str string copied into buf (cut at size-1); returns NULL for NULL. */
const char *rb_str(struct rbuf *r, char *buf, size_t size);
/* Passes over n bytes (the part of a grown record this reader does not know). */
void rb_skip(struct rbuf *r, size_t n);
/* A table header (u32 count, u32 record size >= min, records that fit). */
uint32_t rb_table(struct rbuf *r, uint32_t min, uint32_t *size);

#endif
