// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../writers/testprof.h"
#include "cmd_report.h"
#include "diff.h"
#include "pprof.h"
#include "record.h"

/* Same program, another run: every module loaded elsewhere (ASLR). */
static void relocate(struct mt_profile *p, uint64_t by)
{
	for (size_t i = 0; i < p->nmodules; i++) {
		p->modules[i].start += by;
		p->modules[i].limit += by;
	}
	for (size_t i = 0; i < p->nsites; i++)
		for (uint32_t k = 0; k < p->sites[i].nframes; k++)
			((struct mt_frame *)p->sites[i].frames)[k].addr += by;
}

/* The unnamed frame of "main;?1;helper" at the same ELF offset in both runs. */
static void fix_offset(struct mt_site *s)
{
	((struct mt_frame *)s->frames)[1].offset = 0x1200;
}

static void before_after(struct mt_profile *a, struct mt_profile *b)
{
	tp_init(a, 3);
	tp_site(a, "main;worker;grow", 1000, 10, 5000, 50);
	tp_site(a, "main;parse;xmalloc", 4096, 1, 4096, 1);
	fix_offset(tp_site(a, "main;?1;helper", 100, 1, 100, 1));
	tp_site(a, "main;gone", 64, 1, 64, 1);

	tp_init(b, 3);
	tp_site(b, "main;worker;grow", 3000, 30, 9000, 90);
	tp_site(b, "main;worker;grow", 1000, 10, 1000, 10); /* same names, another call site */
	tp_site(b, "main;parse;xmalloc", 1024, 1, 4096, 1);
	fix_offset(tp_site(b, "main;?1;helper", 300, 3, 300, 3));
	tp_site(b, "main;new_thing", 500, 5, 500, 5);
	relocate(b, 0x5550000);
	a->totals = (struct mt_totals){ .inuse_bytes = 5260, .inuse_count = 13, .alloc_bytes = 9260, .alloc_count = 53 };
	b->totals = (struct mt_totals){ .inuse_bytes = 5824, .inuse_count = 49, .alloc_bytes = 14896, .alloc_count = 109 };
}

static const struct diff_entry *find(const struct diff *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->entries[i].key, key) == 0)
			return &d->entries[i];
	return NULL;
}

Test(diff, matches_by_names_not_addresses)
{
	struct mt_profile a, b;
	const struct diff_entry *e;
	struct diff d;

	before_after(&a, &b);
	cr_assert_eq(diff_build(&a, &b, MT_INUSE_SPACE, &d), 0);
	cr_assert_eq(d.n, 5);
	e = find(&d, "main;worker;grow");
	cr_assert_not_null(e);
	cr_assert_eq(e->before[MT_INUSE_SPACE], 1000);
	cr_assert_eq(e->after[MT_INUSE_SPACE], 4000); /* both call sites summed */
	cr_assert_eq(e->after[MT_ALLOC_OBJECTS], 100);
	cr_assert_eq(diff_delta(e, MT_INUSE_SPACE), 3000);
	cr_assert_eq(diff_delta(e, MT_ALLOC_SPACE), 5000);
	/* An unnamed frame matches by module basename + ELF offset. */
	e = find(&d, "main;libtp1.so+0x1200;helper");
	cr_assert_not_null(e, "keys: %s %s %s", d.entries[0].key, d.entries[1].key, d.entries[2].key);
	cr_assert_eq(e->before[MT_INUSE_OBJECTS], 1);
	cr_assert_eq(e->after[MT_INUSE_OBJECTS], 3);
	e = find(&d, "main;gone");
	cr_assert_eq(e->before[MT_INUSE_SPACE], 64);
	cr_assert_eq(e->after[MT_INUSE_SPACE], 0);
	e = find(&d, "main;new_thing");
	cr_assert_eq(e->before[MT_INUSE_SPACE], 0);
	cr_assert_eq(e->after[MT_INUSE_SPACE], 500);
	diff_free(&d);
	profile_free(&a);
	profile_free(&b);
}

