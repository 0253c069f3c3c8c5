// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "zsection.h"

/* zlib's best ratio is 1032:1 (deflate's longest match, 258 bytes, in
 * under 2 bits): a claim above it cannot be what the stream holds. */
#define ZSECTION_RATIO 1032u

int zsection_inflate(const void *data, size_t size, void **out, size_t *out_size)
{
	z_stream zs = {};
	Elf64_Chdr ch;
	uint8_t *buf = NULL;
	size_t in_left;
	int err, zr;

	*out = NULL;
	*out_size = 0;
	if (size < sizeof(ch))
		return -EINVAL;
	memcpy(&ch, data, sizeof(ch));
	if (ch.ch_type != ELFCOMPRESS_ZLIB)
		return -ENOTSUP;
	in_left = size - sizeof(ch);
	if (ch.ch_size > ZSECTION_MAX || ch.ch_size / ZSECTION_RATIO > in_left)
		return -EFBIG;
	/* One byte more than claimed: a stream that runs on shows in it. */
	buf = malloc(ch.ch_size + 1);
	if (!buf)
		return -ENOMEM;
	if (inflateInit(&zs) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	zs.next_out = buf;
	zs.avail_out = (uInt)ch.ch_size + 1; /* ZSECTION_MAX fits a uInt */
	zs.next_in = (Bytef *)data + sizeof(ch);
	do {
		uInt chunk = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;

		zs.avail_in = chunk;
		zr = inflate(&zs, Z_NO_FLUSH);
		in_left -= chunk - zs.avail_in;
	} while (zr == Z_OK && in_left && zs.avail_out);
	err = zr == Z_STREAM_END && zs.total_out == ch.ch_size ? 0 : -EINVAL;
	inflateEnd(&zs);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*out_size = ch.ch_size;
	return 0;
}
