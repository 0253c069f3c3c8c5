// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "calltree.h"
#include "folded.h"

static void write_line(const struct calltree *t, uint32_t leaf, const char **path, int columns, FILE *out)
{
	uint32_t depth = t->nodes[leaf].depth, n;

	for (n = leaf; n != CT_ROOT; n = t->nodes[n].parent)
		path[t->nodes[n].depth - 1] = t->nodes[n].name;
	for (uint32_t i = 0; i < depth; i++) {
		if (i)
			fputc(';', out);
		fputs(path[i], out);
	}
	for (int c = 0; c < columns; c++)
		fprintf(out, " %" PRIu64, t->nodes[leaf].self[c]);
	fputc('\n', out);
}

int folded_write_tree(struct calltree *t, int columns, FILE *out)
{
	const char **path = malloc((t->max_depth + 1) * sizeof(*path));
	uint32_t n = CT_ROOT;
	int err = 0;

	if (!path)
		return -ENOMEM;
	/* Pre-order walk over the sibling links: no stack, however deep. */
	for (;;) {
		err = calltree_sort_children(t, n);
		if (err)
			break;
		if (n != CT_ROOT && (t->nodes[n].self[0] || (columns > 1 && t->nodes[n].self[1])))
			write_line(t, n, path, columns, out);
		if (t->nodes[n].first_child != CT_NONE) {
			n = t->nodes[n].first_child;
			continue;
		}
		while (n != CT_ROOT && t->nodes[n].next_sibling == CT_NONE)
			n = t->nodes[n].parent;
		if (n == CT_ROOT)
			break;
		n = t->nodes[n].next_sibling;
	}
	if (!err && ferror(out))
		err = -EIO;
	free(path);
	return err;
}

int folded_write(const struct mt_profile *p, enum mt_metric m, FILE *out)
{
	struct calltree t;
	int err;

	err = calltree_init(&t, FRAME_STYLE_FOLDED);
	if (err)
		return err;
	err = calltree_add_profile(&t, p, m, 0);
	if (!err)
		err = folded_write_tree(&t, 1, out);
	calltree_free(&t);
	return err;
}
