// SPDX-License-Identifier: MIT
/*
 * python_pool_code: pymalloc's refill and inlined releases found in code.
 * The bytes are GCC's, copied from Debian's python3.11 (3.11.2-6+deb12u6):
 * PyObject_Malloc's usedpools load, allocate_from_new_pool's, and two
 * insert_to_freepool copies (pool in %rsi, and in %rcx with r13).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "python_pool_code.h"

#define TEXT 0x4f0000ULL
#define USEDPOOLS 0x959d20ULL
#define ARENAS 0xac4628ULL

static uint8_t text[0x400];

static void put(size_t at, const uint8_t *b, size_t n)
{
	memcpy(text + at, b, n);
}

static void put_rel32(size_t at, uint64_t target, size_t insn_end)
{
	int32_t r = (int32_t)(target - (TEXT + insn_end));

	memcpy(text + at, &r, 4);
}

/* A release site at `at`: its arenas add ends 11 bytes after the imul. */
static void release(size_t at, const uint8_t *b, size_t n)
{
	put(at, b, n);
	put_rel32(at + n - 4, ARENAS, at + n);
}

static void layout(void)
{
	/* PyObject_Malloc at 0x000: the usedpools load, a call to a function
	 * that is not the refill, then the call to allocate_from_new_pool. */
	static const uint8_t malloc_head[] = { 0x48, 0x8b, 0x14, 0xc5, 0x20, 0x9d, 0x95, 0x00 };
	static const uint8_t take_head[] = { 0x48, 0x8b, 0x14, 0xd5, 0x20, 0x9d, 0x95, 0x00, 0xc3 };
	static const uint8_t free_rsi[] = { 0x8b, 0x5e, 0x20, 0x48, 0x8b, 0x56, 0x10, 0x48, 0x8b, 0x46, 0x18,
					    0x48, 0x6b, 0xdb, 0x30, 0x48, 0x03, 0x1d, 0, 0, 0, 0 };
	static const uint8_t free_rcx[] = { 0x44, 0x8b, 0x69, 0x20, 0x48, 0x8b, 0x51, 0x10, 0x48, 0x8b, 0x41, 0x18,
					    0x4d, 0x6b, 0xed, 0x30, 0x4c, 0x03, 0x2d, 0, 0, 0, 0 };
	/* &arenas[i] with no pool loads before it (another use of arenas). */
	static const uint8_t other[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x48, 0x6b, 0xdb, 0x30, 0x48, 0x03, 0x1d, 0, 0, 0, 0 };

	memset(text, 0xcc, sizeof(text));
	put(0x000, malloc_head, sizeof(malloc_head));
	text[0x10] = 0xe8;
	put_rel32(0x11, TEXT + 0x280, 0x15);
	text[0x20] = 0xe8;
	put_rel32(0x21, TEXT + 0x200, 0x25);
	release(0x100, free_rsi, sizeof(free_rsi));
	put(0x200, take_head, sizeof(take_head));
	text[0x280] = 0xc3;
	release(0x300, free_rcx, sizeof(free_rcx));
	put(0x380, other, sizeof(other));
	put_rel32(0x380 + sizeof(other) - 4, ARENAS, 0x380 + sizeof(other));
}

Test(python_pool_code, finds_refill_and_releases)
{
	struct pool_code pc;

	layout();
	cr_assert_eq(pool_code_find(text, sizeof(text), TEXT, TEXT, TEXT + 0x100, &pc), 0);
	cr_expect_eq(pc.usedpools, USEDPOOLS);
	cr_expect_eq(pc.take, TEXT + 0x200, "take 0x%llx", (unsigned long long)pc.take);
	cr_expect_eq(pc.arenas, ARENAS);
	cr_assert_eq(pc.nrelease, 2);
	cr_expect_eq(pc.release[0], TEXT + 0x100);
	cr_expect_eq(pc.release_reg[0], 6); /* rsi */
	cr_expect_eq(pc.release[1], TEXT + 0x300);
	cr_expect_eq(pc.release_reg[1], 1); /* rcx */
	cr_expect_eq(pc.unmatched, 1);
}

Test(python_pool_code, refuses_other_code)
{
	struct pool_code pc;

	layout();
	/* No usedpools load in PyObject_Malloc: nothing is guessed. */
	memset(text, 0x90, 0x10);
	cr_expect_eq(pool_code_find(text, sizeof(text), TEXT, TEXT, TEXT + 0x100, &pc), -ENOENT);
	cr_expect_eq(pc.take, 0);
	/* Addresses outside the text. */
	layout();
	cr_expect_eq(pool_code_find(text, sizeof(text), TEXT, TEXT + 0x1000, TEXT + 0x100, &pc), -ENOENT);
	/* A release copy whose loads use another base than its index load. */
	layout();
	text[0x100 + 1] = 0x5f; /* mov 0x20(%rdi),%ebx */
	cr_assert_eq(pool_code_find(text, sizeof(text), TEXT, TEXT, TEXT + 0x100, &pc), 0);
	cr_expect_eq(pc.nrelease, 1);
	cr_expect_eq(pc.unmatched, 2);
}
