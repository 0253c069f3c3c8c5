// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "elfimg.h"
#include "log.h"
#include "probe_offset.h"
#include "procmaps.h"
#include "resolve.h"
#include "target_file.h"

/* nargs: the argument registers the entry probe reads, which the
 * instructions skipped before the probe must leave alone. */
struct alloc_name {
	const char *name;
	int kind;
	unsigned nargs;
};

/* A family of entry points found together in one object, named by `key`. */
struct family {
	const char *key;
	const struct alloc_name *names;
	size_t n;
	bool symtab; /* also found in .symtab: linked in, not exported */
};

static const struct alloc_name libc_names[] = {
	{ "malloc", AK_MALLOC, 1 },
	{ "calloc", AK_CALLOC, 2 },
	{ "realloc", AK_REALLOC, 2 },
	{ "reallocarray", AK_REALLOCARRAY, 3 },
	{ "free", AK_FREE, 1 },
	{ "posix_memalign", AK_POSIX_MEMALIGN, 3 },
	{ "aligned_alloc", AK_MEMALIGN, 2 },
	{ "memalign", AK_MEMALIGN, 2 },
	{ "valloc", AK_VALLOC, 1 },
	{ "pvalloc", AK_PVALLOC, 1 },
	/* jemalloc's non-standard API, where the provider has it. */
	{ "mallocx", AK_MALLOC, 1 },
	{ "rallocx", AK_REALLOC, 2 },
	{ "dallocx", AK_FREE, 1 },
	{ "sdallocx", AK_FREE, 1 },
};

/*
 * C++ operator new, every variant (plain, [], nothrow, aligned): all take
 * the size first.  Probed in their own right because libstdc++ keeps no
 * frame pointer, so a stack taken at the malloc inside would skip new's
 * caller; at new's own return the caller is frames[0].  operator delete
 * needs nothing: it calls free.
 */
static const struct alloc_name cxx_names[] = {
	{ "_Znwm", AK_MALLOC, 1 },
	{ "_Znam", AK_MALLOC, 1 },
	{ "_ZnwmRKSt9nothrow_t", AK_MALLOC, 1 },
	{ "_ZnamRKSt9nothrow_t", AK_MALLOC, 1 },
	{ "_ZnwmSt11align_val_t", AK_MALLOC, 1 },
	{ "_ZnamSt11align_val_t", AK_MALLOC, 1 },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", AK_MALLOC, 1 },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", AK_MALLOC, 1 },
};

/*
 * jemalloc built with a prefix (--with-jemalloc-prefix=je_, as Redis does)
 * is linked into the program beside glibc's malloc, and called directly.
 */
static const struct alloc_name je_names[] = {
	{ "je_malloc", AK_MALLOC, 1 },
	{ "je_calloc", AK_CALLOC, 2 },
	{ "je_realloc", AK_REALLOC, 2 },
	{ "je_free", AK_FREE, 1 },
	{ "je_posix_memalign", AK_POSIX_MEMALIGN, 3 },
	{ "je_aligned_alloc", AK_MEMALIGN, 2 },
	{ "je_memalign", AK_MEMALIGN, 2 },
	{ "je_valloc", AK_VALLOC, 1 },
	{ "je_mallocx", AK_MALLOC, 1 },
	{ "je_rallocx", AK_REALLOC, 2 },
	{ "je_dallocx", AK_FREE, 1 },
	{ "je_sdallocx", AK_FREE, 1 },
};

static const struct family libc_family = { "malloc", libc_names, sizeof(libc_names) / sizeof(libc_names[0]),
					   false };
static const struct family cxx_family = { "_Znwm", cxx_names, sizeof(cxx_names) / sizeof(cxx_names[0]), false };
static const struct family je_family = { "je_malloc", je_names, sizeof(je_names) / sizeof(je_names[0]), true };

static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Runtime load bias of the object at path: where its vaddr 0 landed. */
static int load_bias(const struct maps *m, const struct elf_image *img, const char *path, uint64_t *bias)
{
	const struct mapping *first = maps_first_of(m, path);
	uint64_t vaddr;

	if (!first)
		return -ENOENT;
	if (elf_offset_to_vaddr(img, first->offset, &vaddr))
		vaddr = first->offset;
	*bias = first->start - vaddr;
	return 0;
}

/* Fills out->funcs from img; aliases (glibc's aligned_alloc is memalign)
 * are probed once, under the first name. */
