// SPDX-License-Identifier: MIT
/*
 * GC runtime detection and pause collection.  See gc.h.
 *
 * Detection looks at every executable mapping of the target once (by path
 * and inode): USDT notes (.note.stapsdt) say refgc, HotSpot or CPython; Go
 * executables are known by their .go.buildinfo/.gopclntab sections and
 * probed through their .symtab, or their .gopclntab when stripped
 * (elfimg names functions from it: symbols/elf_go_syms.h).
 *
 * Go: entry-only uprobes.  A stop-the-world pause begins at
 * runtime.stopTheWorldWithSema's entry and ends where the runtime takes its
 * own end-of-pause timestamp: the instruction after the nanotime call in
 * startTheWorldWithSema, or for mark termination (whose end the runtime
 * takes in gcMarkTermination, before restarting the world) after the last
 * nanotime call there.  Offsets come from decoding the function bodies
 * (e8 rel32 calls whose target is runtime.nanotime1/nanotime).  A pause is
 * a GC pause when its reason says so (Go >= 1.21 passes stwReason in AX) or,
 * for older Go, from the order of events: the first pause after
 * gcBgMarkStartWorkers (gcStart) is sweep termination, one containing
 * gcMarkTermination is the cycle's mark termination.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "elfimg.h"
#include "gc.h"
#include "target_file.h"
#include "gc_events.h" /* before the skeleton: it names struct gc_counters */
#include "gc.skel.h"
#include "gc_stats.h"
#include "grow.h"
#include "log.h"
#include "privs.h"
#include "procmaps.h"
#include "gc_state.h"

/* ---- attaching ------------------------------------------------------ */

static int keep_link(struct gc_tracer *t, struct bpf_link *l)
{
	if (grow((void **)&t->links, &t->links_cap, t->nlinks, sizeof(*t->links), 256)) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

static int load_bpf(struct gc_tracer *t)
{
	int err;

	if (t->skel)
		return 0;
	t->skel = gc_bpf__open_and_load();
	if (!t->skel) {
		err = errno ? -errno : -EINVAL;
		log_error("PID %d: cannot load the GC tracing programs: %s; GC pauses are not traced", (int)t->pid,
			  strerror(-err));
		return err;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.gc_events), on_ring_event, t, NULL);
	if (!t->rb) {
		err = errno ? -errno : -ENOMEM;
		gc_bpf__destroy(t->skel);
		t->skel = NULL;
		log_error("PID %d: cannot read GC events: %s; GC pauses are not traced", (int)t->pid, strerror(-err));
		return err;
	}
	return 0;
}

static int attach_usdt(struct gc_tracer *t, const char *host_path, const char *prov, const char *name, int kind)
{
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = (uint64_t)kind);
	struct bpf_link *l = bpf_program__attach_usdt(t->skel->progs.gc_usdt, t->pid, host_path, prov, name, &opts);

	if (!l)
		return errno ? -errno : -EINVAL;
	log_debug(t->verbose, 1, "GC probe usdt:%s:%s:%s", host_path, prov, name);
	return keep_link(t, l);
}

static int attach_uprobe(struct gc_tracer *t, const char *host_path, uint64_t off, int kind, const char *what)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = (uint64_t)kind);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(t->skel->progs.gc_uprobe, t->pid, host_path,
							      (size_t)off, &opts);

	if (!l)
		return errno ? -errno : -EINVAL;
	log_debug(t->verbose, 1, "GC probe %s at %s+0x%llx", what, host_path, (unsigned long long)off);
	return keep_link(t, l);
}

static void add_name(struct gc_tracer *t, unsigned rt, const char *path, const char *what)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(t->describe);

	if (!(t->runtimes & rt)) {
		size_t m = strlen(t->name);

		snprintf(t->name + m, sizeof(t->name) - m, "%s%s", m ? "+" : "", gc_runtime_id(rt));
	}
	t->runtimes |= rt;
	snprintf(t->describe + n, sizeof(t->describe) - n, "%s%s (%s in %s)", n ? "; " : "GC: ",
		 gc_runtime_id(rt), what, base);
}

