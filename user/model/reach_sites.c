// SPDX-License-Identifier: MIT
/* Matching leaks to sites by stack (see reach_sites.h). */
#include <stdbool.h>

#include "hmap.h"
#include "reach_sites.h"

static uint64_t stack_hash(const struct mt_frame *f, uint32_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a over the addresses */

	for (uint32_t i = 0; i < n; i++) {
		h ^= f[i].addr;
		h *= 1099511628211ull;
	}
	return h ^ n;
}

static bool same_stack(const struct mt_frame *a, uint32_t na, const struct mt_frame *b, uint32_t nb)
{
	if (na != nb)
		return false;
	for (uint32_t i = 0; i < na; i++)
		if (a[i].addr != b[i].addr)
			return false;
	return true;
}

int reach_sites_from_leaks(struct mt_profile *p)
{
	struct hmap m = { 0 };
	int err = 0;

	for (size_t i = 0; i < p->nleaks && !err; i++)
		err = hmap_add(&m, stack_hash(p->leaks[i].frames, p->leaks[i].nframes), (uint32_t)i);
	for (size_t i = 0; i < p->nsites && !err; i++) {
		struct mt_site *s = &p->sites[i];
		struct hmap_probe pr;

		for (uint32_t k = hmap_first(&m, stack_hash(s->frames, s->nframes), &pr); k != HMAP_NONE;
		     k = hmap_next(&m, &pr)) {
			if (same_stack(p->leaks[k].frames, p->leaks[k].nframes, s->frames, s->nframes)) {
				s->reach = p->leaks[k].reach;
				break;
			}
		}
	}
	hmap_free(&m);
	return err;
}
