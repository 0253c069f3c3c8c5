/* SPDX-License-Identifier: MIT */
/*
 * Go's heap totals in a recording (RECORD_GO_HEAP), so `memtrace report`
 * shows the Go section as the live run did:
 *   u32 fixed size (>= 36), u64 calls, u64 bytes, u64 missed,
 *   u64 restarts, then string version (bytebuf's wb_str: NULL stays NULL).
 * Written only when Go's heap was traced (calls > 0); the sites themselves
 * are in SITES like malloc's.
 */
#ifndef MEMTRACE_RECORD_GO_HEAP_H
#define MEMTRACE_RECORD_GO_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* Encodes p->go_heap into a malloc'd buffer.  0 or -ENOMEM. */
int record_go_heap_encode(const struct mt_profile *p, uint8_t **out, size_t *len);
/* Decodes into p->go_heap (version interned in p): -EINVAL for a payload
 * shorter than it says or than the fields it must hold, never a crash. */
int record_go_heap_decode(const uint8_t *buf, size_t len, struct mt_profile *p);

#endif
