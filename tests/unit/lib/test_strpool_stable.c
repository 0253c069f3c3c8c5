// SPDX-License-Identifier: MIT
/* strpool_intern_stable: interning remembered by the caller's pointer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "strpool.h"

Test(strpool_stable, same_copy_as_by_text)
{
	struct strpool *pool = strpool_new();
	char a[] = "dwarf_src.c", b[] = "dwarf_src.c";
	const char *x = strpool_intern_stable(pool, a);

	cr_assert_not_null(x);
	cr_assert_neq(x, a);
	cr_assert_str_eq(x, "dwarf_src.c");
	/* Another address with the same text, and interning by text, meet it. */
	cr_assert_eq(strpool_intern_stable(pool, b), x);
	cr_assert_eq(strpool_intern(pool, "dwarf_src.c"), x);
	strpool_free(pool);
}

Test(strpool_stable, remembered_by_address)
{
	struct strpool *pool = strpool_new();
	char buf[] = "first";
	const char *x = strpool_intern_stable(pool, buf);

	/* The caller promised the text would not change: the memo answers by
	 * address without reading it, which is what makes it cheap. */
	memcpy(buf, "other", 6);
	cr_assert_eq(strpool_intern_stable(pool, buf), x);
	cr_assert_str_eq(x, "first");
	cr_assert_neq(strpool_intern(pool, buf), x);
	strpool_free(pool);
}

Test(strpool_stable, many_names)
{
	struct strpool *pool = strpool_new();
	static char names[5000][16];
	const char *got[5000];

	for (int i = 0; i < 5000; i++) {
		snprintf(names[i], sizeof(names[i]), "fn_%d", i % 2500);
		got[i] = strpool_intern_stable(pool, names[i]);
		cr_assert_not_null(got[i]);
	}
	for (int i = 0; i < 5000; i++) {
		cr_assert_eq(strpool_intern_stable(pool, names[i]), got[i]);
		cr_assert_eq(got[i], got[i % 2500], "equal text, one copy");
		cr_assert_str_eq(got[i], names[i]);
	}
	strpool_free(pool);
}
