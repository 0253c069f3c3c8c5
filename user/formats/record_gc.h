/* SPDX-License-Identifier: MIT */
/*
 * The GC section of a recording (RECORD_GC): a trace's cycles, pauses and
 * heap samples as fixed-width little-endian records, so `memtrace report`
 * renders the GC timeline of a recording like the live run did.
 */
#ifndef MEMTRACE_RECORD_GC_H
#define MEMTRACE_RECORD_GC_H

#include <stddef.h>
#include <stdint.h>

struct gc_data;

/* Encodes d into a malloc'd buffer (*out, *len).  0 or -ENOMEM. */
int record_gc_encode(const struct gc_data *d, uint8_t **out, size_t *len);
/* Decodes a section payload; -EINVAL for anything inconsistent, never a crash. */
int record_gc_decode(const uint8_t *buf, size_t len, struct gc_data **out);

#endif
