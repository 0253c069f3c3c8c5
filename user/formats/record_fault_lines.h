/* SPDX-License-Identifier: MIT */
/*
 * The source lines of the fault section's frames (RECORD_FAULT_LINES),
 * kept in a section of their own so recordings stay readable by readers
 * from before lines (they skip a section they do not know).
 *
 * Payload: for every fault site then every mapping site, in the fault
 * section's order, u32 nframes, then per frame string file, u32 line,
 * u32 fn_line, u32 flags (bit 0: inlined).
 */
#ifndef MEMTRACE_RECORD_FAULT_LINES_H
#define MEMTRACE_RECORD_FAULT_LINES_H

#include <stddef.h>
#include <stdint.h>

struct mt_faults;
struct mt_profile;

/* Encodes f's frames' lines into a malloc'd buffer (*out, *len).  0 or -ENOMEM. */
int record_fault_lines_encode(const struct mt_faults *f, uint8_t **out, size_t *len);
/*
 * Applies a payload to f (decoded from the same recording), strings
 * interned in owner.  -EINVAL when it does not match f's sites and frames.
 */
int record_fault_lines_decode(const uint8_t *buf, size_t len, struct mt_profile *owner, struct mt_faults *f);

#endif
