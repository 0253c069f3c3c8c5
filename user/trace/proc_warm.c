// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memtrace.h"
#include "proc_warm.h"

size_t proc_blocks_len(unsigned bucket_bits)
{
	return sizeof(struct mt_block_bucket) << bucket_bits;
}

void proc_maps_warm(struct proc_maps *pm)
{
	size_t len = proc_blocks_len(pm->bucket_bits), page = (size_t)sysconf(_SC_PAGESIZE);
	const volatile uint64_t *p;
	void *m;

	if (pm->blocks_ahead || pm->blocks_fd < 0)
		return;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, pm->blocks_fd, 0);
	if (m == MAP_FAILED)
		return;
	/* One read a page is what costs: the rest of the page is then fast. */
	p = m;
	for (size_t off = 0; off < len; off += page)
		(void)p[off / sizeof(*p)];
	pm->blocks_ahead = m;
}

void proc_maps_cool(struct proc_maps *pm)
{
	if (pm->blocks_ahead)
		munmap(pm->blocks_ahead, proc_blocks_len(pm->bucket_bits));
	pm->blocks_ahead = NULL;
}
