// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "faults.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "tracer.h"
#include "unwind_load.h"
#include "unwind_size.h"
#include "uprobe_multi.h"
#include "verifier_stats.h"

int tracer_open(struct tracer *t, pid_t pid, bool stop_on_dl, uint64_t sample_bytes, int unwind_mode, int verbose)
{
	struct mt_site_stack unknown = { .id = MT_UNKNOWN_STACK };
	__u64 key = MT_UNKNOWN_STACK;
	struct memtrace_bpf *skel;
	uint32_t rows = MT_UNWIND_ROWS;
	int err;

	memset(t, 0, sizeof(*t));
	t->slots = proc_slots_new();
	if (!t->slots)
		return -ENOMEM;
	t->pid = pid;
	t->verbose = verbose;
	t->dl_link.fd = -1;
	t->multi = uprobe_multi_supported();
	skel = memtrace_bpf__open();
	if (!skel) {
		err = errno ? -errno : -EINVAL;
		proc_slots_free(NULL, t->slots);
		t->slots = NULL;
		return err;
	}
	skel->rodata->stop_on_dl = stop_on_dl;
	skel->rodata->sample_bytes = sample_bytes;
	skel->rodata->unwind_mode = (__u32)unwind_mode;
	if (getenv("MT_TEST_ONE_INFLIGHT_SLOT"))
		skel->rodata->inflight_slot_mask = 0;
	if (unwind_mode != MT_UNWIND_FP) {
		/* The array cannot grow once loaded: sized for this target now. */
		t->unwind = calloc(1, sizeof(*t->unwind));
		if (!t->unwind) {
			err = -ENOMEM;
			goto fail;
		}
		t->unwind->mode = unwind_mode;
		rows = unwind_size_for(t->unwind, pid);
		bpf_map__set_max_entries(skel->maps.unwind_rows, rows + MT_UNWIND_SEARCH_PAD);
	}
	if (t->multi) {
		bpf_program__set_expected_attach_type(skel->progs.alloc_enter, MT_ATTACH_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.alloc_return, MT_ATTACH_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.dl_debug_state, MT_ATTACH_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.floor_enter, MT_ATTACH_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.floor_return, MT_ATTACH_UPROBE_MULTI);
	}
	err = memtrace_bpf__load(skel);
	if (err)
		goto fail;
	verifier_stats_log(skel->obj, verbose);
	skel->bss->now_ns = clock_ns(CLOCK_MONOTONIC);
	/* Allocations whose stack can't be kept are charged here. */
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sites), &key, &unknown, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	if (pid) {
		err = proc_maps_add(skel, t->slots, (uint32_t)pid, MT_BLOCK_BUCKET_BITS, &t->proc);
		if (!err)
			err = heap_maps_open(&t->heap, skel, &t->proc);
		if (err)
			goto fail;
	}
	if (t->unwind) {
		err = unwind_loader_init(t->unwind, bpf_map__fd(skel->maps.unwind_rows), rows, verbose);
		if (err)
			goto fail;
	}
	t->skel = skel;
	return 0;
fail:
	heap_maps_close(&t->heap);
	proc_maps_remove(skel, t->slots, &t->proc);
	proc_slots_free(skel, t->slots);
	t->slots = NULL;
	if (t->unwind)
		unwind_loader_free(t->unwind);
	free(t->unwind);
	t->unwind = NULL;
	memtrace_bpf__destroy(skel);
	return err;
}

static void link_close(struct probe_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	bpf_link__destroy(l->link);
	l->fd = -1;
	l->link = NULL;
}

/* Attaches prog at every offset, as one link where the kernel allows. */
static int attach_many(struct tracer *t, struct bpf_program *prog, const char *path, const uint64_t *offsets,
		       const uint64_t *cookies, int n, bool ret, struct probe_link *out, int *nout)
{
	if (t->multi) {
		int fd = uprobe_multi_attach(bpf_program__fd(prog), path, offsets, cookies, (uint32_t)n, ret,
					     t->pid);

		if (fd < 0)
			return fd;
		out[(*nout)++] = (struct probe_link){ .fd = fd };
		return 0;
	}
	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret, .bpf_cookie = cookies[i]);
		struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, t->pid, path, (size_t)offsets[i], &opts);

		if (!link)
			return errno ? -errno : -EINVAL;
		out[(*nout)++] = (struct probe_link){ .fd = -1, .link = link };
	}
	return 0;
}

static void detach_set(struct allocator *a, struct probe_link *links, int *n)
{
	for (int i = 0; i < *n; i++)
		link_close(&links[i]);
	*n = 0;
	a->path[0] = '\0';
}

