// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "faults_data.h"

static const char *const region_names[FAULT_NREGIONS] = {
	[FAULT_REGION_HEAP] = "heap", [FAULT_REGION_ANON] = "anon", [FAULT_REGION_STACK] = "stack",
	[FAULT_REGION_FILE] = "file", [FAULT_REGION_OTHER] = "other",
};

const char *fault_region_name(enum fault_region r)
{
	return (unsigned)r < FAULT_NREGIONS ? region_names[r] : "other";
}

static uint64_t mapped_bytes(const struct mt_mmap_stats *s)
{
	return s->mmap_bytes + s->brk_grow_bytes + s->mremap_grow_bytes;
}

static int cmp_fault_site(const void *a, const void *b)
{
	const struct mt_fault_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return 0;
}

static int cmp_mmap_site(const void *a, const void *b)
{
	const struct mt_mmap_site *x = a, *y = b;
	uint64_t mx = mapped_bytes(&x->s), my = mapped_bytes(&y->s);
	uint64_t ux = x->s.munmap_bytes + x->s.madvise_bytes, uy = y->s.munmap_bytes + y->s.madvise_bytes;

	if (mx != my)
		return mx < my ? 1 : -1;
	if (ux != uy)
		return ux < uy ? 1 : -1;
	return 0;
}

void faults_sort(struct mt_faults *f)
{
	if (f->nsites)
		qsort(f->sites, f->nsites, sizeof(*f->sites), cmp_fault_site);
	if (f->nmmap_sites)
		qsort(f->mmap_sites, f->nmmap_sites, sizeof(*f->mmap_sites), cmp_mmap_site);
}

void faults_data_free(struct mt_faults *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nsites; i++)
		free((void *)f->sites[i].frames);
	for (size_t i = 0; i < f->nmmap_sites; i++)
		free((void *)f->mmap_sites[i].frames);
	free(f->sites);
	free(f->mmap_sites);
	free(f);
}