static int fill_funcs(struct allocator *out, const struct elf_image *img, bool dynamic_only,
		      const struct family *fam)
{
	uint64_t seen[MT_MAX_ALLOC_FUNCS];

	out->nfuncs = 0;
	for (size_t i = 0; i < fam->n && out->nfuncs < MT_MAX_ALLOC_FUNCS; i++) {
		const struct alloc_name *an = &fam->names[i];
		const struct elf_sym *s = elf_image_find(img, an->name, dynamic_only);
		uint64_t off;
		bool dup = false;

		if (!s || elf_vaddr_to_offset(img, s->addr, &off))
			continue;
		for (int j = 0; j < out->nfuncs && !dup; j++)
			dup = seen[j] == off;
		if (dup)
			continue;
		seen[out->nfuncs] = off;
		out->funcs[out->nfuncs++] = (struct alloc_func){
			.name = an->name, .kind = an->kind, .offset = off,
			.skip = an->nargs, /* placed below, once host_path is known */
		};
	}
	return out->nfuncs ? 0 : -ENOENT;
}

/*
 * Moves each probe past leading instructions the kernel would single-step
 * (an extra trap per call) to the first one it emulates, when the skipped
 * ones leave the arguments and the stack alone.
 */
static void place_probes(struct allocator *a)
{
	for (int i = 0; i < a->nfuncs; i++) {
		struct alloc_func *f = &a->funcs[i];
		struct probe_placement pl;
		unsigned nargs = f->skip;

		f->skip = 0;
		if (probe_place_file_args(a->host_path, f->offset, nargs, &pl)) {
			snprintf(f->why, sizeof(f->why), "+0: code unreadable");
			continue;
		}
		f->skip = pl.skip;
		f->emulated = pl.emulated;
		snprintf(f->why, sizeof(f->why), "%s", pl.why);
	}
}

/* The ELF image of the object pid has mapped at path, read from the mapped
 * inode itself (target_file.h). */
static int load_mapped(pid_t pid, const struct mapping *map, const char *name, bool dynamic_only,
		       uint64_t *value, struct elf_image **img)
{
	char root[64];
	int fd, err;

	if (!map)
		return -ENOENT;
	fd = target_file_open_mapping(pid, map);
	if (fd < 0)
		return fd;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	/* Most objects have no such symbol: a scan says so without building
	 * the symbol table, which every reprobe would otherwise do for each. */
	err = name ? elf_symbol_value_fd(fd, name, dynamic_only, value) : 0;
	if (err == -ENOENT || !img) {
		close(fd);
		return err;
	}
	err = elf_image_load_fd(fd, root, img);
	close(fd);
	return err;
}

static int try_object(pid_t pid, const struct maps *m, const char *path, bool dynamic_only,
		      const struct family *fam, struct allocator *out)
{
	struct elf_image *img;
	const struct mapping *map = maps_first_of(m, path);
	uint64_t key_value;
	int err;

	if (!map || path[0] != '/')
		return -ENOENT;
	err = load_mapped(pid, map, fam->key, dynamic_only, &key_value, &img);
	if (err == TARGET_FILE_EWRONGINODE)
		log_error("cannot attach to %s in PID %d: %s (%s)", path, (int)pid,
			  target_file_strerror(err), target_file_advice(err));
	if (err)
		return err;
	if (!elf_image_find(img, fam->key, dynamic_only)) {
		elf_image_free(img);
		return -ENOENT;
	}
	err = fill_funcs(out, img, dynamic_only, fam);
	elf_image_free(img);
	if (err)
		return err;
	snprintf(out->path, sizeof(out->path), "%s", path);
	/* Probes go on the mapped inode, whatever now sits at its path. */
	err = target_file_pin(pid, map, out->host_path);
	if (err) {
		log_error("cannot attach to %s in PID %d: %s (%s)", path, (int)pid,
			  target_file_strerror(err), target_file_advice(err));
		return err;
	}
	out->inode = map->inode;
	place_probes(out);
	return 0;
}

static const char *interp_path(const struct maps *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strstr(m->v[i].path, "/ld-linux") || strstr(m->v[i].path, "/ld-musl"))
			return m->v[i].path;
	}
	return NULL;
}

/*
 * The link map has names as the loader was given them (an LD_PRELOAD'd
 * symlink, a relative path); /proc/PID/maps has the file.  Match by inode.
 */
