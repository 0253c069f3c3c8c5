// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "layout_savings.h"

static int cmp(const void *a, const void *b)
{
	const struct mt_layout_saving *x = a, *y = b;

	if (x->live_saving != y->live_saving)
		return x->live_saving > y->live_saving ? -1 : 1;
	if (x->alloc_saving != y->alloc_saving)
		return x->alloc_saving > y->alloc_saving ? -1 : 1;
	return strcmp(x->type, y->type);
}

void layout_savings_sort(struct mt_layout_savings *ls)
{
	if (ls->n)
		qsort(ls->rows, ls->n, sizeof(*ls->rows), cmp);
}

uint64_t layout_savings_live_total(const struct mt_layout_savings *ls)
{
	uint64_t t = 0;

	for (size_t i = 0; i < ls->n; i++)
		t += ls->rows[i].live_saving;
	return t;
}

void layout_savings_free(struct mt_layout_savings *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->rows[i].type);
		free(ls->rows[i].module);
	}
	free(ls->rows);
	free(ls);
}
