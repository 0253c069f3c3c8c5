// SPDX-License-Identifier: MIT
/*
 * What a trace tells its user about itself: the one `Tracing` line, printed
 * once every probe of the first image is live (scripts wait for it), and an
 * `Also tracing` line for each runtime found after it (a libjvm dlopen'd
 * later, an exec into a Go program); and the managed runtimes' totals that
 * go into the profile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custom.h"
#include "log.h"
#include "otel_usdt.h"
#include "session_state.h"

/* CPython's pools in the current image (python_pymalloc.h). */
void session_probe_pymalloc(struct session *s)
{
	if (s->opts->no_pymalloc)
		return;
	if (!s->py && !(s->py = calloc(1, sizeof(*s->py)))) {
		log_error("PID %d: cannot probe pymalloc: out of memory", (int)s->pid);
		return;
	}
	pymalloc_attach(s->py, s->tracer.skel, s->pid, s->opts->verbose);
}

/* Probes Go's heap and CPython's pools in the current image; problems are
 * one line each. */
void session_probe_runtimes(struct session *s)
{
	int err;

	session_probe_pymalloc(s);
	if (s->opts->no_go_heap)
		return;
	err = go_heap_attach(&s->go, s->tracer.skel, s->pid, s->opts->verbose);

	/* With --gc on, the GC tracer's line about a stripped Go program
	 * names the heap too; without it, this is that line. */
	if (err == -ENODATA && !s->opts->gc && !s->told_stripped) {
		log_error("PID %d: Go program has no symbol table (stripped): its heap is not traced", (int)s->pid);
		s->told_stripped = true;
	}
}

static size_t gc_len(const struct session *s)
{
	const char *d = s->gc ? gc_describe(s->gc) : NULL;

	return d ? strlen(d) : 0;
}

/* "Go 1.19 heap" or "Go 1.19 heap and GC"; "" when Go's heap is not probed. */
static void go_part(const struct session *s, char *buf, size_t n)
{
	const char *rt = s->gc ? gc_runtime_name(s->gc) : NULL;
	char name[32];

	buf[0] = '\0';
	if (!s->go.path[0])
		return;
	go_heap_name(&s->go, name, sizeof(name));
	snprintf(buf, n, "%s heap%s", name, rt && strstr(rt, "go") ? " and GC" : "");
}

/* "CPython pymalloc pools" when they are probed. */
static const char *py_part(const struct session *s)
{
	return s->py && s->py->path[0] ? "CPython pymalloc pools" : "";
}

bool session_traces_something(const struct session *s)
{
	return s->tracer.alloc.path[0] || s->go.path[0] || (s->gc && gc_runtime_name(s->gc)) ||
	       otel_usdt_active(&s->tracer.otel);
}

void session_announce(struct session *s)
{
	const char *gc = s->gc ? gc_describe(s->gc) : NULL;
	char go[64], malloc_part[PATH_MAX + 640] = "";

	if (!session_traces_something(s))
		return;
	/* A launched dynamic program has its libraries mapped by the dynamic
	 * linker later: its malloc is probed then, and the line waits for it. */
	if (!s->announced && !s->tracer.alloc.path[0] && s->launched && s->tracer.dl_path[0] &&
	    !otel_usdt_active(&s->tracer.otel) && !(s->go.path[0] && s->go.alone))
		return;
	go_part(s, go, sizeof(go));
	if (s->announced) {
		size_t len = gc_len(s);
		bool new_go = go[0] && !s->told_go;

		if (!new_go && len <= s->told_gc_len)
			return;
		fprintf(stderr, "Also tracing PID %d (%s): %s%s%s\n", (int)s->pid, s->comm, new_go ? go : "",
			new_go && len > s->told_gc_len ? "; " : "",
			len > s->told_gc_len ? gc + s->told_gc_len + (s->told_gc_len ? 2 : 0) : "");
		s->told_go = s->told_go || new_go;
		s->told_gc_len = len;
		return;
	}
	s->announced = true;
	session_read_comm(s);
	session_read_cgroup(s);
	/* Heap events from the target's own sampler: its line says so. */
	if (otel_usdt_active(&s->tracer.otel)) {
		otel_usdt_announce(&s->tracer.otel, s->pid, s->comm, gc,
				   s->launched ? "Reporting when it exits." : "Hit Ctrl-C to end.");
		for (size_t i = 0; i < s->tracer.otel.nmore; i++)
			otel_usdt_announce_more(&s->tracer.otel, i, s->pid, s->comm);
		s->told_go = go[0] != '\0';
		s->told_gc_len = gc_len(s);
		return;
	}
	if (s->tracer.alloc.path[0]) {
		char custom[512];

		/* Custom probes (--alloc/--free) are named: a followed child's line
		 * confirms they are live in it too. */
		custom_describe(s->tracer.custom, s->tracer.ncustom, custom, sizeof(custom));
		snprintf(malloc_part, sizeof(malloc_part), "%d allocator functions in %s%s%s%s", s->tracer.alloc.nfuncs,
			 s->tracer.alloc.path, custom, py_part(s)[0] ? "; " : "", py_part(s));
	}
	fprintf(stderr, "Tracing PID %d (%s): %s%s%s%s%s. %s\n", (int)s->pid, s->comm, malloc_part,
		malloc_part[0] && go[0] ? "; " : "", go, gc && (malloc_part[0] || go[0]) ? "; " : "", gc ? gc : "",
		s->launched ? "Reporting when it exits." : "Hit Ctrl-C to end.");
	s->told_go = go[0] != '\0';
	s->told_gc_len = gc_len(s);
}

void session_add_runtimes(struct session *s, struct mt_profile *p)
{
	struct mt_go_counters c;

	if (!s->go.path[0] && !s->told_go)
		return;
	c = go_heap_counters(s->tracer.skel);
	p->go_heap.calls = c.calls;
	p->go_heap.bytes = c.bytes;
	p->go_heap.missed = c.unreadable;
	p->go_heap.restarts = c.restarts;
	p->go_heap.version = s->go.version[0] ? profile_intern(p, s->go.version) : NULL;
}
