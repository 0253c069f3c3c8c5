// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzip_io.h"

#define CHUNK 65536

struct gzip_out {
	z_stream zs;
	FILE *out;
	int err;
	unsigned char buf[CHUNK];
};

struct gzip_out *gzip_out_new(FILE *out, int level)
{
	struct gzip_out *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->out = out;
	/* 15 + 16: 32 KiB window with a gzip (not zlib) header and trailer. */
	if (deflateInit2(&g->zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return NULL;
	}
	return g;
}

static int pump(struct gzip_out *g, int flush)
{
	int rc;

	do {
		g->zs.next_out = g->buf;
		g->zs.avail_out = CHUNK;
		rc = deflate(&g->zs, flush);
		if (rc == Z_STREAM_ERROR)
			return g->err = -EINVAL;
		if (fwrite(g->buf, 1, CHUNK - g->zs.avail_out, g->out) != CHUNK - g->zs.avail_out)
			return g->err = -EIO;
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

int gzip_out_write(struct gzip_out *g, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (g->err)
		return -EINVAL;
	while (len) {
		uInt n = len > CHUNK ? CHUNK : (uInt)len;
		int err;

		g->zs.next_in = (unsigned char *)p;
		g->zs.avail_in = n;
		err = pump(g, Z_NO_FLUSH);
		if (err)
			return err;
		p += n;
		len -= n;
	}
	return 0;
}

int gzip_out_finish(struct gzip_out *g)
{
	int err = g->err;

	if (!err) {
		g->zs.next_in = NULL;
		g->zs.avail_in = 0;
		err = pump(g, Z_FINISH);
	}
	if (!err && fflush(g->out))
		err = -EIO;
	gzip_out_abort(g);
	return err;
}

void gzip_out_abort(struct gzip_out *g)
{
	if (!g)
		return;
	deflateEnd(&g->zs);
	free(g);
}

static int slurp(FILE *f, size_t max, unsigned char **buf, size_t *len)
{
	size_t cap = CHUNK, n = 0;
	unsigned char *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb;

			if (cap >= max) {
				free(b);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		return -EIO;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* 1 when the stream gives more than max bytes; its output is thrown away. */
static int inflate_overruns(const unsigned char *in, size_t inlen, size_t max)
{
	unsigned char *scratch = malloc(CHUNK);
	size_t n = 0;
	z_stream zs;
	int rc = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (!scratch || inflateInit2(&zs, 31) != Z_OK) {
		free(scratch);
		return 0;
	}
	zs.next_in = (unsigned char *)in;
	zs.avail_in = inlen > UINT32_MAX ? UINT32_MAX : (uInt)inlen;
	while (rc == Z_OK && n <= max) {
		zs.next_out = scratch;
		zs.avail_out = CHUNK;
		rc = inflate(&zs, Z_NO_FLUSH);
		n += CHUNK - zs.avail_out;
		if (rc == Z_OK && zs.avail_out == CHUNK)
			break; /* no progress: truncated */
	}
	inflateEnd(&zs);
	free(scratch);
	return n > max;
}

int gzip_inflate(const unsigned char *in, size_t inlen, size_t max, unsigned char **buf,
		 size_t *len)
{
	z_stream zs;
	size_t cap = inlen * 4 + CHUNK, n = 0;
	unsigned char *b;
	int rc, err = 0, over = -EFBIG;

	/*
	 * What the stream may give: the gzip trailer's ISIZE (exact for one
	 * member under 4 GiB, which max keeps us below), at most GZIP_MAX_RATIO
	 * times the input, at most max.  A claim past the ratio fails before
	 * inflating; a stream that outgrows its claim fails at that byte.
	 */
	if (inlen / GZIP_MAX_RATIO < max)
		max = inlen * GZIP_MAX_RATIO;
	if (inlen >= 18) {
		uint64_t isize = (uint64_t)in[inlen - 4] | (uint64_t)in[inlen - 3] << 8 |
				 (uint64_t)in[inlen - 2] << 16 | (uint64_t)in[inlen - 1] << 24;

		/* A bomb, or a truncated file whose last bytes are not a trailer: tell which, keeping nothing. */
		if (isize > max)
			return inflate_overruns(in, inlen, max) ? -EFBIG : -EINVAL;
		max = (size_t)isize;
		over = -EINVAL; /* more than the trailer says: corrupt */
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 31) != Z_OK)
		return -ENOMEM;
	/* One byte past max, so a stream that ends exactly at max is told from one that goes on. */
	if (cap > max + 1)
		cap = max + 1;
	b = malloc(cap);
	if (!b) {
		inflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (unsigned char *)in;
	zs.avail_in = inlen > UINT32_MAX ? UINT32_MAX : (uInt)inlen;
	for (;;) {
		if (n == cap) {
			unsigned char *nb;

			if (cap > max) {
				err = over;
				break;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		zs.next_out = b + n;
		zs.avail_out = (uInt)(cap - n > UINT32_MAX ? UINT32_MAX : cap - n);
		rc = inflate(&zs, Z_NO_FLUSH);
		n = (size_t)(zs.next_out - b);
		if (rc == Z_STREAM_END)
			break;
		/* Z_BUF_ERROR with input left means "need more room"; without, truncation. */
		if (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0))
			continue;
		err = rc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
		break;
	}
	inflateEnd(&zs);
	if (!err && n > max)
		err = over;
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

int gzip_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	FILE *f = fopen(path, "rb");
	int err;

	if (!f)
		return -errno;
	err = slurp(f, max, &raw, &rawlen);
	fclose(f);
	if (err)
		return err;
	if (rawlen >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		err = gzip_inflate(raw, rawlen, max, buf, len);
		free(raw);
		return err;
	}
	*buf = raw;
	*len = rawlen;
	return 0;
}
