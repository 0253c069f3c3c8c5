// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../writers/testprof.h"
#include "flamegraph.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *flame(const struct mt_profile *before, const struct mt_profile *p, enum mt_metric m,
		   const char *title, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	int rc;

	TP_CAPTURE(text, n, rc,
		   before ? flamegraph_write_diff(before, p, m, title, out) : flamegraph_write(p, m, title, out));
	cr_assert_eq(rc, 0, "flamegraph: %d", rc);
	if (len)
		*len = n;
	return text;
}

Test(flamegraph, well_formed_escaped_and_complete)
{
	struct mt_profile p;
	char *svg;
	size_t bad;

	tp_init(&p, 1);
	tp_site(&p, "main;parse;xmalloc", 3 << 20, 3, 0, 0);
	tp_site(&p, "main;std::map<int, std::string>::operator[]&;operator new", 1 << 20, 2, 0, 0);
	tp_site(&p, "main;?0", 64 << 10, 1, 0, 0);
	p.command = profile_intern(&p, "a<b>&c");
	svg = flame(NULL, &p, MT_INUSE_SPACE, "T & <t>", NULL);
	bad = tp_xml_check(svg);
	cr_assert_eq(bad, 0, "not well-formed at %zu: %.60s", bad, bad && bad != (size_t)-1 ? svg + bad - 1 : "");
	cr_assert(!strncmp(svg, "<?xml", 5));
	cr_assert_not_null(strstr(svg, "std::map&lt;int, std::string&gt;::operator[]&amp;"));
	cr_assert_null(strstr(svg, "map<int"));
	cr_assert_not_null(strstr(svg, "T &amp; &lt;t&gt;"));
	cr_assert_not_null(strstr(svg, "a&lt;b&gt;&amp;c (pid 77)"));
	cr_assert_not_null(strstr(svg, "inuse_space"));
	cr_assert_not_null(strstr(svg, "2023-11-14 22:13:20 UTC"));
	/* all, main, parse, xmalloc, map::operator[], operator new, libtp0.so+0x... */
	cr_assert_eq(count(svg, "<g class=\"f\">"), 7);
	cr_assert_not_null(strstr(svg, "<title>xmalloc\ninuse_space: 3.00 MiB (3,145,728 bytes), 73.85%</title>"));
	cr_assert_not_null(strstr(svg, "libtp0.so+0x"));
	/* Interaction lives in the file itself. */
	cr_assert_not_null(strstr(svg, "Reset Zoom"));
	cr_assert_not_null(strstr(svg, "Search"));
	cr_assert_not_null(strstr(svg, "Matched: "));
	cr_assert_null(strstr(svg, "xlink:href"));
	cr_assert_null(strstr(svg, "https:"));
	free(svg);
	profile_free(&p);
}

Test(flamegraph, object_metrics_count_objects)
{
	struct mt_profile p;
	char *svg;

	tp_init(&p, 0);
	tp_site(&p, "main;xmalloc", 0, 0, 5, 1234);
	svg = flame(NULL, &p, MT_ALLOC_OBJECTS, NULL, NULL);
	cr_assert_not_null(strstr(svg, "<title>xmalloc\nalloc_objects: 1,234 objects, 100.00%</title>"));
	cr_assert_not_null(strstr(svg, "Memory flame graph"));
	free(svg);
	profile_free(&p);
}

Test(flamegraph, flame_orientation_root_at_bottom)
{
	struct mt_profile p;
	char *svg, *all, *leaf;
	int yall, yleaf;

	tp_init(&p, 0);
	tp_site(&p, "main;leaf", 10, 1, 10, 1);
	svg = flame(NULL, &p, MT_INUSE_SPACE, NULL, NULL);
	all = strstr(svg, "<title>all\n");
	leaf = strstr(svg, "<title>leaf\n");
	cr_assert(all && leaf);
	cr_assert_eq(sscanf(strstr(all, "y=\""), "y=\"%d\"", &yall), 1);
	cr_assert_eq(sscanf(strstr(leaf, "y=\""), "y=\"%d\"", &yleaf), 1);
	cr_assert_gt(yall, yleaf);
	free(svg);
	profile_free(&p);
}

