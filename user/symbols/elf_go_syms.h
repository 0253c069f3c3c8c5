/* SPDX-License-Identifier: MIT */
/*
 * Function symbols of a stripped Go executable, from its .gopclntab
 * (go_pclntab.h), for elfimg: with them, symbolization, probe resolution
 * and Go's runtime probes (runtime.mallocgc, the GC's) work on a binary
 * built with -ldflags=-s -w as on one with its .symtab.  Only elfimg.c
 * calls elf_go_syms_add; go_lines.c reads the same table for lines.
 */
#ifndef MEMTRACE_ELF_GO_SYMS_H
#define MEMTRACE_ELF_GO_SYMS_H

#include <libelf.h>

#include "go_pclntab.h"

struct elf_image;

/*
 * Opens elf's .gopclntab (.data.rel.ro.gopclntab in a PIE) into *t, its
 * text start found as the runtime would have it.  t->data borrows the
 * section's bytes from elf: valid until elf_end.  0, -ENOENT when the file
 * has no such section, -EINVAL or -ENOTSUP for a table that cannot be read.
 */
int elf_go_pclntab(Elf *elf, struct go_pclntab *t);

/*
 * Appends every function of elf's .gopclntab to img->syms (names interned
 * in img->names; sized by the next function's entry; unsorted: the caller
 * sorts).  0 when added or when the file has no such section; -EINVAL or
 * -ENOTSUP for a table that cannot be read, which adds nothing; -ENOMEM.
 */
int elf_go_syms_add(struct elf_image *img, Elf *elf);

#endif
