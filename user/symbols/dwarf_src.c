// SPDX-License-Identifier: MIT
#include <dwarf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "addr_memo.h"
#include "debug_file.h"
#include "demangle.h"
#include "dwarf_src.h"
#include "strpool.h"

/* Deeper inline nests are cut at the outermost frames kept. */
#define SRC_MAX_DEPTH 32
_Static_assert(SRC_MAX_DEPTH <= ADDR_MEMO_MAX_RUN, "a chain fits one memo run");

struct dwarf_src {
	int fd;            /* the object, until libdwfl takes it */
	char root[64];
	const char *object; /* its path inside root, for .gnu_debuglink's directories */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	bool tried;        /* libdwfl set up (or failed to be): not retried */
	struct strpool *names;
	struct addr_memo memo; /* by vaddr: its inline chain, innermost first */
};

/*
 * libdwfl asks for the debug file when the object has no DWARF (or no
 * .symtab) of its own.  Its standard search reads host paths by name and
 * may reach the network on its own; ours (debug_file.h) goes through the
 * target's root, proves every file by build-id or CRC, asks debuginfod
 * only when the user set it up, and is the only one that runs.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink, GElf_Word crc, char **debug_name)
{
	struct dwarf_src *d = *userdata;
	const unsigned char *bits;
	GElf_Addr at;
	char id[41] = "", path[4096];
	enum debug_source src;
	int n, fd;

	(void)modname, (void)base, (void)file_name;
	n = dwfl_module_build_id(mod, &bits, &at);
	for (int i = 0; i < n && i < 20; i++) {
		id[2 * i] = "0123456789abcdef"[bits[i] >> 4];
		id[2 * i + 1] = "0123456789abcdef"[bits[i] & 15];
		id[2 * i + 2] = '\0';
	}
	fd = debug_file_find(&(struct debug_want){ .root = d->root, .object = d->object, .build_id = id,
						   .debuglink = debuglink, .crc = crc },
			     path, sizeof(path), &src);
	if (fd < 0)
		return -1;
	*debug_name = strdup(path);
	return fd;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct dwarf_src *dwarf_src_open(int fd, const char *debug_root, const char *path)
{
	struct dwarf_src *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	addr_memo_init(&d->memo, sizeof(struct src_frame));
	d->fd = dup(fd);
	d->names = strpool_new();
	if (d->fd < 0 || !d->names) {
		dwarf_src_free(d);
		return NULL;
	}
	snprintf(d->root, sizeof(d->root), "%s", debug_root ? debug_root : "");
	d->object = path ? strpool_intern(d->names, path) : NULL;
	return d;
}

void dwarf_src_free(struct dwarf_src *d)
{
	if (!d)
		return;
	if (d->dwfl)
		dwfl_end(d->dwfl);
	if (d->fd >= 0)
		close(d->fd);
	addr_memo_free(&d->memo);
	strpool_free(d->names);
	free(d);
}

/* Reports the object to libdwfl at its own addresses (bias 0). */
static void setup(struct dwarf_src *d)
{
	void **ud;

	d->tried = true;
	d->dwfl = dwfl_begin(&callbacks);
	if (!d->dwfl)
		return;
	dwfl_report_begin(d->dwfl);
	d->mod = dwfl_report_elf(d->dwfl, "object", "object", d->fd, 0, true);
	dwfl_report_end(d->dwfl, NULL, NULL);
	if (!d->mod)
		return;
	d->fd = -1; /* libdwfl owns it now */
	if (dwfl_module_info(d->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL))
		*ud = d;
}

static const char *die_name(struct dwarf_src *d, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		name = dwarf_formstring(&a);
	if (!name && dwarf_attr_integrate(die, DW_AT_name, &a))
		name = dwarf_formstring(&a);
	return name ? demangle(d->names, name) : NULL;
}

