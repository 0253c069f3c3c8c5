// SPDX-License-Identifier: MIT
/* elfimg: symbol tables, layout and build-ids of the fixture objects. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfimg.h"
#include "fixture_path.h"

static const char *fx_path(const char *name)
{
	return fixture_path(name, R_OK);
}

/* Build-id as `readelf -n` prints it, or "" when it has none. */
static void readelf_build_id(const char *path, char out[41])
{
	char cmd[1024], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Build ID: ");

		if (p && sscanf(p + 10, "%40[0-9a-f]", out) == 1)
			break;
	}
	pclose(f);
}

static struct elf_image *load(const char *name)
{
	struct elf_image *img = NULL;
	int err = elf_image_load(NULL, fx_path(name), &img);

	cr_assert_eq(err, 0, "elf_image_load(%s): %d", name, err);
	cr_assert_not_null(img);
	return img;
}

static void check_find_and_lookup(struct elf_image *img, const char *fn)
{
	const struct elf_sym *s = elf_image_find(img, fn, false), *l;

	cr_assert_not_null(s, "%s not found", fn);
	cr_assert_str_eq(s->name, fn);
	cr_assert_gt(s->size, 4);
	/* Start, inside and last byte of the body name the function. */
	l = elf_image_lookup(img, s->addr);
	cr_assert_not_null(l);
	cr_assert_str_eq(l->name, fn);
	l = elf_image_lookup(img, s->addr + 3);
	cr_assert_not_null(l);
	cr_assert_str_eq(l->name, fn);
	l = elf_image_lookup(img, s->addr + s->size - 1);
	cr_assert_not_null(l);
	cr_assert_str_eq(l->name, fn);
}

Test(elfimg, pie_symbols_and_layout)
{
	struct elf_image *img = load("fx_pie");
	const struct elf_sym *a, *b;

	cr_assert_eq(img->is_dyn, true);
	cr_assert_eq(img->has_interp, true);
	check_find_and_lookup(img, "fx_alpha");
	check_find_and_lookup(img, "fx_beta");
	check_find_and_lookup(img, "main");
	a = elf_image_find(img, "fx_alpha", false);
	b = elf_image_find(img, "fx_beta", false);
	/* -O0 lays them out back to back (the symbolize tests rely on it). */
	cr_assert_eq(a->addr + a->size, b->addr);
	/* The PIE's image is linked near 0. */
	cr_assert_lt(a->addr, 0x100000);
	/* Not exported: absent from .dynsym. */
	cr_assert_null(elf_image_find(img, "fx_alpha", true));
	cr_assert_null(elf_image_find(img, "no_such_function", false));
	/* Data symbols are not functions. */
	cr_assert_null(elf_image_find(img, "fx_sink", false));
	cr_assert_gt(img->nsegs, 1);
	elf_image_free(img);
}

Test(elfimg, syms_sorted_by_addr)
{
	struct elf_image *img = load("fx_pie");

	cr_assert_gt(img->nsyms, 3);
	for (size_t i = 1; i < img->nsyms; i++)
		cr_assert_leq(img->syms[i - 1].addr, img->syms[i].addr, "syms[%zu] out of order", i);
	elf_image_free(img);
}

Test(elfimg, nopie_symbols_and_layout)
{
	struct elf_image *img = load("fx_nopie");
	const struct elf_sym *a;

	cr_assert_eq(img->is_dyn, false);
	cr_assert_eq(img->has_interp, true);
	check_find_and_lookup(img, "fx_alpha");
	check_find_and_lookup(img, "fx_beta");
	a = elf_image_find(img, "fx_alpha", false);
	/* Linked at the classic x86-64/arm64 base, not near 0. */
	cr_assert_geq(a->addr, 0x400000);
	elf_image_free(img);
}

Test(elfimg, shared_object)
{
	struct elf_image *img = load("libfx.so");
	const struct elf_sym *g, *d;

	cr_assert_eq(img->is_dyn, true);
	cr_assert_eq(img->has_interp, false);
	check_find_and_lookup(img, "libfx_gamma");
	check_find_and_lookup(img, "libfx_delta");
	/* Exported: found among .dynsym too. */
	g = elf_image_find(img, "libfx_gamma", true);
	cr_assert_not_null(g);
	cr_assert_eq(g->dynamic, true);
	cr_assert_eq(g->addr, elf_image_find(img, "libfx_gamma", false)->addr);
	d = elf_image_find(img, "libfx_delta", true);
	cr_assert_not_null(d);
	cr_assert_neq(g->addr, d->addr);
	/* An object, not a function. */
	cr_assert_null(elf_image_find(img, "libfx_counter", false));
	elf_image_free(img);
}

Test(elfimg, lookup_below_first_symbol_is_null)
{
	struct elf_image *img = load("fx_pie");

	cr_assert_gt(img->nsyms, 0);
	cr_assert_gt(img->syms[0].addr, 0);
	cr_assert_null(elf_image_lookup(img, 0));
	cr_assert_null(elf_image_lookup(img, img->syms[0].addr - 1));
	elf_image_free(img);
}

