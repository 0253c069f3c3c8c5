// SPDX-License-Identifier: MIT
/*
 * Stand-in for main.c's subcommand dispatch until the lead wires
 * `memtrace report` and `memtrace diff` in: build with tests/offline/build.sh.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_report.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	fprintf(stderr, "usage: %s report|diff ...\n", argv[0]);
	return 64;
}
