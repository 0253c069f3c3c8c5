/* SPDX-License-Identifier: MIT */
/*
 * Source positions of an ELF object's code from its DWARF, through
 * elfutils' libdwfl: function, file and line, and the chain of functions
 * inlined at an address.  One handle per object (the symbolizer shares it
 * by build-id), its lookups memoised by address.
 *
 * What a caller may rely on: the DWARF is read from the object's own fd,
 * else from its separate debug file as debug_file.h finds it (build-id or
 * CRC checked); DWARF is parsed on the first lookup, not at open; every string
 * and chain returned lives until dwarf_src_free(); names are demangled
 * (demangle.h).
 */
#ifndef MEMTRACE_DWARF_SRC_H
#define MEMTRACE_DWARF_SRC_H

#include <stdint.h>

/* One source frame. */
struct src_frame {
	const char *function; /* NULL when DWARF does not name it */
	const char *file;     /* NULL when unknown */
	uint32_t line;        /* 0 when unknown */
	uint32_t fn_line;     /* the function's first line (DW_AT_decl_line), 0 when unknown */
};

struct dwarf_src;

/*
 * A handle on the ELF object open at fd (dup'ed: fd stays the caller's),
 * found at path inside debug_root (e.g. "/proc/42/root"), where its debug
 * file is looked for first (debug_file.h: build-id, .gnu_debuglink,
 * debuginfod).  NULL on ENOMEM.
 */
struct dwarf_src *dwarf_src_open(int fd, const char *debug_root, const char *path);
void dwarf_src_free(struct dwarf_src *d);

/*
 * The name of the function symbol covering vaddr from the tables elfutils
 * reads beyond .symtab/.dynsym: the separate debug file's .symtab and
 * MiniDebugInfo (.gnu_debugdata, the xz-compressed .symtab Debian and
 * Fedora ship in stripped binaries).  NULL when none.
 */
const char *dwarf_src_symbol(struct dwarf_src *d, uint64_t vaddr);

/*
 * The source frames at vaddr (an ELF image address: the instruction itself,
 * so a return address minus one), innermost first: the functions inlined
 * there, then the function that holds the code.  Returns how many (0 when
 * the object has no line information for vaddr) and sets *out to them.
 */
uint32_t dwarf_src_lookup(struct dwarf_src *d, uint64_t vaddr, const struct src_frame **out);

#endif