Test(diff, ordered_by_growth_of_the_metric)
{
	struct mt_profile a, b;
	struct diff d;

	before_after(&a, &b);
	cr_assert_eq(diff_build(&a, &b, MT_INUSE_SPACE, &d), 0);
	cr_assert_str_eq(d.entries[0].key, "main;worker;grow");         /* +3000 */
	cr_assert_str_eq(d.entries[1].key, "main;new_thing");           /* +500 */
	cr_assert_str_eq(d.entries[2].key, "main;libtp1.so+0x1200;helper"); /* +200 */
	cr_assert_str_eq(d.entries[3].key, "main;gone");                /* -64 */
	cr_assert_str_eq(d.entries[4].key, "main;parse;xmalloc");       /* -3072 */
	diff_free(&d);
	cr_assert_eq(diff_build(&a, &b, MT_INUSE_OBJECTS, &d), 0);
	cr_assert_str_eq(d.entries[0].key, "main;worker;grow");         /* +30 */
	cr_assert_str_eq(d.entries[1].key, "main;new_thing");           /* +5 */
	cr_assert_str_eq(d.entries[2].key, "main;libtp1.so+0x1200;helper"); /* +2 */
	/* Ties: larger after first, then by name. */
	cr_assert_str_eq(d.entries[3].key, "main;parse;xmalloc");       /* 0, after 1 */
	cr_assert_str_eq(d.entries[4].key, "main;gone");                /* -1 */
	diff_free(&d);
	profile_free(&a);
	profile_free(&b);
}

static char *capture_json(const struct diff *d, const struct mt_profile *a, const struct mt_profile *b)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	TP_CAPTURE(text, len, rc, diff_write_json(d, a, b, out));
	cr_assert_eq(rc, 0);
	/* Compact it: the writer indents, and no name here has a blank. */
	for (char *r = text, *w = text;; r++) {
		if (*r != ' ' && *r != '\n')
			*w++ = *r;
		if (!*r)
			break;
	}
	return text;
}

Test(diff, json_has_every_metric_and_names)
{
	struct mt_profile a, b;
	struct diff d;
	char *text;

	before_after(&a, &b);
	cr_assert_eq(diff_build(&a, &b, MT_INUSE_SPACE, &d), 0);
	text = capture_json(&d, &a, &b);
	cr_assert_not_null(strstr(text, "\"metric\":\"inuse_space\""), "%s", text);
	cr_assert_not_null(strstr(text, "\"frames\":[\"grow\",\"worker\",\"main\"],\"before\":1000,\"after\":4000,"
					"\"delta\":3000,\"inuse_space\":{\"before\":1000,\"after\":4000,\"delta\":3000},"
					"\"inuse_objects\":{\"before\":10,\"after\":40,\"delta\":30},"
					"\"alloc_space\":{\"before\":5000,\"after\":10000,\"delta\":5000},"
					"\"alloc_objects\":{\"before\":50,\"after\":100,\"delta\":50}}"),
		  "%s", text);
	cr_assert_not_null(strstr(text, "\"delta\":-3072"));
	cr_assert_not_null(strstr(text, "\"totals\":{\"inuse_space\":{\"before\":5260,\"after\":5824,\"delta\":564}"));
	free(text);
	diff_free(&d);
	profile_free(&a);
	profile_free(&b);
}

Test(diff, folded_two_columns)
{
	struct mt_profile a, b;
	char *text = NULL;
	size_t len = 0;
	int rc;

	before_after(&a, &b);
	TP_CAPTURE(text, len, rc, diff_write_folded(&a, &b, MT_INUSE_SPACE, out));
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(text, "main;gone 64 0\n"
			       "main;libtp1.so+0x1200;helper 100 300\n"
			       "main;new_thing 0 500\n"
			       "main;parse;xmalloc 4096 1024\n"
			       "main;worker;grow 1000 4000\n");
	free(text);
	profile_free(&a);
	profile_free(&b);
}

Test(diff, text_shows_signed_growth)
{
	struct mt_profile a, b;
	struct diff d;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	before_after(&a, &b);
	cr_assert_eq(diff_build(&a, &b, MT_INUSE_SPACE, &d), 0);
	out = open_memstream(&text, &len);
	diff_write_text(&d, &a, &b, 2, out);
	fclose(out);
	cr_assert_not_null(strstr(text, "total: 5.14 KiB -> 5.69 KiB (+564 B)"), "%s", text);
	cr_assert_not_null(strstr(text, "+2.93 KiB  (1000 B -> 3.91 KiB)  grow <- worker <- main"), "%s", text);
	cr_assert_not_null(strstr(text, "-3.00 KiB  (4.00 KiB -> 1.00 KiB)  xmalloc <- parse <- main"), "%s", text);
	cr_assert_null(strstr(text, "helper"), "top 2 only: %s", text);
	free(text);
	diff_free(&d);
	profile_free(&a);
	profile_free(&b);
}

