/* SPDX-License-Identifier: MIT */
/*
 * A slot's block table mapped read-only in memtrace and read through once,
 * ahead of its process (proc_maps.h): the first read of each page of a new
 * mapping of a BPF array costs ~2 us here (a --follow child's 2^14-bucket
 * table, 1,024 pages: 2-3 ms), and the whole table is read at the child's
 * report, in the event loop, while the next fork may wait.  The mapping is
 * kept with the slot (pm->blocks_ahead) until heap_maps_open adopts it.
 */
#ifndef MEMTRACE_PROC_WARM_H
#define MEMTRACE_PROC_WARM_H

#include <stddef.h>

#include "proc_maps.h"

/* Bytes of a block table of 2^bucket_bits buckets. */
size_t proc_blocks_len(unsigned bucket_bits);
/* Maps pm's block table and reads one word of each page; leaves
 * pm->blocks_ahead NULL when it cannot (the reader maps it then). */
void proc_maps_warm(struct proc_maps *pm);
/* Unmaps pm->blocks_ahead when no reader adopted it; NULL after. */
void proc_maps_cool(struct proc_maps *pm);

#endif
