// SPDX-License-Identifier: MIT
/*
 * A --follow child traced by its root's loaded object: the programs are
 * verified once for the whole tree, and a fork costs the creation of its
 * tables (proc_maps.h) and the attachment of its probes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "memtrace.h"
#include "memtrace.skel.h"
#include "tracer.h"

int tracer_join(struct tracer *t, const struct tracer *from, pid_t pid, pid_t like, unsigned bucket_bits)
{
	static const struct mt_exec_ranges vmas = { .stale = MT_EXEC_STALE_ALL };
	int ranges_fd = bpf_map__fd(from->skel->maps.exec_ranges);
	struct mt_exec_ranges *ranges = malloc(sizeof(*ranges));
	__u32 tgid = (__u32)pid, ltgid = (__u32)like;
	bool inherited;
	int err;

	memset(t, 0, sizeof(*t));
	t->skel = from->skel;
	t->slots = from->slots;
	t->shared = true;
	t->multi = from->multi;
	t->verbose = from->verbose;
	t->floor = from->floor;
	/* The rows are the object's: the child's objects are found there, or
	 * loaded there, by its code ranges (exec_ranges_load). */
	t->unwind = from->unwind;
	t->dl_link.fd = -1;
	/* A fork maps what its parent maps: the parent's code ranges (and
	 * their unwind rows) serve it from its first instruction, unless they
	 * are stale (objects changed since they were written).  Else its
	 * stack walks ask its VMAs, at ~1 us a frame, until its own are loaded
	 * once it runs (exec_ranges_load: reading its maps and finding each
	 * object's rows took 2-7 ms of the loop per postgres backend). */
	inherited = ranges && like > 0 && bpf_map_lookup_elem(ranges_fd, &ltgid, ranges) == 0 && !ranges->stale;
	bpf_map_update_elem(ranges_fd, &tgid, inherited ? ranges : &vmas, BPF_ANY);
	free(ranges);
	t->ranges_inherited = inherited;
	err = proc_maps_add(t->skel, t->slots, tgid, bucket_bits, &t->proc);
	if (err) {
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.exec_ranges), &tgid);
		return err;
	}
	t->pid = pid;
	t->heap.sample_bytes = t->skel->rodata->sample_bytes;
	return 0;
}

int tracer_map_heap(struct tracer *t)
{
	uint64_t sample_bytes = t->heap.sample_bytes;
	int err;

	if (t->heap.counters)
		return 0;
	err = heap_maps_open(&t->heap, t->skel, &t->proc);
	/* tracer_attach_like set it to the parent's. */
	t->heap.sample_bytes = sample_bytes;
	return err;
}

void tracer_untrace(struct tracer *t)
{
	if (t->skel && t->shared)
		proc_maps_untrace(t->skel, &t->proc);
}

void tracer_recycle_slot(struct tracer *t)
{
	if (t->skel && t->shared)
		proc_maps_recycle(t->skel, t->slots, &t->proc);
}

/* What takes time (unmapping its tables, ~1 ms; starting a thread per
 * link to close, 0.4-3.6 ms here), off the event loop, on a copy. */
static void *leave_thread(void *arg)
{
	struct tracer *c = arg;

	heap_maps_close(&c->heap);
	tracer_links_close_background(c);
	tracer_detach_all(c);
	free(c);
	return NULL;
}

void tracer_leave(struct tracer *t)
{
	__u32 tgid = (__u32)t->pid;
	struct tracer *c;
	pthread_attr_t attr;
	pthread_t th;

	if (!t->skel)
		return;
	/* First its slot, so what still fires for it writes nothing: an
	 * ended child's, read by now, is cleared for the next fork; else a
	 * thread removes it (its maps' removal waits for grace periods). */
	if (!proc_maps_recycle(t->skel, t->slots, &t->proc))
		proc_maps_remove_later(t->skel, t->slots, &t->proc);
	c = malloc(sizeof(*c));
	if (c) {
		*c = *t;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, leave_thread, c) == 0) {
			/* The copy owns them now: t keeps nothing to close. */
			memset(&t->heap, 0, sizeof(t->heap));
			memset(&t->otel, 0, sizeof(t->otel));
			memset(t->nextra_links, 0, sizeof(t->nextra_links));
			t->links = NULL;
			t->nlinks = t->ncustom_links = 0;
			t->dl_link = (struct probe_link){ .fd = -1 };
		} else {
			free(c);
		}
		pthread_attr_destroy(&attr);
	}
	heap_maps_close(&t->heap);
	tracer_links_close_background(t);
	tracer_detach_all(t);
	if (tgid) {
		/* Its main thread's call slot (other dead threads' slots only
		 * send threads with the same slot to task-local storage), and its
		 * code ranges (a table of MT_EXEC_TGIDS processes). */
		__u32 slot = tgid & ((1u << 16) - 1);
		struct mt_inflight st;

		if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.inflight_slot), &slot, &st) == 0 && st.owner == tgid) {
			memset(&st, 0, sizeof(st));
			bpf_map_update_elem(bpf_map__fd(t->skel->maps.inflight_slot), &slot, &st, BPF_ANY);
		}
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.exec_ranges), &tgid);
	}
	t->unwind = NULL; /* the root's */
	t->slots = NULL;
	t->skel = NULL;
	t->pid = 0;
}
