// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "sitegroup.h"
#include "symbolize.h"

struct slot {
	uint64_t site, group;
	int used;
};

struct site_groups {
	struct slot *v;
	size_t cap, n;
};

struct site_groups *site_groups_new(void)
{
	struct site_groups *g = calloc(1, sizeof(*g));

	if (g) {
		g->cap = 1024;
		g->v = calloc(g->cap, sizeof(*g->v));
		if (!g->v) {
			free(g);
			g = NULL;
		}
	}
	return g;
}

void site_groups_free(struct site_groups *g)
{
	if (g)
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

static struct slot *find(struct site_groups *g, uint64_t site)
{
	size_t i = (size_t)((site * 0x9e3779b97f4a7c15ULL) >> 20) & (g->cap - 1);

	while (g->v[i].used && g->v[i].site != site)
		i = (i + 1) & (g->cap - 1);
	return &g->v[i];
}

static void grow(struct site_groups *g)
{
	struct slot *old = g->v;
	size_t oldcap = g->cap;

	g->v = calloc(oldcap * 2, sizeof(*g->v));
	if (!g->v) {
		g->v = old;
		return;
	}
	g->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used)
			*find(g, old[i].site) = old[i];
	free(old);
}

uint64_t site_group_of(struct site_groups *g, struct symbolizer *sym, uint64_t site,
		       const struct mt_site_value *v)
{
	struct slot *s;

	if (g->n * 2 >= g->cap)
		grow(g);
	s = find(g, site);
	if (!s->used && g->n * 4 < g->cap * 3) {
		s->used = 1;
		s->site = site;
		s->group = group_key(sym, v);
		g->n++;
	}
	return s->used ? s->group : group_key(sym, v);
}