static uint32_t attr_u32(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (!dwarf_attr(die, at, &a) || dwarf_formudata(&a, &v) || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

/* The file an inlined call was made from (DW_AT_call_file, an index into the CU's files). */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *inl)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word idx;
	size_t n;

	if (!dwarf_attr(inl, DW_AT_call_file, &a) || dwarf_formudata(&a, &idx) ||
	    dwarf_getsrcfiles(cu, &files, &n) || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/*
 * A line table may name files relative to the unit's compilation
 * directory (DWARF 5 does): joined, so files read as addr2line gives them.
 */
static const char *full_path(struct dwarf_src *d, const char *comp_dir, const char *file)
{
	char buf[4096];

	if (!file || file[0] == '/' || !comp_dir || !*comp_dir)
		return file;
	if (snprintf(buf, sizeof(buf), "%s/%s", comp_dir, file) >= (int)sizeof(buf))
		return file;
	return strpool_intern(d->names, buf) ?: file;
}

static uint32_t find_chain(struct dwarf_src *d, uint64_t vaddr, struct src_frame *out)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(d->mod, vaddr, &bias), *scopes = NULL;
	Dwfl_Line *l = dwfl_module_getsrc(d->mod, vaddr);
	const char *file = NULL, *comp_dir;
	int line = 0, nscopes;
	uint32_t k = 0;

	if (l)
		file = full_path(d, dwfl_line_comp_dir(l), dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL));
	if (!cu)
		goto out;
	{
		Dwarf_Attribute a;

		comp_dir = dwarf_attr(cu, DW_AT_comp_dir, &a) ? dwarf_formstring(&a) : NULL;
	}
	/*
	 * dwarf_getscopes follows an inlined instance into its abstract
	 * definition, losing the callers it was inlined into; the scopes of
	 * the innermost DIE itself are the concrete chain (as eu-addr2line -i).
	 */
	nscopes = dwarf_getscopes(cu, vaddr - bias, &scopes);
	if (nscopes > 0) {
		Dwarf_Die inner = scopes[0];

		free(scopes);
		scopes = NULL;
		nscopes = dwarf_getscopes_die(&inner, &scopes);
	}
	for (int i = 0; i < nscopes && k < SRC_MAX_DEPTH; i++) {
		Dwarf_Die *s = &scopes[i];
		int tag = dwarf_tag(s), decl = 0;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		dwarf_decl_line(s, &decl);
		out[k++] = (struct src_frame){ .function = die_name(d, s), .file = file,
					       .line = line > 0 ? (uint32_t)line : 0,
					       .fn_line = decl > 0 ? (uint32_t)decl : 0 };
		if (tag == DW_TAG_subprogram)
			break;
		/* Inlined: the next frame out is where the call was written. */
		file = full_path(d, comp_dir, call_file(cu, s));
		line = (int)attr_u32(s, DW_AT_call_line);
	}
	free(scopes);
out:
	if (!k && file)
		out[k++] = (struct src_frame){ .file = file, .line = line > 0 ? (uint32_t)line : 0 };
	return k;
}

const char *dwarf_src_symbol(struct dwarf_src *d, uint64_t vaddr)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name;

	if (!d->tried)
		setup(d);
	if (!d->mod)
		return NULL;
	name = dwfl_module_addrinfo(d->mod, vaddr, &off, &sym, NULL, NULL, NULL);
	return name && *name ? demangle(d->names, name) : NULL;
}

uint32_t dwarf_src_lookup(struct dwarf_src *d, uint64_t vaddr, const struct src_frame **out)
{
	struct src_frame tmp[SRC_MAX_DEPTH];
	const void *chain;
	uint32_t n;

	if (!addr_memo_find(&d->memo, vaddr, &chain, &n)) {
		if (!d->tried)
			setup(d);
		n = d->mod ? find_chain(d, vaddr, tmp) : 0;
		chain = addr_memo_add(&d->memo, vaddr, tmp, n);
		/* Without memory for it, no chain this time (looked up again next time). */
		if (!chain)
			n = 0;
	}
	*out = chain;
	return n;
}
