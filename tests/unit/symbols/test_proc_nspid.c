// SPDX-License-Identifier: MIT
/* proc_nspid: the innermost PID a /proc/PID/status's NSpid line names. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "proc_nspid.h"

static int32_t parse(const char *text)
{
	return proc_nspid_parse(text, strlen(text));
}

Test(proc_nspid, innermost_of_nested_namespaces)
{
	cr_expect_eq(parse("Name:\tsh\nPid:\t4242\nNSpid:\t4242\t17\t1\nNSpgid:\t4242\n"), 1);
}

Test(proc_nspid, host_process_gives_its_own_pid)
{
	cr_expect_eq(parse("Name:\tsh\nNSpid:\t4242\n"), 4242);
}

Test(proc_nspid, a_comm_named_like_the_line_is_not_believed)
{
	/* The kernel escapes a newline in Name:, so "NSpid:" inside it is not at a line's start. */
	cr_expect_eq(parse("Name:\tNSpid:\t7\nPid:\t9\n"), 0);
}

Test(proc_nspid, malformed_or_out_of_range_is_zero)
{
	cr_expect_eq(parse("NSpid:\t12x\n"), 0);
	cr_expect_eq(parse("NSpid:\t\n"), 0);
	cr_expect_eq(parse("NSpid:\t1\t99999999999\n"), 0);
	cr_expect_eq(parse("NSpid:\t-1\n"), 0);
	cr_expect_eq(parse(""), 0);
}

Test(proc_nspid, unterminated_last_line)
{
	cr_expect_eq(parse("Pid:\t5\nNSpid:\t5\t3"), 3);
}

Test(proc_nspid, reads_this_process)
{
	cr_expect_gt(proc_nspid_read(getpid()), 0);
}
