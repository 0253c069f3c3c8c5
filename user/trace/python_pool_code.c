// SPDX-License-Identifier: MIT
/*
 * Byte patterns rather than a full decoder: each is anchored on operands
 * only obmalloc's code has (usedpools' address, the 48-byte arena_object
 * stride added to arenas), and a release site must also match the loads
 * around it, so bytes that happen to look alike inside other instructions
 * are not taken.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "python_pool_code.h"

/* How far into PyObject_Malloc/PyObject_Free the patterns are looked for:
 * both are under 0x200 bytes to the inlined allocator's slow paths. */
#define HEAD 512

static int32_t rel32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static bool in_text(uint64_t a, uint64_t text_vaddr, size_t n)
{
	return a >= text_vaddr && a < text_vaddr + n;
}

/* `mov disp32(,%reg,8),%reg` with REX.W at p: 48|4c 8b modrm(mod 00, rm 100) SIB(scale 8, base none). */
static bool table_load(const uint8_t *p, size_t left, uint64_t *addr)
{
	if (left < 8 || (p[0] & 0xfb) != 0x48 || p[1] != 0x8b || (p[2] & 0xc7) != 0x04 || (p[3] & 0xc7) != 0xc5)
		return false;
	*addr = (uint64_t)(int64_t)rel32(p + 4);
	return true;
}

static bool loads_table(const uint8_t *p, size_t left, uint64_t table)
{
	uint64_t a;

	for (size_t i = 0; i + 8 <= left && i < HEAD; i++)
		if (table_load(p + i, left - i, &a) && a == table)
			return true;
	return false;
}

/*
 * `imul $0x30,%rA,%rA; add disp32(%rip),%rA` at p: 11 bytes.  A is the
 * register (0-15); the add's target is returned in *target.
 */
static bool arena_index(const uint8_t *p, size_t left, uint64_t vaddr, int *reg, uint64_t *target)
{
	int a, b;

	if (left < 11 || (p[0] & 0xfa) != 0x48 || p[1] != 0x6b || (p[2] & 0xc0) != 0xc0 || p[3] != 0x30)
		return false;
	a = ((p[0] & 4) << 1) | ((p[2] >> 3) & 7); /* REX.R + reg */
	b = ((p[0] & 1) << 3) | (p[2] & 7);        /* REX.B + rm */
	if (a != b || (p[4] & 0xfb) != 0x48 || p[5] != 0x03 || (p[6] & 0xc7) != 0x05)
		return false;
	if ((((p[4] & 4) << 1) | ((p[6] >> 3) & 7)) != a)
		return false;
	*reg = a;
	*target = vaddr + 11 + (uint64_t)(int64_t)rel32(p + 7);
	return true;
}

/* A 64-bit load `mov disp8(%rP),%rX` (48|4c|49|4d 8b modrm(mod 01)) of
 * disp 0x10 or 0x18 at p (4 bytes); its base register in *base. */
static bool field_load(const uint8_t *p, int *base)
{
	if ((p[0] & 0xfa) != 0x48 || p[1] != 0x8b || (p[2] & 0xc0) != 0x40 || (p[2] & 7) == 4)
		return false;
	if (p[3] != 0x10 && p[3] != 0x18)
		return false;
	*base = ((p[0] & 1) << 3) | (p[2] & 7);
	return true;
}

/* `mov 0x20(%rP),%eA` ending at end (3 bytes, or 4 with a REX of R/B
 * only); its start in *start and P in *pool. */
static bool index_load(const uint8_t *text, size_t end, int a, size_t *start, int *pool)
{
	for (int len = 4; len >= 3; len--) {
		const uint8_t *p;
		int rex = 0;

		if (end < (size_t)len)
			continue;
		p = text + end - (size_t)len;
		if (len == 4) {
			if ((p[0] & 0xf0) != 0x40 || (p[0] & 0x0a))
				continue; /* REX.W and REX.X have no place here */
			rex = p[0];
			p++;
		}
		if (p[0] != 0x8b || (p[1] & 0xc0) != 0x40 || (p[1] & 7) == 4 || p[2] != 0x20)
			continue;
		if ((((rex & 4) << 1) | ((p[1] >> 3) & 7)) != a)
			continue;
		*pool = ((rex & 1) << 3) | (p[1] & 7);
		*start = end - (size_t)len;
		return true;
	}
	return false;
}

/* The release site whose arena_index pair starts at i, or false. */
static bool release_site(const uint8_t *text, size_t i, int a, size_t *site, int *pool)
{
	size_t end = i;
	int base = -1, nloads = 0, b;

	/* The pool's nextpool/prevpool loads, in either order, before the imul. */
	while (nloads < 3 && end >= 4 && field_load(text + end - 4, &b) && (base < 0 || b == base)) {
		base = b;
		end -= 4;
		nloads++;
	}
	if (!nloads || !index_load(text, end, a, site, pool))
		return false;
	return *pool == base && *pool != a;
}

int pool_code_find(const uint8_t *text, size_t n, uint64_t text_vaddr, uint64_t malloc_vaddr, uint64_t free_vaddr,
		   struct pool_code *out)
{
	size_t mo = (size_t)(malloc_vaddr - text_vaddr), fo = (size_t)(free_vaddr - text_vaddr);
	uint64_t target;
	int reg;

	memset(out, 0, sizeof(*out));
	if (!in_text(malloc_vaddr, text_vaddr, n) || !in_text(free_vaddr, text_vaddr, n))
		return -ENOENT;
	for (size_t i = mo; i < n && i < mo + HEAD && !out->usedpools; i++)
		table_load(text + i, n - i, &out->usedpools);
	if (!out->usedpools)
		return -ENOENT;
	for (size_t i = mo; i + 5 <= n && i < mo + HEAD && !out->take; i++) {
		if (text[i] != 0xe8)
			continue;
		target = text_vaddr + i + 5 + (uint64_t)(int64_t)rel32(text + i + 1);
		if (in_text(target, text_vaddr, n) && target != malloc_vaddr &&
		    loads_table(text + (target - text_vaddr), n - (size_t)(target - text_vaddr), out->usedpools))
			out->take = target;
	}
	for (size_t i = fo; i < n && i < fo + HEAD && !out->arenas; i++)
		if (arena_index(text + i, n - i, text_vaddr + i, &reg, &target))
			out->arenas = target;
	if (!out->take || !out->arenas)
		return -ENOENT;
	for (size_t i = 0; i + 11 <= n; i++) {
		size_t site;
		int pool;

		if (!arena_index(text + i, n - i, text_vaddr + i, &reg, &target) || target != out->arenas)
			continue;
		if (!release_site(text, i, reg, &site, &pool)) {
			out->unmatched++;
			continue;
		}
		if (out->nrelease == PY_MAX_RELEASE_SITES)
			return -E2BIG;
		out->release[out->nrelease] = text_vaddr + site;
		out->release_reg[out->nrelease++] = (uint8_t)pool;
	}
	return out->nrelease ? 0 : -ENOENT;
}