static int attach_go(struct gc_tracer *t, const char *path, const char *host_path, const struct elf_scan *s)
{
	struct elf_image *img;
	const struct elf_sym *stop, *start, *cycle, *markdone, *markterm, *resetlive;
	uint64_t nano[3] = { 0, 0, 0 }, after[8], off;
	int err, nafter, nprobes = 0;
	char what[96];

	err = elf_image_load(NULL, host_path, &img);
	if (err)
		return err;
	stop = elf_image_find(img, "runtime.stopTheWorldWithSema", false);
	start = elf_image_find(img, "runtime.startTheWorldWithSema", false);
	cycle = elf_image_find(img, "runtime.gcBgMarkStartWorkers", false);
	if (!cycle)
		cycle = elf_image_find(img, "runtime.gcStart", false);
	markdone = elf_image_find(img, "runtime.gcMarkDone", false);
	markterm = elf_image_find(img, "runtime.gcMarkTermination", false);
	resetlive = elf_image_find(img, "runtime.(*gcControllerState).resetLive", false);
	if (!stop || !start) {
		log_error("PID %d: Go program %s has no runtime.stopTheWorldWithSema/startTheWorldWithSema "
			  "symbols: GC pauses are not traced", (int)t->pid, path);
		elf_image_free(img);
		return -ENOENT;
	}
	if ((err = load_bpf(t)))
		goto out;
	t->go.reason_abi = go_reason_abi(s->go_version);
	{
		/* Assembly functions carry their ABI in the name (Go >= 1.17). */
		static const char *const names[] = { "runtime.nanotime1", "runtime.nanotime1.abi0",
						     "runtime.nanotime" };

		for (int i = 0; i < 3; i++) {
			const struct elf_sym *n = elf_image_find(img, names[i], false);

			nano[i] = n ? n->addr : 0;
		}
	}
#define PROBE(vaddr, kind, name)                                                   \
	do {                                                                       \
		if (!elf_vaddr_to_offset(img, (vaddr), &off) &&                   \
		    !(err = attach_uprobe(t, host_path, off, (kind), (name))))     \
			nprobes++;                                                 \
		else if (err)                                                      \
			goto out;                                                  \
	} while (0)
	err = 0;
	PROBE(stop->addr, GCP_GO_STW_BEGIN, "runtime.stopTheWorldWithSema");
	PROBE(start->addr, GCP_GO_STW_END_ENTRY, "runtime.startTheWorldWithSema");
	nafter = calls_to(host_path, img, start, nano, 3, after, 8);
	if (nafter)
		PROBE(after[0], GCP_GO_STW_END_NOW, "startTheWorldWithSema after nanotime");
	else
		log_debug(t->verbose, 1, "no nanotime call in runtime.startTheWorldWithSema: pauses end at its entry");
	if (cycle)
		PROBE(cycle->addr, GCP_GO_CYCLE_START, cycle->name);
	if (markdone)
		PROBE(markdone->addr, GCP_GO_MARK_DONE, "runtime.gcMarkDone");
	/* The heap live after each cycle, as Go's pacer takes it (Go >= 1.18). */
	if (resetlive)
		PROBE(resetlive->addr, GCP_GO_RESET_LIVE, "runtime.(*gcControllerState).resetLive");
	if (markterm) {
		PROBE(markterm->addr, GCP_GO_MARK_TERM, "runtime.gcMarkTermination");
		nafter = calls_to(host_path, img, markterm, nano, 3, after, 8);
		for (int i = 0; i < nafter; i++)
			PROBE(after[i], GCP_GO_MARK_TERM_NOW, "gcMarkTermination after nanotime");
	}
#undef PROBE
	snprintf(what, sizeof(what), "%s, %d uprobes", s->go_version[0] ? s->go_version : "Go", nprobes);
	add_name(t, GC_RT_GO, path, what);
out:
	if (err)
		log_error("PID %d: cannot probe the Go runtime in %s: %s; GC pauses are not traced%s", (int)t->pid, path,
			  strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
	elf_image_free(img);
	return err;
}

static int attach_usdt_set(struct gc_tracer *t, unsigned rt, const char *path, const char *host_path,
			   const char *prov, const char *const *names, const int *kinds, int n)
{
	char what[64];
	int err, done = 0;

	if ((err = load_bpf(t)))
		return err;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		err = attach_usdt(t, host_path, prov, names[i], kinds[i]);
		if (err) {
			log_error("PID %d: cannot attach %s:%s in %s: %s; GC pauses are not traced%s", (int)t->pid, prov,
				  names[i],
				  path, strerror(-err), privs_hint(err, CAP_SYS_ADMIN));
			return err;
		}
		done++;
	}
	snprintf(what, sizeof(what), "%d USDT probes", done);
	add_name(t, rt, path, what);
	return 0;
}

static bool base_is(const char *path, const char *prefix)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return strncmp(base, prefix, strlen(prefix)) == 0;
}

