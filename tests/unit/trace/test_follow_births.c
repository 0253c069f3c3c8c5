// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "follow_births.h"

Test(follow_births, event_first_then_stop)
{
	struct births b = { 0 };
	pid_t parent = 0;

	cr_assert_eq(births_event(&b, 100, 10, BIRTH_PROCESS), 0);
	cr_assert_eq(births_event(&b, 101, 10, BIRTH_THREAD), 0);
	cr_assert_eq(births_first_stop(&b, 100, &parent), BIRTH_PROCESS);
	cr_assert_eq(parent, 10);
	cr_assert_eq(births_first_stop(&b, 101, &parent), BIRTH_THREAD);
	/* Answered once, then forgotten. */
	cr_assert_eq(births_first_stop(&b, 100, &parent), BIRTH_NONE);
	cr_assert_eq(b.n, 0);
	births_free(&b);
}

Test(follow_births, stop_kept_until_event)
{
	struct births b = { 0 };
	pid_t parent = 0;

	cr_assert_eq(births_first_stop(&b, 200, &parent), BIRTH_NONE);
	cr_assert_eq(births_wait(&b, 200), 0);
	/* Another task's event does not answer it. */
	cr_assert_eq(births_event(&b, 201, 20, BIRTH_THREAD), 0);
	cr_assert_eq(births_event(&b, 200, 20, BIRTH_PROCESS), 1);
	cr_assert_eq(births_first_stop(&b, 201, &parent), BIRTH_THREAD);
	cr_assert_eq(b.n, 0);
	births_free(&b);
}

Test(follow_births, decided_stop_drops_its_event)
{
	struct births b = { 0 };
	pid_t parent = 0;

	births_decided(&b, 300);
	cr_assert_eq(births_event(&b, 300, 30, BIRTH_PROCESS), 0);
	cr_assert_eq(b.n, 0);
	/* A later task with the same tid is named afresh. */
	cr_assert_eq(births_event(&b, 300, 31, BIRTH_PROCESS), 0);
	cr_assert_eq(births_first_stop(&b, 300, &parent), BIRTH_PROCESS);
	cr_assert_eq(parent, 31);
	births_free(&b);
}

Test(follow_births, decided_entries_are_capped)
{
	struct births b = { 0 };

	for (pid_t t = 1; t <= 10 * BIRTHS_MAX_DECIDED; t++)
		births_decided(&b, t);
	cr_assert_leq(b.n, BIRTHS_MAX_DECIDED);
	/* A waiting stop is never dropped by the cap. */
	cr_assert_eq(births_wait(&b, 99999), 0);
	for (pid_t t = 1; t <= 2 * BIRTHS_MAX_DECIDED; t++)
		births_decided(&b, 100000 + t);
	cr_assert_eq(births_event(&b, 99999, 1, BIRTH_PROCESS), 1);
	births_free(&b);
}

Test(follow_births, forget_on_exit)
{
	struct births b = { 0 };
	pid_t parent = 0;

	cr_assert_eq(births_wait(&b, 400), 0);
	births_forget(&b, 400);
	cr_assert_eq(births_event(&b, 400, 40, BIRTH_PROCESS), 0);
	cr_assert_eq(births_first_stop(&b, 400, &parent), BIRTH_PROCESS);
	births_free(&b);
}
