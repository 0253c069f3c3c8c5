// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "grow.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "proc_maps.h"
#include "proc_views.h"

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
	proc_views_unmap(pm);
	/* Its maps go with their last reference: the entries and our fds. */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		bpf_map_delete_elem(bpf_map__fd(outer[i]), &slot);
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	pthread_mutex_lock(&slots->lock);
	if (!grow((void **)&slots->free, &slots->cap, slots->nfree, sizeof(*slots->free), 16))
		slots->free[slots->nfree++] = slot;
	pthread_mutex_unlock(&slots->lock);
	pm->made = false;
}

static void close_maps(struct proc_maps *pm)
{
	int *fds[] = { &pm->state_fd, &pm->counts_fd, &pm->blocks_fd, &pm->more_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Creates pm's maps, of pm->bucket_bits buckets, and enters them in pm's
 * slot (replacing what it held): waits for a grace period per entry. */
static int maps_make(struct memtrace_bpf *skel, struct proc_maps *pm)
{
	struct mt_proc st = { .bucket_bits = pm->bucket_bits };
	unsigned bucket_bits = pm->bucket_bits;
	uint32_t zero = 0, slot = pm->slot;
	int err;

	pm->state_fd = pm->counts_fd = pm->blocks_fd = pm->more_fd = -1;
	pm->state_view = pm->counts_view = pm->blocks_view = NULL;
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
	if (err >= 0)
		err = proc_views_map(pm);
	return err < 0 ? err : 0;
}

/* A free slot with new maps: waits for a grace period per entry. */
static int slot_make(struct memtrace_bpf *skel, struct proc_slots *slots, unsigned bucket_bits,
		     struct proc_maps *pm)
{
	uint32_t slot;
	int err = 0;

	memset(pm, 0, sizeof(*pm));
	pm->bucket_bits = bucket_bits;
	pthread_mutex_lock(&slots->lock);
	if (slots->nfree)
		slot = slots->free[--slots->nfree];
	else if (slots->next < MT_MAX_PROCS)
		slot = slots->next++;
	else
		err = -ENOSPC;
	pthread_mutex_unlock(&slots->lock);
	if (err)
		return err;
	pm->slot = slot;
	pm->made = true;
	err = maps_make(skel, pm);
	if (err)
		slot_free(skel, slots, pm);
	return err;
}

int proc_maps_add(struct memtrace_bpf *skel, struct proc_slots *slots, uint32_t tgid, unsigned bucket_bits,
		  struct proc_maps *pm)
{
	bool took = false;
	int err = 0;

	pthread_mutex_lock(&slots->lock);
	if (slots->nready && slots->ready[slots->nready - 1].bucket_bits == bucket_bits) {
		*pm = slots->ready[--slots->nready];
		took = true;
	}
	pthread_mutex_unlock(&slots->lock);
	if (!took)
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
	proc_maps_untrace(skel, pm);
	slot_free(skel, slots, pm);
}

void proc_maps_untrace(struct memtrace_bpf *skel, struct proc_maps *pm)
{
	if (pm->tgid)
		bpf_map_delete_elem(bpf_map__fd(skel->maps.proc_slot), &pm->tgid);
	pm->tgid = 0;
}

bool proc_maps_recycle(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm)
{
	bool room;

	proc_maps_untrace(skel, pm);
	if (!pm->made || !pm->blocks_view)
		return false;
	/* Not after proc_slots_free began (want 0): the slots go then. */
	pthread_mutex_lock(&slots->lock);
	room = slots->want && slots->nready < PROC_SLOTS_READY && pm->bucket_bits == slots->want_bits;
	pthread_mutex_unlock(&slots->lock);
	if (!room)
		return false;
	proc_views_clear(pm, (uint32_t)skel->bss->counters.sites_used + 1);
	pthread_mutex_lock(&slots->lock);
	if (slots->nready < PROC_SLOTS_READY) {
		slots->ready[slots->nready++] = *pm;
		pm->made = false;
		pm->state_view = pm->counts_view = pm->blocks_view = NULL;
	}
	pthread_mutex_unlock(&slots->lock);
	return !pm->made;
}

struct remove_job {
	struct memtrace_bpf *skel;
	struct proc_slots *slots;
	struct proc_maps pm;
};

/* Gives the slot new maps when one more is wanted ready, else frees it. */
static void *remove_thread(void *arg)
{
	struct remove_job *j = arg;
	struct proc_slots *slots = j->slots;
	struct proc_maps old;
	bool remake;

	/* Behind the traced processes: it inherits the event loop's raised
	 * priority (follow_prioritize), and reading the new table through
	 * (proc_views_warm, ~2 ms for 2^14 buckets) took the CPU from the
	 * next child.  An idle CPU runs it at once all the same. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);

	old = j->pm;

	pthread_mutex_lock(&slots->lock);
	remake = slots->nready < slots->want && j->pm.bucket_bits == slots->want_bits;
	pthread_mutex_unlock(&slots->lock);
	if (remake && maps_make(j->skel, &j->pm) == 0) {
		/* Replaced: the slot's entries hold the new ones. */
		proc_views_unmap(&old);
		close_maps(&old);
		proc_views_warm(&j->pm);
		pthread_mutex_lock(&slots->lock);
		if (slots->nready < PROC_SLOTS_READY)
			slots->ready[slots->nready++] = j->pm;
		else
			remake = false;
		pthread_mutex_unlock(&slots->lock);
		if (!remake)
			slot_free(j->skel, slots, &j->pm);
	} else {
		if (remake) {
			/* What maps_make made of them. */
			proc_views_unmap(&j->pm);
			close_maps(&j->pm);
		}
		j->pm = old;
		slot_free(j->skel, slots, &j->pm);
	}
	pthread_mutex_lock(&slots->lock);
	slots->busy--;
	pthread_cond_broadcast(&slots->idle);
	pthread_mutex_unlock(&slots->lock);
	free(j);
	return NULL;
}

void proc_maps_remove_later(struct memtrace_bpf *skel, struct proc_slots *slots, struct proc_maps *pm)
{
	struct remove_job *j;
	pthread_attr_t attr;
	pthread_t th;

	proc_maps_untrace(skel, pm);
	if (!pm->made)
		return;
	j = malloc(sizeof(*j));
	if (!j) {
		slot_free(skel, slots, pm);
		return;
	}
	*j = (struct remove_job){ .skel = skel, .slots = slots, .pm = *pm };
	pm->made = false;
	/* The thread's now. */
	pm->state_view = pm->counts_view = pm->blocks_view = NULL;
	pthread_mutex_lock(&slots->lock);
	slots->busy++;
	pthread_mutex_unlock(&slots->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, remove_thread, j))
		remove_thread(j);
	pthread_attr_destroy(&attr);
}