/* Looks at one object the target has mapped; attaches what fits. */
static void examine(struct gc_tracer *t, const struct mapping *mp, bool is_exe)
{
	const char *path = mp->path;
	char host[64]; /* /proc/self/fd/N of the mapped inode */
	struct elf_scan s;

	/* The mapped inode itself (also in a chroot, or under a covering mount). */
	if (target_file_pin(t->pid, mp, host) || elf_scan(host, &s))
		return;
	if (s.refgc_mask) {
		const char *names[NREFGC];
		int kinds[NREFGC];

		for (int i = 0; i < NREFGC; i++) {
			names[i] = (s.refgc_mask & (1u << i)) ? refgc_probes[i].name : NULL;
			kinds[i] = refgc_probes[i].kind;
		}
		if (!(s.refgc_mask & (1u << 2)) || !(s.refgc_mask & (1u << 3)))
			log_error("PID %d: %s has refgc probes but no pause__start/pause__done: no pauses",
				  (int)t->pid, path);
		attach_usdt_set(t, GC_RT_REFGC, path, host, "refgc", names, kinds, NREFGC);
	}
	if (s.hotspot_begin && s.hotspot_end) {
		/* The memory managers' begin and end say where a ZGC cycle,
		 * which holds three pauses, begins and ends. */
		static const char *const names[] = { "gc__begin", "gc__end", "mem__pool__gc__begin",
						     "mem__pool__gc__end" };
		static const int kinds[] = { GCP_HOTSPOT_GC_BEGIN, GCP_HOTSPOT_GC_END, GCP_HOTSPOT_POOL_BEGIN,
					     GCP_HOTSPOT_POOL_END };

		if (!attach_usdt_set(t, GC_RT_HOTSPOT, path, host, "hotspot", names, kinds, s.hotspot_pools ? 4 : 2))
			t->hotspot_pools = s.hotspot_pools;
	} else if (base_is(path, "libjvm.so")) {
		log_error("PID %d: the JVM in %s has no hotspot gc__begin/gc__end USDT probes: GC pauses are "
			  "not traced", (int)t->pid, path);
	}
	if (s.py_start && s.py_done) {
		static const char *const names[] = { "gc__start", "gc__done" };
		static const int kinds[] = { GCP_PY_GC_START, GCP_PY_GC_DONE };

		/* The interpreter may be both the executable and libpython: once. */
		if (!(t->runtimes & GC_RT_CPYTHON))
			attach_usdt_set(t, GC_RT_CPYTHON, path, host, "python", names, kinds, 2);
	} else if ((base_is(path, "libpython3") || (is_exe && base_is(path, "python3"))) &&
		   !(t->runtimes & GC_RT_CPYTHON)) {
		/* A python3 executable linked to libpython has its probes there. */
		struct maps m;
		bool lib = false;

		if (is_exe && maps_read(t->pid, &m) == 0) {
			for (size_t i = 0; i < m.n && !lib; i++)
				lib = strstr(m.v[i].path, "/libpython3") != NULL;
			maps_free(&m);
		}
		if (!lib)
			log_error("PID %d: CPython in %s has no gc__start/gc__done USDT probes (built without "
				  "--with-dtrace): GC pauses are not traced", (int)t->pid, path);
	}
	if (s.go && is_exe) {
		if (!s.go_symtab && !s.go_pclntab)
			log_error("PID %d: Go program %s has no symbol table and no .gopclntab: its heap and GC "
				  "pauses are not traced",
				  (int)t->pid, path);
		else
			attach_go(t, path, host, &s);
	}
}

static bool seen_before(struct gc_tracer *t, const struct mapping *m)
{
	for (size_t i = 0; i < t->nseen; i++) {
		if (t->seen[i].inode == m->inode && !strcmp(t->seen[i].path, m->path))
			return true;
	}
	if (t->nseen < GC_MAX_SEEN) {
		snprintf(t->seen[t->nseen].path, sizeof(t->seen[t->nseen].path), "%s", m->path);
		t->seen[t->nseen++].inode = m->inode;
	}
	return false;
}

int gc_refresh(struct gc_tracer *t)
{
	char exe_link[64], exe[PATH_MAX];
	struct maps m;
	ssize_t n;
	int err;

	if (!t)
		return 0;
	err = maps_read(t->pid, &m);
	if (err)
		return 0; /* gone: nothing more to find */
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", (int)t->pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	for (size_t i = 0; i < m.n; i++) {
		const struct mapping *mp = &m.v[i];

		if (!mp->exec || mp->path[0] != '/' || strstr(mp->path, " (deleted)"))
			continue;
		if (seen_before(t, mp))
			continue;
		examine(t, mp, strcmp(mp->path, exe) == 0);
	}
	maps_free(&m);
	return 0;
}

static int open_common(struct gc_tracer **out, pid_t pid, int verbose, bool keep)
{
	struct gc_tracer *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->seen = calloc(GC_MAX_SEEN, sizeof(*t->seen));
	if (!t->seen) {
		free(t);
		return -ENOMEM;
	}
	t->pid = pid;
	t->verbose = verbose;
	t->start_ns = clock_ns(CLOCK_MONOTONIC);
	gc_refresh(t);
	if (!t->runtimes && !keep) {
		gc_close(t);
		return 0;
	}
	*out = t;
	return 0;
}

