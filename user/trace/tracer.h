/* SPDX-License-Identifier: MIT */
/*
 * The loaded BPF object and its probes on one target process.  Probes are
 * owned by file descriptors (bpf_link), so nothing outlives memtrace, even
 * when it is killed with SIGKILL.
 */
#ifndef MEMTRACE_TRACER_H
#define MEMTRACE_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "custom.h"
#include "heap.h"
#include "otel_usdt.h"
#include "resolve.h"

struct memtrace_bpf;
struct unwind_loader;
struct faults_tracer;
struct bpf_link;

/* A probe attachment: a multi-uprobe link fd, or a libbpf link. */
struct probe_link {
	int fd;
	struct bpf_link *link;
};

struct tracer {
	struct memtrace_bpf *skel;
	struct heap_maps heap;  /* skel's heap state, mapped */
	pid_t pid;
	bool multi;             /* kernel has multi-uprobe links */
	struct allocator alloc; /* currently probed, alloc.path[0] == 0 when none */
	struct probe_link *links;
	int nlinks;
	/* Allocators beside malloc's provider, when the target has them:
	 * [0] C++ operator new, [1] a je_-prefixed jemalloc. */
	struct allocator extra[2];
	struct probe_link extra_links[2][2 * MT_MAX_ALLOC_FUNCS];
	int nextra_links[2];
	struct allocator custom[MT_MAX_CUSTOM]; /* --alloc/--free/--realloc, by object */
	int ncustom;
	struct probe_link custom_links[MT_MAX_CUSTOM * 2 * MT_MAX_ALLOC_FUNCS];
	int ncustom_links;
	struct probe_link dl_link;
	char dl_path[MT_HOST_PATH_MAX];
	uint64_t dl_off;
	/* Writable views of the block table and site counters (tracer_reset.c). */
	struct mt_block_bucket *blocks_rw;
	struct mt_site_counts *counts_rw;
	int verbose;
	bool floor; /* attach empty programs instead (benchmark floor) */
	struct unwind_loader *unwind; /* --unwind auto|dwarf: the rows in the kernel; NULL with fp */
	struct otel_usdt otel; /* --source: the otel_memory contract, when used */
	/* --follow's pool: fault programs loaded with it, on its code ranges and
	 * unwind rows (faults_load_unbound); tracer_reset empties them,
	 * tracer_close closes them.  NULL when none. */
	struct faults_tracer *faults;
};

/* Opens and loads the BPF programs for pid. `stop_on_dl`: the dynamic-linker
 * hook stops the (ptraced) target so probes are placed before it runs on. */
int tracer_open(struct tracer *t, pid_t pid, bool stop_on_dl, uint64_t sample_bytes, int unwind_mode, int verbose);
/* The same with a block table of 2^bucket_bits buckets (MT_BLOCK_BUCKET_BITS_MIN
 * to MT_BLOCK_BUCKET_BITS), for a process expected to hold fewer blocks. */
int tracer_open_sized(struct tracer *t, pid_t pid, bool stop_on_dl, uint64_t sample_bytes, int unwind_mode,
		      int verbose, unsigned bucket_bits);
/*
 * (Re)resolves the target's allocator and probes it.  Keeps existing probes
 * when the provider did not change.  *changed tells whether it did.
 * -ENOENT: no object defines malloc yet.
 */
int tracer_attach_allocator(struct tracer *t, bool *changed);
/* Probes the custom allocator functions once; -ECANCELED (already reported) when one is missing. */
int tracer_attach_custom(struct tracer *t, const struct custom_spec *specs, int n);
/* Places the dynamic-linker hook for the current image (no-op when there is none). */
int tracer_attach_dl_hook(struct tracer *t);
/* Probes that cannot be placed are fatal; this one attaches the exec tracepoint. */
int tracer_attach_exec(struct tracer *t);
/* Points a tracer opened for pid 0 (a spare, loaded ahead) at pid. */
void tracer_bind(struct tracer *t, pid_t pid);
/*
 * Probes t's process where `from` probes its own: the allocator, the extra
 * allocators and the custom sets `from` resolved, reused as they are (a
 * forked child maps the same objects at fork), so nothing is read from the
 * target.  On failure nothing stays attached, and nothing is said (the
 * caller's line says it).
 */
int tracer_attach_like(struct tracer *t, const struct tracer *from);
void tracer_detach_allocator(struct tracer *t);
/* Detaches every probe (allocators, dynamic-linker hook, exec). */
void tracer_detach_all(struct tracer *t);
/*
 * Makes a tracer whose process is gone as new: no probes, empty maps and
 * counters, pid 0, its programs tracing no process until tracer_bind
 * (tracer_reset.c); its old probes are closed in the background.  Costs a scan of the block table's
 * addresses (~16 MiB) instead of a new load (60-400 ms).
 */
int tracer_reset(struct tracer *t);
/*
 * Touches every page of the block table and site counters once, here, so
 * the first read of a new process's heap (and a reset) does not pay ~100 ms
 * of first-touch faults in the event loop.  For a tracer loaded ahead.
 */
int tracer_prefault(struct tracer *t);
/* Unmaps what tracer_prefault mapped (tracer_close does it). */
void tracer_unmap_rw(struct tracer *t);
void tracer_close(struct tracer *t);

#endif