static const char *mapped_name(pid_t pid, const struct maps *m, const char *name)
{
	char root[64];
	struct stat st;
	int fd, err;

	/* Resolved inside the target's root: its symlinks are not the host's. */
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	fd = target_file_open(root, name);
	if (fd < 0)
		return name;
	err = fstat(fd, &st);
	close(fd);
	if (err)
		return name;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].inode == st.st_ino && m->v[i].dev == st.st_dev && m->v[i].path[0] == '/')
			return m->v[i].path;
	return name;
}

/* Walks r_debug.r_map in the target: the dynamic linker's search order. */
static int from_link_map(pid_t pid, const struct maps *m, const struct family *fam, struct allocator *out)
{
	const char *ld = interp_path(m);
	struct elf_image *img;
	uint64_t r_debug, bias, lm;
	int err, guard = 0;

	if (!ld)
		return -ENOENT;
	err = load_mapped(pid, maps_first_of(m, ld), "_r_debug", true, &r_debug, &img);
	if (err)
		return err;
	err = load_bias(m, img, ld, &bias);
	elf_image_free(img);
	if (err)
		return err;
	/* struct r_debug { int r_version; struct link_map *r_map; ... } */
	err = read_mem(pid, bias + r_debug + 8, &lm, sizeof(lm));
	while (!err && lm && guard++ < 4096) {
		/* struct link_map { l_addr, l_name, l_ld, l_next, l_prev } */
		uint64_t l[4];
		char name[256] = "";

		err = read_mem(pid, lm, l, sizeof(l));
		if (err)
			break;
		if (l[1])
			read_mem(pid, l[1], name, sizeof(name) - 1);
		if (!name[0]) {
			/* The main program has an empty name: its file is /proc/PID/exe. */
			char exe[64];
			ssize_t n;

			snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
			n = readlink(exe, name, sizeof(name) - 1);
			name[n > 0 ? n : 0] = '\0';
		}
		if (name[0]) {
			int e = try_object(pid, m, mapped_name(pid, m, name), !fam->symtab, fam, out);

			/* A refusal is final: the next object would be the wrong provider. */
			if (e == 0 || e == TARGET_FILE_EWRONGINODE)
				return e;
		}
		lm = l[3];
	}
	return err ? err : -ENOENT;
}

static int family_resolve(pid_t pid, const struct family *fam, struct allocator *out)
{
	struct maps m;
	char exe[64], path[PATH_MAX];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	err = maps_read(pid, &m);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	n = readlink(exe, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	/* Statically linked: the program's own malloc, from its .symtab. */
	if (!interp_path(&m) && path[0]) {
		err = try_object(pid, &m, path, false, fam, out);
		goto out;
	}
	err = from_link_map(pid, &m, fam, out);
	if (err && err != -ESRCH && err != TARGET_FILE_EWRONGINODE) {
		/* No readable link map: mappings in load order are the next best guess. */
		for (size_t i = 0; i < m.n && err; i++) {
			if (m.v[i].path[0] == '/' && (i == 0 || strcmp(m.v[i].path, m.v[i - 1].path)))
				err = try_object(pid, &m, m.v[i].path, !fam->symtab, fam, out);
		}
	}
out:
	maps_free(&m);
	return err;
}

int allocator_resolve(pid_t pid, struct allocator *out)
{
	return family_resolve(pid, &libc_family, out);
}

int cxx_new_resolve(pid_t pid, struct allocator *out)
{
	return family_resolve(pid, &cxx_family, out);
}

int je_prefixed_resolve(pid_t pid, struct allocator *out)
{
	return family_resolve(pid, &je_family, out);
}

int dl_hook_resolve(pid_t pid, char host_path[MT_HOST_PATH_MAX], uint64_t *offset)
{
	struct maps m;
	struct elf_image *img = NULL;
	const struct elf_sym *s;
	const char *ld;
	int err;

	err = maps_read(pid, &m);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	ld = interp_path(&m);
	if (!ld) {
		err = -ENOENT;
		goto out;
	}
	err = load_mapped(pid, maps_first_of(&m, ld), NULL, false, NULL, &img);
	if (err)
		goto out;
	s = elf_image_find(img, "_dl_debug_state", false);
	if (!s || elf_vaddr_to_offset(img, s->addr, offset)) {
		err = -ENOENT;
		goto out;
	}
	err = target_file_pin(pid, maps_first_of(&m, ld), host_path);
out:
	elf_image_free(img);
	maps_free(&m);
	return err;
}
