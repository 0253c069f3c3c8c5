// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "grow.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "proc_maps.h"

static int create(enum bpf_map_type type, const char *name, uint32_t key, uint32_t value, uint32_t n,
		  uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = bpf_map_create(type, name, key, value, n, &opts);

	return fd < 0 ? -errno : fd;
}

static int enter(struct bpf_map *outer, uint32_t slot, int fd)
{
	return bpf_map_update_elem(bpf_map__fd(outer), &slot, &fd, BPF_ANY) ? -errno : 0;
}

static void slot_free(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm)
{
	int *fds[] = { &pm->state_fd, &pm->counts_fd, &pm->blocks_fd, &pm->more_fd };
	struct bpf_map *outer[] = { skel->maps.proc_state, skel->maps.proc_counts, skel->maps.proc_blocks,
				    skel->maps.proc_more };
	uint32_t slot = pm->slot;

	if (!pm->made)
		return;
	/* Its maps go with their last reference: the entries and our fds. */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		bpf_map_delete_elem(bpf_map__fd(outer[i]), &slot);
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (!grow((void **)&slots->free, &slots->cap, slots->nfree, sizeof(*slots->free), 16))
		slots->free[slots->nfree++] = slot;
	pm->made = false;
}

/* Creates a slot's maps and enters them: waits for a grace period per entry. */
static int slot_make(struct memtrace_bpf *skel, struct proc_slots *slots, unsigned bucket_bits,
		     struct proc_maps *pm)
{
	struct mt_proc st = { .bucket_bits = bucket_bits };
	uint32_t zero = 0, slot;
	int err;

	memset(pm, 0, sizeof(*pm));
	pm->bucket_bits = bucket_bits;
	pm->state_fd = pm->counts_fd = pm->blocks_fd = pm->more_fd = -1;
	if (slots->nfree)
		slot = slots->free[--slots->nfree];
	else if (slots->next < MT_MAX_PROCS)
		slot = slots->next++;
	else
		return -ENOSPC;
	pm->slot = slot;
	pm->made = true;
	/* Flags as the templates' (proc_maps.bpf.h): the kernel compares them.
	 * The overflow map is as big as the table's bucket count, at most
	 * MT_MAX_BLOCKS_MORE: creating a hash map of 2^18 entries took 14-17 ms
	 * here, one of 2^14 0.4 ms. */
	err = pm->more_fd = create(BPF_MAP_TYPE_HASH, "mt_more", sizeof(uint64_t), sizeof(struct mt_block),
				   bucket_bits >= 18 ? MT_MAX_BLOCKS_MORE : 1u << bucket_bits, BPF_F_NO_PREALLOC);
	if (err >= 0)
		err = pm->blocks_fd = create(BPF_MAP_TYPE_ARRAY, "mt_blocks", sizeof(uint32_t),
					     sizeof(struct mt_block_bucket), 1u << bucket_bits,
					     BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	if (err >= 0)
		err = pm->counts_fd = create(BPF_MAP_TYPE_ARRAY, "mt_counts", sizeof(uint32_t),
					     sizeof(struct mt_site_counts), MT_MAX_SITES, BPF_F_MMAPABLE);
	if (err >= 0)
		err = pm->state_fd = create(BPF_MAP_TYPE_ARRAY, "mt_state", sizeof(uint32_t), sizeof(struct mt_proc), 1,
					    BPF_F_MMAPABLE);
	if (err >= 0 && bpf_map_update_elem(pm->state_fd, &zero, &st, BPF_ANY))
		err = -errno;
	if (err >= 0)
		err = enter(skel->maps.proc_more, slot, pm->more_fd);
	if (err >= 0)
		err = enter(skel->maps.proc_blocks, slot, pm->blocks_fd);
	if (err >= 0)
		err = enter(skel->maps.proc_counts, slot, pm->counts_fd);
	if (err >= 0)
		err = enter(skel->maps.proc_state, slot, pm->state_fd);
	if (err < 0) {
		slot_free(skel, slots, pm);
		return err;
	}
	return 0;
}

int proc_maps_add(struct memtrace_bpf *skel, struct proc_slots *slots, uint32_t tgid, unsigned bucket_bits,
		  struct proc_maps *pm)
{
	int err = 0;

	if (slots->nready && slots->ready[slots->nready - 1].bucket_bits == bucket_bits)
		*pm = slots->ready[--slots->nready];
	else
		err = slot_make(skel, slots, bucket_bits, pm);
	if (err)
		return err;
	/* A plain hash update: the programs trace tgid from here on. */
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.proc_slot), &tgid, &pm->slot, BPF_ANY)) {
		err = -errno;
		slot_free(skel, slots, pm);
		return err;
	}
	pm->tgid = tgid;
	return 0;
}

void proc_maps_remove(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm)
{
	if (pm->tgid)
		bpf_map_delete_elem(bpf_map__fd(skel->maps.proc_slot), &pm->tgid);
	pm->tgid = 0;
	slot_free(skel, slots, pm);
}

int proc_slots_fill(struct memtrace_bpf *skel, struct proc_slots *slots, unsigned bucket_bits, int n)
{
	if (n > PROC_SLOTS_READY)
		n = PROC_SLOTS_READY;
	while (slots->nready < n) {
		int err = slot_make(skel, slots, bucket_bits, &slots->ready[slots->nready]);

		if (err)
			return err;
		slots->nready++;
	}
	return 0;
}

void proc_slots_free(struct memtrace_bpf *skel, struct proc_slots *slots)
{
	while (slots->nready)
		slot_free(skel, slots, &slots->ready[--slots->nready]);
	free(slots->free);
	memset(slots, 0, sizeof(*slots));
}
