// SPDX-License-Identifier: MIT
/*
 * A few entries at a time (one per task between its two reports, and the
 * decided ones, capped), so a linear scan of a small array is the index.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "follow_births.h"
#include "grow.h"

static ssize_t find(const struct births *b, pid_t tid)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].tid == tid)
			return (ssize_t)i;
	return -1;
}

static void drop(struct births *b, size_t i)
{
	b->v[i] = b->v[--b->n];
}

static int add(struct births *b, pid_t tid, pid_t parent, enum birth_kind kind)
{
	if (grow((void **)&b->v, &b->cap, b->n, sizeof(*b->v), 8))
		return -ENOMEM;
	b->v[b->n++] = (struct birth){ .tid = tid, .parent = parent, .kind = kind };
	return 0;
}

int births_event(struct births *b, pid_t tid, pid_t parent, enum birth_kind kind)
{
	ssize_t i = find(b, tid);

	if (i < 0)
		return add(b, tid, parent, kind);
	switch (b->v[i].kind) {
	case BIRTH_WAITING:
		drop(b, (size_t)i);
		return 1;
	case BIRTH_DECIDED:
		drop(b, (size_t)i);
		return 0;
	default:
		/* A stale entry of a task whose first stop never came (it was
		 * killed first), its tid now reused: the new event stands. */
		b->v[i].parent = parent;
		b->v[i].kind = kind;
		return 0;
	}
}

enum birth_kind births_first_stop(struct births *b, pid_t tid, pid_t *parent)
{
	ssize_t i = find(b, tid);
	enum birth_kind kind;

	if (i < 0 || (b->v[i].kind != BIRTH_PROCESS && b->v[i].kind != BIRTH_THREAD))
		return BIRTH_NONE;
	kind = b->v[i].kind;
	*parent = b->v[i].parent;
	drop(b, (size_t)i);
	return kind;
}

int births_wait(struct births *b, pid_t tid)
{
	ssize_t i = find(b, tid);

	if (i >= 0) {
		b->v[i].kind = BIRTH_WAITING;
		return 0;
	}
	return add(b, tid, 0, BIRTH_WAITING);
}

void births_decided(struct births *b, pid_t tid)
{
	size_t decided = 0, oldest = 0;
	bool found = false;

	for (size_t i = b->n; i-- > 0;)
		if (b->v[i].kind == BIRTH_DECIDED) {
			decided++;
			oldest = i;
			found = true;
		}
	/* Entries are appended, and drop() moves the last into the hole, so
	 * the lowest index is the oldest but for those moves: close enough
	 * for a cap that only bounds memory. */
	if (found && decided >= BIRTHS_MAX_DECIDED)
		drop(b, oldest);
	if (find(b, tid) < 0)
		add(b, tid, 0, BIRTH_DECIDED);
}

void births_forget(struct births *b, pid_t tid)
{
	ssize_t i = find(b, tid);

	if (i >= 0)
		drop(b, (size_t)i);
}

void births_free(struct births *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}
