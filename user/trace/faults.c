// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exec_ranges.h"
#include "faults.h"
#include "frames.h"
#include "faults.skel.h"
#include "faults_tracer.h"
#include "grow.h"
#include "linkclose.h"
#include "log.h"
#include "symbolize.h"
#include "syscall_tp.h"
#include "verifier_stats.h"

#define SAME(x, y) ((int)(x) == (int)(y))
_Static_assert(SAME(FAULT_REGION_HEAP, MT_REGION_HEAP) && SAME(FAULT_REGION_ANON, MT_REGION_ANON) &&
		       SAME(FAULT_REGION_STACK, MT_REGION_STACK) && SAME(FAULT_REGION_FILE, MT_REGION_FILE) &&
		       SAME(FAULT_REGION_OTHER, MT_REGION_OTHER) && SAME(FAULT_NREGIONS, MT_NREGIONS) &&
		       FAULT_PAGE_SIZE == MT_PAGE_SIZE,
	       "the model's fault regions are the BPF contract's");
#undef SAME

static int add_link(struct faults_tracer *t, struct bpf_link *link)
{
	struct bpf_link **v;

	if (!link)
		return errno ? -errno : -EINVAL;
	v = realloc(t->links, (t->nlinks + 1) * sizeof(*v));
	if (!v) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	t->links = v;
	t->links[t->nlinks++] = link;
	return 0;
}

/* One PERF_COUNT_SW_PAGE_FAULTS event per CPU, every fault a sample. */
static int attach_perf(struct faults_tracer *t)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	t->perf_fds = calloc((size_t)ncpu, sizeof(int));
	if (!t->perf_fds)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_PAGE_FAULTS,
			.sample_period = 1,
			/* As page_fault_user: faults taken in user mode only. */
			.exclude_kernel = 1,
			.exclude_hv = 1,
		};
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* possible but offline CPU */
			err = -errno;
			break;
		}
		t->perf_fds[t->nperf++] = fd;
		err = add_link(t, bpf_program__attach_perf_event(t->skel->progs.page_fault_perf, fd));
		if (err)
			break;
	}
	if (!err && !t->nperf)
		err = -ENODEV;
	return err;
}

static int attach_faults(struct faults_tracer *t)
{
	int err;

	if (!(t->flags & FAULTS_FORCE_PERF)) {
		err = add_link(t, bpf_program__attach(t->skel->progs.page_fault_user));
		if (!err) {
			t->source = "tracepoint";
			return 0;
		}
		log_debug(t->verbose, 1, "exceptions:page_fault_user unavailable (%s): using the "
			  "page-fault perf event", strerror(-err));
	}
	err = attach_perf(t);
	if (!err)
		t->source = "perf_event";
	return err;
}

#define PER_SYSCALL_PROGS(t)                                                                        \
	{                                                                                           \
		(t)->skel->progs.mmap_enter,    (t)->skel->progs.mmap_exit,                         \
		(t)->skel->progs.munmap_enter,  (t)->skel->progs.munmap_exit,                       \
		(t)->skel->progs.mremap_enter,  (t)->skel->progs.mremap_exit,                       \
		(t)->skel->progs.brk_enter,     (t)->skel->progs.brk_exit,                          \
		(t)->skel->progs.madvise_enter, (t)->skel->progs.madvise_exit,                      \
	}
#define RAW_SYSCALL_PROGS(t) { (t)->skel->progs.sys_enter_prog, (t)->skel->progs.sys_exit_prog }

/* Only the syscall programs that will be attached are loaded. */
static void choose_mmap_progs(struct faults_tracer *t, bool trace_mmap)
{
	struct bpf_program *per[] = PER_SYSCALL_PROGS(t), *raw[] = RAW_SYSCALL_PROGS(t);

	/* The per-syscall tracepoints run on the five calls only; the raw
	 * pair runs on every syscall of the machine (~4x the CPU of the
	 * traced calls on a busy one), so it is the fallback. */
	t->per_syscall = trace_mmap && syscall_tracepoints_readable() && !getenv("MT_FAULTS_RAW_SYSCALLS");
	for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
		bpf_program__set_autoload(per[i], t->per_syscall);
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		bpf_program__set_autoload(raw[i], trace_mmap && !t->per_syscall);
}

