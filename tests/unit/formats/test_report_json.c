// SPDX-License-Identifier: MIT
/* report_json: the schema-1 JSON report of a hand-built profile. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report_json.h"

static char *report(const struct mt_profile *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	cr_assert_not_null(f);
	rc = report_json_write(p, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rc, 0, "report_json_write: %d", rc);
	return text;
}

static int python_check(const char *text, const char *expr)
{
	char cmd[8192];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=json.load(sys.stdin)\n"
		 "ok=(%s)\n"
		 "sys.exit(0 if ok else 3)'",
		 expr);
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	fputs(text, p);
	st = pclose(p);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Two sites, two modules, one unnamed frame, a series of two samples. */
static void build(struct mt_profile *p)
{
	struct mt_frame *f0 = calloc(3, sizeof(*f0)), *f1 = calloc(1, sizeof(*f1));

	memset(p, 0, sizeof(*p));
	cr_assert_not_null(f0);
	cr_assert_not_null(f1);
	p->pid = 4242;
	p->command = profile_intern(p, "my \"server\"");
	p->start_realtime_ns = 1700000000123456789ULL;
	p->duration_ns = 5000000000ULL;
	p->totals = (struct mt_totals){
		.alloc_count = 30, .alloc_bytes = 9000, .free_count = 10, .free_bytes = 1000,
		.inuse_count = 20, .inuse_bytes = 8000, .peak_inuse_bytes = 8500,
	};
	p->drops = (struct mt_drops){
		.stack_full = 1, .allocs_full = 2, .inflight_full = 4, .events_lost = 5,
	};
	p->modules = calloc(2, sizeof(*p->modules));
	cr_assert_not_null(p->modules);
	p->modules[0] = (struct mt_module){ .path = profile_intern(p, "/usr/bin/server"),
					    .build_id = profile_intern(p, "abcdef"),
					    .start = 0x555555554000, .limit = 0x555555556000 };
	p->modules[1] = (struct mt_module){ .path = profile_intern(p, "/lib/libc.so.6"),
					    .start = 0x7f0000000000, .limit = 0x7f0000100000 };
	p->nmodules = 2;
	f0[0] = (struct mt_frame){ .addr = 0x555555555abc, .offset = 0x1abc,
				   .function = profile_intern(p, "xmalloc"), .module = 0,
				   .file = profile_intern(p, "/src/x.c"), .line = 42, .inlined = true };
	f0[1] = (struct mt_frame){ .addr = 0x7f0000012345, .offset = 0x12345, .function = NULL, .module = 1 };
	f0[2] = (struct mt_frame){ .addr = 0xdeadbeef, .offset = 0xdeadbeef, .function = NULL, .module = -1 };
	f1[0] = (struct mt_frame){ .addr = 0x555555555def, .offset = 0x1def,
				   .function = profile_intern(p, "main"), .module = 0 };
	p->sites = calloc(2, sizeof(*p->sites));
	cr_assert_not_null(p->sites);
	p->sites[0] = (struct mt_site){ .frames = f0, .nframes = 3, .alloc_count = 20, .alloc_bytes = 8500,
					.inuse_count = 18, .inuse_bytes = 7900 };
	p->sites[1] = (struct mt_site){ .frames = f1, .nframes = 1, .alloc_count = 10, .alloc_bytes = 500,
					.inuse_count = 2, .inuse_bytes = 100 };
	p->nsites = 2;
	p->series = calloc(2, sizeof(*p->series));
	cr_assert_not_null(p->series);
	p->series[0] = (struct mt_sample){ .t_ns = 1000, .inuse_bytes = 10, .inuse_count = 1,
					   .alloc_bytes = 10, .alloc_count = 1, .rss_bytes = 4096 };
	p->series[1] = (struct mt_sample){ .t_ns = 2000, .inuse_bytes = 8000, .inuse_count = 20,
					   .alloc_bytes = 9000, .alloc_count = 30 };
	p->nseries = 2;
}

Test(report_json, header_totals_drops)
{
	struct mt_profile p;
	char *text;

	build(&p);
	text = report(&p);
	cr_assert_eq(python_check(text,
		"d[\"version\"] == 1 and d[\"pid\"] == 4242 and d[\"command\"] == \"my \\\"server\\\"\" and "
		"d[\"start_time_ns\"] == 1700000000123456789 and d[\"duration_ns\"] == 5000000000 and "
		"d[\"totals\"] == {\"alloc_count\": 30, \"alloc_bytes\": 9000, \"free_count\": 10, "
		"\"free_bytes\": 1000, \"inuse_count\": 20, \"inuse_bytes\": 8000, \"peak_inuse_bytes\": 8500} and "
		"d[\"dropped_events\"] == 12 and "
		"d[\"drops\"] == {\"stack_unknown\": 1, \"blocks_table_full\": 2, "
		"\"thread_table_full\": 4, \"ring_buffer_full\": 5}"),
		     0, "%s", text);
	/* The document starts with its version. */
	cr_assert_eq(strncmp(text, "{\n  \"version\": 1,\n  \"pid\": 4242,\n", 33), 0, "%s", text);
	free(text);
	profile_free(&p);
}

