// SPDX-License-Identifier: MIT
/* options: command-line parsing (argp exits on usage errors: exit code 64). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <string.h>

#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0]) - 1))

Test(options, full_pid_command_line)
{
	char *argv[] = { "memtrace", "-p", "42", "-d", "3", "-i", "0.5", "--json", "x.json", "-o", "a.svg",
			 "-o", "b.pb.gz", "--metric", "alloc_space", "-v", "-v", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.pid, 42);
	cr_assert_null(o.argv);
	cr_assert_float_eq(o.duration_s, 3.0, 1e-12);
	cr_assert_float_eq(o.interval_s, 0.5, 1e-12);
	cr_assert_str_eq(o.json_path, "x.json");
	cr_assert_eq(o.noutputs, 2);
	cr_assert_str_eq(o.outputs[0], "a.svg");
	cr_assert_str_eq(o.outputs[1], "b.pb.gz");
	cr_assert_eq(o.metric, MT_ALLOC_SPACE);
	cr_assert_eq(o.verbose, 2);
	cr_assert_eq(o.quiet, false);
	cr_assert_eq(o.top, 10);
}

Test(options, defaults)
{
	char *argv[] = { "memtrace", "-p", "7", NULL };
	struct options o;

	memset(&o, 0xa5, sizeof(o));
	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.pid, 7);
	cr_assert_null(o.argv);
	cr_assert_float_eq(o.duration_s, 0.0, 1e-12);
	cr_assert_float_eq(o.interval_s, 5.0, 1e-12);
	cr_assert_null(o.json_path);
	cr_assert_eq(o.noutputs, 0);
	cr_assert_eq(o.metric, MT_INUSE_SPACE);
	cr_assert_eq(o.top, 10);
	cr_assert_eq(o.verbose, 0);
	cr_assert_eq(o.quiet, false);
}

Test(options, long_forms_and_attached_values)
{
	char *argv[] = { "memtrace", "--pid=123", "--duration=1.25", "--interval", "2", "--top", "25", "-q",
			 "-vvv", "--output=heap.folded", "--metric=inuse_objects", "--json=-", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.pid, 123);
	cr_assert_float_eq(o.duration_s, 1.25, 1e-12);
	cr_assert_float_eq(o.interval_s, 2.0, 1e-12);
	cr_assert_eq(o.top, 25);
	cr_assert_eq(o.quiet, true);
	cr_assert_eq(o.verbose, 3);
	cr_assert_eq(o.noutputs, 1);
	cr_assert_str_eq(o.outputs[0], "heap.folded");
	cr_assert_eq(o.metric, MT_INUSE_OBJECTS);
	cr_assert_str_eq(o.json_path, "-");
}

Test(options, command_keeps_its_own_options)
{
	char *argv[] = { "memtrace", "-o", "h.html", "--", "/bin/true", "-x", "--y", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.pid, 0);
	cr_assert_not_null(o.argv);
	cr_assert_str_eq(o.argv[0], "/bin/true");
	cr_assert_str_eq(o.argv[1], "-x");
	cr_assert_str_eq(o.argv[2], "--y");
	cr_assert_null(o.argv[3]);
	cr_assert_eq(o.noutputs, 1);
	cr_assert_str_eq(o.outputs[0], "h.html");
	/* -x / --y were not taken as memtrace's. */
	cr_assert_eq(o.verbose, 0);
}

Test(options, command_without_double_dash)
{
	char *argv[] = { "memtrace", "-v", "/bin/echo", "-v", "-p", "9", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.pid, 0);
	cr_assert_eq(o.verbose, 1);
	cr_assert_str_eq(o.argv[0], "/bin/echo");
	cr_assert_str_eq(o.argv[1], "-v");
	cr_assert_str_eq(o.argv[2], "-p");
	cr_assert_str_eq(o.argv[3], "9");
	cr_assert_null(o.argv[4]);
}

Test(options, eight_outputs)
{
	char *argv[] = { "memtrace", "-p", "1", "-o", "1.json", "-o", "2.json", "-o", "3.json", "-o", "4.json",
			 "-o", "5.json", "-o", "6.json", "-o", "7.json", "-o", "8.json", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.noutputs, MT_MAX_OUTPUTS);
	cr_assert_str_eq(o.outputs[7], "8.json");
}

static void parse_must_exit(char **argv, int argc)
{
	struct options o;

	cr_redirect_stderr();
	options_parse(argc, argv, &o);
	cr_assert_fail("options_parse returned instead of exiting");
}

Test(options, bad_pid_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "12x", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, zero_pid_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "0", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, nothing_to_trace_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-v", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, pid_and_command_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--", "/bin/true", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, short_interval_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "-i", "0.01", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, zero_duration_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "-d", "0", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, unknown_metric_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--metric", "bytes", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, ninth_output_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "1", "-o", "1.json", "-o", "2.json", "-o", "3.json", "-o", "4.json",
			 "-o", "5.json", "-o", "6.json", "-o", "7.json", "-o", "8.json", "-o", "9.json", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, unknown_option_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--frobnicate", NULL };

	parse_must_exit(argv, ARGC(argv));
}

/* strtod() accepts "nan", which every range check lets through. */

Test(options, nan_interval_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "-i", "nan", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, nan_duration_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "-d", "nan", NULL };

	parse_must_exit(argv, ARGC(argv));
}

/* Security issue, bad input: each of these was accepted before. */

Test(options, same_pid_twice_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "77,77", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, same_pid_in_two_p_options_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "77", "-p", "78,77", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, alloc_size_and_count_in_one_argument_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--alloc", "f:size=arg1:count=arg1", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, realloc_ptr_and_size_in_one_argument_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--realloc", "f:ptr=arg1:size=arg1", NULL };

	parse_must_exit(argv, ARGC(argv));
}

Test(options, custom_roles_in_distinct_arguments_parse)
{
	char *argv[] = { "memtrace", "-p", "5", "--alloc", "f:size=arg1:count=arg2", "--realloc", "g:ptr=arg2:size=arg3",
			 NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_eq(o.ncustom, 2);
	cr_assert_eq(o.custom[0].a, 1);
	cr_assert_eq(o.custom[0].b, 2);
	cr_assert_eq(o.custom[1].a, 2);
	cr_assert_eq(o.custom[1].b, 3);
}

Test(options, leak_min_rate_is_a_rate_not_seconds)
{
	char *argv[] = { "memtrace", "-p", "5", "--leak-min-rate", "20000000", NULL };
	struct options o;

	cr_assert_eq(options_parse(ARGC(argv), argv, &o), 0);
	cr_assert_float_eq(o.leak_min_rate, 2e7, 1e-3);
}

Test(options, zero_leak_min_rate_exits_64, .exit_code = 64)
{
	char *argv[] = { "memtrace", "-p", "5", "--leak-min-rate", "0", NULL };

	parse_must_exit(argv, ARGC(argv));
}
