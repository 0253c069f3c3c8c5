/* SPDX-License-Identifier: MIT */
/*
 * Go's size-class tables (runtime.size_to_class8, size_to_class128,
 * class_to_size) in a binary without .symtab: found through the code of
 * runtime.mallocgc, which loads each with a RIP-relative LEA (malloc.go:
 * `size_to_class8[divRoundUp(size, smallSizeDiv)]`, ...), and accepted
 * only when their contents are those tables' shape: class8 counts 0, 1,
 * 2... and never falls, class128 starts where class8 ends and never falls,
 * class_to_size rises strictly to 32768.  Used by go_heap.c when the
 * symbols are not there.
 */
#ifndef MEMTRACE_GO_CLASS_TABLES_H
#define MEMTRACE_GO_CLASS_TABLES_H

#include "go_heap_bpf.h"

struct elf_image;
struct elf_sym;

/*
 * Fills c's class8, class128 and class_to_size (not nclasses) from the
 * file open at fd, whose image is img and mallocgc its function symbol.
 * 0, or -ENOENT when no three LEA targets in mallocgc have the shapes.
 */
int go_class_tables_find(int fd, const struct elf_image *img, const struct elf_sym *mallocgc,
			 struct mt_go_classes *c);

#endif
