// SPDX-License-Identifier: MIT
/* procmaps: /proc/PID/maps parsing, lookup and snapshot merging. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procmaps.h"

__attribute__((noinline)) int procmaps_local_function(int x)
{
	return x * 7 + 1;
}

static struct mapping mk(uint64_t start, uint64_t end, const char *path)
{
	struct mapping m = { .start = start, .end = end, .exec = true, .inode = 1 };

	snprintf(m.path, sizeof(m.path), "%s", path);
	return m;
}

/* A maps built by hand; maps_free() frees v. */
static void mk_maps(struct maps *m, const struct mapping *v, size_t n)
{
	m->v = calloc(n ? n : 1, sizeof(*m->v));
	cr_assert_not_null(m->v);
	memcpy(m->v, v, n * sizeof(*v));
	m->n = m->cap = n;
}

Test(procmaps, self_text_mapping)
{
	struct maps m;
	const struct mapping *e;
	char exe[4096];
	ssize_t n;
	uint64_t fn = (uint64_t)(uintptr_t)&procmaps_local_function;

	cr_assert_eq(maps_read(getpid(), &m), 0);
	cr_assert_gt(m.n, 5);
	e = maps_find(&m, fn);
	cr_assert_not_null(e);
	cr_assert(e->start <= fn && fn < e->end);
	cr_assert_eq(e->exec, true);
	cr_assert_eq(e->write, false);
	cr_assert_neq(e->inode, 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_str_eq(e->path, exe);
	/* Sorted by start, no overlap. */
	for (size_t i = 1; i < m.n; i++)
		cr_assert_leq(m.v[i - 1].end, m.v[i].start, "mapping %zu overlaps or is out of order", i);
	maps_free(&m);
	cr_assert_null(m.v);
	cr_assert_eq(m.n, 0);
}

Test(procmaps, self_anonymous_and_special)
{
	struct maps m;
	const struct mapping *e;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *anon = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int local = 0;

	cr_assert_neq(anon, MAP_FAILED);
	/* Keep it from merging with a neighbour of the same protection. */
	cr_assert_eq(mprotect(anon + pg, pg, PROT_READ), 0);
	cr_assert_eq(maps_read(getpid(), &m), 0);
	e = maps_find(&m, (uint64_t)(uintptr_t)(anon + pg));
	cr_assert_not_null(e);
	cr_assert_eq(e->start, (uint64_t)(uintptr_t)(anon + pg));
	cr_assert_eq(e->end, (uint64_t)(uintptr_t)(anon + 2 * pg));
	cr_assert_str_eq(e->path, "");
	cr_assert_eq(e->inode, 0);
	cr_assert_eq(e->exec, false);
	cr_assert_eq(e->write, false);
	e = maps_find(&m, (uint64_t)(uintptr_t)anon);
	cr_assert_not_null(e);
	cr_assert_eq(e->write, true);
	e = maps_find(&m, (uint64_t)(uintptr_t)&local);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->path, "[stack]");
	maps_free(&m);
	munmap(anon, 3 * pg);
}

Test(procmaps, file_offset_parsed)
{
	struct maps m;
	int found = 0;

	cr_assert_eq(maps_read(getpid(), &m), 0);
	/* libc maps several pieces of one file: at least one at a non-zero offset. */
	for (size_t i = 0; i < m.n; i++) {
		if (strstr(m.v[i].path, "libc.so") && m.v[i].offset)
			found = 1;
	}
	cr_assert(found, "no libc mapping with a file offset");
	maps_free(&m);
}

Test(procmaps, gone_process)
{
	struct maps m;
	int err = maps_read(0x3ffffff0, &m);

	cr_assert(err == -ENOENT || err == -ESRCH, "err %d", err);
}

Test(procmaps, find_boundaries)
{
	struct mapping v[] = { mk(0x1000, 0x3000, "/a"), mk(0x3000, 0x4000, "/b"), mk(0x8000, 0x9000, "/c") };
	struct maps m;

	mk_maps(&m, v, 3);
	cr_assert_null(maps_find(&m, 0));
	cr_assert_null(maps_find(&m, 0xfff));
	cr_assert_str_eq(maps_find(&m, 0x1000)->path, "/a");
	cr_assert_str_eq(maps_find(&m, 0x2fff)->path, "/a");
	/* End exclusive, the next mapping's start inclusive. */
	cr_assert_str_eq(maps_find(&m, 0x3000)->path, "/b");
	cr_assert_str_eq(maps_find(&m, 0x3fff)->path, "/b");
	cr_assert_null(maps_find(&m, 0x4000));
	cr_assert_null(maps_find(&m, 0x7fff));
	cr_assert_str_eq(maps_find(&m, 0x8000)->path, "/c");
	cr_assert_null(maps_find(&m, 0x9000));
	cr_assert_null(maps_find(&m, UINT64_MAX));
	maps_free(&m);
	/* Empty maps. */
	cr_assert_null(maps_find(&m, 0x1000));
}

