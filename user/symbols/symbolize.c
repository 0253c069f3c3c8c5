// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demangle.h"
#include "dwarf_src.h"
#include "elfimg.h"
#include "go_lines.h"
#include "grow.h"
#include "hmap.h"
#include "log.h"
#include "strpool.h"
#include "symbolize.h"
#include "target_file.h"

struct module {
	const char *path; /* interned */
	uint64_t inode;
	struct elf_image *img; /* NULL when the file could not be read */
	struct dwarf_src *dw;  /* its lines, shared with img; NULL when img is */
	struct go_lines *go;   /* a Go executable's own lines, shared likewise; NULL when none */
	const char *build_id;  /* interned, NULL when none */
	int fd;                /* the mapped inode, opened at refresh; -1 once loaded or when not */
	bool loaded;           /* img is final (NULL: unreadable, said once) */
};

/* Mapped inodes held open between a refresh and their first lookup. */
#define SYM_MAX_PINNED 256

/* Resolved addresses kept between refreshes; past this many, the rest are
 * resolved each time (the cache is bounded, a target's addresses are not). */
#define SYM_CACHE_MAX 12288

struct cache_entry {
	uint64_t addr;
	int is_return;
	struct resolved r;
};

struct symbolizer {
	pid_t pid;
	char root[64];
	struct maps maps;
	struct module *mods;
	size_t nmods, mods_cap;
	int nfds;
	struct strpool *strings;
	struct cache_entry *cache; /* by entry number */
	size_t cache_n, cache_cap;
	struct hmap cache_index;   /* hash of (addr, is_return) -> entry */
};

static struct module *module_find(struct symbolizer *s, const struct mapping *m)
{
	for (size_t i = 0; i < s->nmods; i++) {
		if (s->mods[i].inode == m->inode && strcmp(s->mods[i].path, m->path) == 0)
			return &s->mods[i];
	}
	return NULL;
}

/*
 * Opens the mapped inode while the process is alive: the fd keeps it
 * readable after the process exits, when /proc/PID is gone and the host's
 * file of that name may be another object.
 */
static struct module *module_add(struct symbolizer *s, const struct mapping *m)
{
	struct module *mod;

	if (grow((void **)&s->mods, &s->mods_cap, s->nmods, sizeof(*s->mods), 16))
		return NULL;
	mod = &s->mods[s->nmods];
	memset(mod, 0, sizeof(*mod));
	mod->fd = -1;
	mod->path = strpool_intern(s->strings, m->path);
	mod->inode = m->inode;
	if (!mod->path)
		return NULL;
	if (s->nfds < SYM_MAX_PINNED) {
		mod->fd = target_file_open_mapping(s->pid, m);
		s->nfds += mod->fd >= 0;
	}
	s->nmods++;
	return mod;
}

pid_t symbolizer_pid(const struct symbolizer *s)
{
	return s->pid;
}

struct symbolizer *symbolizer_new(pid_t pid)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	snprintf(s->root, sizeof(s->root), "/proc/%d/root", (int)pid);
	s->strings = strpool_new();
	if (!s->strings) {
		symbolizer_free(s);
		return NULL;
	}
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++) {
		/* Images may be shared by build-id: free each once. */
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = s->mods[j].img == s->mods[i].img;
		if (!dup) {
			elf_image_free(s->mods[i].img);
			dwarf_src_free(s->mods[i].dw);
			go_lines_free(s->mods[i].go);
		}
		if (s->mods[i].fd >= 0)
			close(s->mods[i].fd);
	}
	free(s->mods);
	maps_free(&s->maps);
	strpool_free(s->strings);
	hmap_free(&s->cache_index);
	free(s->cache);
	free(s);
}

/* Whether m names code or a file that maps has no identical mapping:
 * only those change what an address resolves to (an anonymous mapping's
 * addresses resolve to nothing, before and after it grows). */
