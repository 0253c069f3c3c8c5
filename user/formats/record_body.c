// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "record_body.h"

#define CHUNK 65536
#define HDR_LEN 12

struct splitter {
	struct record_section *secs;
	unsigned ntags;
	uint64_t ulen, seen; /* seen: body bytes consumed so far */
	uint8_t hdr[HDR_LEN];
	unsigned hdr_got;
	int in_payload;
	uint64_t payload_left;
	struct record_section *keep; /* NULL while skipping an unknown section */
	size_t cap;
};

static uint64_t rd_le(const uint8_t *b, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* The payload grows as its bytes arrive, never to what its header claims. */
static int keep_bytes(struct splitter *s, const uint8_t *p, size_t n)
{
	struct record_section *k = s->keep;

	if (k->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : CHUNK;
		uint8_t *nb;

		while (cap < k->len + n)
			cap *= 2;
		nb = realloc(k->p, cap);
		if (!nb)
			return -ENOMEM;
		k->p = nb;
		s->cap = cap;
	}
	memcpy(k->p + k->len, p, n);
	k->len += n;
	return 0;
}

static int start_section(struct splitter *s)
{
	uint32_t tag = (uint32_t)rd_le(s->hdr, 4);
	uint64_t plen = rd_le(s->hdr + 4, 8);

	if (tag == 0 || plen > s->ulen - s->seen)
		return -EINVAL;
	s->keep = NULL;
	if (tag < s->ntags) {
		if (s->secs[tag].have)
			return -EINVAL;
		s->secs[tag].have = 1;
		s->keep = &s->secs[tag];
		s->cap = 0;
	}
	s->hdr_got = 0;
	s->in_payload = 1;
	s->payload_left = plen;
	return 0;
}

static int feed(struct splitter *s, const uint8_t *p, size_t n)
{
	if (n > s->ulen - s->seen)
		return -EINVAL; /* more than the header declared */
	while (n) {
		size_t take;
		int err;

		if (!s->in_payload) {
			take = HDR_LEN - s->hdr_got < n ? HDR_LEN - s->hdr_got : n;
			memcpy(s->hdr + s->hdr_got, p, take);
			s->hdr_got += (unsigned)take;
			s->seen += take;
			p += take;
			n -= take;
			if (s->hdr_got == HDR_LEN && (err = start_section(s)))
				return err;
			continue;
		}
		take = s->payload_left < n ? (size_t)s->payload_left : n;
		if (s->keep && (err = keep_bytes(s, p, take)))
			return err;
		s->payload_left -= take;
		s->seen += take;
		p += take;
		n -= take;
		if (!s->payload_left)
			s->in_payload = 0;
	}
	/* A section of length 0 ends as soon as its header does. */
	if (s->in_payload && !s->payload_left)
		s->in_payload = 0;
	return 0;
}

void record_body_free(struct record_section *secs, unsigned ntags)
{
	for (unsigned i = 0; i < ntags; i++)
		free(secs[i].p);
	memset(secs, 0, ntags * sizeof(*secs));
}

int record_body_split(const uint8_t *z, size_t zlen, uint64_t ulen, struct record_section *secs,
		      unsigned ntags)
{
	struct splitter s = { .secs = secs, .ntags = ntags, .ulen = ulen };
	uint8_t *out;
	z_stream zs;
	int rc, err = 0;

	memset(secs, 0, ntags * sizeof(*secs));
	if (ulen / RECORD_MAX_RATIO > zlen)
		return -EFBIG;
	out = malloc(CHUNK);
	if (!out)
		return -ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	zs.next_in = (uint8_t *)z;
	zs.avail_in = (uInt)zlen; /* zlen <= RECORD_READ_MAX < 4 GiB, checked by the caller */
	do {
		zs.next_out = out;
		zs.avail_out = CHUNK;
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			err = rc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		err = feed(&s, out, CHUNK - zs.avail_out);
		/* Z_OK with no input left and room to spare: the stream stops short. */
		if (!err && rc == Z_OK && !zs.avail_in && zs.avail_out)
			err = -EINVAL;
	} while (!err && rc != Z_STREAM_END);
	/* Exactly the declared size, the whole input, and whole sections. */
	if (!err && (s.seen != ulen || zs.avail_in || s.in_payload || s.hdr_got))
		err = -EINVAL;
	inflateEnd(&zs);
	free(out);
	if (err)
		record_body_free(secs, ntags);
	return err;
}
