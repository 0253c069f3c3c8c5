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
	int verbose;
	bool floor; /* attach empty programs instead (benchmark floor) */
	struct otel_usdt otel; /* --source: the otel_memory contract, when used */
};

/* Opens and loads the BPF programs for pid. `stop_on_dl`: the dynamic-linker
 * hook stops the (ptraced) target so probes are placed before it runs on. */
int tracer_open(struct tracer *t, pid_t pid, bool stop_on_dl, uint64_t sample_bytes, int verbose);
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
void tracer_detach_allocator(struct tracer *t);
void tracer_close(struct tracer *t);

#endif
