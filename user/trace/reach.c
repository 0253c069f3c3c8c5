// SPDX-License-Identifier: MIT
/* One reachability scan from start to end (see reach.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "procmaps.h"
#include "reach.h"
#include "reach_mark.h"
#include "reach_roots.h"
#include "reach_stop.h"

#define MEASURE_BYTES (32ull << 20)

struct tagged {
	uint64_t site, size, ns;
	uint8_t cls;
};

static int cmp_site(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;

	return x->site < y->site ? -1 : x->site > y->site;
}

static void count(struct mt_reach_counts *c, uint8_t cls, uint64_t size)
{
	if (cls == REACH_LOST) {
		c->lost_count++;
		c->lost_bytes += size;
	} else if (cls == REACH_INDIRECT) {
		c->indirect_count++;
		c->indirect_bytes += size;
	} else {
		c->reachable_count++;
		c->reachable_bytes += size;
	}
}

/* The classes of h's blocks, by site. */
static int by_site(const struct reach_heap *h, struct reach_result *out)
{
	struct tagged *t = calloc(h->n ? h->n : 1, sizeof(*t));
	struct reach_site *v = calloc(h->n ? h->n : 1, sizeof(*v));
	size_t nv = 0;

	if (!t || !v) {
		free(t);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->n; i++)
		t[i] = (struct tagged){ h->b[i].site, h->b[i].size, h->b[i].alloc_ns, h->cls[i] };
	if (h->n)
		qsort(t, h->n, sizeof(*t), cmp_site);
	for (size_t i = 0; i < h->n; i++) {
		if (!nv || v[nv - 1].site != t[i].site)
			v[nv++] = (struct reach_site){ .site = t[i].site, .oldest_ns = t[i].ns };
		if (t[i].ns < v[nv - 1].oldest_ns)
			v[nv - 1].oldest_ns = t[i].ns;
		count(&v[nv - 1].c, t[i].cls, t[i].size);
		count(&out->info.total, t[i].cls, t[i].size);
	}
	free(t);
	out->sites = v;
	out->nsites = nv;
	return 0;
}

/* Stopped: roots, marking, classes.  The caller releases the process. */
static int scan_held(struct reach_heap *h, const struct reach_stop *st, const struct reach_opts *o,
		     struct mt_reach *info)
{
	uint64_t t[5] = { clock_ns(CLOCK_MONOTONIC) };
	struct reach_roots roots;
	struct maps m = { 0 };
	int err;

	/* Read again now that nothing can map or unmap any more. */
	err = maps_read(st->pid, &m);
	t[1] = clock_ns(CLOCK_MONOTONIC);
	if (!err)
		err = reach_read_blocks(h);
	t[2] = clock_ns(CLOCK_MONOTONIC);
	if (!err)
		err = reach_mark_roots(h, st, &m, o->before_trace, &roots);
	t[3] = clock_ns(CLOCK_MONOTONIC);
	if (!err)
		err = reach_classify(h);
	t[4] = clock_ns(CLOCK_MONOTONIC);
	maps_free(&m);
	log_debug(o->verbose, 1, "reachability: maps %.1f ms, blocks read %.1f ms (%zu pointers), roots and marking "
		  "%.1f ms, lost split %.1f ms", (t[1] - t[0]) / 1e6, (t[2] - t[1]) / 1e6, h->nedges,
		  (t[3] - t[2]) / 1e6, (t[4] - t[3]) / 1e6);
	if (err)
		return err;
	info->threads = roots.threads;
	info->threads_without_regs = roots.threads_without_regs;
	info->root_bytes = h->root_bytes;
	info->before_trace_bytes = roots.before_bytes;
	return 0;
}

