// SPDX-License-Identifier: MIT
/*
 * What a recording promises beyond the round trip of test_record.c: the
 * sampling rate is kept (a sampled recording must not report as exact),
 * and the fault tables' records may grow at their end like every other.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../writers/testprof.h"
#include "faults_data.h"
#include "record.h"
#include "record_faults.h"

Test(record_grown, keeps_sample_bytes)
{
	struct mt_profile p, back;
	char path[] = "/tmp/mt-record-grown-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	tp_init(&p, 1);
	tp_site(&p, "main;xmalloc", 4096, 1, 8192, 2);
	p.sample_bytes = 524288;
	cr_assert_eq(record_write(path, &p), 0);
	cr_assert_eq(record_read(path, &back), 0);
	unlink(path);
	cr_assert_eq(back.sample_bytes, 524288);
	profile_free(&back);
	profile_free(&p);
}

/* bytes with n zero bytes inserted at `at` */
static uint8_t *insert(const uint8_t *b, size_t len, size_t at, size_t n)
{
	uint8_t *out = calloc(1, len + n);

	memcpy(out, b, at);
	memcpy(out + at + n, b + at, len - at);
	return out;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

Test(record_grown, fault_records_may_grow)
{
	struct mt_profile owner = { 0 };
	struct mt_fault_site site = { .count = 3, .bytes = 3 * 4096, .regions = { [FAULT_REGION_ANON] = 3 } };
	struct mt_mmap_site msite = { .s = { .mmap_count = 2, .mmap_bytes = 8192 } };
	struct mt_faults f = { .source = "tracepoint", .count = 3, .bytes = 3 * 4096 };
	struct mt_faults none = f, *back = NULL;
	uint8_t *b0, *b1, *g1, *g2;
	size_t l0, l1, at, fixed, mat, mfixed;

	/* Where the tables start: the same data without sites ends with two
	 * empty table headers (u32 count, u32 size). */
	cr_assert_eq(record_faults_encode(&none, &b0, &l0), 0);
	f.sites = &site;
	f.nsites = 1;
	f.mmap_sites = &msite;
	f.nmmap_sites = 1;
	cr_assert_eq(record_faults_encode(&f, &b1, &l1), 0);
	at = l0 - 16;
	fixed = get32(b1 + at + 4);
	/* The fault site: fixed part, then u32 nframes = 0. */
	mat = at + 8 + fixed + 4;
	mfixed = get32(b1 + mat + 4);
	cr_assert_eq(l1, mat + 8 + mfixed + 4);
	/* A later writer: each record 8 bytes longer, unknown bytes at the end
	 * of its fixed part. */
	g1 = insert(b1, l1, mat + 8 + mfixed, 8);
	put32(g1 + mat + 4, (uint32_t)mfixed + 8);
	g2 = insert(g1, l1 + 8, at + 8 + fixed, 8);
	put32(g2 + at + 4, (uint32_t)fixed + 8);
	cr_assert_eq(record_faults_decode(g2, l1 + 16, &owner, &back), 0);
	cr_assert_eq(back->nsites, 1);
	cr_assert_eq(back->sites[0].count, 3);
	cr_assert_eq(back->sites[0].regions[FAULT_REGION_ANON], 3);
	cr_assert_eq(back->nmmap_sites, 1);
	cr_assert_eq(back->mmap_sites[0].s.mmap_bytes, 8192);
	cr_assert_str_eq(back->source, "tracepoint");
	faults_data_free(back);
	profile_free(&owner);
	free(b0);
	free(b1);
	free(g1);
	free(g2);
}
