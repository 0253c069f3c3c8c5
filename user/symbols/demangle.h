/* SPDX-License-Identifier: MIT */
/*
 * The one place that turns a mangled symbol into the name people write:
 * C++ (Itanium ABI) and Rust, legacy and v0, through libiberty's demangler
 * (the one binutils and gdb use).
 *
 * What a caller may rely on: demangle() never returns NULL; a name it does
 * not recognise comes back as given (the same pointer); C++ names keep
 * their argument lists and qualifiers; Rust legacy names lose their
 * "::h<16 hex digits>" hash, v0 names their crate disambiguators.
 */
#ifndef MEMTRACE_DEMANGLE_H
#define MEMTRACE_DEMANGLE_H

struct strpool;

/* name demangled, interned in pool; name itself when it is not mangled or on ENOMEM. */
const char *demangle(struct strpool *pool, const char *name);

#endif
