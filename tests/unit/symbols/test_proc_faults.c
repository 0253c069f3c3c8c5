// SPDX-License-Identifier: MIT
/* proc_faults: minflt + majflt of a /proc/PID/stat line, whatever the comm holds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proc_faults.h"

static int parse(const char *text, uint64_t *faults)
{
	return proc_faults_parse(text, strlen(text), faults);
}

Test(proc_faults, minflt_plus_majflt)
{
	uint64_t f = 7;

	cr_assert_eq(parse("42 (sh) S 1 42 42 0 -1 4194560 1000 55 23 0 1 2 3 4 20 0 1 0\n", &f), 0);
	cr_expect_eq(f, 1023);
}

Test(proc_faults, comm_with_parens_and_spaces)
{
	uint64_t f = 0;

	/* A comm that mimics the fields after it: only the last ')' ends it. */
	cr_assert_eq(parse("42 (x) S 1 2 3 4 5 6 999 0 999 (y) R 1 42 42 0 -1 4194560 10 0 5 0\n", &f), 0);
	cr_expect_eq(f, 15);
}

Test(proc_faults, not_a_stat_line)
{
	uint64_t f = 7;

	cr_expect_eq(parse("42 sh S 1 42\n", &f), -EINVAL);
	cr_expect_eq(parse("42 (sh) S 1 42 42 0 -1 4194560\n", &f), -EINVAL);
	cr_expect_eq(parse("42 (sh) S 1 42 42 0 -1 4194560 1x 0 5\n", &f), -EINVAL);
	cr_expect_eq(parse("", &f), -EINVAL);
	cr_expect_eq(f, 7);
}

Test(proc_faults, reads_this_process)
{
	uint64_t f = 0;

	cr_assert_eq(proc_faults_read(getpid(), &f), 0);
	cr_expect_gt(f, 0);
}
