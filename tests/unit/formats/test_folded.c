// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../writers/testprof.h"
#include "folded.h"

static char *folded(const struct mt_profile *p, enum mt_metric m)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	TP_CAPTURE(text, len, rc, folded_write(p, m, out));
	cr_assert_eq(rc, 0, "folded_write: %d", rc);
	return text;
}

Test(folded, exact_lines_sorted_and_merged)
{
	struct mt_profile p;
	char *text;

	tp_init(&p, 2);
	tp_site(&p, "main;parse;xmalloc", 300, 3, 400, 4);
	tp_site(&p, "main;alpha", 10, 1, 10, 1);
	/* Same names, different addresses: one folded line. */
	tp_site(&p, "main;parse;xmalloc", 5, 1, 5, 1);
	/* A caller that allocates itself, and its callee. */
	tp_site(&p, "main;parse", 7, 1, 7, 1);
	/* Zero under inuse_space: left out. */
	tp_site(&p, "main;freed", 0, 0, 99, 9);
	text = folded(&p, MT_INUSE_SPACE);
	cr_assert_str_eq(text, "main;alpha 10\n"
			       "main;parse 7\n"
			       "main;parse;xmalloc 305\n");
	free(text);
	text = folded(&p, MT_ALLOC_OBJECTS);
	cr_assert_str_eq(text, "main;alpha 1\n"
			       "main;freed 9\n"
			       "main;parse 1\n"
			       "main;parse;xmalloc 5\n");
	free(text);
	profile_free(&p);
}

Test(folded, unknown_frames_and_sanitized_names)
{
	struct mt_profile p;
	struct mt_site *s;
	char *text;

	tp_init(&p, 2);
	s = tp_site(&p, "main;?1;?-;leaf", 1, 1, 1, 1);
	/* frames[] is innermost first: index 1 is "?-", 2 is "?1". */
	cr_assert_null(s->frames[2].function);
	s = tp_site(&p, "main;x", 2, 1, 2, 1);
	((struct mt_frame *)s->frames)[0].function = profile_intern(&p, "op;er\nator<int>");
	text = folded(&p, MT_INUSE_SPACE);
	char expect[256];
	snprintf(expect, sizeof(expect), "main;libtp1.so+0x%llx;[unknown];leaf 1\nmain;op:er?ator<int> 2\n",
		 (unsigned long long)p.sites[0].frames[2].offset);
	cr_assert_str_eq(text, expect);
	free(text);
	profile_free(&p);
}

Test(folded, empty_profile_writes_nothing)
{
	struct mt_profile p;
	char *text;

	tp_init(&p, 0);
	text = folded(&p, MT_INUSE_SPACE);
	cr_assert_str_eq(text, "");
	free(text);
	tp_site(&p, "", 5, 1, 5, 1); /* a site without frames has no line either */
	text = folded(&p, MT_INUSE_SPACE);
	cr_assert_str_eq(text, "");
	free(text);
	profile_free(&p);
}

Test(folded, deep_stack_no_recursion_limit)
{
	struct mt_profile p;
	char spec[1000] = "main";
	char *text;

	tp_init(&p, 0);
	for (int i = 0; i < 120; i++)
		strcat(spec, ";f");
	tp_site(&p, spec, 1, 1, 1, 1);
	text = folded(&p, MT_INUSE_SPACE);
	cr_assert_eq(strlen(text), strlen(spec) + 3);
	free(text);
	profile_free(&p);
}
