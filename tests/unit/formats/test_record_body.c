// SPDX-License-Identifier: MIT
/* record_body: a recording's body inflated as a stream, bounded by its claims. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "record_body.h"

#define NT 10

struct zbuf {
	uint8_t *p;
	uLongf len;
};

static struct zbuf deflate_of(const uint8_t *body, size_t len)
{
	struct zbuf z = { malloc(compressBound(len)), compressBound(len) };

	cr_assert_not_null(z.p);
	cr_assert_eq(compress2(z.p, &z.len, body, len, 9), Z_OK);
	return z;
}

static size_t section(uint8_t *at, uint32_t tag, uint64_t plen, const void *payload)
{
	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(tag >> (8 * i));
	for (int i = 0; i < 8; i++)
		at[4 + i] = (uint8_t)(plen >> (8 * i));
	if (payload)
		memcpy(at + 12, payload, plen);
	return 12 + (payload ? plen : 0);
}

Test(record_body, keeps_known_sections_and_skips_unknown_ones)
{
	uint8_t body[256];
	size_t n = 0;
	struct record_section secs[NT];

	n += section(body + n, 2, 5, "hello");
	n += section(body + n, 77, 3, "xyz");
	n += section(body + n, 4, 0, "");
	struct zbuf z = deflate_of(body, n);

	cr_assert_eq(record_body_split(z.p, z.len, n, secs, NT), 0);
	cr_assert(secs[2].have && secs[2].len == 5 && !memcmp(secs[2].p, "hello", 5));
	cr_assert(secs[4].have && secs[4].len == 0);
	cr_assert(!secs[1].have && !secs[3].have);
	record_body_free(secs, NT);
	free(z.p);
}

/* 16 MiB of zeros deflate to ~16 KiB: a claim past 64:1 is refused before inflating. */
Test(record_body, claim_past_the_ratio_refused_before_inflating)
{
	size_t len = 16u << 20;
	uint8_t *zeros = calloc(1, len);
	struct record_section secs[NT];
	struct zbuf z = deflate_of(zeros, len);

	cr_assert_lt(z.len * RECORD_MAX_RATIO, len);
	cr_assert_eq(record_body_split(z.p, z.len, len, secs, NT), -EFBIG);
	free(zeros);
	free(z.p);
}

Test(record_body, tag_zero_is_corrupt)
{
	uint8_t body[64] = { 0 };
	struct record_section secs[NT];
	struct zbuf z = deflate_of(body, sizeof(body));

	cr_assert_eq(record_body_split(z.p, z.len, sizeof(body), secs, NT), -EINVAL);
	free(z.p);
}

Test(record_body, stream_longer_than_claimed_stops_there)
{
	uint8_t body[4096];
	size_t n = section(body, 9, sizeof(body) - 12, NULL);
	struct record_section secs[NT];

	memset(body + n, 'a', sizeof(body) - n);
	struct zbuf z = deflate_of(body, sizeof(body));

	cr_assert_eq(record_body_split(z.p, z.len, 100, secs, NT), -EINVAL);
	cr_assert_null(secs[9].p);
	free(z.p);
}

Test(record_body, section_overrunning_the_body_is_corrupt)
{
	uint8_t body[64] = { 0 };
	struct record_section secs[NT];

	section(body, 3, 1000, NULL);
	struct zbuf z = deflate_of(body, sizeof(body));

	cr_assert_eq(record_body_split(z.p, z.len, sizeof(body), secs, NT), -EINVAL);
	free(z.p);
}

Test(record_body, known_tag_twice_is_corrupt)
{
	uint8_t body[64];
	size_t n = 0;
	struct record_section secs[NT];

	n += section(body + n, 5, 1, "a");
	n += section(body + n, 5, 1, "b");
	struct zbuf z = deflate_of(body, n);

	cr_assert_eq(record_body_split(z.p, z.len, n, secs, NT), -EINVAL);
	cr_assert_null(secs[5].p);
	free(z.p);
}

Test(record_body, short_stream_is_corrupt)
{
	uint8_t body[64];
	size_t n = section(body, 2, 4, "abcd");
	struct record_section secs[NT];
	struct zbuf z = deflate_of(body, n);

	cr_assert_eq(record_body_split(z.p, z.len, n + 12, secs, NT), -EINVAL);
	cr_assert_eq(record_body_split(z.p, z.len - 3, n, secs, NT), -EINVAL);
	free(z.p);
}
