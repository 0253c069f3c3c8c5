/* SPDX-License-Identifier: MIT */
/*
 * A slot's tables (proc_maps.h) mapped into memtrace for as long as the
 * slot lives, read-write: the reader of each process that has the slot
 * borrows them (heap_maps_open), and an ended --follow child's slot is
 * cleared through them for the next fork (proc_views_clear) instead of
 * being given new maps.  New maps cost the kernel ~7 MiB zeroed and
 * charged per child, four map-in-map entries (an RCU grace period each,
 * 0.1-4 ms here) and, mapped anew, ~2 us per page at the first read
 * (1,024 pages for a child's table): 3-5 ms of CPU a child on this 2-core
 * VM, taken from the server's next connection.
 */
#ifndef MEMTRACE_PROC_VIEWS_H
#define MEMTRACE_PROC_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "proc_maps.h"

/* Bytes of a block table of 2^bucket_bits buckets, of the site counters. */
size_t proc_blocks_len(unsigned bucket_bits);
size_t proc_counts_len(void);
/* Maps pm's state, counters and block table; 0 or a negative errno (none
 * left mapped). */
int proc_views_map(struct proc_maps *pm);
/* Reads one word of each page of the block table: its first read by the
 * report is then not the one that pays for the pages. */
void proc_views_warm(const struct proc_maps *pm);
/* Unmaps what proc_views_map mapped; a no-op when nothing is. */
void proc_views_unmap(struct proc_maps *pm);
/*
 * Makes pm's tables as new (counters and state zero, the table and the
 * overflow map empty) for another process: site ids below nsites are
 * the only ones the last one can have counted.  Its process must be gone
 * and out of proc_slot (no program writes them meanwhile).
 */
void proc_views_clear(struct proc_maps *pm, uint32_t nsites);

#endif
