// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "elfimg.h"
#include "grow.h"
#include "log.h"
#include "target_file.h"
#include "unwind_fp.h"
#include "unwind_load.h"

_Static_assert(UNW_CFA_RSP == 1 && UNW_CFA_RBP == 2 && UNW_CFA_OUTERMOST == 4 && UNW_RBP_AT == 1 &&
		       UNW_RBP_OTHER == 2,
	       "bpf/unwind.bpf.h reads these values");

#define ROWS_BYTES(cap) ((size_t)((cap) + MT_UNWIND_SEARCH_PAD) * sizeof(struct mt_unwind_row))

int unwind_loader_init(struct unwind_loader *l, int rows_fd, uint32_t cap, int verbose)
{
	l->verbose = verbose;
	l->cap = cap;
	l->rows = mmap(NULL, ROWS_BYTES(cap), PROT_READ | PROT_WRITE, MAP_SHARED, rows_fd, 0);
	if (l->rows == MAP_FAILED) {
		l->rows = NULL;
		return -errno;
	}
	return 0;
}

void unwind_loader_key(int fd, uint64_t dev, uint64_t inode, char key[64])
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Without a build-id the mapped inode names the object for this trace. */
	if (elf_read_build_id(path, key))
		snprintf(key, 64, "inode:%llu:%llu", (unsigned long long)dev, (unsigned long long)inode);
}

/* Where the object's rows are in unwind_rows, copying them there the first time. */
static uint32_t place(struct unwind_loader *l, size_t index, const struct unwind_table *t)
{
	size_t old = l->first_cap;

	if (grow_to((void **)&l->first, &l->first_cap, index + 1, sizeof(*l->first), 16))
		return UINT32_MAX;
	for (size_t i = old; i < l->first_cap; i++)
		l->first[i] = UINT32_MAX - 1; /* not tried yet */
	if (l->first[index] != UINT32_MAX - 1)
		return l->first[index];
	if (t->nrows > l->cap - l->used || t->nrows > MT_UNWIND_OBJECT_ROWS) {
		l->full++;
		l->full_rows += t->nrows;
		l->first[index] = UINT32_MAX;
		return UINT32_MAX;
	}
	for (size_t k = 0; k < t->nrows; k++) {
		const struct unwind_row *r = &t->rows[k];
		struct mt_unwind_row *o = &l->rows[l->used + k];
		unsigned cfa = r->cfa, rbp = r->rbp;

		o->pc = r->pc;
		o->cfa_off = (short)r->cfa_off;
		o->rbp_off8 = (signed char)(r->rbp_off / 8);
		if (r->cfa_off != o->cfa_off || (rbp == UNW_RBP_AT && (r->rbp_off % 8 || r->rbp_off / 8 != o->rbp_off8)))
			cfa = UNW_CFA_OTHER;
		o->kind = (unsigned char)(cfa | rbp << 4);
	}
	/* The copy is complete before any range points at it (the ranges
	 * are written by a syscall after this). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	l->first[index] = l->used;
	l->used += (uint32_t)t->nrows;
	l->objects++;
	return l->first[index];
}

void unwind_loader_fill(struct unwind_loader *l, pid_t pid, const struct mapping *m, struct mt_exec_ranges *v,
			uint32_t i)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	const struct unwind_table *t = NULL;
	char key[64];
	size_t index;
	uint32_t first;
	int fd, err;

	v->row_count[i] = 0;
	if (!l->rows || !m->path[0] || m->path[0] == '[')
		return;
	fd = target_file_open_mapping(pid, m);
	if (fd < 0)
		return;
	unwind_loader_key(fd, m->dev, m->inode, key);
	err = unwind_cache_get_index(&l->cache, key, fd, &t, &index);
	close(fd);
	if (err || !t || !t->nrows)
		goto done;
	if (l->mode == MT_UNWIND_AUTO && unwind_table_keeps_fp(t)) {
		l->fp_objects++;
		log_debug(l->verbose, 1,
			  "unwind: %s keeps frame pointers (%u%% of %zu frame-making FDEs%s): walked by them", m->path,
			  unwind_fp_percent(t), t->frame_fdes, t->go ? ", Go" : "");
		goto done;
	}
	first = place(l, index, t);
	if (first >= UINT32_MAX - 1)
		goto done;
	for (int k = 0; k < t->nloads; k++) {
		if (m->offset >= t->loads[k].offset && m->offset < t->loads[k].offset + t->loads[k].filesz) {
			v->row_first[i] = first;
			v->row_count[i] = (uint32_t)t->nrows;
			v->bias[i] = m->start - (t->loads[k].vaddr + (m->offset - t->loads[k].offset));
			break;
		}
	}
done:
	l->load_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}

void unwind_loader_free(struct unwind_loader *l)
{
	if (l->rows)
		munmap(l->rows, ROWS_BYTES(l->cap));
	free(l->first);
	unwind_cache_free(&l->cache);
	memset(l, 0, sizeof(*l));
}
