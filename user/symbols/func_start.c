// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "eh_read.h"
#include "func_start.h"

/* DW_EH_PE_datarel | DW_EH_PE_sdata4: what GNU ld and lld write for the table. */
#define TABLE_ENC 0x3b
#define ENC_OMIT 0xff

static Elf_Data *hdr_section(Elf *elf, uint64_t *addr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".eh_frame_hdr")) {
			*addr = sh.sh_addr;
			return elf_getdata(scn, NULL);
		}
	}
	return NULL;
}

/* The table's entries are sorted by the linker, but a hostile file's need
 * not be: a linear scan needs no trust and costs once per probe spec. */
static int scan(const Elf_Data *d, uint64_t addr, uint64_t vaddr, uint64_t *start)
{
	struct eh_cur c = { .p = d->d_buf, .end = (const uint8_t *)d->d_buf + d->d_size, .base = d->d_buf,
			    .vaddr = addr };
	uint8_t version, ptr_enc, count_enc, table_enc;
	uint64_t count;
	bool found = false;

	version = (uint8_t)eh_u(&c, 1);
	ptr_enc = (uint8_t)eh_u(&c, 1);
	count_enc = (uint8_t)eh_u(&c, 1);
	table_enc = (uint8_t)eh_u(&c, 1);
	if (c.bad || version != 1 || ptr_enc == ENC_OMIT || count_enc == ENC_OMIT || table_enc != TABLE_ENC)
		return -EINVAL;
	eh_ptr(&c, ptr_enc);
	count = eh_ptr(&c, count_enc);
	if (c.bad || count > (uint64_t)(c.end - c.p) / 8)
		return -EINVAL;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = addr + (uint64_t)(int64_t)(int32_t)(uint32_t)eh_u(&c, 4);

		eh_u(&c, 4); /* the FDE's own address */
		if (at <= vaddr && (!found || at > *start)) {
			*start = at;
			found = true;
		}
	}
	if (c.bad)
		return -EINVAL;
	return found ? 0 : -ENODATA;
}

int func_start_fd(int fd, uint64_t vaddr, uint64_t *start)
{
	Elf *elf;
	Elf_Data *d;
	uint64_t addr = 0;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -EINVAL;
	}
	d = hdr_section(elf, &addr);
	err = d && d->d_buf ? scan(d, addr, vaddr, start) : -ENODATA;
	elf_end(elf);
	return err;
}
