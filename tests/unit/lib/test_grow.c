// SPDX-License-Identifier: MIT
/* grow.h: the one growable array. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

Test(grow, starts_at_first_then_doubles)
{
	int *v = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(grow((void **)&v, &cap, n, sizeof(*v), 16), 0);
		if (i == 0)
			cr_assert_eq(cap, 16);
		v[n++] = i;
	}
	cr_assert_eq(cap, 1024);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(v[i], i);
	free(v);
}

Test(grow, room_left_changes_nothing)
{
	size_t cap = 8;
	int *v = malloc(cap * sizeof(*v)), *was = v;

	cr_assert_eq(grow((void **)&v, &cap, 7, sizeof(*v), 4), 0);
	cr_assert_eq(v, was);
	cr_assert_eq(cap, 8);
	free(v);
}

Test(grow, grow_to_reaches_the_need_in_one_step)
{
	char *v = NULL;
	size_t cap = 0;

	cr_assert_eq(grow_to((void **)&v, &cap, 5000, 1, 64), 0);
	cr_assert_eq(cap, 8192);
	v[4999] = 1;
	cr_assert_eq(grow_to((void **)&v, &cap, 8192, 1, 64), 0);
	cr_assert_eq(cap, 8192);
	free(v);
}

Test(grow, overflow_is_enomem_and_keeps_the_array)
{
	size_t cap = 4;
	uint64_t *v = calloc(cap, sizeof(*v)), *was = v;

	v[3] = 77;
	cr_assert_eq(grow_to((void **)&v, &cap, SIZE_MAX / 4, sizeof(*v), 4), -ENOMEM);
	cr_assert_eq(grow_to((void **)&v, &cap, SIZE_MAX, 1, 4), -ENOMEM);
	cr_assert_eq(v, was);
	cr_assert_eq(cap, 4);
	cr_assert_eq(v[3], 77);
	free(v);
}
