// SPDX-License-Identifier: MIT
/* Lines from .gopclntab.  See go_lines.h. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "elf_go_syms.h"
#include "go_lines.h"
#include "go_pclntab.h"
#include "grow.h"
#include "hmap.h"

#define CHUNK_FRAMES 1024

/* Frames live in chunks that never move, so a frame handed out stays valid. */
struct chunk {
	struct chunk *next;
	uint32_t used;
	struct src_frame v[CHUNK_FRAMES];
};

struct memo {
	uint64_t vaddr;
	const struct src_frame *frame; /* NULL: no position */
};

struct go_lines {
	struct go_pclntab t;
	unsigned char *data; /* the table's own copy */
	struct chunk *chunks;
	struct memo *memo;
	size_t nmemo, memo_cap;
	struct hmap memo_index;
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
	while (g->chunks) {
		struct chunk *c = g->chunks;

		g->chunks = c->next;
		free(c);
	}
	free(g->memo);
	hmap_free(&g->memo_index);
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

static const struct src_frame *position(struct go_lines *g, uint64_t vaddr)
{
	struct src_frame f = { 0 };
	uint64_t i, entry, end;
	const char *fn_file;

	if (func_index(g, vaddr, &i) || go_pclntab_func(&g->t, i, &entry, &end, &f.function) ||
	    go_pclntab_line(&g->t, i, vaddr, &f.file, &f.line))
		return NULL;
	/* The entry's line is the declaration's when the entry is in the same file. */
	if (go_pclntab_line(&g->t, i, entry, &fn_file, &f.fn_line) || strcmp(fn_file, f.file) != 0)
		f.fn_line = 0;
	if (!g->chunks || g->chunks->used == CHUNK_FRAMES) {
		struct chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = g->chunks;
		c->used = 0;
		g->chunks = c;
	}
	g->chunks->v[g->chunks->used] = f;
	return &g->chunks->v[g->chunks->used++];
}

uint32_t go_lines_lookup(struct go_lines *g, uint64_t vaddr, const struct src_frame **out)
{
	uint64_t h = hmap_hash_u64(vaddr);
	const struct src_frame *f;
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&g->memo_index, h, &p); i != HMAP_NONE; i = hmap_next(&g->memo_index, &p)) {
		if (g->memo[i].vaddr == vaddr) {
			*out = g->memo[i].frame;
			return g->memo[i].frame != NULL;
		}
	}
	f = position(g, vaddr);
	/* Without room to remember it, the answer is just worked out again. */
	if (!grow((void **)&g->memo, &g->memo_cap, g->nmemo, sizeof(*g->memo), 1024) &&
	    !hmap_add(&g->memo_index, h, (uint32_t)g->nmemo))
		g->memo[g->nmemo++] = (struct memo){ vaddr, f };
	*out = f;
	return f != NULL;
}
