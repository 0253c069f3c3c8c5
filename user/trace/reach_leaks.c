// SPDX-License-Identifier: MIT
/* Classified leaks for the final profile (see reach_leaks.h). */
#include <errno.h>
#include <stdlib.h>

#include "reach_leaks.h"
#include "reach_sites.h"

static int cmp_key(const void *key, const void *e)
{
	uint64_t k = *(const uint64_t *)key, s = ((const struct raw_site *)e)->key;

	return k < s ? -1 : k > s;
}

static int cmp_lost(const void *a, const void *b)
{
	const struct mt_leak *x = a, *y = b;

	if (x->reach.lost_bytes != y->reach.lost_bytes)
		return x->reach.lost_bytes < y->reach.lost_bytes ? 1 : -1;
	if (x->reach.indirect_bytes != y->reach.indirect_bytes)
		return x->reach.indirect_bytes < y->reach.indirect_bytes ? 1 : -1;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

int reach_add_leaks(const struct reach_result *r, struct symbolizer *sym, const struct heap_snapshot *snap,
		    uint64_t end_ns, struct mt_profile *p)
{
	p->reach = r->info;
	if (r->info.state != MT_REACH_DONE)
		return 0;
	p->leaks = calloc(r->nsites ? r->nsites : 1, sizeof(*p->leaks));
	if (!p->leaks)
		return -ENOMEM;
	for (size_t i = 0; i < r->nsites; i++) {
		const struct reach_site *rs = &r->sites[i];
		const struct raw_site *raw = snap->nsites ? bsearch(&rs->site, snap->sites, snap->nsites,
								    sizeof(*snap->sites), cmp_key) : NULL;
		const struct mt_reach_counts *c = &rs->c;
		struct mt_site site;

		if (!raw || profile_site_from_raw(p, &raw->v, sym, &site))
			continue; /* a site the snapshot does not have yet: counted in p->reach.total */
		p->leaks[p->nleaks++] = (struct mt_leak){
			.frames = site.frames, .nframes = site.nframes,
			.count = c->lost_count + c->indirect_count + c->reachable_count,
			.bytes = c->lost_bytes + c->indirect_bytes + c->reachable_bytes,
			.oldest_age_ns = end_ns > rs->oldest_ns ? end_ns - rs->oldest_ns : 0,
			.reach = *c,
		};
	}
	if (p->nleaks)
		qsort(p->leaks, p->nleaks, sizeof(*p->leaks), cmp_lost);
	return reach_sites_from_leaks(p);
}
