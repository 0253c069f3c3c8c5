// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_go_syms.h"
#include "elfimg.h"
#include "strpool.h"
#include "target_file.h"

static void hex(const unsigned char *p, size_t n, char out[41])
{
	size_t i;

	if (n > 20)
		n = 20;
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static int build_id_of(Elf *elf, char out[41])
{
	Elf_Scn *scn = NULL;

	out[0] = '\0';
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) == 0) {
				hex((unsigned char *)data->d_buf + desc_off, nh.n_descsz, out);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int elf_read_build_id(const char *path, char out[41])
{
	int fd = target_file_open(NULL, path), err;
	Elf *elf;

	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = elf ? build_id_of(elf, out) : -EINVAL;
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static int add_syms(struct elf_image *img, Elf *elf, bool want_dynamic)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;
		struct elf_sym *v;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != (want_dynamic ? SHT_DYNSYM : SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		/* What the file holds, not what the header claims; realloc(p, 0)
		 * would free the table (found by tests/elf/fuzz_elf.c). */
		n = data->d_size / sh.sh_entsize;
		if (!n)
			continue;
		if (n > SIZE_MAX / sizeof(*v) - img->nsyms)
			return -ENOMEM;
		v = realloc(img->syms, (img->nsyms + n) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		img->syms = v;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s))
				continue;
			if (GELF_ST_TYPE(s.st_info) != STT_FUNC && GELF_ST_TYPE(s.st_info) != STT_GNU_IFUNC)
				continue;
			if (s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			name = strpool_intern(img->names, name);
			if (!name)
				return -ENOMEM;
			img->syms[img->nsyms++] = (struct elf_sym){
				.addr = s.st_value, .size = s.st_size, .name = name, .dynamic = want_dynamic
			};
		}
	}
	return 0;
}

static bool has_section(Elf *elf, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return true;
	}
	return false;
}

static bool has_static_syms(const struct elf_image *img)
{
	for (size_t i = 0; i < img->nsyms; i++) {
		if (!img->syms[i].dynamic)
			return true;
	}
	return false;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Prefer sized, global-looking names when several alias one address. */
	if ((x->size == 0) != (y->size == 0))
		return x->size == 0 ? 1 : -1;
	return (x->name[0] == '_') - (y->name[0] == '_');
}

/*
 * Separate debug info: the stripped object's .symtab lives in a file named
 * after its build-id, looked for in the target's root.  The host's copy is
 * read only when its own build-id note is the object's: a name is no proof.
 */
static int add_debug_file(struct elf_image *img, const char *root)
{
	char path[256], id[41] = "";
	Elf *elf;
	int fd, err;

	if (!img->build_id[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", img->build_id,
		 img->build_id + 2);
	fd = target_file_open(root, path);
	if (fd < 0 && root && *root) {
		if (elf_read_build_id(path, id) || strcmp(id, img->build_id))
			return -ENOENT;
		fd = target_file_open(NULL, path);
	}
	if (fd < 0)
		return -ENOENT;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = elf ? add_syms(img, elf, false) : -EINVAL;
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int elf_image_load(const char *root, const char *path, struct elf_image **out)
{
	int fd = target_file_open(root, path), err;

	if (fd < 0)
		return fd;
	err = elf_image_load_fd(fd, root, out);
	close(fd);
	return err;
}

int elf_image_load_fd(int fd, const char *debug_root, struct elf_image **out)
{
	struct elf_image *img = NULL;
	Elf *elf = NULL;
	GElf_Ehdr eh;
	size_t nph;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = -EINVAL;
		goto out;
	}
	img = calloc(1, sizeof(*img));
	if (!img || !(img->names = strpool_new())) {
		err = -ENOMEM;
		goto out;
	}
	img->is_dyn = eh.e_type == ET_DYN;
	build_id_of(elf, img->build_id);
	if (elf_getphdrnum(elf, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph))
				continue;
			if (ph.p_type == PT_INTERP)
				img->has_interp = true;
			if (ph.p_type != PT_LOAD || img->nsegs == 16)
				continue;
			img->segs[img->nsegs++] = (struct elf_seg){
				.vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .offset = ph.p_offset,
				.filesz = ph.p_filesz, .exec = ph.p_flags & PF_X,
			};
		}
	}
	err = add_syms(img, elf, true);
	if (!err)
		err = add_syms(img, elf, false);
	if (!err && !has_section(elf, SHT_SYMTAB)) {
		add_debug_file(img, debug_root);
		/* A stripped Go binary still names its functions for its
		 * tracebacks: a table it cannot read leaves it unnamed. */
		if (!has_static_syms(img) && elf_go_syms_add(img, elf) == -ENOMEM)
			err = -ENOMEM;
	}
	if (err)
		goto out;
	if (img->nsyms)
		qsort(img->syms, img->nsyms, sizeof(*img->syms), cmp_sym);
	*out = img;
	img = NULL;
out:
	if (elf)
		elf_end(elf);
	elf_image_free(img);
	return err;
}

void elf_image_free(struct elf_image *img)
{
	if (!img)
		return;
	free(img->syms);
	strpool_free(img->names);
	free(img);
}

const struct elf_sym *elf_image_lookup(const struct elf_image *img, uint64_t vaddr)
{
	size_t lo = 0, hi = img->nsyms;
	const struct elf_sym *s;

	/* Last symbol with addr <= vaddr; aliases sort best-first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &img->syms[lo - 1];
	while (s > img->syms && s[-1].addr == s->addr)
		s--;
	if (s->size && vaddr >= s->addr + s->size) {
		/* Past this symbol's end: a gap (padding or an unnamed stub). */
		return NULL;
	}
	return s;
}

const struct elf_sym *elf_image_find(const struct elf_image *img, const char *name, bool dynamic_only)
{
	for (size_t i = 0; i < img->nsyms; i++) {
		if ((!dynamic_only || img->syms[i].dynamic) && strcmp(img->syms[i].name, name) == 0)
			return &img->syms[i];
	}
	return NULL;
}

int elf_vaddr_to_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *offset)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*offset = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_offset_to_vaddr(const struct elf_image *img, uint64_t offset, uint64_t *vaddr)
{
	for (int i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (offset >= s->offset && offset < s->offset + s->filesz) {
			*vaddr = offset - s->offset + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_symbol_value(const char *root, const char *path, const char *name, bool dynamic_only, uint64_t *value)
{
	int fd = target_file_open(root, path), err;

	if (fd < 0)
		return fd;
	err = elf_symbol_value_fd(fd, name, dynamic_only, value);
	close(fd);
	return err;
}

int elf_symbol_value_fd(int fd, const char *name, bool dynamic_only, uint64_t *value)
{
	Elf_Scn *scn = NULL;
	bool has_symtab = false;
	Elf *elf;
	int err = -ENOENT;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && err == -ENOENT && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize)
			continue;
		has_symtab |= sh.sh_type == SHT_SYMTAB;
		if (sh.sh_type != SHT_DYNSYM && (dynamic_only || sh.sh_type != SHT_SYMTAB))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < data->d_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			n = elf_strptr(elf, sh.sh_link, s.st_name);
			if (n && strcmp(n, name) == 0) {
				*value = s.st_value;
				err = 0;
				break;
			}
		}
	}
	/* A stripped object's .symtab may be in a debug file: not known here. */
	if (err == -ENOENT && !dynamic_only && !has_symtab)
		err = -ENODATA;
	if (elf)
		elf_end(elf);
	return err;
}

int elf_dynsym_value(const char *root, const char *path, const char *name, uint64_t *value)
{
	return elf_symbol_value(root, path, name, true, value);
}
