/* SPDX-License-Identifier: MIT */
/*
 * The heap through the otel_memory USDT contract (runtime/sampler/
 * otel_memory.h) instead of the allocator uprobes: --source.
 *
 * otel_usdt_attach looks at every executable file the target maps (once
 * per inode) for otel_memory:alloc and otel_memory:free notes and attaches
 * bpf/otel_usdt.bpf.h's programs to the first object that has both.  The
 * target samples; memtrace scales each site by the period the target
 * reports (the probe's weight), as it does for --sample-bytes.
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

struct otel_usdt {
	struct bpf_link *alloc, *free;
	char path[PATH_MAX]; /* the object probed, as the target maps it; "" when none */
	char host[64];       /* the same inode, pinned open in memtrace (target_file_pin) */
	uint64_t period;     /* the target's sampling period, bytes (announced) */
};

/*
 * Attaches the contract's programs in pid when not done yet.  0 when
 * attached (now or before), -ENOENT when no mapped object has the probes,
 * another negative errno when attaching failed (reported).
 */
int otel_usdt_attach(struct otel_usdt *o, pid_t pid, struct bpf_program *alloc_prog,
		     struct bpf_program *free_prog, int verbose);
/*
 * Attaches the contract's programs in pid on the object `from` probes in
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

#endif
