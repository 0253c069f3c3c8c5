// SPDX-License-Identifier: MIT
/* Lines from .gopclntab.  See go_lines.h. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "addr_memo.h"
#include "elf_go_syms.h"
#include "go_lines.h"
#include "go_pclntab.h"

struct go_lines {
	struct go_pclntab t;
	unsigned char *data; /* the table's own copy */
	struct addr_memo memo; /* by vaddr: its one frame, or none */
};

int go_lines_open(int fd, struct go_lines **out)
{
	struct go_lines *g = NULL;
	struct go_pclntab t;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -EINVAL;
		goto out;
	}
	err = elf_go_pclntab(elf, &t);
	if (err)
		goto out;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->data = malloc(t.len ? t.len : 1))) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(g->data, t.data, t.len);
	g->t = t;
	g->t.data = g->data;
	addr_memo_init(&g->memo, sizeof(struct src_frame));
	*out = g;
	g = NULL;
out:
	if (elf)
		elf_end(elf);
	go_lines_free(g);
	return err;
}

void go_lines_free(struct go_lines *g)
{
	if (!g)
		return;
	addr_memo_free(&g->memo);
	free(g->data);
	free(g);
}

/* The function holding vaddr: the last entry <= vaddr, if vaddr is before its end. */
static int func_index(const struct go_lines *g, uint64_t vaddr, uint64_t *idx)
{
	uint64_t lo = 0, hi = g->t.nfunc, entry, end;
	const char *name;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		/* A broken entry ends the search: its neighbours' order is unknown. */
		if (go_pclntab_func(&g->t, mid, &entry, &end, &name))
			return -EINVAL;
		if (entry <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || go_pclntab_func(&g->t, lo - 1, &entry, &end, &name) || vaddr >= end)
		return -ENOENT;
	*idx = lo - 1;
	return 0;
}

/* vaddr's position into *f; false when the table has none. */
static bool position(struct go_lines *g, uint64_t vaddr, struct src_frame *f)
{
	uint64_t i, entry, end;
	const char *fn_file;

	if (func_index(g, vaddr, &i) || go_pclntab_func(&g->t, i, &entry, &end, &f->function) ||
	    go_pclntab_line(&g->t, i, vaddr, &f->file, &f->line))
		return false;
	/* The entry's line is the declaration's when the entry is in the same file. */
	if (go_pclntab_line(&g->t, i, entry, &fn_file, &f->fn_line) || strcmp(fn_file, f->file) != 0)
		f->fn_line = 0;
	return true;
}

uint32_t go_lines_lookup(struct go_lines *g, uint64_t vaddr, const struct src_frame **out)
{
	struct src_frame f = { 0 };
	const void *run;
	uint32_t n;

	if (!addr_memo_find(&g->memo, vaddr, &run, &n)) {
		n = position(g, vaddr, &f);
		run = addr_memo_add(&g->memo, vaddr, &f, n);
	}
	*out = run;
	return run != NULL;
}
