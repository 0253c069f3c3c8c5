/* SPDX-License-Identifier: MIT */
/*
 * Function symbols of a stripped Go executable, from its .gopclntab
 * (go_pclntab.h), for elfimg: with them, symbolization, probe resolution
 * and Go's runtime probes (runtime.mallocgc, the GC's) work on a binary
 * built with -ldflags=-s -w as on one with its .symtab.  Only elfimg.c
 * calls this.
 */
#ifndef MEMTRACE_ELF_GO_SYMS_H
#define MEMTRACE_ELF_GO_SYMS_H

#include <libelf.h>

struct elf_image;

/*
 * Appends every function of elf's .gopclntab to img->syms (names interned
 * in img->names; sized by the next function's entry; unsorted: the caller
 * sorts).  0 when added or when the file has no such section; -EINVAL or
 * -ENOTSUP for a table that cannot be read, which adds nothing; -ENOMEM.
 */
int elf_go_syms_add(struct elf_image *img, Elf *elf);

#endif
