/* SPDX-License-Identifier: MIT */
/*
 * Go's heap: an entry-only uprobe on the executable's runtime.mallocgc
 * (bpf/go_heap.bpf.h) charges every Go allocation, with its requested
 * size, to its Go stack in the heap profile, beside malloc's sites.
 *
 * What a caller may rely on: Go sites show what was allocated (count and
 * requested bytes, sampled like malloc with --sample-bytes) and nothing in
 * use, since the GC frees without calls; the totals of every call, sampled
 * or not, are go_heap_counters().  Only amd64 Go >= 1.17 (register ABI)
 * with a symbol table is probed.  Goroutine stacks are not mallocgc's and
 * are not counted.
 */
#ifndef MEMTRACE_GO_HEAP_H
#define MEMTRACE_GO_HEAP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "go_heap_bpf.h"

struct memtrace_bpf;
struct bpf_link;

struct go_heap {
	char path[PATH_MAX]; /* the probed executable as the target sees it; "" when none */
	uint64_t inode;
	char version[32];    /* "go1.19.8", "" when the build info has none */
	bool alone;          /* the executable needs no library (a pure Go PIE has an
			      * interpreter but no DT_NEEDED): no malloc will come */
	struct bpf_link *link;
	uint64_t refused_inode; /* an executable already reported as not probed */
	/* The last executable looked at and not probed, and why: every
	 * dlopen re-resolves, and one look per image is enough. */
	uint64_t checked_inode;
	int checked_err;
};

/*
 * Probes pid's executable when it is a Go program (again after an exec).
 * 0 when probed (or already was); -ENOENT when the executable is not Go
 * (nothing printed); -ENODATA for a Go program without a symbol table,
 * left to the caller to report once (the GC tracer says it for both);
 * other negative errno after one "memtrace:" line saying why (Go before
 * 1.17, a mallocgc prologue not recognized, attach refused).
 */
int go_heap_attach(struct go_heap *g, struct memtrace_bpf *skel, pid_t pid, int verbose);
/* "Go 1.19" for the Tracing line, from the build info ("Go" when unknown). */
void go_heap_name(const struct go_heap *g, char *buf, size_t n);
/* Every call the probe saw so far. */
struct mt_go_counters go_heap_counters(const struct memtrace_bpf *skel);
/* Removes the probe, keeping what it found (path, version): the counters
 * and site counts then stay still while a final report reads them. */
void go_heap_stop(struct go_heap *g);
void go_heap_detach(struct go_heap *g);

#endif
