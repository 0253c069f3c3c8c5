// SPDX-License-Identifier: MIT
/* As many entries as forks that found the pool empty at once: a few, so a
 * linear scan is the index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "follow_late.h"
#include "grow.h"

int late_add(struct late_children *l, pid_t pid, pid_t parent, uint64_t now_ns)
{
	if (grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 8))
		return -ENOMEM;
	l->v[l->n++] = (struct late_child){ .pid = pid, .parent = parent, .since_ns = now_ns };
	return 0;
}

struct late_child *late_find(struct late_children *l, pid_t pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pid == pid)
			return &l->v[i];
	return NULL;
}

void late_remove(struct late_children *l, size_t i)
{
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

void late_free(struct late_children *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
