/* SPDX-License-Identifier: MIT */
/*
 * Where a --alloc/--free/--realloc function is, in the objects a process
 * maps: "FUNC" (its symbol), "FUNC+OFF" (bytes past it) or "OBJECT+0xADDR"
 * (an ELF virtual address in OBJECT, the program or a library named by
 * its path or file name: how a stripped binary's allocator is probed, with
 * the address nm/objdump give for an unstripped copy, or a report's
 * "OBJECT+0x..." frame).
 */
#ifndef MEMTRACE_CUSTOM_WHERE_H
#define MEMTRACE_CUSTOM_WHERE_H

#include <stdbool.h>
#include <stdint.h>

#include "elfimg.h"

/*
 * Finds spec among imgs[0..n) (paths[] their paths, the program first).
 * Sets *k to the object and *vaddr to the ELF address.  Returns 0,
 * -ENOENT for no such function, -ENXIO for an X+OFF where X is neither a
 * mapped object nor a function, -ERANGE for an offset past FUNC's end or an address outside
 * OBJECT's loaded code segments.
 */
int custom_where(const char *spec, struct elf_image *const *imgs, const char *const *paths, int n, int *k,
		 uint64_t *vaddr);
/* Whether img has no symbol table (stripped): only .dynsym's names, if any. */
bool custom_stripped(const struct elf_image *img);

#endif
