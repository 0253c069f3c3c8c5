// SPDX-License-Identifier: MIT
/* Finding and marking the roots of a reachability scan (see reach_roots.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reach_roots.h"

#define RED_ZONE 128ull
#define TLS_BELOW (64ull << 10)
#define TCB_ABOVE 2304ull /* glibc's struct pthread on x86-64, rounded up */

/* Whether mapping k holds some thread's stack pointer. */
static bool is_stack(const struct reach_stop *st, const struct mapping *k)
{
	for (size_t i = 0; st && i < st->n; i++)
		if (st->t[i].regs_ok && st->t[i].regs.rsp >= k->start && st->t[i].regs.rsp < k->end)
			return true;
	return false;
}

static bool anonymous(const struct mapping *k)
{
	return !k->inode && !k->path[0];
}

/*
 * Whether k maps a loaded object: the same file is mapped executable too.
 * Other writable file mappings are not roots, and are never read: the
 * target chooses them, and reading a page of a file on a FUSE mount served
 * by the target itself, now stopped, would never return.
 */
static bool loaded_object(const struct maps *m, const struct mapping *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].exec && m->v[i].inode == k->inode && m->v[i].dev == k->dev)
			return true;
	return false;
}

/* Whether a tracked block starts inside k: allocator memory, not data. */
static bool holds_blocks(const struct reach_heap *h, const struct mapping *k)
{
	long i = reach_find_at_or_after(h, k->start);

	return i >= 0 && h->b[i].ptr < k->end;
}

/*
 * Which mappings are data roots: 1 for writable file-backed ones, the
 * anonymous ones right after them, and anonymous ones that hold no tracked
 * block (the program's own mappings, glibc's cached thread stacks with
 * their TLS); 2 for memory from before the trace; 0 else.
 */
static int data_kind(const struct reach_heap *h, const struct maps *m, size_t j, bool before_trace)
{
	const struct mapping *k = &m->v[j];

	if (!k->write)
		return 0;
	if (k->inode)
		return loaded_object(m, k);
	for (size_t i = j; i > 0 && anonymous(&m->v[i]) && m->v[i - 1].end == m->v[i].start;) {
		i--;
		if (!m->v[i].write)
			break;
		if (m->v[i].inode)
			return loaded_object(m, &m->v[i]);
		if (!anonymous(&m->v[i]))
			break;
	}
	if (before_trace && (anonymous(k) || !strcmp(k->path, "[heap]")))
		return 2;
	if (anonymous(k) && !holds_blocks(h, k))
		return 1;
	return 0;
}

uint64_t reach_roots_estimate(const struct reach_heap *h, const struct maps *m, bool before_trace,
			      struct reach_range **ranges, size_t *n)
{
	struct reach_range *v = calloc(m->n ? m->n : 1, sizeof(*v));
	uint64_t total = 0;

	*n = 0;
	for (size_t j = 0; j < m->n; j++) {
		if (!data_kind(h, m, j, before_trace))
			continue;
		total += m->v[j].end - m->v[j].start;
		if (v)
			v[(*n)++] = (struct reach_range){ m->v[j].start, m->v[j].end - m->v[j].start };
	}
	*ranges = v;
	return total;
}

static int mark_thread(struct reach_heap *h, const struct reach_thread *th, const struct maps *m,
		       struct reach_roots *out)
{
	const struct mapping *k;
	uint64_t from, to;
	int err = 0;

	reach_mark_words(h, (const uint64_t *)&th->regs, sizeof(th->regs) / 8);
	k = maps_find(m, th->regs.rsp);
	if (k && k->write) {
		from = th->regs.rsp - RED_ZONE < k->start ? k->start : th->regs.rsp - RED_ZONE;
		err = reach_mark_range(h, from, k->end - from);
		out->stack_bytes += k->end - from;
	}
	k = maps_find(m, th->regs.fs_base);
	/* Other threads' TLS sits at the top of their stack mapping, read above. */
	if (!err && k && k->write && !(th->regs.fs_base > th->regs.rsp && k == maps_find(m, th->regs.rsp))) {
		from = th->regs.fs_base - TLS_BELOW < k->start || th->regs.fs_base < TLS_BELOW
			       ? k->start : th->regs.fs_base - TLS_BELOW;
		to = th->regs.fs_base + TCB_ABOVE > k->end ? k->end : th->regs.fs_base + TCB_ABOVE;
		err = reach_mark_range(h, from, to - from);
		out->tls_bytes += to - from;
	}
	return err;
}

int reach_mark_roots(struct reach_heap *h, const struct reach_stop *st, const struct maps *m, bool before_trace,
		     struct reach_roots *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < st->n && !err; i++) {
		out->threads++;
		if (!st->t[i].regs_ok) {
			out->threads_without_regs++;
			continue;
		}
		err = mark_thread(h, &st->t[i], m, out);
	}
	for (size_t j = 0; j < m->n && !err; j++) {
		const struct mapping *k = &m->v[j];
		int kind = data_kind(h, m, j, before_trace);

		if (!kind || is_stack(st, k))
			continue;
		err = reach_mark_range(h, k->start, k->end - k->start);
		if (kind == 1)
			out->data_bytes += k->end - k->start;
		else
			out->before_bytes += k->end - k->start;
	}
	if (!err)
		err = reach_propagate(h);
	return err;
}
