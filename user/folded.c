// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "calltree.h"
#include "folded.h"

static void write_line(const struct calltree *t, uint32_t leaf, const char **path, FILE *out)
{
	uint32_t depth = t->nodes[leaf].depth, n;

	for (n = leaf; n != CT_ROOT; n = t->nodes[n].parent)
		path[t->nodes[n].depth - 1] = t->nodes[n].name;
	for (uint32_t i = 0; i < depth; i++) {
		if (i)
			fputc(';', out);
		fputs(path[i], out);
	}
	fprintf(out, " %" PRIu64 "\n", t->nodes[leaf].self[0]);
}

int folded_write(const struct mt_profile *p, enum mt_metric m, FILE *out)
{
	struct calltree t;
	const char **path = NULL;
	uint32_t n;
	int err;

	err = calltree_init(&t, FRAME_STYLE_FOLDED);
	if (err)
		return err;
	err = calltree_add_profile(&t, p, m, 0);
	if (err)
		goto cleanup;
	path = malloc((t.max_depth + 1) * sizeof(*path));
	if (!path) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Pre-order walk over the sibling links: no stack, however deep. */
	n = CT_ROOT;
	for (;;) {
		err = calltree_sort_children(&t, n);
		if (err)
			goto cleanup;
		if (n != CT_ROOT && t.nodes[n].self[0])
			write_line(&t, n, path, out);
		if (t.nodes[n].first_child != CT_NONE) {
			n = t.nodes[n].first_child;
			continue;
		}
		while (n != CT_ROOT && t.nodes[n].next_sibling == CT_NONE)
			n = t.nodes[n].parent;
		if (n == CT_ROOT)
			break;
		n = t.nodes[n].next_sibling;
	}
	if (ferror(out))
		err = -EIO;
cleanup:
	free(path);
	calltree_free(&t);
	return err;
}
