// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hmap.h"
#include "sitegroup.h"
#include "symbolize.h"

struct site_group {
	uint64_t site, group;
};

struct site_groups {
	struct site_group *v; /* by entry number */
	size_t n, cap;
	struct hmap index; /* hash of the site -> entry */
};

struct site_groups *site_groups_new(void)
{
	return calloc(1, sizeof(struct site_groups));
}

void site_groups_free(struct site_groups *g)
{
	if (!g)
		return;
	hmap_free(&g->index);
	free(g->v);
	free(g);
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static uint64_t group_key(struct symbolizer *sym, const struct mt_site_value *v)
{
	uint64_t h = 1469598103934665603ULL;
	uint32_t n = v->nframes < MT_MAX_FRAMES ? v->nframes : MT_MAX_FRAMES;

	for (uint32_t i = 0; i < n; i++) {
		struct resolved r;

		symbolizer_resolve(sym, v->frames[i], 1, &r);
		if (r.function) {
			h = mix(h, r.function, strlen(r.function));
		} else {
			if (r.module)
				h = mix(h, r.module, strlen(r.module));
			h = mix(h, &r.offset, sizeof(r.offset));
		}
		h = mix(h, ";", 1);
	}
	return h ? h : 1;
}

uint64_t site_group_of(struct site_groups *g, struct symbolizer *sym, uint64_t site,
		       const struct mt_site_value *v)
{
	uint64_t h = hmap_hash_u64(site), group;
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&g->index, h, &p); i != HMAP_NONE; i = hmap_next(&g->index, &p))
		if (g->v[i].site == site)
			return g->v[i].group;
	group = group_key(sym, v);
	/* Out of memory: the key is computed again next time, never wrong. */
	if (g->n < HMAP_NONE && !grow((void **)&g->v, &g->cap, g->n, sizeof(*g->v), 1024) &&
	    !hmap_add(&g->index, h, (uint32_t)g->n))
		g->v[g->n++] = (struct site_group){ site, group };
	return group;
}