Test(elfimg, build_ids_match_readelf)
{
	static const char *const names[] = { "fx_pie", "fx_nopie", "fx_stripped", "libfx.so" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *path = fx_path(names[i]);
		struct elf_image *img = NULL;
		char want[41], got[41];

		readelf_build_id(path, want);
		cr_assert_eq(strlen(want), 40, "readelf shows no build-id for %s", path);
		cr_assert_eq(elf_image_load(NULL, path, &img), 0);
		cr_assert_str_eq(img->build_id, want, "%s", names[i]);
		cr_assert_eq(elf_read_build_id(path, got), 0);
		cr_assert_str_eq(got, want, "%s", names[i]);
		elf_image_free(img);
	}
}

Test(elfimg, stripped_has_build_id_of_pie)
{
	struct elf_image *pie = load("fx_pie"), *str = load("fx_stripped");

	/* strip keeps the note: debuginfod can find the symbols by it. */
	cr_assert_str_eq(pie->build_id, str->build_id);
	cr_assert_neq(pie->build_id[0], '\0');
	elf_image_free(pie);
	elf_image_free(str);
}

Test(elfimg, read_build_id_errors)
{
	char out[41] = "x";
	char tmpl[] = "/tmp/elfimg-nobid-XXXXXX";
	int fd;

	cr_assert_eq(elf_read_build_id("/nonexistent/memtrace/fx", out), -ENOENT);
	/* A file with no ELF notes at all. */
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello, world\n", 13), 13);
	close(fd);
	cr_assert_neq(elf_read_build_id(tmpl, out), 0);
	unlink(tmpl);
}

Test(elfimg, stripped_loads_without_symtab)
{
	struct elf_image *img = load("fx_stripped");

	cr_assert_eq(img->is_dyn, true);
	cr_assert_eq(img->has_interp, true);
	cr_assert_null(elf_image_find(img, "fx_alpha", false));
	cr_assert_null(elf_image_find(img, "main", false));
	cr_assert_gt(img->nsegs, 1);
	elf_image_free(img);
}

Test(elfimg, same_layout_stripped_and_pie)
{
	struct elf_image *pie = load("fx_pie"), *str = load("fx_stripped");

	cr_assert_eq(pie->nsegs, str->nsegs);
	for (int i = 0; i < pie->nsegs; i++) {
		cr_assert_eq(pie->segs[i].vaddr, str->segs[i].vaddr);
		cr_assert_eq(pie->segs[i].memsz, str->segs[i].memsz);
		cr_assert_eq(pie->segs[i].exec, str->segs[i].exec);
	}
	elf_image_free(pie);
	elf_image_free(str);
}

Test(elfimg, vaddr_offset_round_trip)
{
	static const char *const names[] = { "fx_pie", "fx_nopie", "libfx.so" };
	static const char *const fns[] = { "fx_alpha", "fx_alpha", "libfx_gamma" };

	for (size_t i = 0; i < 3; i++) {
		struct elf_image *img = load(names[i]);
		const struct elf_sym *s = elf_image_find(img, fns[i], false);
		const struct elf_seg *text = NULL;
		uint64_t off = 0, back = 0;

		cr_assert_not_null(s);
		for (int k = 0; k < img->nsegs; k++) {
			if (s->addr >= img->segs[k].vaddr && s->addr < img->segs[k].vaddr + img->segs[k].filesz)
				text = &img->segs[k];
		}
		cr_assert_not_null(text);
		cr_assert_eq(text->exec, true, "%s: function in a non-exec segment", names[i]);
		cr_assert_eq(elf_vaddr_to_offset(img, s->addr + 5, &off), 0);
		cr_assert_eq(off, s->addr + 5 - text->vaddr + text->offset);
		cr_assert_eq(elf_offset_to_vaddr(img, off, &back), 0);
		cr_assert_eq(back, s->addr + 5);
		/* Nothing maps beyond the last segment. */
		cr_assert_eq(elf_vaddr_to_offset(img, 0x7fffffff0000ULL, &off), -ENOENT);
		cr_assert_eq(elf_offset_to_vaddr(img, 0x7fffffff0000ULL, &back), -ENOENT);
		elf_image_free(img);
	}
}

Test(elfimg, nopie_offset_of_function)
{
	struct elf_image *img = load("fx_nopie");
	const struct elf_sym *s = elf_image_find(img, "fx_alpha", false);
	uint64_t off = 0;

	cr_assert_not_null(s);
	cr_assert_eq(elf_vaddr_to_offset(img, s->addr, &off), 0);
	/* Default ld layout: text at 0x401000 from file offset 0x1000. */
	cr_assert_eq(s->addr - off, 0x400000);
	elf_image_free(img);
}

Test(elfimg, missing_file_is_enoent)
{
	struct elf_image *img = (struct elf_image *)0x1;

	cr_assert_eq(elf_image_load(NULL, "/nonexistent/memtrace/fx_pie", &img), -ENOENT);
	cr_assert_eq(img, (struct elf_image *)0x1, "out written on failure");
	cr_assert_eq(elf_image_load("/nonexistent-root", "/bin/sh", &img), -ENOENT);
}