static int attach_mmap(struct faults_tracer *t)
{
	struct bpf_program *per[] = PER_SYSCALL_PROGS(t), *raw[] = RAW_SYSCALL_PROGS(t);
	struct bpf_program **progs = t->per_syscall ? per : raw;
	size_t n = t->per_syscall ? sizeof(per) / sizeof(per[0]) : sizeof(raw) / sizeof(raw[0]);

	for (size_t i = 0; i < n; i++) {
		int err = add_link(t, bpf_program__attach(progs[i]));

		if (err)
			return err;
	}
	log_debug(t->verbose, 1, "mmap, munmap, mremap, brk, madvise traced via %s",
		  t->per_syscall ? "their syscall tracepoints"
				 : "raw sys_enter/sys_exit (no tracefs access: every syscall of the "
				   "machine runs a filter)");
	return 0;
}

static int attach_all(struct faults_tracer *t)
{
	int err = 0;

	if (t->flags & FAULTS_TRACE_FAULTS)
		err = attach_faults(t);
	if (!err && (t->flags & FAULTS_TRACE_MMAP) && !t->nlinks_ahead)
		err = attach_mmap(t);
	return err;
}

/*
 * A pool's per-syscall programs are attached at load, for good: attaching
 * a tracepoint perf event takes the kernel's event_mutex, which closing a
 * uprobe perf event (another child's pymalloc or GC probes) holds through
 * an SRCU grace period: held forks waited 100-200 ms on it.  Until bound
 * they cost the machine's mmap/munmap/mremap/brk/madvise one more program
 * run each way, which returns at the tgid check.  The raw sys_enter/sys_exit
 * pair (no tracefs) runs on every syscall: attached at bind only.
 */
static int attach_ahead(struct faults_tracer *t)
{
	int err;

	if (!(t->flags & FAULTS_TRACE_MMAP) || !t->per_syscall)
		return 0;
	err = attach_mmap(t);
	if (!err)
		t->nlinks_ahead = t->nlinks;
	return err;
}

int faults_open(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose)
{
	return faults_open_unwind(out, pid, flags, verbose, NULL);
}

/* Before load: the walk by rows on the heap tracer's maps, or frame
 * pointers with a one-row array instead of an unused 4 MiB one. */
static int share_unwind(struct faults_tracer *t, const struct faults_unwind *uw)
{
	int err;

	if (!uw || uw->mode == MT_UNWIND_FP)
		return bpf_map__set_max_entries(t->skel->maps.unwind_rows, 1);
	t->skel->rodata->unwind_mode = (__u32)uw->mode;
	err = bpf_map__reuse_fd(t->skel->maps.exec_ranges, uw->ranges_fd);
	if (!err)
		err = bpf_map__reuse_fd(t->skel->maps.unwind_rows, uw->rows_fd);
	t->shared_ranges = !err;
	return err;
}

/* With `pooled`, loaded for no process and attached by faults_bind; its
 * walk checks frames against the heap tracer's code ranges even with frame
 * pointers (that tracer loads the child's). */
