// SPDX-License-Identifier: MIT
/*
 * build/memtrace-report: `memtrace report` and `memtrace diff` alone, linked
 * from lib/, model/, symbols/, formats/ and the two offline commands without
 * libbpf or any BPF object.  That it links is the proof that reading and
 * rendering recordings needs nothing of the tracer (make builds it with
 * everything else; tests/e2e/test_layers.py checks what it links and that
 * it renders what memtrace does).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_report.h"

int main(int argc, char **argv)
{
	argv[0] = "memtrace";
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	fputs("usage: memtrace-report report FILE [OPTION]... | diff BEFORE AFTER [OPTION]...\n", stderr);
	return 64;
}