Test(elfimg, root_prefix_opens_under_root)
{
	struct elf_image *img = NULL;
	char abs[4096];

	cr_assert_not_null(realpath(fx_path("fx_pie"), abs));
	/* "/proc/self/root" + "/abs/path" is the same file on the host. */
	cr_assert_eq(elf_image_load("/proc/self/root", abs, &img), 0);
	cr_assert_not_null(elf_image_find(img, "fx_alpha", false));
	elf_image_free(img);
	img = NULL;
	cr_assert_eq(elf_image_load("", abs, &img), 0);
	elf_image_free(img);
}

Test(elfimg, non_elf_is_einval)
{
	char tmpl[] = "/tmp/elfimg-text-XXXXXX";
	char empty[] = "/tmp/elfimg-empty-XXXXXX";
	struct elf_image *img = NULL;
	int fd;

	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "#!/bin/sh\necho not an ELF file\n", 31), 31);
	close(fd);
	cr_assert_eq(elf_image_load(NULL, tmpl, &img), -EINVAL);
	cr_assert_null(img);
	unlink(tmpl);

	fd = mkstemp(empty);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(elf_image_load(NULL, empty, &img), -EINVAL);
	unlink(empty);

	/* A procfs text file (size 0 in stat) is not ELF either. */
	cr_assert_eq(elf_image_load(NULL, "/proc/self/status", &img), -EINVAL);
}

Test(elfimg, dynsym_value)
{
	const char *lib = fx_path("libfx.so");
	struct elf_image *img = load("libfx.so");
	uint64_t v = 0;

	cr_assert_eq(elf_dynsym_value(NULL, lib, "libfx_gamma", &v), 0);
	cr_assert_eq(v, elf_image_find(img, "libfx_gamma", true)->addr);
	cr_assert_eq(elf_dynsym_value(NULL, lib, "libfx_delta", &v), 0);
	cr_assert_eq(v, elf_image_find(img, "libfx_delta", true)->addr);
	/* Objects too. */
	v = 0;
	cr_assert_eq(elf_dynsym_value(NULL, lib, "libfx_counter", &v), 0);
	cr_assert_neq(v, 0);
	cr_assert_eq(elf_dynsym_value(NULL, lib, "no_such_symbol", &v), -ENOENT);
	/* Undefined imports are not values. */
	cr_assert_eq(elf_dynsym_value(NULL, fx_path("fx_pie"), "__libc_start_main", &v), -ENOENT);
	/* fx_alpha is in .symtab only. */
	cr_assert_eq(elf_dynsym_value(NULL, fx_path("fx_pie"), "fx_alpha", &v), -ENOENT);
	cr_assert_eq(elf_dynsym_value(NULL, "/nonexistent/libfx.so", "libfx_gamma", &v), -ENOENT);
	elf_image_free(img);
}

Test(elfimg, dynsym_value_matches_nm)
{
	const char *lib = fx_path("libfx.so");
	char cmd[1024];
	unsigned long long want = 0;
	uint64_t v = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' | awk '$3==\"libfx_counter\"{print $1}'", lib);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%llx", &want), 1, "nm did not list libfx_counter");
	pclose(f);
	cr_assert_eq(elf_dynsym_value(NULL, lib, "libfx_counter", &v), 0);
	cr_assert_eq(v, want);
}

/* A root whose /lib/libfx.so is an absolute symlink to the fixture's host
 * path, which the root does not have: the host file must not be read. */
Test(elfimg, symlink_in_root_does_not_reach_the_host)
{
	char root[] = "/tmp/elfimg-root-XXXXXX", lib[128], link[160], abs[4096];
	struct elf_image *img = NULL;

	cr_assert_not_null(realpath(fx_path("libfx.so"), abs));
	cr_assert_not_null(mkdtemp(root));
	snprintf(lib, sizeof(lib), "%s/lib", root);
	cr_assert_eq(mkdir(lib, 0755), 0);
	snprintf(link, sizeof(link), "%s/libfx.so", lib);
	cr_assert_eq(symlink(abs, link), 0);
	cr_assert_eq(elf_image_load(root, "/lib/libfx.so", &img), -ENOENT);
	cr_assert_null(img);
	unlink(link);
	rmdir(lib);
	rmdir(root);
}

/* A FIFO where a library was: refused at once, not an open() that waits
 * for a writer forever. */
Test(elfimg, fifo_is_refused_without_blocking, .timeout = 5)
{
	char root[] = "/tmp/elfimg-fifo-XXXXXX", fifo[64];
	struct elf_image *img = NULL;
	uint64_t v;

	cr_assert_not_null(mkdtemp(root));
	snprintf(fifo, sizeof(fifo), "%s/libc.so.6", root);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_lt(elf_image_load(root, "/libc.so.6", &img), 0);
	cr_assert_lt(elf_dynsym_value(root, "/libc.so.6", "malloc", &v), 0);
	cr_assert_lt(elf_image_load(NULL, fifo, &img), 0);
	unlink(fifo);
	rmdir(root);
}
