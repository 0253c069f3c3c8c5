/* SPDX-License-Identifier: MIT */
/*
 * Sites merged into one call tree by frame name, root (the outermost frame's
 * caller, "all") first.  The folded and flame graph writers walk it; a diff
 * fills two value slots from two profiles over the same tree.
 *
 * Memory is one node per distinct (caller path, name) plus the interned
 * names: it grows with distinct stacks, never with samples.
 */
#ifndef MEMTRACE_CALLTREE_H
#define MEMTRACE_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame_name.h"
#include "hmap.h"
#include "profile.h"

#define CT_ROOT 0u
#define CT_NONE 0u /* as a child/sibling link: node 0 is the root, never a child */
#define CT_SLOTS 2

struct ct_node {
	const char *name; /* interned in the tree; equal names are equal pointers */
	uint32_t parent, first_child, next_sibling;
	uint32_t depth;            /* root 0, outermost frame 1 */
	uint64_t total[CT_SLOTS];  /* inclusive value per slot */
	uint64_t self[CT_SLOTS];   /* value of stacks that end exactly here */
	/* Source line of the frames merged here ("file.c:42"), "several lines"
	 * when they differ, NULL when none has one; inlined when every one is. */
	const char *where;
	bool inlined;
};

struct calltree {
	struct ct_node *nodes;
	size_t n, cap;
	struct hmap index; /* hash of (parent, name) -> node */
	struct strpool *names;
	enum frame_style style;
	uint32_t max_depth;
};

int calltree_init(struct calltree *t, enum frame_style style);
void calltree_free(struct calltree *t);
/* Adds every site of p with a non-zero metric value into slot. */
int calltree_add_profile(struct calltree *t, const struct mt_profile *p, enum mt_metric m, int slot);
/* Adds value for one site (frames innermost first) into slot. */
int calltree_add_site(struct calltree *t, const struct mt_profile *p, const struct mt_site *s,
		      int slot, uint64_t value);
/*
 * Orders node's children by name (strcmp), so output is stable whatever the
 * site order.  Callers sort only what they visit.  -ENOMEM on failure.
 */
int calltree_sort_children(struct calltree *t, uint32_t node);

#endif
