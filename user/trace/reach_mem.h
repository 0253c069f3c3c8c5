/* SPDX-License-Identifier: MIT */
/*
 * Reading another process's memory for the reachability scan, in batches:
 * one process_vm_readv for many ranges.  Nothing read is trusted: it is
 * only ever compared with the addresses of known blocks.
 */
#ifndef MEMTRACE_REACH_MEM_H
#define MEMTRACE_REACH_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REACH_BATCH_BYTES (4u << 20) /* at most this much is read in one call */
#define REACH_BATCH_RANGES 1024u     /* IOV_MAX */

struct reach_range {
	uint64_t addr, len;
};

/*
 * Reads ranges (n <= REACH_BATCH_RANGES, total <= REACH_BATCH_BYTES) of pid
 * into buf, one after the other.  What cannot be read (unmapped, guard
 * pages) reads as zeros and is added to *unreadable.  0 or -ESRCH when the
 * process is gone.
 */
int reach_read(pid_t pid, const struct reach_range *r, size_t n, void *buf, uint64_t *unreadable);

#endif