Test(procmaps, merge_keeps_unreplaced_and_replaces_overlapped)
{
	struct mapping old[] = {
		mk(0x1000, 0x2000, "/lib/gone.so"), /* nothing new overlaps: kept */
		mk(0x5000, 0x7000, "/old/one"),    /* partly overlapped: replaced */
		mk(0x9000, 0xa000, "/old/two"),    /* touched at the end only: kept */
	};
	struct mapping fresh[] = {
		mk(0x6000, 0x8000, "/new/one"),
		mk(0x8000, 0x9000, "/new/two"),
		mk(0xc000, 0xd000, "/new/three"),
	};
	struct maps m, n;

	mk_maps(&m, old, 3);
	mk_maps(&n, fresh, 3);
	cr_assert_eq(maps_merge(&m, &n), 0);
	cr_assert_eq(m.n, 5);
	cr_assert_str_eq(m.v[0].path, "/lib/gone.so");
	cr_assert_str_eq(m.v[1].path, "/new/one");
	cr_assert_str_eq(m.v[2].path, "/new/two");
	cr_assert_str_eq(m.v[3].path, "/old/two");
	cr_assert_str_eq(m.v[4].path, "/new/three");
	cr_assert_null(maps_find(&m, 0x5000), "replaced mapping still found");
	cr_assert_str_eq(maps_find(&m, 0x1800)->path, "/lib/gone.so");
	cr_assert_str_eq(maps_find(&m, 0x6000)->path, "/new/one");
	cr_assert_str_eq(maps_find(&m, 0x9fff)->path, "/old/two");
	/* newer is left alone. */
	cr_assert_eq(n.n, 3);
	cr_assert_str_eq(n.v[0].path, "/new/one");
	maps_free(&m);
	maps_free(&n);
}

Test(procmaps, merge_one_new_replaces_several)
{
	struct mapping old[] = { mk(0x1000, 0x2000, "/x"), mk(0x2000, 0x3000, "/y"), mk(0x3000, 0x4000, "/z") };
	struct mapping fresh[] = { mk(0x1800, 0x3800, "/big") };
	struct maps m, n;

	mk_maps(&m, old, 3);
	mk_maps(&n, fresh, 1);
	cr_assert_eq(maps_merge(&m, &n), 0);
	cr_assert_eq(m.n, 1);
	cr_assert_str_eq(m.v[0].path, "/big");
	maps_free(&m);
	maps_free(&n);
}

Test(procmaps, merge_into_empty_and_with_empty)
{
	struct mapping fresh[] = { mk(0x3000, 0x4000, "/b"), mk(0x1000, 0x2000, "/a") };
	struct maps m = {}, n, none = {};

	mk_maps(&n, fresh, 2);
	cr_assert_eq(maps_merge(&m, &n), 0);
	cr_assert_eq(m.n, 2);
	/* Output sorted by start even when the input was not. */
	cr_assert_str_eq(m.v[0].path, "/a");
	cr_assert_str_eq(m.v[1].path, "/b");
	cr_assert_eq(maps_merge(&m, &none), 0);
	cr_assert_eq(m.n, 2);
	cr_assert_str_eq(maps_find(&m, 0x3000)->path, "/b");
	maps_free(&m);
	maps_free(&n);
}

Test(procmaps, merge_self_twice_is_stable)
{
	struct maps m = {}, a, b;
	size_t n;

	cr_assert_eq(maps_read(getpid(), &a), 0);
	cr_assert_eq(maps_merge(&m, &a), 0);
	n = m.n;
	cr_assert_eq(n, a.n);
	cr_assert_eq(maps_read(getpid(), &b), 0);
	cr_assert_eq(maps_merge(&m, &b), 0);
	/* Every old mapping is overlapped by its own new copy. */
	cr_assert_eq(m.n, b.n);
	maps_free(&a);
	maps_free(&b);
	maps_free(&m);
}

Test(procmaps, first_of)
{
	struct mapping v[] = {
		mk(0x1000, 0x2000, "/lib/a.so"),
		mk(0x2000, 0x3000, "/lib/b.so"),
		mk(0x3000, 0x4000, "/lib/a.so"),
	};
	struct maps m;
	const struct mapping *e;

	mk_maps(&m, v, 3);
	e = maps_first_of(&m, "/lib/a.so");
	cr_assert_not_null(e);
	cr_assert_eq(e->start, 0x1000);
	e = maps_first_of(&m, "/lib/b.so");
	cr_assert_not_null(e);
	cr_assert_eq(e->start, 0x2000);
	cr_assert_null(maps_first_of(&m, "/lib/c.so"));
	cr_assert_null(maps_first_of(&m, "/lib/a"));
	maps_free(&m);
}

Test(procmaps, first_of_self_executable)
{
	struct maps m;
	const struct mapping *first;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_eq(maps_read(getpid(), &m), 0);
	first = maps_first_of(&m, exe);
	cr_assert_not_null(first);
	cr_assert_eq(first->offset, 0);
	for (size_t i = 0; i < m.n; i++) {
		if (strcmp(m.v[i].path, exe) == 0)
			cr_assert_geq(m.v[i].start, first->start);
	}
	maps_free(&m);
}