void tracer_detach_allocator(struct tracer *t)
{
	detach_set(&t->alloc, t->links, &t->nlinks);
	free(t->links);
	t->links = NULL;
	for (int k = 0; k < 2; k++)
		detach_set(&t->extra[k], t->extra_links[k], &t->nextra_links[k]);
	for (int i = 0; i < t->ncustom_links; i++)
		link_close(&t->custom_links[i]);
	t->ncustom_links = 0;
	t->ncustom = 0;
}

/* Entry probes on every function of a, return probes on all but frees. */
/* Probes a's functions; says nothing on failure (see attach_set). */
static int attach_set_quiet(struct tracer *t, const struct allocator *a, struct probe_link *links, int *n)
{
	uint64_t offs[MT_MAX_ALLOC_FUNCS], cookies[MT_MAX_ALLOC_FUNCS], roffs[MT_MAX_ALLOC_FUNCS];
	int nret = 0, err;

	for (int i = 0; i < a->nfuncs; i++) {
		const struct alloc_func *f = &a->funcs[i];

		/* Entry and return probe on one instruction: one trap serves both. */
		offs[i] = f->offset + f->skip;
		cookies[i] = (uint64_t)f->kind;
		if (MT_COOKIE_KIND(f->kind) != AK_FREE && MT_COOKIE_KIND(f->kind) != AK_CUSTOM_FREE)
			roffs[nret++] = offs[i];
		log_debug(t->verbose, 1, "probe %s at %s+0x%llx, %s+%u: %s%s", f->name, a->path,
			  (unsigned long long)offs[i], f->name, f->skip, f->why,
			  f->emulated ? "" : " (single-stepped: costs an extra trap per call)");
	}
	err = attach_many(t, t->floor ? t->skel->progs.floor_enter : t->skel->progs.alloc_enter, a->host_path,
			  offs, cookies, a->nfuncs, false, links, n);
	if (!err && nret)
		err = attach_many(t, t->floor ? t->skel->progs.floor_return : t->skel->progs.alloc_return,
				  a->host_path, roffs, cookies /* unused */, nret, true, links, n);
	return err;
}

static int attach_set(struct tracer *t, const struct allocator *a, struct probe_link *links, int *n)
{
	int err = attach_set_quiet(t, a, links, n);

	if (err)
		log_error("cannot probe the allocator in %s: %s", a->path, strerror(-err));
	return err;
}

int tracer_attach_custom(struct tracer *t, const struct custom_spec *specs, int n)
{
	int err;

	if (!n || t->ncustom)
		return 0;
	err = custom_resolve(t->pid, specs, n, t->custom, &t->ncustom);
	for (int i = 0; !err && i < t->ncustom; i++)
		err = attach_set(t, &t->custom[i], t->custom_links, &t->ncustom_links);
	if (err) {
		for (int i = 0; i < t->ncustom_links; i++)
			link_close(&t->custom_links[i]);
		t->ncustom_links = 0;
		t->ncustom = 0;
	}
	/* custom_resolve has said what is missing. */
	return err == -ENOENT ? -ECANCELED : err;
}

static bool same_object(const struct allocator *a, const struct allocator *b)
{
	return a->path[0] && a->inode == b->inode && strcmp(a->path, b->path) == 0;
}

int tracer_attach_allocator(struct tracer *t, bool *changed)
{
	struct allocator a, extra;
	int err;

	*changed = false;
	err = allocator_resolve(t->pid, &a);
	if (err)
		return err;
	if (!same_object(&t->alloc, &a)) {
		detach_set(&t->alloc, t->links, &t->nlinks);
		free(t->links);
		t->links = calloc(2 * MT_MAX_ALLOC_FUNCS, sizeof(*t->links));
		if (!t->links)
			return -ENOMEM;
		err = attach_set(t, &a, t->links, &t->nlinks);
		if (err) {
			detach_set(&t->alloc, t->links, &t->nlinks);
			return err;
		}
		t->alloc = a;
		*changed = true;
	}
	/* The extra allocators are optional: most programs have neither, and a
	 * failure to probe one costs only what goes through it. */
	for (int k = 0; k < 2; k++) {
		if ((k == 0 ? cxx_new_resolve : je_prefixed_resolve)(t->pid, &extra) || same_object(&t->extra[k], &extra))
			continue;
		detach_set(&t->extra[k], t->extra_links[k], &t->nextra_links[k]);
		if (attach_set(t, &extra, t->extra_links[k], &t->nextra_links[k]) == 0)
			t->extra[k] = extra;
		else
			detach_set(&t->extra[k], t->extra_links[k], &t->nextra_links[k]);
	}
	return 0;
}