Test(flamegraph, empty_profile_says_so)
{
	struct mt_profile p;
	char *svg;

	tp_init(&p, 0);
	svg = flame(NULL, &p, MT_INUSE_SPACE, NULL, NULL);
	cr_assert_eq(tp_xml_check(svg), 0);
	cr_assert_not_null(strstr(svg, "No samples"));
	free(svg);
	profile_free(&p);
}

/* 20k tiny stacks beside one big one: the tiny ones are merged away. */
Test(flamegraph, narrow_frames_are_dropped_so_size_is_bounded)
{
	struct mt_profile p;
	char spec[64], *svg;
	size_t len;

	tp_init(&p, 0);
	tp_site(&p, "main;big", 1 << 30, 1, 0, 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(spec, sizeof(spec), "main;small%d;x;y", i);
		tp_site(&p, spec, 1, 1, 0, 0);
	}
	svg = flame(NULL, &p, MT_INUSE_SPACE, NULL, &len);
	cr_assert_eq(count(svg, "<g class=\"f\">"), 3);
	cr_assert_lt(len, 20000);
	free(svg);
	profile_free(&p);
}

Test(flamegraph, diff_colours_and_deltas)
{
	struct mt_profile before, after;
	char *svg, *grow, *shrink;

	tp_init(&before, 0);
	tp_site(&before, "main;grows", 1000, 1, 0, 0);
	tp_site(&before, "main;shrinks", 4000, 1, 0, 0);
	tp_site(&before, "main;gone", 50, 1, 0, 0);
	tp_init(&after, 0);
	tp_site(&after, "main;grows", 3000, 1, 0, 0);
	tp_site(&after, "main;shrinks", 2000, 1, 0, 0);
	tp_site(&after, "main;new", 500, 1, 0, 0);
	svg = flame(&before, &after, MT_INUSE_SPACE, NULL, NULL);
	cr_assert_eq(tp_xml_check(svg), 0);
	grow = strstr(svg, "<title>grows\n");
	shrink = strstr(svg, "<title>shrinks\n");
	cr_assert(grow && shrink);
	cr_assert(!strncmp(strstr(grow, "fill=\""), "fill=\"rgb(255,", 14));
	cr_assert(!strncmp(strstr(shrink, "fill=\""), "fill=\"rgb(", 10));
	cr_assert(strstr(shrink, ",255)\"") < strstr(shrink, "</g>"));
	cr_assert_not_null(strstr(grow, "before: 1000 B, change: +1.95 KiB (+200.0%)"));
	cr_assert_not_null(strstr(shrink, "before: 3.91 KiB, change: -1.95 KiB (-50.0%)"));
	cr_assert_not_null(strstr(svg, "change: +500 B (new)"));
	cr_assert_null(strstr(svg, "<title>gone"));
	cr_assert_not_null(strstr(svg, "differential"));
	free(svg);
	profile_free(&before);
	profile_free(&after);
}

Test(flamegraph, embedded_has_no_prolog_and_an_id)
{
	struct mt_profile p;
	struct flamegraph_opts opts = { .embedded = 1, .id = "fg-x" };
	char *text = NULL;
	size_t len;
	int rc;

	tp_init(&p, 0);
	tp_site(&p, "main;a", 1, 1, 1, 1);
	TP_CAPTURE(text, len, rc, flamegraph_write_opts(NULL, &p, MT_INUSE_SPACE, NULL, &opts, out));
	cr_assert_eq(rc, 0);
	cr_assert(!strncmp(text, "<svg ", 5));
	cr_assert_not_null(strstr(text, "id=\"fg-x\""));
	free(text);
	profile_free(&p);
}
