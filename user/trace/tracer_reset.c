// SPDX-License-Identifier: MIT
/*
 * A tracer made as new once its process is gone, for --follow's next
 * fork: loading one costs 60-400 ms of CPU here (the verifier, a 64 MiB
 * block table, libbpf reading the kernel's BTF), clearing one a few ms.
 * The process is gone and its probes are detached first, so no BPF
 * program writes to the maps while they are cleared.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "faults.h"
#include "map_clear.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "proc_maps.h"
#include "tracer.h"


#define KEYS_LEN ((size_t)MT_MAX_SITES * sizeof(uint64_t))

/* Site ids are given out anew: their keys go (ids [0, used]). */
static int keys_clear(struct tracer *t, uint64_t used)
{
	void *p = mmap(NULL, KEYS_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(t->skel->maps.site_keys), 0);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0, (size_t)(used + 1) * sizeof(uint64_t));
	munmap(p, KEYS_LEN);
	return 0;
}

static void *close_fd(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

static void collect(struct probe_link *l, int n, int *fds, int *nfds, int max)
{
	for (int i = 0; i < n && *nfds < max; i++)
		if (l[i].fd >= 0 && !l[i].link) {
			fds[(*nfds)++] = l[i].fd;
			l[i].fd = -1;
		}
}

/*
 * Closes the uprobe links at once, each from a detached thread, and does
 * not wait for them: closing one waits for the kernel's readers of its
 * probes to finish (an RCU grace period, 30-600 ms under load here), and
 * the tracer need not.  Its maps may be cleared meanwhile: the links are
 * filtered to a process that is gone (or, at the end of a trace, to one
 * the programs no longer find in proc_state: they write nothing).  What is
 * left (libbpf's links on kernels without multi-uprobe links) is closed
 * one by one by tracer_detach_all.
 */
void tracer_links_close_background(struct tracer *t)
{
	int fds[4 + 2 * 2 * MT_MAX_ALLOC_FUNCS + MT_MAX_CUSTOM * 2 * MT_MAX_ALLOC_FUNCS], nfds = 0;
	int max = (int)(sizeof(fds) / sizeof(fds[0]));
	pthread_attr_t attr;
	pthread_t th;

	if (t->links)
		collect(t->links, t->nlinks, fds, &nfds, max);
	for (int k = 0; k < 2; k++)
		collect(t->extra_links[k], t->nextra_links[k], fds, &nfds, max);
	collect(t->custom_links, t->ncustom_links, fds, &nfds, max);
	collect(&t->dl_link, 1, fds, &nfds, max);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < nfds; i++)
		if (pthread_create(&th, &attr, close_fd, (void *)(intptr_t)fds[i]))
			close(fds[i]);
	pthread_attr_destroy(&attr);
}

/* Each CPU's cache of stack -> site id: the ids are given out anew. */
static int scratch_clear(struct tracer *t)
{
	size_t one = ((size_t)bpf_map__value_size(t->skel->maps.scratch) + 7) & ~(size_t)7;
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	uint32_t zero = 0;
	void *v;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc((size_t)ncpus, one);
	if (!v)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.scratch), &zero, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

int tracer_reset(struct tracer *t)
{
	uint64_t used;
	uint32_t slot;
	int err;

	/* Fault programs alone (tracer_pool_new_faults): only they are emptied. */
	if (!t->skel)
		return t->faults && !faults_reset(t->faults) ? 0 : -EINVAL;

	/* First: what still fires writes nothing from here on (its tables
	 * go: the next process gets new ones, so nothing is scanned). */
	heap_maps_close(&t->heap);
	proc_maps_remove(t->skel, t->slots, &t->proc);
	tracer_links_close_background(t);
	tracer_detach_all(t);
	used = t->skel->bss->counters.sites_used;
	if (used >= MT_MAX_SITES)
		used = MT_MAX_SITES - 1;
	err = keys_clear(t, used);
	/* The unknown site's stack (key 0) stays: tracer_open put it there once. */
	if (!err)
		err = map_clear(bpf_map__fd(t->skel->maps.sites), sizeof(uint64_t), true, MT_UNKNOWN_STACK);
	if (!err)
		err = scratch_clear(t);
	/* The main thread's call slot; other dead threads' slots only send
	 * threads with the same slot to task-local storage. */
	slot = (uint32_t)t->pid & ((1u << 16) - 1);
	if (!err && t->pid) {
		struct mt_inflight st;

		if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.inflight_slot), &slot, &st) == 0 &&
		    st.owner == (uint32_t)t->pid) {
			memset(&st, 0, sizeof(st));
			bpf_map_update_elem(bpf_map__fd(t->skel->maps.inflight_slot), &slot, &st, BPF_ANY);
		}
	}
	if (err)
		return err;
	memset((void *)&t->skel->bss->counters, 0, sizeof(t->skel->bss->counters));
	/* The otel_memory contract's period and counts were the old process's. */
	t->skel->bss->otel_weight = 0;
	t->skel->bss->otel_allocs = t->skel->bss->otel_frees = t->skel->bss->otel_bad_args = 0;
	/* Its code ranges too (a table of MT_EXEC_TGIDS processes). */
	if (t->pid) {
		__u32 tgid = (__u32)t->pid;

		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.exec_ranges), &tgid);
	}
	t->pid = 0;
	memset(t->alloc.path, 0, 1);
	/* Its fault programs: a next child without them has its own loaded. */
	if (t->faults && faults_reset(t->faults)) {
		faults_close(t->faults);
		t->faults = NULL;
	}
	return 0;
}
