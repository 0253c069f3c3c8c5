/* SPDX-License-Identifier: MIT */
/*
 * Source positions of a Go executable's code from its own .gopclntab
 * (go_pclntab.h), for the symbolizer: a stripped Go binary has no DWARF,
 * and an unstripped one's DWARF is read for C frames only (symbolize.c).
 * One handle per object, shared by build-id, its lookups memoised by
 * address for the handle's life (past any symbolizer cache).
 *
 * What a caller may rely on: the table is copied out of the object at open,
 * so the fd may close; positions are Go's own (runtime.funcline, as `go tool
 * addr2line` prints them): the file and line of the innermost inlined call
 * at pc, under the name of the function that holds the code; every string
 * and frame returned lives until go_lines_free().
 */
#ifndef MEMTRACE_GO_LINES_H
#define MEMTRACE_GO_LINES_H

#include <stdint.h>

#include "dwarf_src.h"

struct go_lines;

/*
 * A handle on the .gopclntab of the ELF object open at fd (which stays the
 * caller's).  0 and *out set; -ENOENT when the object has no table; -EINVAL
 * or -ENOTSUP for a table that cannot be read; -ENOMEM.
 */
int go_lines_open(int fd, struct go_lines **out);
void go_lines_free(struct go_lines *g);

/*
 * The source frame at vaddr (an ELF address: the instruction itself, so a
 * return address minus one): function, file, line, and fn_line, the line of
 * the function's entry (its declaration line, as Go's compiler places the
 * prologue there).  Returns 1 and sets *out, or 0 when vaddr is not in a Go
 * function the table describes (the C code of a cgo binary) or the table
 * has no position for it.
 */
uint32_t go_lines_lookup(struct go_lines *g, uint64_t vaddr, const struct src_frame **out);

#endif
