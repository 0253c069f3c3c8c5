// SPDX-License-Identifier: MIT
/* .gopclntab's functions as elf_image symbols.  See elf_go_syms.h. */
#include <errno.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_go_syms.h"
#include "elfimg.h"
#include "go_pclntab.h"
#include "strpool.h"

static Elf_Scn *section(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/*
 * Where runtime.text is, for a table whose header says 0: a PIE's header
 * field is filled at load by an R_X86_64_RELATIVE relocation, whose addend
 * is the address.  Without one, .text's start (where the Go linker puts
 * runtime.text when it links alone).
 */
static uint64_t text_start(Elf *elf, uint64_t field_vaddr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		n = d ? d->d_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;

			if (gelf_getrela(d, (int)i, &r) && r.r_offset == field_vaddr &&
			    GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE)
				return (uint64_t)r.r_addend;
		}
	}
	return section(elf, ".text", &sh) ? sh.sh_addr : 0;
}

int elf_go_pclntab(Elf *elf, struct go_pclntab *t)
{
	Elf_Data *d;
	Elf_Scn *scn;
	GElf_Shdr sh;
	int err;

	/* A PIE's is in its relocated read-only data (Go 1.18 on). */
	scn = section(elf, ".gopclntab", &sh);
	if (!scn)
		scn = section(elf, ".data.rel.ro.gopclntab", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS)
		return -ENOENT;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return -EINVAL;
	/* textStart: after magic, pad, quantum, ptrsize, nfunc and nfiles. */
	err = go_pclntab_open(t, d->d_buf, d->d_size, 0);
	if (err)
		return err;
	if (!t->text_start)
		t->text_start = text_start(elf, sh.sh_addr + 8 + 2 * (uint64_t)t->ptrsize);
	return 0;
}

int elf_go_syms_add(struct elf_image *img, Elf *elf)
{
	struct go_pclntab t;
	struct elf_sym *v;
	int err = elf_go_pclntab(elf, &t);

	if (err)
		return err == -ENOENT ? 0 : err;
	if (t.nfunc > SIZE_MAX / sizeof(*v) - img->nsyms)
		return -ENOMEM;
	v = realloc(img->syms, (img->nsyms + t.nfunc + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	img->syms = v;
	for (uint64_t i = 0; i < t.nfunc; i++) {
		uint64_t entry, end;
		const char *name;

		/* One broken entry costs its own name, not the table's. */
		if (go_pclntab_func(&t, i, &entry, &end, &name) || !entry)
			continue;
		name = strpool_intern(img->names, name);
		if (!name)
			return -ENOMEM;
		img->syms[img->nsyms++] = (struct elf_sym){ .addr = entry, .size = end - entry, .name = name };
	}
	return 0;
}