static bool names_changed(const struct maps *have, const struct mapping *m)
{
	size_t lo = 0, hi = have->n;

	if (!m->exec && !m->path[0])
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (have->v[mid].start < m->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == have->n || have->v[lo].start != m->start || have->v[lo].end != m->end ||
	       have->v[lo].offset != m->offset || have->v[lo].inode != m->inode || have->v[lo].exec != m->exec ||
	       strcmp(have->v[lo].path, m->path) != 0;
}

int symbolizer_refresh(struct symbolizer *s)
{
	struct maps fresh;
	bool changed = false;
	int err = maps_read(s->pid, &fresh);

	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (size_t i = 0; i < fresh.n; i++) {
		const struct mapping *m = &fresh.v[i];

		if (m->path[0] == '/' && m->inode && !module_find(s, m))
			module_add(s, m);
		changed = changed || names_changed(&s->maps, m);
	}
	err = maps_merge(&s->maps, &fresh);
	maps_free(&fresh);
	/* Addresses may now map to other objects; when no mapping that names
	 * anything changed, the cache stands (a --follow child's report
	 * refreshes the root's names each time: 0.3-3 ms of lookups again). */
	if (changed || err) {
		hmap_clear(&s->cache_index);
		s->cache_n = 0;
	}
	return err;
}

const struct maps *symbolizer_maps(const struct symbolizer *s)
{
	return &s->maps;
}

static struct module *module_for(struct symbolizer *s, const struct mapping *m)
{
	struct module *mod = module_find(s, m);
	struct elf_image *img = NULL;
	struct dwarf_src *dw = NULL;
	struct go_lines *go = NULL;
	int fd, err;

	if (!mod && !(mod = module_add(s, m)))
		return NULL;
	if (mod->loaded)
		return mod;
	mod->loaded = true;
	fd = mod->fd >= 0 ? mod->fd : target_file_open_mapping(s->pid, m);
	err = fd;
	if (fd >= 0) {
		err = elf_image_load_fd(fd, s->root, &img);
		/* Without it frames keep their names and go without lines. */
		if (!err)
			dw = dwarf_src_open(fd, s->root, m->path);
		/* Most objects are not Go; a table that cannot be read costs lines only. */
		if (!err)
			go_lines_open(fd, &go);
		close(fd);
		s->nfds -= mod->fd >= 0;
		mod->fd = -1;
	}
	if (err) {
		log_warn("no function names for %s in PID %d: %s (not read from the host, whose file may not "
			 "be the mapped one)", m->path, (int)s->pid,
			 err == -EINVAL ? "not an ELF file" : target_file_strerror(err));
		return mod;
	}
	if (img->build_id[0]) {
		/* Same object under another path or inode: share the image. */
		for (size_t i = 0; i < s->nmods; i++) {
			if (s->mods[i].build_id && strcmp(s->mods[i].build_id, img->build_id) == 0) {
				elf_image_free(img);
				dwarf_src_free(dw);
				go_lines_free(go);
				img = s->mods[i].img;
				dw = s->mods[i].dw;
				go = s->mods[i].go;
				break;
			}
		}
		mod->build_id = strpool_intern(s->strings, img->build_id);
	}
	mod->img = img;
	mod->dw = dw;
	mod->go = go;
	return mod;
}

static void resolve_uncached(struct symbolizer *s, uint64_t addr, int is_return, struct resolved *out)
{
	const struct mapping *m = maps_find(&s->maps, addr - (is_return ? 1 : 0));
	struct module *mod;
	uint64_t file_off, vaddr;

	memset(out, 0, sizeof(*out));
	out->offset = addr;
	if (!m)
		return;
	out->map_start = m->start;
	out->map_end = m->end;
	out->map_offset = m->offset;
	if (!m->path[0])
		return;
	out->module = strpool_intern(s->strings, m->path);
	out->offset = addr - m->start;
	if (m->path[0] == '[' || !m->inode)
		return; /* [vdso], [heap]...: module+offset is all there is */
	mod = module_for(s, m);
	if (!mod || !mod->img)
		return;
	out->build_id = mod->build_id;
	file_off = addr - m->start + m->offset;
	if (elf_offset_to_vaddr(mod->img, file_off, &vaddr))
		return;
	out->offset = vaddr;
	{
		const struct elf_sym *sym = elf_image_lookup(mod->img, vaddr - (is_return ? 1 : 0));

		if (sym)
			out->function = demangle(s->strings, sym->name);
		else if (mod->dw)
			out->function = dwarf_src_symbol(mod->dw, vaddr - (is_return ? 1 : 0));
	}
	/* Go code's position is the runtime's own table's; DWARF's for the rest
	 * (a cgo binary's C), and for Go when the table has none. */
	if (mod->go)
		out->nsrc = go_lines_lookup(mod->go, vaddr - (is_return ? 1 : 0), &out->src);
	if (!out->nsrc && mod->dw)
		out->nsrc = dwarf_src_lookup(mod->dw, vaddr - (is_return ? 1 : 0), &out->src);
}

void symbolizer_resolve(struct symbolizer *s, uint64_t addr, int is_return, struct resolved *out)
{
	uint64_t h = hmap_hash_pair(addr, (uint64_t)is_return);
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&s->cache_index, h, &p); i != HMAP_NONE; i = hmap_next(&s->cache_index, &p)) {
		if (s->cache[i].addr == addr && s->cache[i].is_return == is_return) {
			*out = s->cache[i].r;
			return;
		}
	}
	resolve_uncached(s, addr, is_return, out);
	/* A full cache (or no memory) just stops caching until the next refresh. */
	if (addr && s->cache_n < SYM_CACHE_MAX &&
	    !grow((void **)&s->cache, &s->cache_cap, s->cache_n, sizeof(*s->cache), 1024) &&
	    !hmap_add(&s->cache_index, h, (uint32_t)s->cache_n))
		s->cache[s->cache_n++] = (struct cache_entry){ addr, is_return, *out };
}
