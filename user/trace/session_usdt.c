// SPDX-License-Identifier: MIT
/* --source: whether a session's heap comes through the otel_memory contract. */
#include <errno.h>
#include <limits.h>

#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "otel_usdt.h"
#include "resolve.h"
#include "session_state.h"

/* A library loaded since (dlopen) may carry the probes too: attached, and
 * announced once the Tracing line is out (before it, that line is the
 * first announcement and the rest come right after it). */
static int session_usdt_more(struct session *s)
{
	struct tracer *t = &s->tracer;
	size_t before = t->otel.nmore;

	otel_usdt_attach(&t->otel, s->pid, t->skel->progs.otel_alloc, t->skel->progs.otel_free, s->opts->verbose);
	if (s->announced)
		for (size_t i = before; i < t->otel.nmore; i++)
			otel_usdt_announce_more(&t->otel, i, s->pid, s->comm);
	return 0;
}

int session_try_usdt(struct session *s)
{
	struct tracer *t = &s->tracer;
	struct allocator a;
	int err;

	if (s->opts->source == HEAP_SOURCE_UPROBES || t->floor)
		return 1;
	if (otel_usdt_active(&t->otel))
		return session_usdt_more(s);
	/* Decided once: a trace that began exact stays exact rather than mix
	 * counted and estimated sites. */
	if (t->alloc.path[0]) {
		char path[PATH_MAX];

		/* Said, not silently skipped: the uprobes count that library's
		 * malloc calls exactly, but not an allocator of its own. */
		if (s->opts->source == HEAP_SOURCE_AUTO &&
		    otel_usdt_find_new(&t->otel, s->pid, path, sizeof(path)))
			log_warn("PID %d loaded %s, which has otel_memory USDT probes: not used, this trace counts "
				 "every allocator call exactly (its calls to malloc are counted; an allocator of its "
				 "own is not)",
				 (int)s->pid, path);
		return 1;
	}
	err = otel_usdt_attach(&t->otel, s->pid, t->skel->progs.otel_alloc, t->skel->progs.otel_free,
			       s->opts->verbose);
	if (!err) {
		t->heap.sample_bytes = t->otel.period;
		return 0;
	}
	if (err != -ENOENT)
		return err;
	if (s->opts->source != HEAP_SOURCE_USDT)
		return 1;
	/* Until the program's allocator is mapped, its preloads may not be. */
	if (allocator_resolve(s->pid, &a))
		return 0;
	log_error("PID %d has no otel_memory USDT probes: --source usdt cannot trace it (preload "
		  "libmemtrace-sampler.so into it, or use --source auto or uprobes)",
		  (int)s->pid);
	return -ECANCELED;
}
