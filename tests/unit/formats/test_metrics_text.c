// SPDX-License-Identifier: MIT
/* metrics_text: what --metrics serves, checked line by line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_data.h"
#include "metrics_text.h"

static char *render(const struct mt_profile *p, const struct gc_data *gc, int top)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(metrics_text_write(p, gc, 3, top, f), 0);
	fclose(f);
	return text;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, prefix, strlen(prefix)) == 0;
	return n;
}

/* Two sites with the same names (two return addresses in one function) and a third. */
static const struct mt_frame leak_a[] = { { .addr = 0x10, .function = "leak" }, { .addr = 0x20, .function = "main" } };
static const struct mt_frame leak_b[] = { { .addr = 0x11, .function = "leak" }, { .addr = 0x20, .function = "main" } };
static const struct mt_frame odd[] = { { .addr = 0x30, .function = "say \"hi\"\\\n" } };

static void build(struct mt_profile *p, struct mt_site *sites)
{
	sites[0] = (struct mt_site){ .frames = leak_a, .nframes = 2, .alloc_count = 5, .alloc_bytes = 500, .inuse_count = 4, .inuse_bytes = 400 };
	sites[1] = (struct mt_site){ .frames = odd, .nframes = 1, .alloc_count = 9, .alloc_bytes = 900, .inuse_count = 3, .inuse_bytes = 300 };
	sites[2] = (struct mt_site){ .frames = leak_b, .nframes = 2, .alloc_count = 2, .alloc_bytes = 200, .inuse_count = 1, .inuse_bytes = 100 };
	*p = (struct mt_profile){ .pid = 42, .command = "svc", .sites = sites, .nsites = 3 };
	p->totals = (struct mt_totals){ .alloc_count = 16, .alloc_bytes = 1600, .inuse_count = 8, .inuse_bytes = 800 };
	p->drops.events_lost = 7;
}

Test(metrics_text, totals_labels_and_drops)
{
	struct mt_profile p;
	struct mt_site sites[3];
	char *t;

	build(&p, sites);
	t = render(&p, NULL, 10);
	cr_expect(strstr(t, "# TYPE memtrace_heap_inuse_bytes gauge\nmemtrace_heap_inuse_bytes{pid=\"42\",comm=\"svc\"} 800\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_heap_allocations_total{pid=\"42\",comm=\"svc\"} 16\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_leak_alerts_total{pid=\"42\",comm=\"svc\"} 3\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_dropped_events_total{pid=\"42\",comm=\"svc\",reason=\"events_lost\"} 7\n"), "%s", t);
	/* No RSS, faults or GC: no series for them. */
	cr_expect_null(strstr(t, "memtrace_rss_bytes"));
	cr_expect_null(strstr(t, "memtrace_page_faults_total"));
	cr_expect_null(strstr(t, "memtrace_gc_"));
	free(t);
}

Test(metrics_text, sites_grouped_by_names_ranked_and_bounded)
{
	struct mt_profile p;
	struct mt_site sites[3];
	char *t, line[256];

	build(&p, sites);
	t = render(&p, NULL, 10);
	/* leak <- main twice: one series, 400 + 100, ranked above the 300. */
	cr_expect_eq(count_lines(t, "memtrace_site_inuse_bytes{"), 2, "%s", t);
	snprintf(line, sizeof(line), "memtrace_site_inuse_bytes{pid=\"42\",comm=\"svc\",site=\"%016llx\",function=\"leak\"} 500\n",
		 (unsigned long long)metrics_site_id(&p, &sites[0]));
	cr_expect(strstr(t, line), "%s", t);
	cr_expect_eq(metrics_site_id(&p, &sites[0]), metrics_site_id(&p, &sites[2]));
	cr_expect_neq(metrics_site_id(&p, &sites[0]), metrics_site_id(&p, &sites[1]));
	/* Quotes and backslashes escaped; control bytes were made '?' by the frame's name. */
	cr_expect(strstr(t, "function=\"say \\\"hi\\\"\\\\?\"} 300\n"), "%s", t);
	free(t);
	t = render(&p, NULL, 1);
	cr_expect_eq(count_lines(t, "memtrace_site_inuse_bytes{"), 1, "%s", t);
	cr_expect_eq(count_lines(t, "memtrace_site_allocated_bytes_total{"), 1, "%s", t);
	free(t);
}

Test(metrics_text, gc_histogram)
{
	struct gc_pause pauses[] = { { .duration_ns = 50000 }, { .duration_ns = 2000000 }, { .duration_ns = 3000000000ULL } };
	struct gc_data gc = { .runtime = "go", .pauses = pauses, .npauses = 3, .sum = { .cycles = 2 } };
	struct mt_profile p;
	struct mt_site sites[3];
	char *t;

	build(&p, sites);
	t = render(&p, &gc, 10);
	cr_expect(strstr(t, "# TYPE memtrace_gc_pause_seconds histogram\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_bucket{pid=\"42\",comm=\"svc\",runtime=\"go\",le=\"0.0001\"} 1\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_bucket{pid=\"42\",comm=\"svc\",runtime=\"go\",le=\"0.0025\"} 2\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_bucket{pid=\"42\",comm=\"svc\",runtime=\"go\",le=\"1\"} 2\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_bucket{pid=\"42\",comm=\"svc\",runtime=\"go\",le=\"+Inf\"} 3\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_sum{pid=\"42\",comm=\"svc\",runtime=\"go\"} 3.002050000\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_pause_seconds_count{pid=\"42\",comm=\"svc\",runtime=\"go\"} 3\n"), "%s", t);
	cr_expect(strstr(t, "memtrace_gc_cycles_total{pid=\"42\",comm=\"svc\"} 2\n"), "%s", t);
	free(t);
}