static int open_tracer(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose,
		       const struct faults_unwind *uw, bool pooled)
{
	struct mt_fault_site_value *unknown = NULL;
	__u64 key = MT_UNKNOWN_STACK;
	struct faults_tracer *t;
	const char *what = "load";
	int err;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		log_error("cannot trace page faults: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	t->pid = pid;
	t->flags = flags;
	t->verbose = verbose;
	t->skel = faults_bpf__open();
	if (!t->skel) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	t->skel->bss->target_tgid = pooled ? FAULTS_TGID_NONE : (__u32)pid;
	t->skel->rodata->no_vma = getenv("MT_FAULTS_NO_VMA") != NULL; /* overhead experiments */
	/* The VMA cache is only safe while the syscall programs expire it. */
	t->skel->rodata->use_vma_cache = (flags & FAULTS_TRACE_MMAP) && !getenv("MT_FAULTS_NO_VMA_CACHE");
	/* Only the fault program in use is loaded: the other one may not
	 * even verify on kernels that lack its helpers or context fields. */
	bpf_program__set_autoload(t->skel->progs.page_fault_user,
				  (flags & FAULTS_TRACE_FAULTS) && !(flags & FAULTS_FORCE_PERF));
	bpf_program__set_autoload(t->skel->progs.page_fault_perf, (flags & FAULTS_TRACE_FAULTS) != 0);
	choose_mmap_progs(t, (flags & FAULTS_TRACE_MMAP) != 0);
	err = share_unwind(t, uw);
	if (!err && pooled && !t->shared_ranges && uw) {
		err = bpf_map__reuse_fd(t->skel->maps.exec_ranges, uw->ranges_fd);
		t->shared_ranges = !err;
	}
	if (!err)
		err = faults_bpf__load(t->skel);
	if (err)
		goto fail;
	verifier_stats_log(t->skel->obj, verbose);
	/* Events whose stack can't be kept are charged here. */
	unknown = calloc(1, sizeof(*unknown));
	if (!unknown) {
		err = -ENOMEM;
		goto fail;
	}
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.fsites), &key, unknown, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	what = "attach";
	err = pooled ? attach_ahead(t) : attach_all(t);
	if (err)
		goto fail;
	free(unknown);
	if (!pooled)
		log_debug(verbose, 1, "page faults traced via %s", t->source ? t->source : "nothing");
	*out = t;
	return 0;
fail:
	free(unknown);
	log_error("cannot %s the page-fault programs: %s (needs BTF, bpf_find_vma: kernel >= 5.17; "
		  "-vvv shows the verifier log)", what, strerror(-err));
	faults_close(t);
	return err;
}

int faults_open_unwind(struct faults_tracer **out, pid_t pid, unsigned flags, int verbose,
		       const struct faults_unwind *uw)
{
	return open_tracer(out, pid, flags, verbose, uw, false);
}

int faults_load_unbound(struct faults_tracer **out, unsigned flags, int verbose, const struct faults_unwind *uw)
{
	return open_tracer(out, 0, flags, verbose, uw, true);
}

int faults_bind(struct faults_tracer *t, pid_t pid)
{
	int err;

	/* Named before the programs run: nothing of another process is counted. */
	t->pid = pid;
	t->skel->bss->target_tgid = (__u32)pid;
	err = attach_all(t);
	if (err)
		faults_unbind(t);
	return err;
}

void faults_unbind(struct faults_tracer *t)
{
	t->skel->bss->target_tgid = FAULTS_TGID_NONE;
	links_destroy_all(t->links + t->nlinks_ahead, t->nlinks - t->nlinks_ahead);
	for (int i = 0; i < t->nperf; i++)
		close(t->perf_fds[i]);
	free(t->perf_fds);
	t->perf_fds = NULL;
	t->nlinks = t->nlinks_ahead;
	t->nperf = 0;
	t->source = NULL;
	t->pid = 0;
}

int faults_refresh_ranges(struct faults_tracer *t)
{
	if (t->shared_ranges)
		return 0;
	return t->pid ? exec_ranges_load(bpf_map__fd(t->skel->maps.exec_ranges), t->pid, NULL) : 0;
}

void faults_close(struct faults_tracer *t)
{
	if (!t)
		return;
	links_destroy_all(t->links, t->nlinks);
	for (int i = 0; i < t->nperf; i++)
		close(t->perf_fds[i]);
	free(t->links);
	free(t->perf_fds);
	faults_bpf__destroy(t->skel);
	free(t);
}

/* ---- collection ---- */

/* frames[0] is the faulting (or syscall) instruction itself; every other
 * frame is a return address. */
static int build_frames(struct mt_profile *p, const struct mt_fault_site_value *v, struct symbolizer *sym,
			const struct mt_frame **out, uint32_t *nout)
{
	uint32_t n = v->nframes > MT_MAX_FRAMES ? MT_MAX_FRAMES : v->nframes;
	struct mt_frame *frames;
	int err = frames_symbolize(p, sym, v->frames, n, false, &frames, &n);

	if (err)
		return err;
	*out = frames;
	*nout = n;
	return 0;
}

static bool any_mmap(const struct mt_fault_site_value *v)
{
	return v->mmap_count || v->munmap_count || v->mremap_count || v->brk_count || v->madvise_count;
}

