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
#include "proc_maps.h"
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
	/* skel is another tracer's (tracer_join): this one owns its probes
	 * and its process's tables only. */
	bool shared;
	bool ranges_inherited;  /* joined: its code ranges are its parent's, copied at the fork */
	struct proc_maps proc;  /* pid's tables in skel (none while pid is 0) */
	struct proc_slots *slots; /* skel's (the owner's, when shared) */
	struct heap_maps heap;  /* pid's heap state, mapped */
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
	int verbose;
	bool floor; /* attach empty programs instead (benchmark floor) */
	struct unwind_loader *unwind; /* --unwind auto|dwarf: the rows in the kernel; NULL with fp */
	struct otel_usdt otel; /* --source: the otel_memory contract, when used */
	/* A --follow child's fault programs, taken from the pool ready-loaded
	 * (tracer_pool.h); tracer_close closes them.  NULL when none. */
	struct faults_tracer *faults;
};

/* Opens and loads the BPF programs for pid. `stop_on_dl`: the dynamic-linker
 * hook stops the (ptraced) target so probes are placed before it runs on. */
int tracer_open(struct tracer *t, pid_t pid, bool stop_on_dl, uint64_t sample_bytes, int unwind_mode, int verbose);
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
/*
 * Makes t a tracer of pid on `from`'s loaded object (tracer_join.c): pid's
 * tables are created and entered under its tgid, no BPF is loaded; its
 * probes are then attached as for any tracer (tracer_attach_like), to the
 * same programs.  The exec tracepoint is from's (never attach it again).
 * `like` is the process whose code ranges pid has (its parent, at a fork;
 * 0: none): they are copied, when not stale (t->ranges_inherited).
 * `from` must outlive t; tracer_close(t) leaves from's object loaded.
 */
int tracer_join(struct tracer *t, const struct tracer *from, pid_t pid, pid_t like, unsigned bucket_bits);
/* Maps a joined tracer's tables for reading (t->heap), which tracer_join
 * leaves to after the fork's hold; 0 when they are mapped already. */
int tracer_map_heap(struct tracer *t);
/* What tracer_close does for a joined tracer: its probes closed in the
 * background, its tables removed, the object left as it is. */
void tracer_leave(struct tracer *t);
/* A joined tracer's process is no longer traced (it ended): its tables
 * stay as they are for its report; tracer_leave gives its slot back. */
void tracer_untrace(struct tracer *t);
/* The same tracer's tables read for the last time: its slot is cleared
 * for the next fork now (tracer_leave would do it, later). */
void tracer_recycle_slot(struct tracer *t);
/* Closes t's multi-uprobe links each from a detached thread, without
 * waiting for the kernel's grace periods (tracer_links_close.c). */
void tracer_links_close_background(struct tracer *t);
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
void tracer_close(struct tracer *t);
/* Stops its process's dynamic-linker hook asked for so far. */
uint64_t tracer_dl_stops(const struct tracer *t);

#endif
