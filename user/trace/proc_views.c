// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "memtrace.h"
#include "proc_views.h"

size_t proc_blocks_len(unsigned bucket_bits)
{
	return sizeof(struct mt_block_bucket) << bucket_bits;
}

size_t proc_counts_len(void)
{
	return (size_t)MT_MAX_SITES * sizeof(struct mt_site_counts);
}

static void *map_rw(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int proc_views_map(struct proc_maps *pm)
{
	if (pm->blocks_view)
		return 0;
	pm->state_view = map_rw(pm->state_fd, sizeof(struct mt_proc));
	pm->counts_view = map_rw(pm->counts_fd, proc_counts_len());
	pm->blocks_view = map_rw(pm->blocks_fd, proc_blocks_len(pm->bucket_bits));
	if (pm->state_view && pm->counts_view && pm->blocks_view)
		return 0;
	proc_views_unmap(pm);
	return -errno;
}

void proc_views_warm(const struct proc_maps *pm)
{
	size_t len = proc_blocks_len(pm->bucket_bits), page = (size_t)sysconf(_SC_PAGESIZE);
	const volatile uint64_t *p = pm->blocks_view;

	for (size_t off = 0; p && off < len; off += page)
		(void)p[off / sizeof(*p)];
}

void proc_views_unmap(struct proc_maps *pm)
{
	if (pm->state_view)
		munmap(pm->state_view, sizeof(struct mt_proc));
	if (pm->counts_view)
		munmap(pm->counts_view, proc_counts_len());
	if (pm->blocks_view)
		munmap(pm->blocks_view, proc_blocks_len(pm->bucket_bits));
	pm->state_view = pm->counts_view = pm->blocks_view = NULL;
}

/* Deletes every key of the overflow map: it holds a few blocks at most
 * (only those of full buckets), and usually none. */
static void more_clear(int fd)
{
	uint64_t key;
	int n = 0;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0 && n++ < (int)MT_MAX_BLOCKS_MORE)
		if (bpf_map_delete_elem(fd, &key))
			break;
}

void proc_views_clear(struct proc_maps *pm, uint32_t nsites)
{
	struct mt_proc *st = pm->state_view;
	struct mt_block_bucket *b = pm->blocks_view;
	uint32_t nbuckets = 1u << pm->bucket_bits;

	if (nsites > MT_MAX_SITES)
		nsites = MT_MAX_SITES;
	if (st->counters.blocks_more)
		more_clear(pm->more_fd);
	/* Only the buckets holding a block are written (a way whose ptr is 0
	 * is free, whatever its data): a write would dirty the others' pages
	 * for nothing. */
	for (uint32_t i = 0; i < nbuckets; i++) {
		bool used = false;

		for (int w = 0; w < MT_BLOCK_WAYS && !used; w++)
			used = b[i].ptr[w] != 0;
		if (used)
			memset(&b[i], 0, sizeof(b[i]));
	}
	memset(pm->counts_view, 0, (size_t)nsites * sizeof(struct mt_site_counts));
	memset(st, 0, sizeof(*st));
	st->bucket_bits = pm->bucket_bits;
}
