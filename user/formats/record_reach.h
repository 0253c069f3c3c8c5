/* SPDX-License-Identifier: MIT */
/*
 * The reachability section of a recording (RECORD_REACH), so `memtrace
 * report` shows a recorded scan like the live run did:
 *   u32 fixed size (>= 120), then the scan (mt_reach): u32 state,
 *   u32 threads, u32 threads_without_regs, u32 0, u64 pause_ns,
 *   estimate_ns, max_pause_ns, rate (double bits), blocks, block_bytes,
 *   root_bytes, before_trace_bytes, unreadable_bytes, untracked_blocks,
 *   overlapping, then (in the fixed part too) nothing yet;
 *   then the totals and each leak's classes, in the order of the LEAKS
 *   section: u32 count (= 1 + leaks), u32 size (>= 48), then per entry
 *   the six counts of mt_reach_counts.
 * Written only when a scan was asked for; the sites' classes are derived
 * from the leaks' again on reading.
 */
#ifndef MEMTRACE_RECORD_REACH_H
#define MEMTRACE_RECORD_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* Encodes p's scan into a malloc'd buffer.  0 or -ENOMEM. */
int record_reach_encode(const struct mt_profile *p, uint8_t **out, size_t *len);
/* Decodes into p (its leaks already read): -EINVAL for anything
 * inconsistent (a leak count that differs included), never a crash. */
int record_reach_decode(const uint8_t *buf, size_t len, struct mt_profile *p);

#endif