Test(report_json, sites_and_frames)
{
	struct mt_profile p;
	char *text;

	build(&p);
	text = report(&p);
	cr_assert_eq(python_check(text,
		"len(d[\"sites\"]) == 2 and "
		"d[\"sites\"][0][\"frames\"][0] == {\"function\": \"xmalloc\", \"module\": \"/usr/bin/server\", "
		"\"address\": \"0x555555555abc\", \"offset\": \"0x1abc\", \"file\": \"/src/x.c\", \"line\": 42, "
		"\"inlined\": True} and "
		"d[\"sites\"][0][\"frames\"][1] == {\"function\": None, \"module\": \"/lib/libc.so.6\", "
		"\"address\": \"0x7f0000012345\", \"offset\": \"0x12345\", \"file\": None, \"line\": 0, "
		"\"inlined\": False} and "
		"d[\"sites\"][0][\"frames\"][2][\"module\"] is None and "
		"d[\"sites\"][0][\"frames\"][2][\"address\"] == \"0xdeadbeef\" and "
		"d[\"sites\"][0][\"alloc_count\"] == 20 and d[\"sites\"][0][\"alloc_bytes\"] == 8500 and "
		"d[\"sites\"][0][\"inuse_count\"] == 18 and d[\"sites\"][0][\"inuse_bytes\"] == 7900 and "
		"d[\"sites\"][1][\"frames\"] == [{\"function\": \"main\", \"module\": \"/usr/bin/server\", "
		"\"address\": \"0x555555555def\", \"offset\": \"0x1def\", \"file\": None, \"line\": 0, "
		"\"inlined\": False}] and "
		"d[\"sites\"][1][\"inuse_bytes\"] == 100"),
		     0, "%s", text);
	/* Exact frame text (lowercase hex, no padding). */
	cr_assert_not_null(strstr(text, "\"address\": \"0x555555555abc\""), "%s", text);
	free(text);
	profile_free(&p);
}

Test(report_json, series)
{
	struct mt_profile p;
	char *text;

	build(&p);
	text = report(&p);
	cr_assert_eq(python_check(text,
		"d[\"series\"] == [{\"t_ns\": 1000, \"t_s\": 0.000001, \"inuse_bytes\": 10, \"inuse_count\": 1, \"alloc_bytes\": 10, "
		"\"alloc_count\": 1, \"free_bytes\": 0, \"free_count\": 0, \"rss_bytes\": 4096, "
		"\"pre_attach_frees\": 0}, "
		"{\"t_ns\": 2000, \"t_s\": 0.000002, \"inuse_bytes\": 8000, \"inuse_count\": 20, \"alloc_bytes\": 9000, "
		"\"alloc_count\": 30, \"free_bytes\": 0, \"free_count\": 0, \"rss_bytes\": 0, "
		"\"pre_attach_frees\": 0}]"),
		     0, "%s", text);
	free(text);
	profile_free(&p);
}

Test(report_json, empty_profile)
{
	struct mt_profile p = {};
	char *text;

	text = report(&p);
	cr_assert_eq(python_check(text,
		"d[\"version\"] == 1 and d[\"pid\"] == 0 and d[\"command\"] is None and d[\"sites\"] == [] and "
		"d[\"series\"] == [] and d[\"dropped_events\"] == 0 and d[\"totals\"][\"inuse_bytes\"] == 0"),
		     0, "%s", text);
	/* One object, one trailing newline. */
	cr_assert_eq(text[strlen(text) - 1], '\n');
	cr_assert_eq(text[strlen(text) - 2], '}');
	free(text);
	profile_free(&p);
}

Test(report_json, write_error_is_reported)
{
	struct mt_profile p;
	FILE *f = fopen("/dev/full", "w");
	int rc;

	if (!f)
		cr_skip_test("no /dev/full");
	build(&p);
	setvbuf(f, NULL, _IONBF, 0);
	rc = report_json_write(&p, f);
	cr_assert_neq(rc, 0, "write to /dev/full succeeded");
	fclose(f);
	profile_free(&p);
}