static void write_profile(const char *path, const struct mt_profile *p, int pprof)
{
	if (pprof) {
		FILE *f = fopen(path, "wb");

		cr_assert_eq(pprof_write(p, f), 0);
		fclose(f);
	} else {
		cr_assert_eq(record_write(path, p), 0);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	cr_assert_not_null(f, "%s", path);
	cr_assert_lt(fread(buf, 1, (1 << 20) - 1, f), (1 << 20) - 1);
	fclose(f);
	return buf;
}

Test(diff, cmd_diff_mixes_recordings_and_pprof)
{
	char dir[] = "/tmp/mt-diff-XXXXXX", pa[128], pb[128], pj[128], pf[128], ps[128], cmd[320];
	struct mt_profile a, b;
	char *text;

	cr_assert_not_null(mkdtemp(dir));
	before_after(&a, &b);
	snprintf(pa, sizeof(pa), "%s/a.mtrec", dir);
	snprintf(pb, sizeof(pb), "%s/b.pb.gz", dir);
	snprintf(pj, sizeof(pj), "%s/d.json", dir);
	snprintf(pf, sizeof(pf), "%s/d.folded", dir);
	snprintf(ps, sizeof(ps), "%s/d.svg", dir);
	write_profile(pa, &a, 0);
	write_profile(pb, &b, 1);
	char *argv[] = { "diff", pa, pb, "-o", pj, "--metric", "inuse_objects", "-o", pf, "-o", ps, NULL };
	cr_assert_eq(cmd_diff(11, argv), 0);
	text = slurp(pf);
	cr_assert_not_null(strstr(text, "main;worker;grow 10 40\n"), "%s", text);
	free(text);
	text = slurp(pj);
	cr_assert_not_null(strstr(text, "\"metric\": \"inuse_objects\""), "%s", text);
	free(text);
	text = slurp(ps);
	cr_assert_not_null(strstr(text, "<svg"));
	free(text);
	char *bad_ext[] = { "diff", pa, pb, "-o", "x.txt", NULL };
	cr_assert_eq(cmd_diff(5, bad_ext), 64);
	char *one[] = { "diff", pa, NULL };
	cr_assert_eq(cmd_diff(2, one), 64);
	char *missing[] = { "diff", pa, "/nonexistent/x.mtrec", NULL };
	cr_assert_eq(cmd_diff(3, missing), 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	profile_free(&a);
	profile_free(&b);
}

Test(diff, cmd_report_renders_and_rejects, .init = cr_redirect_stderr)
{
	char dir[] = "/tmp/mt-report-XXXXXX", pa[128], pj[128], pbad[128], cmd[320];
	struct mt_profile a, b;
	char *text;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	before_after(&a, &b);
	snprintf(pa, sizeof(pa), "%s/a.mtrec", dir);
	snprintf(pj, sizeof(pj), "%s/r.json", dir);
	snprintf(pbad, sizeof(pbad), "%s/bad.mtrec", dir);
	write_profile(pa, &a, 0);
	char *argv[] = { "report", pa, "-o", pj, NULL };
	cr_assert_eq(cmd_report(4, argv), 0);
	text = slurp(pj);
	cr_assert_not_null(strstr(text, "\"command\": \"tp-cmd\""), "%s", text);
	free(text);
	f = fopen(pbad, "wb");
	fputs("MTREC\x1a\x01", f);
	fclose(f);
	char *bad[] = { "report", pbad, NULL };
	cr_assert_eq(cmd_report(2, bad), 1);
	char *usage[] = { "report", pa, "--top", "0", NULL };
	cr_assert_eq(cmd_report(4, usage), 64);
	fflush(stderr);
	snprintf(cmd, sizeof(cmd), "memtrace: %s: truncated\nmemtrace: report: invalid --top '0'\n", pbad);
	cr_assert_stderr_eq_str(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	profile_free(&a);
	profile_free(&b);
}
