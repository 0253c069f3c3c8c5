// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "grow.h"
#include "strpool.h"

static uint64_t key_hash(uint32_t parent, const char *name)
{
	return hmap_hash_pair(parent, (uint64_t)(uintptr_t)name);
}

static int64_t new_node(struct calltree *t, uint32_t parent, const char *name)
{
	struct ct_node *n;

	if (t->n >= HMAP_NONE || grow((void **)&t->nodes, &t->cap, t->n, sizeof(*t->nodes), 1024))
		return -ENOMEM;
	n = &t->nodes[t->n];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->parent = parent;
	if (t->n) {
		n->depth = t->nodes[parent].depth + 1;
		n->next_sibling = t->nodes[parent].first_child;
		t->nodes[parent].first_child = (uint32_t)t->n;
		if (n->depth > t->max_depth)
			t->max_depth = n->depth;
	}
	return (int64_t)t->n++;
}

int calltree_init(struct calltree *t, enum frame_style style)
{
	memset(t, 0, sizeof(*t));
	t->style = style;
	t->names = strpool_new();
	if (!t->names || new_node(t, 0, strpool_intern(t->names, "all")) < 0) {
		calltree_free(t);
		return -ENOMEM;
	}
	return 0;
}

void calltree_free(struct calltree *t)
{
	free(t->nodes);
	hmap_free(&t->index);
	strpool_free(t->names);
	memset(t, 0, sizeof(*t));
}

static int64_t child(struct calltree *t, uint32_t parent, const char *name)
{
	uint64_t h = key_hash(parent, name);
	struct hmap_probe p;
	int64_t id;

	for (uint32_t i = hmap_first(&t->index, h, &p); i != HMAP_NONE; i = hmap_next(&t->index, &p))
		if (t->nodes[i].parent == parent && t->nodes[i].name == name)
			return i;
	/* Room first, then the index: new_node cannot fail after hmap_add. */
	if (t->n >= HMAP_NONE || grow((void **)&t->nodes, &t->cap, t->n, sizeof(*t->nodes), 1024) ||
	    hmap_add(&t->index, h, (uint32_t)t->n))
		return -ENOMEM;
	id = new_node(t, parent, name);
	return id;
}

/* The first frame merged into a node sets its line; a different one makes it "several". */
static int note_where(struct calltree *t, struct ct_node *n, const struct mt_frame *f, bool first)
{
	char buf[512];
	const char *w = frame_where(f, buf, sizeof(buf))[0] ? strpool_intern(t->names, buf) : NULL;

	if (buf[0] && !w)
		return -ENOMEM;
	if (first) {
		n->where = w;
		n->inlined = f->inlined;
		return 0;
	}
	n->inlined = n->inlined && f->inlined;
	if (n->where != w && !(n->where = strpool_intern(t->names, "several lines")))
		return -ENOMEM;
	return 0;
}

int calltree_add_site(struct calltree *t, const struct mt_profile *p, const struct mt_site *s,
		      int slot, uint64_t value)
{
	char buf[FRAME_NAME_MAX];
	uint32_t node = CT_ROOT;

	t->nodes[CT_ROOT].total[slot] += value;
	/* frames[] is innermost first; the tree grows from the outermost. */
	for (uint32_t i = s->nframes; i-- > 0;) {
		const char *name = strpool_intern(t->names, frame_name(p, &s->frames[i], t->style, buf));
		size_t before = t->n;
		int64_t id;

		if (!name)
			return -ENOMEM;
		id = child(t, node, name);
		if (id < 0)
			return (int)id;
		node = (uint32_t)id;
		if (note_where(t, &t->nodes[node], &s->frames[i], t->n > before))
			return -ENOMEM;
		t->nodes[node].total[slot] += value;
	}
	t->nodes[node].self[slot] += value;
	return 0;
}

int calltree_add_profile(struct calltree *t, const struct mt_profile *p, enum mt_metric m, int slot)
{
	for (size_t i = 0; i < p->nsites; i++) {
		uint64_t v = site_metric(&p->sites[i], m);
		int err;

		if (!v)
			continue;
		err = calltree_add_site(t, p, &p->sites[i], slot, v);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b, void *tree)
{
	const struct ct_node *nodes = ((const struct calltree *)tree)->nodes;

	return strcmp(nodes[*(const uint32_t *)a].name, nodes[*(const uint32_t *)b].name);
}

int calltree_sort_children(struct calltree *t, uint32_t node)
{
	uint32_t small[64], *kids = small;
	size_t n = 0, i;
	uint32_t c;

	for (c = t->nodes[node].first_child; c != CT_NONE; c = t->nodes[c].next_sibling)
		n++;
	if (n < 2)
		return 0;
	if (n > 64) {
		kids = malloc(n * sizeof(*kids));
		if (!kids)
			return -ENOMEM;
	}
	for (i = 0, c = t->nodes[node].first_child; c != CT_NONE; c = t->nodes[c].next_sibling)
		kids[i++] = c;
	qsort_r(kids, n, sizeof(*kids), cmp_name, t);
	t->nodes[node].first_child = kids[0];
	for (i = 0; i + 1 < n; i++)
		t->nodes[kids[i]].next_sibling = kids[i + 1];
	t->nodes[kids[n - 1]].next_sibling = CT_NONE;
	if (kids != small)
		free(kids);
	return 0;
}
