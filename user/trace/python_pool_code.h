/* SPDX-License-Identifier: MIT */
/*
 * Finding pymalloc's pool refill and pool release in CPython's machine
 * code, for interpreters that inline the allocator (Debian's LTO-built
 * python3.11 has ~190 inlined copies of PyObject_Malloc's fast path and
 * ~45 of insert_to_freepool, and no symbols for either).
 *
 * What a caller may rely on: a result names only code that matched the
 * whole pattern below, never a guess.  The patterns are those of GCC's
 * x86-64 code for CPython 3.10-3.11's obmalloc.c in a non-PIE executable
 * (absolute addresses of usedpools); anything else is -ENOENT.
 *
 *  - usedpools: the table PyObject_Malloc indexes by size class,
 *    `mov usedpools(,%reg,8),%reg` (absolute disp32) in its first bytes;
 *  - allocate_from_new_pool: the first function PyObject_Malloc calls
 *    directly whose own code indexes usedpools the same way;
 *  - arenas: `imul $0x30,%rA,%rA; add arenas(%rip),%rA` in PyObject_Free
 *    (&arenas[pool->arenaindex], sizeof(struct arena_object) = 48);
 *  - each release site: that same pair anywhere in .text, preceded by
 *    `mov 0x20(%rP),%eA` (pool->arenaindex) and the loads of the pool's
 *    0x10/0x18 fields (nextpool, prevpool) from the same base P.  The site
 *    is the mov; rP holds the pool there.
 */
#ifndef MEMTRACE_PYTHON_POOL_CODE_H
#define MEMTRACE_PYTHON_POOL_CODE_H

#include <stddef.h>
#include <stdint.h>

#define PY_MAX_RELEASE_SITES 256

struct pool_code {
	uint64_t usedpools, arenas; /* addresses of obmalloc's statics */
	uint64_t take;              /* allocate_from_new_pool */
	uint32_t nrelease;
	uint64_t release[PY_MAX_RELEASE_SITES];    /* first instruction of each insert_to_freepool copy */
	uint8_t release_reg[PY_MAX_RELEASE_SITES]; /* its pool register, 0 rax ... 15 r15 */
	/* `&arenas[i]` computations in .text that are not a recognized
	 * release site (other uses of arenas, or a copy compiled otherwise). */
	uint32_t unmatched;
};

/*
 * Decodes text (the bytes of .text, at text_vaddr) given the addresses of
 * PyObject_Malloc and PyObject_Free.  0 with *out filled; -ENOENT when a
 * pattern is missing (out says how far it got: zero fields were not
 * found); -E2BIG when more release sites than PY_MAX_RELEASE_SITES match.
 */
int pool_code_find(const uint8_t *text, size_t n, uint64_t text_vaddr, uint64_t malloc_vaddr, uint64_t free_vaddr,
		   struct pool_code *out);

#endif