int gc_open(struct gc_tracer **out, pid_t pid, int verbose)
{
	return open_common(out, pid, verbose, false);
}

int gc_open_watch(struct gc_tracer **out, pid_t pid, int verbose)
{
	return open_common(out, pid, verbose, true);
}

const char *gc_runtime_name(const struct gc_tracer *t)
{
	return t && t->runtimes ? t->name : NULL;
}

const char *gc_describe(const struct gc_tracer *t)
{
	return t && t->runtimes ? t->describe : NULL;
}

int gc_poll(struct gc_tracer *t)
{
	if (!t || !t->rb)
		return 0;
	return ring_buffer__consume(t->rb);
}

void gc_stop(struct gc_tracer *t)
{
	if (!t || t->stop_ns)
		return;
	gc_poll(t);
	t->stop_ns = clock_ns(CLOCK_MONOTONIC);
	/* A restart seen without its nanotime probe (newer Go passes the time in). */
	if (t->go.stw == 2)
		go_finish_stw(t);
}

static int cmp_pause(const void *a, const void *b)
{
	const struct gc_pause *p = a, *q = b;

	return p->start_ns < q->start_ns ? -1 : p->start_ns > q->start_ns;
}

static int cmp_wait(const void *a, const void *b)
{
	const struct gc_wait *p = a, *q = b;

	return p->start_ns < q->start_ns ? -1 : p->start_ns > q->start_ns;
}

static int cmp_cycle(const void *a, const void *b)
{
	const struct gc_cycle *p = a, *q = b;

	return p->start_ns < q->start_ns ? -1 : p->start_ns > q->start_ns;
}

int gc_collect(struct gc_tracer *t, struct gc_data **out)
{
	struct gc_data *d;

	*out = NULL;
	if (!t)
		return -EINVAL;
	gc_poll(t);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->runtimes = t->runtimes;
	for (unsigned b = 1; b <= GC_RT_CPYTHON && !d->runtime; b <<= 1) {
		if (t->runtimes & b)
			d->runtime = gc_runtime_id(b);
	}
	d->start_ns = t->start_ns;
	d->end_ns = t->stop_ns ? t->stop_ns : clock_ns(CLOCK_MONOTONIC);
	d->pauses = malloc((t->npauses + 1) * sizeof(*d->pauses));
	d->cycles = malloc((t->ncycles + 1) * sizeof(*d->cycles));
	d->heap = malloc((t->nheap + 1) * sizeof(*d->heap));
	if (!d->pauses || !d->cycles || !d->heap) {
		gc_data_free(d);
		return -ENOMEM;
	}
	memcpy(d->pauses, t->pauses, t->npauses * sizeof(*d->pauses));
	memcpy(d->cycles, t->cycles, t->ncycles * sizeof(*d->cycles));
	memcpy(d->heap, t->heap, t->nheap * sizeof(*d->heap));
	d->npauses = t->npauses;
	d->ncycles = t->ncycles;
	d->nheap = t->nheap;
	qsort(d->pauses, d->npauses, sizeof(*d->pauses), cmp_pause);
	qsort(d->cycles, d->ncycles, sizeof(*d->cycles), cmp_cycle);
	if (t->nwaits) {
		d->waits = malloc(t->nwaits * sizeof(*d->waits));
		if (!d->waits) {
			gc_data_free(d);
			return -ENOMEM;
		}
		memcpy(d->waits, t->waits, t->nwaits * sizeof(*d->waits));
		d->nwaits = t->nwaits;
		qsort(d->waits, d->nwaits, sizeof(*d->waits), cmp_wait);
	}
	d->waits_unpaired = t->waits_unpaired;
	d->other_stw = t->other_stw;
	d->other_stw_ns = t->other_stw_ns;
	d->lost_events = t->skel ? t->skel->bss->gc_counters.lost : 0;
	/* Events before tracing started cannot exist; later ones (a ring
	 * drained after stop) stretch the window. */
	if (d->npauses) {
		const struct gc_pause *last = &d->pauses[d->npauses - 1];

		if (d->pauses[0].start_ns < d->start_ns)
			d->start_ns = d->pauses[0].start_ns;
		if (last->start_ns + last->duration_ns > d->end_ns)
			d->end_ns = last->start_ns + last->duration_ns;
	}
	gc_summarize(d);
	*out = d;
	return 0;
}

void gc_close(struct gc_tracer *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	ring_buffer__free(t->rb);
	if (t->skel)
		gc_bpf__destroy(t->skel);
	free(t->links);
	free(t->seen);
	free(t->pauses);
	free(t->cycles);
	free(t->heap);
	free(t->waits);
	free(t);
}

