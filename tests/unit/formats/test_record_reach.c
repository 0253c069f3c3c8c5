// SPDX-License-Identifier: MIT
/* The reachability section: round trip through a recording, classes back on
 * the sites, and hostile section bytes refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../writers/testprof.h"
#include "record.h"
#include "record_reach.h"

static struct mt_frame *frames_copy(const struct mt_site *s)
{
	struct mt_frame *f = calloc(s->nframes ? s->nframes : 1, sizeof(*f));

	memcpy(f, s->frames, s->nframes * sizeof(*f));
	return f;
}

/* As test_record.c: a real file, written and read back whole. */
static char *encode(const struct mt_profile *p, size_t *len)
{
	FILE *f = tmpfile();
	char *buf;
	long n;

	cr_assert_not_null(f);
	cr_assert_eq(record_encode(p, f), 0);
	n = ftell(f);
	cr_assert_gt(n, RECORD_HEADER_LEN);
	buf = malloc((size_t)n);
	rewind(f);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void scanned(struct mt_profile *p)
{
	tp_init(p, 1);
	tp_site(p, "main;make_lost", 500, 5, 500, 5);
	tp_site(p, "main;make_list", 640, 10, 640, 10);
	tp_site(p, "main;other", 64, 1, 64, 1);
	p->nleaks = 2;
	p->leaks = calloc(2, sizeof(*p->leaks));
	for (int i = 0; i < 2; i++)
		p->leaks[i] = (struct mt_leak){ .frames = frames_copy(&p->sites[i]), .nframes = p->sites[i].nframes,
						.count = p->sites[i].inuse_count, .bytes = p->sites[i].inuse_bytes };
	p->leaks[0].reach = (struct mt_reach_counts){ 5, 500, 0, 0, 0, 0 };
	p->leaks[1].reach = (struct mt_reach_counts){ 1, 64, 9, 576, 0, 0 };
	p->reach = (struct mt_reach){ .state = MT_REACH_DONE, .pause_ns = 1234567, .estimate_ns = 2000000,
				      .max_pause_ns = 5000000, .rate_bytes_per_s = 1.5e9, .blocks = 15,
				      .block_bytes = 1140, .root_bytes = 4096, .before_trace_bytes = 512,
				      .unreadable_bytes = 8, .threads = 3, .threads_without_regs = 1,
				      .untracked_blocks = 2, .overlapping = 1,
				      .total = { 6, 564, 9, 576, 0, 0 } };
}

Test(record_reach, round_trip_gives_classes_back_to_leaks_and_sites)
{
	struct mt_profile p = { 0 }, q = { 0 };
	char *buf;
	size_t len = 0;

	scanned(&p);
	buf = encode(&p, &len);
	cr_assert_eq(record_decode(buf, len, &q), 0);
	cr_assert_eq(memcmp(&q.reach, &p.reach, sizeof(p.reach)), 0);
	cr_assert_eq(q.nleaks, 2);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(memcmp(&q.leaks[i].reach, &p.leaks[i].reach, sizeof(p.leaks[i].reach)), 0);
	/* The sites get their leak's classes again; a site without a leak none. */
	for (size_t i = 0; i < q.nsites; i++) {
		const struct mt_site *s = &q.sites[i];
		const char *fn = s->frames[0].function;

		if (!strcmp(fn, "make_lost"))
			cr_assert_eq(s->reach.lost_bytes, 500);
		else if (!strcmp(fn, "make_list"))
			cr_assert_eq(s->reach.indirect_count, 9);
		else
			cr_assert_eq(s->reach.lost_count + s->reach.indirect_count + s->reach.reachable_count, 0);
	}
	profile_free(&p);
	profile_free(&q);
	free(buf);
}

Test(record_reach, no_scan_writes_no_section)
{
	struct mt_profile p = { 0 }, q = { 0 };
	char *buf;
	size_t len = 0;

	scanned(&p);
	p.reach.state = MT_REACH_NONE;
	buf = encode(&p, &len);
	cr_assert_eq(record_decode(buf, len, &q), 0);
	cr_assert_eq(q.reach.state, MT_REACH_NONE);
	cr_assert_eq(q.leaks[0].reach.lost_count, 0);
	profile_free(&p);
	profile_free(&q);
	free(buf);
}

Test(record_reach, every_truncation_and_a_wrong_leak_count_are_refused)
{
	struct mt_profile p = { 0 };
	uint8_t *sec;
	size_t len;

	scanned(&p);
	cr_assert_eq(record_reach_encode(&p, &sec, &len), 0);
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(record_reach_decode(sec, cut, &p), -EINVAL, "cut at %zu", cut);
	p.nleaks = 1; /* the section has 2 */
	cr_assert_eq(record_reach_decode(sec, len, &p), -EINVAL);
	p.nleaks = 2;
	sec[4] = 7; /* state past the last */
	cr_assert_eq(record_reach_decode(sec, len, &p), -EINVAL);
	free(sec);
	profile_free(&p);
}