int tracer_attach_like(struct tracer *t, const struct tracer *from)
{
	int err = 0;

	if (from->alloc.path[0]) {
		t->links = calloc(2 * MT_MAX_ALLOC_FUNCS, sizeof(*t->links));
		if (!t->links)
			return -ENOMEM;
		err = attach_set_quiet(t, &from->alloc, t->links, &t->nlinks);
		if (!err)
			t->alloc = from->alloc;
	}
	for (int k = 0; !err && k < 2; k++) {
		if (!from->extra[k].path[0])
			continue;
		err = attach_set_quiet(t, &from->extra[k], t->extra_links[k], &t->nextra_links[k]);
		if (!err)
			t->extra[k] = from->extra[k];
	}
	for (int i = 0; !err && i < from->ncustom; i++) {
		err = attach_set_quiet(t, &from->custom[i], t->custom_links, &t->ncustom_links);
		if (!err)
			t->custom[t->ncustom++] = from->custom[i];
	}
	if (!err && from->dl_path[0]) {
		uint64_t cookie = 0;
		int n = 0;

		err = attach_many(t, t->skel->progs.dl_debug_state, from->dl_path, &from->dl_off, &cookie, 1, false,
				  &t->dl_link, &n);
		if (!err) {
			snprintf(t->dl_path, sizeof(t->dl_path), "%s", from->dl_path);
			t->dl_off = from->dl_off;
		}
	}
	/* A parent traced through the otel_memory contract: its samples are
	 * the heap.  Either way the child's sites are scaled as the parent's
	 * (a pool tracer may come from a child of the other kind). */
	if (!err && otel_usdt_active(&from->otel))
		err = otel_usdt_attach_like(&t->otel, t->pid, t->skel->progs.otel_alloc, t->skel->progs.otel_free,
					    &from->otel);
	if (!err)
		t->heap.sample_bytes = from->heap.sample_bytes;
	if (err)
		tracer_detach_all(t);
	return err;
}

int tracer_attach_dl_hook(struct tracer *t)
{
	struct probe_link link = { .fd = -1 };
	uint64_t off, cookie = 0;
	char path[MT_HOST_PATH_MAX];
	int n = 0, err;

	err = dl_hook_resolve(t->pid, path, &off);
	if (err == -ENOENT)
		return 0; /* statically linked: nothing is ever loaded later */
	if (err)
		return err;
	if ((t->dl_link.fd >= 0 || t->dl_link.link) && strcmp(path, t->dl_path) == 0)
		return 0;
	err = attach_many(t, t->skel->progs.dl_debug_state, path, &off, &cookie, 1, false, &link, &n);
	if (err)
		return err;
	link_close(&t->dl_link);
	t->dl_link = link;
	snprintf(t->dl_path, sizeof(t->dl_path), "%s", path);
	t->dl_off = off;
	return 0;
}

int tracer_attach_exec(struct tracer *t)
{
	t->skel->links.on_exec = bpf_program__attach(t->skel->progs.on_exec);
	return t->skel->links.on_exec ? 0 : (errno ? -errno : -EINVAL);
}

void tracer_detach_all(struct tracer *t)
{
	tracer_detach_allocator(t);
	otel_usdt_detach(&t->otel);
	link_close(&t->dl_link);
	t->dl_path[0] = '\0';
	/* The exec link is the object's: a joined tracer's is its root's. */
	if (t->skel && !t->shared) {
		bpf_link__destroy(t->skel->links.on_exec);
		t->skel->links.on_exec = NULL;
	}
}

uint64_t tracer_dl_stops(const struct tracer *t)
{
	struct mt_proc st;
	uint32_t zero = 0;

	if (t->heap.counters)
		return t->heap.counters->dl_stops;
	/* Not mapped yet (a child just joined): asked of the kernel. */
	if (t->proc.made && bpf_map_lookup_elem(t->proc.state_fd, &zero, &st) == 0)
		return st.counters.dl_stops;
	return 0;
}

void tracer_close(struct tracer *t)
{
	faults_close(t->faults);
	t->faults = NULL;
	if (t->shared) {
		tracer_leave(t);
		return;
	}
	tracer_detach_allocator(t);
	link_close(&t->dl_link);
	heap_maps_close(&t->heap);
	if (t->skel) {
		proc_maps_remove(t->skel, t->slots, &t->proc);
		proc_slots_free(t->skel, t->slots);
	}
	t->slots = NULL;
	if (t->unwind) {
		log_debug(t->verbose, 1,
			  "unwind rows: %u of %u used by %zu objects (%zu left without), %zu ranges by frame pointer, "
			  "%.1f ms",
			  t->unwind->used, t->unwind->cap, t->unwind->objects, t->unwind->full, t->unwind->fp_objects,
			  t->unwind->load_ns / 1e6);
		unwind_full_warn(t->unwind, t->pid);
		unwind_loader_free(t->unwind);
		free(t->unwind);
		t->unwind = NULL;
	}
	if (t->skel)
		memtrace_bpf__destroy(t->skel);
	t->skel = NULL;
}
