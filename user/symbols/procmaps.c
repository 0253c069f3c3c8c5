// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "grow.h"
#include "procmaps.h"

static int push(struct maps *m, const struct mapping *e)
{
	if (grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v), 64))
		return -ENOMEM;
	m->v[m->n++] = *e;
	return 0;
}

int maps_read(pid_t pid, struct maps *out)
{
	char path[64], line[4096];
	FILE *f;
	int err = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct mapping e = {};
		char perms[8] = "", name[4096] = "";
		unsigned int dmaj, dmin;
		unsigned long long ino;
		int n;

		n = sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %llu %4095[^\n]", &e.start,
			   &e.end, perms, &e.offset, &dmaj, &dmin, &ino, name);
		if (n < 7)
			continue;
		e.inode = ino;
		e.dev = makedev(dmaj, dmin);
		e.exec = perms[2] == 'x';
		e.write = perms[1] == 'w';
		{
			const char *p = name;

			while (*p == ' ')
				p++;
			snprintf(e.path, sizeof(e.path), "%s", p);
		}
		err = push(out, &e);
		if (err)
			break;
	}
	fclose(f);
	if (err)
		maps_free(out);
	return err;
}

const struct mapping *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

static int cmp_start(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int maps_merge(struct maps *m, const struct maps *newer)
{
	struct maps out = {};
	int err;

	for (size_t i = 0; i < m->n; i++) {
		const struct mapping *old = &m->v[i];
		bool overlapped = false;

		for (size_t j = 0; j < newer->n && !overlapped; j++)
			overlapped = newer->v[j].start < old->end && old->start < newer->v[j].end;
		if (!overlapped && (err = push(&out, old)))
			goto fail;
	}
	for (size_t j = 0; j < newer->n; j++) {
		if ((err = push(&out, &newer->v[j])))
			goto fail;
	}
	qsort(out.v, out.n, sizeof(*out.v), cmp_start);
	maps_free(m);
	*m = out;
	return 0;
fail:
	maps_free(&out);
	return err;
}

const struct mapping *maps_first_of(const struct maps *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].path, path) == 0)
			return &m->v[i];
	}
	return NULL;
}

void maps_free(struct maps *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}
