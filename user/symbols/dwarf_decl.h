/* SPDX-License-Identifier: MIT */
/*
 * C declarations of a DWARF type with a name, as a programmer writes them:
 * "const char *const names[3]", "void (*fn)(int, char *)", "struct inner in".
 * Anonymous structs, unions and enums are written out in place, so a
 * declaration stands alone given the named types it uses.
 */
#ifndef MEMTRACE_DWARF_DECL_H
#define MEMTRACE_DWARF_DECL_H

#include <elfutils/libdw.h>
#include <stddef.h>

/*
 * Writes type's declaration of `name` (may be "") into out (outlen bytes,
 * always terminated).  0; -ENAMETOOLONG when it did not fit (out holds the
 * start); -ELOOP past the depth limit of dwarf_types.h.
 */
int dwarf_decl(Dwarf_Die *type, const char *name, char *out, size_t outlen);

#endif
