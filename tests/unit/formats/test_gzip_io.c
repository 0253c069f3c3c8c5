// SPDX-License-Identifier: MIT
/* gzip_io: gzip input bounded by its trailer, a ratio and a maximum. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzip_io.h"

/* A gzip member of len bytes from fill (NULL: zeros). */
static unsigned char *gz(const unsigned char *fill, size_t len, size_t *outlen)
{
	z_stream zs = { 0 };
	size_t cap = len + len / 8 + 1024;
	unsigned char *in = fill ? (unsigned char *)fill : calloc(1, len ? len : 1), *out = malloc(cap);

	cr_assert(in && out);
	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (!fill)
		free(in);
	return out;
}

Test(gzip_io, honest_stream_inflates)
{
	unsigned char text[5000], *z, *out;
	size_t zlen, len;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (unsigned char)(i * 7 + i / 13);
	z = gz(text, sizeof(text), &zlen);
	cr_assert_eq(gzip_inflate(z, zlen, 1 << 20, &out, &len), 0);
	cr_assert_eq(len, sizeof(text));
	cr_assert_eq(memcmp(out, text, len), 0);
	free(out);
	free(z);
}

/* 64 MiB of zeros in ~64 KiB: past 64:1, refused whatever max allows. */
Test(gzip_io, bomb_refused)
{
	size_t zlen, len;
	unsigned char *z = gz(NULL, 64u << 20, &zlen), *out = NULL;

	cr_assert_eq(gzip_inflate(z, zlen, (size_t)1 << 30, &out, &len), -EFBIG);
	cr_assert_null(out);
	free(z);
}

Test(gzip_io, trailer_that_lies_is_corrupt)
{
	size_t zlen, len;
	unsigned char *z = gz(NULL, 100000, &zlen), *out = NULL;

	z[zlen - 4] = 10; /* ISIZE = 10 */
	z[zlen - 3] = z[zlen - 2] = z[zlen - 1] = 0;
	cr_assert_eq(gzip_inflate(z, zlen, 1 << 20, &out, &len), -EINVAL);
	free(z);
}

Test(gzip_io, truncated_is_corrupt)
{
	unsigned char text[3000], *z, *out = NULL;
	size_t zlen, len;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (unsigned char)(i * 31 + i / 7);
	z = gz(text, sizeof(text), &zlen);
	for (size_t n = 1; n < zlen; n++)
		cr_assert_eq(gzip_inflate(z, n, 1 << 20, &out, &len), -EINVAL, "prefix %zu", n);
	free(z);
}
