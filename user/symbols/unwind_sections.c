// SPDX-License-Identifier: MIT
/* The call-frame sections of an ELF object.  See unwind_sections.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unwind_sections.h"
#include "zsection.h"

bool unwind_sections_is_go(Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".note.go.buildid") || !strcmp(name, ".go.buildinfo")))
			return true;
	}
	return false;
}

int unwind_sections_each(Elf *elf, size_t shstrndx, bool go, int (*fn)(const struct unwind_section *s, void *arg),
			 void *arg, size_t *bad)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	int err;

	while ((scn = elf_nextscn(elf, scn))) {
		struct unwind_section sec = { 0 };
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		void *z = NULL;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || (strcmp(name, ".eh_frame") && strcmp(name, ".debug_frame")))
			continue;
		sec.debug_frame = name[1] == 'd';
		if (sec.debug_frame && go)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			continue;
		sec.data = d->d_buf;
		sec.size = d->d_size;
		sec.vaddr = sec.debug_frame ? 0 : sh.sh_addr;
		if (sh.sh_flags & SHF_COMPRESSED) {
			/* gcc -gz's .debug_frame; an allocated section (.eh_frame) never is. */
			err = sec.debug_frame ? zsection_inflate(d->d_buf, d->d_size, &z, &sec.size) : -EINVAL;
			if (err == -ENOMEM)
				return err;
			if (err) {
				(*bad)++;
				continue;
			}
			sec.data = z;
		}
		found = true;
		err = fn(&sec, arg);
		free(z);
		if (err)
			return err;
	}
	return found ? 0 : -ENODATA;
}
