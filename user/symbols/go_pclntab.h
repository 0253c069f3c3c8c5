/* SPDX-License-Identifier: MIT */
/*
 * Go's own function table, the .gopclntab section, which `go build
 * -ldflags=-s -w` and every Debian Go package keep when .symtab and DWARF
 * are gone: the runtime needs it for tracebacks.  Layouts read (Go's
 * runtime/symtab.go, pcHeader and _func): Go 1.16-1.17 (magic 0xfffffffa),
 * 1.18-1.19 (0xfffffff0) and 1.20 on (0xfffffff1); older tables are
 * refused (-ENOTSUP).
 *
 * The section comes from the target's file: every offset and count in it
 * is checked against its length before use, names must end inside it, and
 * a table that fails a check is refused (-EINVAL) or the one function is
 * (go_pclntab_func's -EINVAL), never read past.  The table borrows `data`:
 * the caller keeps it alive and unchanged while the table is used.
 */
#ifndef MEMTRACE_GO_PCLNTAB_H
#define MEMTRACE_GO_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>

struct go_pclntab {
	const unsigned char *data;
	size_t len;
	uint32_t magic;
	unsigned ptrsize, quantum;
	uint64_t nfunc;
	uint64_t text_start; /* entries are text_start + 32-bit offsets (>= 1.18) */
	uint64_t funcname, cutab, filetab, pctab, functab; /* offsets in data */
	uint64_t functab_len;
};

/*
 * Reads the header.  text_start: where runtime.text is (the ELF vaddr), used
 * by Go >= 1.18 tables when the header's own is 0 (a PIE's, filled by a
 * relocation at load); ignored by 1.16's, whose entries are absolute.
 * 0, -EINVAL (not a table, or one whose parts lie outside it), -ENOTSUP.
 */
int go_pclntab_open(struct go_pclntab *t, const void *data, size_t len, uint64_t text_start);

/*
 * Function i (0 <= i < t->nfunc, in the table's order: by entry): its entry
 * and end (the next function's entry, or the table's end of text), and its
 * name, NUL-terminated inside data ("runtime.mallocgc",
 * "main.(*T).alloc", "main.f.func1").  -EINVAL for a broken entry.
 */
int go_pclntab_func(const struct go_pclntab *t, uint64_t i, uint64_t *entry, uint64_t *end, const char **name);

/*
 * The source position of pc inside function i, as Go's runtime.funcline
 * gives it: the file (inside data) and line of the instruction at pc.
 * -ENOENT when pc is outside the function or the table has no position.
 */
int go_pclntab_line(const struct go_pclntab *t, uint64_t i, uint64_t pc, const char **file, uint32_t *line);

#endif