int faults_add_raw(struct mt_faults *f, const struct mt_fault_site_value *v, struct symbolizer *sym,
		   struct mt_profile *owner)
{
	const struct mt_frame *frames;
	uint32_t nframes;
	bool shared = false;
	int err;

	if (!v->fault_count && !any_mmap(v))
		return 0;
	err = build_frames(owner, v, sym, &frames, &nframes);
	if (err)
		return err;
	if (v->fault_count) {
		struct mt_fault_site *s;

		if (grow((void **)&f->sites, &f->sites_cap, f->nsites, sizeof(*s), 16))
			goto nomem;
		s = &f->sites[f->nsites++];
		*s = (struct mt_fault_site){ .frames = frames, .nframes = nframes, .count = v->fault_count,
					     .bytes = v->fault_bytes };
		memcpy(s->regions, v->regions, sizeof(s->regions));
		shared = true;
	}
	if (any_mmap(v)) {
		struct mt_mmap_site *m;

		if (grow((void **)&f->mmap_sites, &f->mmap_sites_cap, f->nmmap_sites, sizeof(*m), 16))
			goto nomem;
		m = &f->mmap_sites[f->nmmap_sites++];
		/* One raw site with both kinds of counts: each list owns a copy. */
		if (shared) {
			struct mt_frame *copy = calloc(nframes ? nframes : 1, sizeof(*copy));

			if (!copy) {
				f->nmmap_sites--;
				return -ENOMEM;
			}
			memcpy(copy, frames, nframes * sizeof(*copy));
			frames = copy;
		}
		*m = (struct mt_mmap_site){
			.frames = frames,
			.nframes = nframes,
			.s = {
				.mmap_count = v->mmap_count, .mmap_bytes = v->mmap_bytes,
				.munmap_count = v->munmap_count, .munmap_bytes = v->munmap_bytes,
				.mremap_count = v->mremap_count, .mremap_grow_bytes = v->mremap_grow_bytes,
				.mremap_shrink_bytes = v->mremap_shrink_bytes,
				.brk_count = v->brk_count, .brk_grow_bytes = v->brk_grow_bytes,
				.brk_shrink_bytes = v->brk_shrink_bytes,
				.madvise_count = v->madvise_count, .madvise_bytes = v->madvise_bytes,
			},
		};
	}
	return 0;
nomem:
	if (!shared)
		free((void *)frames);
	return -ENOMEM;
}

static void add_stats(struct mt_mmap_stats *t, const struct mt_mmap_stats *s)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)t;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

int faults_collect(struct faults_tracer *t, struct symbolizer *sym, struct mt_profile *owner,
		   struct mt_faults **out)
{
	int fd = bpf_map__fd(t->skel->maps.fsites);
	struct mt_fault_site_value *v;
	__u64 key, next, *prev = NULL;
	struct mt_fault_counters c;
	struct mt_faults *f;
	int err = 0;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	v = malloc(sizeof(*v));
	if (!f || !v) {
		free(f);
		free(v);
		return -ENOMEM;
	}
	/* .bss is mmap'd: one copy so the counters are read at one instant. */
	c = t->skel->bss->fcounters;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue; /* deleted meanwhile */
		err = faults_add_raw(f, v, sym, owner);
		if (err)
			break;
	}
	free(v);
	if (err) {
		faults_data_free(f);
		return err;
	}
	for (size_t i = 0; i < f->nsites; i++) {
		f->count += f->sites[i].count;
		f->bytes += f->sites[i].bytes;
		for (int r = 0; r < FAULT_NREGIONS; r++)
			f->regions[r] += f->sites[i].regions[r];
	}
	for (size_t i = 0; i < f->nmmap_sites; i++)
		add_stats(&f->mmap, &f->mmap_sites[i].s);
	f->source = profile_intern(owner, t->source);
	f->drops.stack_unknown = c.stack_full + c.stack_collide;
	f->drops.vma_unknown = c.vma_unknown;
	f->drops.inflight_full = c.inflight_full;
	f->hugetlb_faults = c.hugetlb;
	f->leaf_fixups = c.leaf_fixups;
	faults_sort(f);
	*out = f;
	return 0;
}

