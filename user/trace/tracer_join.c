// SPDX-License-Identifier: MIT
/*
 * A --follow child traced by its root's loaded object: the programs are
 * verified once for the whole tree, and a fork costs the creation of its
 * tables (proc_maps.h) and the attachment of its probes.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "memtrace.h"
#include "memtrace.skel.h"
#include "tracer.h"

int tracer_join(struct tracer *t, const struct tracer *from, pid_t pid, unsigned bucket_bits)
{
	/* Until its own code ranges are loaded, its walks ask its VMAs. */
	static const struct mt_exec_ranges vmas = { .stale = MT_EXEC_STALE_ALL };
	__u32 tgid = (__u32)pid;
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
	t->bucket_bits = bucket_bits;
	/* As tracer_bind, but its tables are mapped once it runs
	 * (tracer_map_heap): four mmaps cost ~0.3 ms of the hold. */
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.exec_ranges), &tgid, &vmas, BPF_ANY);
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

void tracer_leave(struct tracer *t)
{
	__u32 tgid = (__u32)t->pid;

	if (!t->skel)
		return;
	/* First its tables, so what still fires for it writes nothing. */
	heap_maps_close(&t->heap);
	proc_maps_remove_later(t->skel, t->slots, &t->proc);
	tracer_links_close_background(t);
	tracer_detach_all(t);
	if (tgid) {
		/* Its main thread's call slot, as tracer_reset does, and its
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