struct proc_slots *proc_slots_new(void)
{
	struct proc_slots *slots = calloc(1, sizeof(*slots));

	if (!slots)
		return NULL;
	pthread_mutex_init(&slots->lock, NULL);
	pthread_cond_init(&slots->idle, NULL);
	return slots;
}

int proc_slots_fill(struct memtrace_bpf *skel, struct proc_slots *slots, unsigned bucket_bits, int n)
{
	struct proc_maps pm;
	int err;

	if (n > PROC_SLOTS_READY)
		n = PROC_SLOTS_READY;
	pthread_mutex_lock(&slots->lock);
	slots->want = n;
	slots->want_bits = bucket_bits;
	pthread_mutex_unlock(&slots->lock);
	for (;;) {
		pthread_mutex_lock(&slots->lock);
		if (slots->nready >= n) {
			pthread_mutex_unlock(&slots->lock);
			return 0;
		}
		pthread_mutex_unlock(&slots->lock);
		err = slot_make(skel, slots, bucket_bits, &pm);
		if (err)
			return err;
		proc_views_warm(&pm);
		pthread_mutex_lock(&slots->lock);
		if (slots->nready < PROC_SLOTS_READY) {
			slots->ready[slots->nready++] = pm;
			pm.made = false;
		}
		pthread_mutex_unlock(&slots->lock);
		slot_free(skel, slots, &pm); /* a thread filled the last one meanwhile */
	}
}

void proc_slots_free(struct memtrace_bpf *skel, struct proc_slots *slots)
{
	if (!slots)
		return;
	pthread_mutex_lock(&slots->lock);
	slots->want = 0;
	while (slots->busy)
		pthread_cond_wait(&slots->idle, &slots->lock);
	pthread_mutex_unlock(&slots->lock);
	while (slots->nready)
		slot_free(skel, slots, &slots->ready[--slots->nready]);
	free(slots->free);
	pthread_mutex_destroy(&slots->lock);
	pthread_cond_destroy(&slots->idle);
	free(slots);
}
