/* SPDX-License-Identifier: MIT */
/*
 * The DT_NEEDED names of an ELF object, for an estimate made before the
 * dynamic linker runs (unwind_size.h sizes the kernel's unwind rows from
 * the libraries a program will map).  Not the linker's search: the caller
 * looks the names up where it chooses.
 */
#ifndef MEMTRACE_ELF_NEEDED_H
#define MEMTRACE_ELF_NEEDED_H

#include <stddef.h>

/* Calls fn(name, ctx) for each DT_NEEDED entry of the object open on fd
 * (the caller's; not closed), in order.  0, or -errno: -ENOEXEC when fd is
 * not ELF.  An object without a dynamic section has no entries. */
int elf_needed_each(int fd, void (*fn)(const char *name, void *ctx), void *ctx);

#endif
