/* SPDX-License-Identifier: MIT */
/*
 * What the DWARF of a call says about it (DW_TAG_call_site, or GCC's
 * DW_TAG_GNU_call_site before DWARF 5): the function called and the
 * constant values of its first two integer arguments, as gcc records them
 * at -O1 and above (-O0 builds carry no call sites).  This is how
 * `calloc(n, sizeof(T))` shows its element size to a profiler.
 */
#ifndef MEMTRACE_DWARF_CALLSITE_H
#define MEMTRACE_DWARF_CALLSITE_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

struct dwarf_call {
	const char *callee; /* its name (valid while the Dwarf is open), NULL when not named */
	bool known[2];      /* argument 1 (rdi), 2 (rsi) is a constant... */
	uint64_t arg[2];    /* ...of this value */
};

/*
 * The call that returns to return_addr (an address of the ELF image) in the
 * function around it.  0; -ENOENT when the DWARF records no such call.
 * x86-64 only (arguments by their System V registers).
 */
int dwarf_callsite_at(Dwarf *dw, uint64_t return_addr, struct dwarf_call *out);

#endif
