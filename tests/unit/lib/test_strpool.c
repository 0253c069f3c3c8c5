// SPDX-License-Identifier: MIT
/* strpool: interning. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

Test(strpool, same_string_same_pointer)
{
	struct strpool *pool = strpool_new();
	char a[] = "malloc", b[] = "malloc";
	const char *x, *y, *z;

	cr_assert_not_null(pool);
	x = strpool_intern(pool, a);
	y = strpool_intern(pool, b);
	cr_assert_not_null(x);
	cr_assert_eq(x, y);
	/* A copy, not the caller's buffer. */
	cr_assert_neq(x, a);
	cr_assert_neq(x, b);
	a[0] = 'X';
	cr_assert_str_eq(x, "malloc");
	z = strpool_intern(pool, "malloc2");
	cr_assert_neq(z, x);
	cr_assert_str_eq(z, "malloc2");
	cr_assert_neq(strpool_intern(pool, "mallo"), x);
	strpool_free(pool);
}

Test(strpool, empty_string)
{
	struct strpool *pool = strpool_new();
	const char *e = strpool_intern(pool, "");

	cr_assert_not_null(e);
	cr_assert_str_eq(e, "");
	cr_assert_eq(strpool_intern(pool, ""), e);
	cr_assert_neq(strpool_intern(pool, "a"), e);
	strpool_free(pool);
}

Test(strpool, survives_growth)
{
	enum { N = 10000 };
	struct strpool *pool = strpool_new();
	const char **first = calloc(N, sizeof(*first));
	char buf[64];

	cr_assert_not_null(first);
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "sym_%d_%x", i, i * 2654435761u);
		first[i] = strpool_intern(pool, buf);
		cr_assert_not_null(first[i]);
		cr_assert_str_eq(first[i], buf);
	}
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "sym_%d_%x", i, i * 2654435761u);
		cr_assert_eq(strpool_intern(pool, buf), first[i], "string %d moved or duplicated", i);
		cr_assert_str_eq(first[i], buf, "string %d overwritten", i);
	}
	/* All distinct. */
	for (int i = 1; i < N; i++)
		cr_assert_neq(first[i], first[i - 1]);
	free(first);
	strpool_free(pool);
}

Test(strpool, long_strings)
{
	struct strpool *pool = strpool_new();
	size_t n = 200000;
	char *big = malloc(n + 1), *big2;
	const char *x, *small, *x2;

	cr_assert_not_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	small = strpool_intern(pool, "small");
	x = strpool_intern(pool, big);
	cr_assert_not_null(x);
	cr_assert_eq(strlen(x), n);
	big2 = strdup(big);
	big2[n - 1] = 'b';
	x2 = strpool_intern(pool, big2);
	cr_assert_neq(x2, x);
	cr_assert_eq(x2[n - 1], 'b');
	cr_assert_eq(strpool_intern(pool, big), x);
	cr_assert_eq(strpool_intern(pool, "small"), small);
	cr_assert_str_eq(small, "small");
	free(big);
	free(big2);
	strpool_free(pool);
}

Test(strpool, pools_are_independent)
{
	struct strpool *a = strpool_new(), *b = strpool_new();
	const char *x = strpool_intern(a, "shared");
	const char *y = strpool_intern(b, "shared");

	cr_assert_neq(x, y);
	cr_assert_str_eq(x, y);
	strpool_free(a);
	cr_assert_eq(strpool_intern(b, "shared"), y);
	strpool_free(b);
	strpool_free(NULL);
}