static int cmp_len_desc(const void *a, const void *b)
{
	const struct reach_range *x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static int estimate(struct reach_heap *h, pid_t pid, const struct reach_opts *o, struct mt_reach *info)
{
	uint64_t bytes = 0, t0 = clock_ns(CLOCK_MONOTONIC), maps_ns;
	struct reach_range *roots = NULL;
	struct maps m = { 0 };
	size_t nroots = 0;
	int err = maps_read(pid, &m);

	if (err)
		return err;
	/* The scan reads the maps again while the process is held. */
	maps_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	for (size_t i = 0; i < h->n; i++)
		bytes += h->b[i].size;
	info->blocks = h->n;
	info->block_bytes = bytes;
	/* Stack pointers are known only once the threads are held: under -p
	 * the threads' stack mappings count whole (anonymous memory from
	 * before the trace), else the stacks are left out. */
	bytes += reach_roots_estimate(h, &m, o->before_trace, &roots, &nroots);
	maps_free(&m);
	/* The largest roots first: they are most of the time when the blocks
	 * are few (under -p, the heap from before the trace). */
	if (nroots)
		qsort(roots, nroots, sizeof(*roots), cmp_len_desc);
	/* The best of three, each on other memory (memory read twice would be
	 * in the CPU's caches): a busy machine preempts. */
	for (int i = 0; i < 3; i++) {
		double r = reach_measure_rate(h, roots, nroots, i * MEASURE_BYTES, MEASURE_BYTES);

		if (r > info->rate_bytes_per_s)
			info->rate_bytes_per_s = r;
	}
	free(roots);
	if (info->rate_bytes_per_s > 0)
		info->estimate_ns = maps_ns + (uint64_t)(bytes / info->rate_bytes_per_s * 1e9);
	return 0;
}

int reach_run(pid_t pid, const struct heap_maps *heap, const struct reach_opts *o, struct reach_result *out)
{
	struct live_block *blocks = NULL;
	struct reach_heap h = { 0 };
	struct reach_stop st = { 0 };
	struct mt_reach *info;
	size_t n = 0;
	int err;

	reach_result_free(out);
	info = &out->info;
	info->state = MT_REACH_FAILED;
	info->max_pause_ns = (uint64_t)(o->max_pause_ms * 1e6);
	info->untracked_blocks = heap->counters->allocs_full;
	err = blocks_read(heap, &blocks, &n);
	if (!err)
		err = reach_heap_init(&h, pid, blocks, n);
	if (err) {
		free(blocks);
		log_error("reachability: cannot list the live blocks: %s", strerror(-err));
		return err;
	}
	err = estimate(&h, pid, o, info);
	if (err)
		goto out;
	if (info->max_pause_ns && info->estimate_ns > info->max_pause_ns) {
		info->state = MT_REACH_REFUSED;
		log_warn("reachability scan refused: it would stop PID %d for about %.0f ms (%.1f MiB at %.0f MiB/s), "
			 "over --reachability-max-pause %.0f ms (raise it to scan)",
			 (int)pid, info->estimate_ns / 1e6, (info->estimate_ns / 1e9) * info->rate_bytes_per_s / 1048576.0,
			 info->rate_bytes_per_s / 1048576.0, o->max_pause_ms);
		goto out;
	}
	err = o->exiting ? reach_stop_exiting(&st, pid) : reach_stop_attached(&st, pid);
	if (err) {
		log_error("reachability: cannot stop PID %d: %s (%s)", (int)pid, strerror(-err),
			  err == -EPERM ? "another tracer holds it, or ptrace is restricted" : "is it still running?");
		goto out;
	}
	err = scan_held(&h, &st, o, info);
	reach_release(&st);
	info->pause_ns = st.pause_ns;
	if (err) {
		log_error("reachability: cannot scan PID %d: %s", (int)pid, strerror(-err));
		goto out;
	}
	info->unreadable_bytes = h.unreadable_bytes;
	info->overlapping = h.overlapping;
	err = by_site(&h, out);
	if (err) {
		log_error("reachability: %s", strerror(-err));
		goto out;
	}
	info->state = MT_REACH_DONE;
	log_debug(o->verbose, 1, "reachability: %zu blocks, %.1f MiB of roots, PID %d stopped %.2f ms (estimated %.2f ms)",
		  h.n, h.root_bytes / 1048576.0, (int)pid, info->pause_ns / 1e6, info->estimate_ns / 1e6);
out:
	reach_heap_free(&h);
	return err;
}

void reach_result_free(struct reach_result *r)
{
	free(r->sites);
	memset(r, 0, sizeof(*r));
}
