// SPDX-License-Identifier: MIT
/*
 * Reading a target's ELF files for the GC tracer: USDT notes
 * (.note.stapsdt) for refgc, HotSpot and CPython, Go's build info and
 * symbol table, and the call sites in Go's machine code the pause probes
 * sit after.  Every file is the target's: sizes and offsets are checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfimg.h"
#include "gc_state.h"
#include "target_file.h"

const struct refgc_probe refgc_probes[NREFGC] = {
	/* mark__* and sweep__* exist too, but the pause timeline needs none of
	 * them: probing them would cost a trap each for events nobody reads. */
	{ "gc__start", GCP_REFGC_GC_START },     { "gc__done", GCP_REFGC_GC_DONE },
	{ "pause__start", GCP_REFGC_PAUSE_START }, { "pause__done", GCP_REFGC_PAUSE_DONE },
	/* Where mutators wait apart from pauses (gc_waits.c). */
	{ "assist__start", GCP_REFGC_ASSIST_START }, { "assist__done", GCP_REFGC_ASSIST_DONE },
	{ "stall__start", GCP_REFGC_STALL_START },   { "stall__done", GCP_REFGC_STALL_DONE },
};

static void scan_stapsdt(struct elf_scan *s, Elf_Data *data)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;

	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *d = (const char *)data->d_buf + desc_off, *prov, *name;
		size_t n = nh.n_descsz;

		if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp((char *)data->d_buf + name_off, "stapsdt", 8))
			continue;
		if (n < 3 * 8 + 2 || d[n - 1] != '\0')
			continue;
		prov = d + 24;
		name = prov + strlen(prov) + 1;
		if (name >= d + n)
			continue;
		if (!strcmp(prov, "refgc")) {
			for (int i = 0; i < NREFGC; i++) {
				if (!strcmp(name, refgc_probes[i].name))
					s->refgc_mask |= 1u << i;
			}
		} else if (!strcmp(prov, "hotspot")) {
			s->hotspot_begin |= !strcmp(name, "gc__begin");
			s->hotspot_end |= !strcmp(name, "gc__end");
			s->hotspot_pools |= !strcmp(name, "mem__pool__gc__begin");
		} else if (!strcmp(prov, "otel_memory")) {
			s->otel_alloc |= !strcmp(name, "alloc");
			s->otel_free |= !strcmp(name, "free");
		} else if (!strcmp(prov, "python")) {
			s->py_start |= !strcmp(name, "gc__start");
			s->py_done |= !strcmp(name, "gc__done");
		}
	}
}

static void scan_buildinfo(struct elf_scan *s, Elf_Data *data)
{
	const unsigned char *b = data->d_buf;
	size_t n = data->d_size, len = 0, i = 32;
	int shift = 0;

	/* "\xff Go buildinf:", ptrsize, flags; flags & 2: inline varint strings at 32. */
	if (n < 33 || memcmp(b, "\xff Go buildinf:", 14) || !(b[15] & 2))
		return;
	while (i < n && shift < 35) {
		len |= (size_t)(b[i] & 0x7f) << shift;
		shift += 7;
		if (!(b[i++] & 0x80))
			break;
	}
	if (len && i + len <= n && len < sizeof(s->go_version)) {
		memcpy(s->go_version, b + i, len);
		s->go_version[len] = '\0';
	}
}

int elf_scan(const char *host_path, struct elf_scan *s)
{
	int fd = target_file_open(NULL, host_path);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *elf;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_DYNAMIC && !s->needs_libs) {
			data = elf_getdata(scn, NULL);
			for (size_t i = 0; data && sh.sh_entsize && i < data->d_size / sh.sh_entsize; i++) {
				GElf_Dyn dyn;

				if (gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_NEEDED)
					s->needs_libs = true;
			}
		}
		if (sh.sh_type == SHT_SYMTAB)
			s->go_symtab = true; /* only meaningful when go is set */
		if ((!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab")) &&
		    sh.sh_type != SHT_NOBITS)
			s->go_pclntab = true;
		if (!strcmp(name, ".go.buildinfo") || s->go_pclntab ||
		    !strcmp(name, ".note.go.buildid"))
			s->go = true;
		if (sh.sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt")) {
			data = elf_getdata(scn, NULL);
			if (data)
				scan_stapsdt(s, data);
		}
		if (!strcmp(name, ".go.buildinfo") && sh.sh_type != SHT_NOBITS) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf)
				scan_buildinfo(s, data);
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

/* Reads [vaddr, vaddr+size) of the file through its PT_LOAD segments. */
static unsigned char *read_code(const char *host_path, const struct elf_image *img, uint64_t vaddr, uint64_t size)
{
	unsigned char *buf;
	uint64_t off;
	int fd;

	if (!size || size > (1 << 20) || elf_vaddr_to_offset(img, vaddr, &off))
		return NULL;
	buf = malloc(size);
	fd = target_file_open(NULL, host_path);
	if (!buf || fd < 0 || pread(fd, buf, size, (off_t)off) != (ssize_t)size) {
		free(buf);
		buf = NULL;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/*
 * vaddrs of the instructions right after each `call rel32` in fn whose
 * target is one of targets[]. Returns how many (at most max).
 */
int calls_to(const char *host_path, const struct elf_image *img, const struct elf_sym *fn,
		    const uint64_t *targets, int ntargets, uint64_t *after, int max)
{
	unsigned char *code = read_code(host_path, img, fn->addr, fn->size);
	int n = 0;

	if (!code)
		return 0;
	for (uint64_t i = 0; i + 5 <= fn->size && n < max; i++) {
		int32_t rel;
		uint64_t next, dest;

		if (code[i] != 0xe8)
			continue;
		memcpy(&rel, code + i + 1, 4);
		next = fn->addr + i + 5;
		dest = next + (uint64_t)(int64_t)rel;
		for (int k = 0; k < ntargets; k++) {
			if (targets[k] && dest == targets[k]) {
				after[n++] = next;
				i += 4;
				break;
			}
		}
	}
	free(code);
	return n;
}

bool go_reason_abi(const char *version)
{
	int major = 0, minor = 0;

	if (sscanf(version, "go%d.%d", &major, &minor) != 2)
		return false;
	return major > 1 || (major == 1 && minor >= 21);
}
