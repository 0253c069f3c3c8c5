/* SPDX-License-Identifier: MIT */
/*
 * The heap through the otel_memory USDT contract (runtime/sampler/
 * otel_memory.h) instead of the allocator uprobes: --source.
 *
 * otel_usdt_attach looks at every executable file the target maps (once
 * per inode) for otel_memory:alloc and otel_memory:free notes and attaches
 * bpf/otel_usdt.bpf.h's programs to every object that has both: the first
 * one found (path) and any found later (more[]: a library dlopen'd after
 * the trace began, looked for again at each dlopen).  The target samples;
 * memtrace scales each site by the period the target reports (the probe's
 * weight), as it does for --sample-bytes: one period for the process, so
 * every object's sampler must use the same (libmemtrace-sampler copies do:
 * they read the one MEMTRACE_SAMPLE_BYTES).
 */
#ifndef MEMTRACE_OTEL_USDT_H
#define MEMTRACE_OTEL_USDT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmaps.h"

/* --source: where heap events come from. */
enum heap_source {
	HEAP_SOURCE_AUTO = 0, /* the contract's probes when the target has them, else uprobes */
	HEAP_SOURCE_UPROBES,  /* the allocator's functions, every call */
	HEAP_SOURCE_USDT,     /* the contract only; an error when the target has none */
};

struct bpf_program;
struct bpf_link;

/* An object whose probes were attached after the first one's. */
struct otel_usdt_obj {
	struct bpf_link *alloc, *free;
	char path[PATH_MAX]; /* as the target maps it */
	char host[64];       /* the same inode, pinned open in memtrace (target_file_pin) */
};

struct otel_usdt {
	struct bpf_link *alloc, *free;
	char path[PATH_MAX]; /* the object probed, as the target maps it; "" when none */
	char host[64];       /* the same inode, pinned open in memtrace (target_file_pin) */
	uint64_t period;     /* the target's sampling period, bytes (announced) */
	struct otel_usdt_obj *more; /* objects probed since, in the order found */
	size_t nmore, more_cap;
	uint64_t (*seen)[2]; /* (dev, inode) of every object looked at: each is read once */
	size_t nseen, seen_cap;
};

/*
 * Attaches the contract's programs to every object pid maps that has the
 * probes and was not looked at before.  0 when attached (now or before),
 * -ENOENT when no mapped object has the probes, another negative errno
 * when attaching failed (reported; the objects attached before stay).
 * Objects attached by this call after the first are o->more[nmore - k ..]
 * for the k it added: a caller that compares nmore before and after knows
 * which to announce.
 */
int otel_usdt_attach(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
		     struct bpf_program *free_prog, int verbose);
/*
 * For a trace that stays on the allocator uprobes: whether pid maps an
 * object not looked at before that has the probes (1, its path in path),
 * without attaching them.  Each object is reported once.
 */
int otel_usdt_find_new(struct otel_usdt *o, pid_t pid, char *path, size_t n);
/*
 * Attaches the contract's programs in pid on every object `from` probes in
 * its own process (a forked child maps what its parent maps), with no
 * look at pid's mappings or files.  0, or a negative errno (reported by
 * the caller); o is left unattached on failure.
 */
int otel_usdt_attach_like(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
			  struct bpf_program *free_prog, const struct otel_usdt *from);
static inline bool otel_usdt_active(const struct otel_usdt *o)
{
	return o->alloc != NULL;
}
void otel_usdt_detach(struct otel_usdt *o);
/* The "Tracing PID ..." line for a trace through the contract, on stderr:
 * "otel_memory USDT (sampled every 512 KiB) in PATH". */
void otel_usdt_announce(const struct otel_usdt *o, pid_t pid, const char *comm, const char *gc, const char *end);
/* The "Also tracing PID ..." line for more[i], an object found after the
 * Tracing line: "otel_memory USDT (sampled every 512 KiB) in PATH". */
void otel_usdt_announce_more(const struct otel_usdt *o, size_t i, pid_t pid, const char *comm);

#endif
