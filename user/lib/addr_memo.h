/* SPDX-License-Identifier: MIT */
/*
 * Answers remembered by address: what a slow lookup (DWARF's inline chain,
 * .gopclntab's line) gave for an address, kept so that it is worked out
 * once.  An answer is a run of n elements of one size (n may be 0: "none",
 * remembered too).  What a caller may rely on:
 *
 *  - a run handed out (by addr_memo_add or addr_memo_find) is a copy in
 *    storage that never moves: it stays valid, unchanged, until
 *    addr_memo_free, however many answers are added after it;
 *  - an address is remembered at most once by a caller that looks before it
 *    adds; addr_memo_find gives its answer back exactly;
 *  - without memory an answer is not remembered (looked up again next
 *    time, still right); nothing else fails.
 *
 * A zeroed struct addr_memo is not ready: addr_memo_init sets the element
 * size.  Not thread-safe.
 */
#ifndef MEMTRACE_ADDR_MEMO_H
#define MEMTRACE_ADDR_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

/* The longest run one answer may have: a chunk holds at least this many. */
#define ADDR_MEMO_MAX_RUN 64

struct addr_memo_chunk;

struct addr_memo_entry {
	uint64_t addr;
	const void *run; /* NULL when n is 0 */
	uint32_t n;
};

struct addr_memo {
	size_t elem_size;
	struct addr_memo_chunk *chunks;
	struct addr_memo_entry *v;
	size_t n, cap;
	struct hmap index;
};

/* An empty memo of runs of elem_size-byte elements (1 to 1024 bytes). */
void addr_memo_init(struct addr_memo *m, size_t elem_size);
/* Whether addr's answer is remembered; then *run (NULL for none) and *n are it. */
bool addr_memo_find(const struct addr_memo *m, uint64_t addr, const void **run, uint32_t *n);
/*
 * Remembers run[0..n) (n at most ADDR_MEMO_MAX_RUN) as addr's answer and
 * returns its stable copy; NULL when n is 0, and when there is no memory
 * for the copy (then nothing is remembered).
 */
const void *addr_memo_add(struct addr_memo *m, uint64_t addr, const void *run, uint32_t n);
/* Frees every run handed out; the memo is empty again, for the same element size. */
void addr_memo_free(struct addr_memo *m);

#endif
