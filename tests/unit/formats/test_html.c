// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../writers/testprof.h"
#include "html.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *html(const struct mt_profile *p)
{
	char *text = NULL;
	size_t len;
	int rc;

	TP_CAPTURE(text, len, rc, html_write(p, out));
	cr_assert_eq(rc, 0, "html_write: %d", rc);
	return text;
}

Test(html, sections_summary_and_no_external_fetch)
{
	struct mt_profile p;
	char *page;

	tp_init(&p, 1);
	tp_site(&p, "main;parse;xmalloc", 3 << 20, 3, 4 << 20, 4);
	p.command = profile_intern(&p, "<script>alert(1)</script>");
	p.totals = (struct mt_totals){ 10, 4 << 20, 7, 1 << 20, 3, 3 << 20, 5 << 20 };
	p.drops.events_lost = 12;
	p.series = calloc(3, sizeof(*p.series));
	p.nseries = 3;
	for (int i = 0; i < 3; i++)
		p.series[i] = (struct mt_sample){ .t_ns = i * 1000000000ULL, .inuse_bytes = (uint64_t)i << 20,
						  .rss_bytes = 8ULL << 20 };
	page = html(&p);
	cr_assert(!strncmp(page, "<!DOCTYPE html>", 15));
	cr_assert_null(strstr(page, "<script>alert"));
	cr_assert_not_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	for (const char *id = "summary\0sites\0flamegraph\0timeline\0"; *id; id += strlen(id) + 1) {
		char want[64];

		snprintf(want, sizeof(want), "<section id=\"%s\">", id);
		cr_assert_not_null(strstr(page, want), "missing section %s", id);
	}
	cr_assert_not_null(strstr(page, "5.00 MiB (5,242,880 bytes)")); /* peak */
	cr_assert_not_null(strstr(page, "id=\"drops-total\">12<"));
	cr_assert_not_null(strstr(page, "12: ring buffer full"));
	cr_assert_eq(count(page, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"mtfg\""), 4);
	cr_assert_not_null(strstr(page, "id=\"flamegraph-alloc_objects\""));
	cr_assert_not_null(strstr(page, "class=\"inuse\" fill=\"none\" points="));
	cr_assert_not_null(strstr(page, "class=\"rss\" fill=\"none\" points="));
	/* The only URLs are XML namespace names, which are never fetched. */
	cr_assert_eq(count(page, "http"), count(page, "http://www.w3.org/2000/svg") + count(page, "http-equiv"));
	cr_assert_not_null(strstr(page, "Content-Security-Policy"));
	free(page);
	profile_free(&p);
}

Test(html, top_sites_table_is_capped_and_ordered)
{
	struct mt_profile p;
	char spec[64], *page, *first, *second;

	tp_init(&p, 0);
	for (int i = 0; i < 70; i++) {
		snprintf(spec, sizeof(spec), "main;site%02d", i);
		tp_site(&p, spec, (uint64_t)(i + 1) * 1024, 1, 1, 1); /* unsorted on purpose: ascending */
	}
	page = html(&p);
	cr_assert_eq(count(page, "<tr><td class=\"num\">"), HTML_TOP_SITES);
	first = strstr(page, "<code>site69</code>");
	second = strstr(page, "<code>site68</code>");
	cr_assert(first && second && first < second);
	cr_assert_null(strstr(page, "<code>site19</code>"));
	cr_assert_not_null(strstr(page, "<code>site20</code>"));
	cr_assert_not_null(strstr(page, ">70.0 KiB<"));
	free(page);
	profile_free(&p);
}

Test(html, empty_profile_still_renders)
{
	struct mt_profile p;
	char *page;

	tp_init(&p, 0);
	page = html(&p);
	cr_assert_not_null(strstr(page, "No allocation is still in use"));
	cr_assert_not_null(strstr(page, "No time series was recorded."));
	cr_assert_not_null(strstr(page, "</html>\n"));
	free(page);
	profile_free(&p);
}
