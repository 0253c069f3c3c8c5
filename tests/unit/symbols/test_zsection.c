// SPDX-License-Identifier: MIT
/*
 * zsection: the bounded inflate of a compressed ELF section, on sections
 * made here with zlib: what it gives back is the exact input; a hostile
 * header or stream is refused without allocating what it claims.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "zsection.h"

/* A section: an Elf64_Chdr claiming `claim` bytes of type `type`, then
 * the zlib stream of plain[0..n).  Returns its size. */
static size_t make_section(uint8_t *out, size_t cap, uint32_t type, uint64_t claim, const uint8_t *plain, size_t n)
{
	Elf64_Chdr ch = { .ch_type = type, .ch_size = claim, .ch_addralign = 8 };
	uLongf zn = cap - sizeof(ch);

	cr_assert_eq(compress(out + sizeof(ch), &zn, plain, n), Z_OK);
	memcpy(out, &ch, sizeof(ch));
	return sizeof(ch) + zn;
}

static uint8_t plain[100000], sec[120000];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + i / 251);
}

Test(zsection, gives_back_the_exact_bytes)
{
	size_t n, got;
	void *out;

	fill();
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, sizeof(plain), plain, sizeof(plain));
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), 0);
	cr_assert_eq(got, sizeof(plain));
	cr_assert_eq(memcmp(out, plain, got), 0);
	free(out);
}

Test(zsection, refuses_a_wrong_claim_or_a_cut_stream)
{
	size_t n, got;
	void *out;

	fill();
	/* Claims fewer bytes than the stream holds: it runs on. */
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, sizeof(plain) - 1, plain, sizeof(plain));
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EINVAL);
	cr_assert_null(out);
	/* Claims more: the stream ends early. */
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, sizeof(plain) + 1, plain, sizeof(plain));
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EINVAL);
	/* The stream cut short, and corrupted. */
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, sizeof(plain), plain, sizeof(plain));
	cr_assert_eq(zsection_inflate(sec, n - 10, &out, &got), -EINVAL);
	sec[sizeof(Elf64_Chdr) + 20] ^= 0xff;
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EINVAL);
	/* A header alone (claiming nothing), or less. */
	memset(sec, 0, sizeof(Elf64_Chdr));
	((Elf64_Chdr *)sec)->ch_type = ELFCOMPRESS_ZLIB;
	cr_assert_eq(zsection_inflate(sec, sizeof(Elf64_Chdr) - 1, &out, &got), -EINVAL);
	cr_assert_eq(zsection_inflate(sec, sizeof(Elf64_Chdr), &out, &got), -EINVAL);
}

Test(zsection, refuses_sizes_past_the_bounds_and_other_codecs)
{
	size_t n, got;
	void *out;

	fill();
	/* 1 GiB claimed from ~a few KiB: beyond zlib's 1032:1, and beyond the cap. */
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, 1ULL << 30, plain, 1000);
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EFBIG);
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, UINT64_MAX, plain, 1000);
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EFBIG);
	/* Within the cap but past what n compressed bytes can hold. */
	n = make_section(sec, sizeof(sec), ELFCOMPRESS_ZLIB, (n - sizeof(Elf64_Chdr)) * 1033 + 1033, plain, 1000);
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -EFBIG);
	n = make_section(sec, sizeof(sec), 2 /* ELFCOMPRESS_ZSTD */, 1000, plain, 1000);
	cr_assert_eq(zsection_inflate(sec, n, &out, &got), -ENOTSUP);
	cr_assert_null(out);
}
