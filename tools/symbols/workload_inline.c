// SPDX-License-Identifier: MIT
/*
 * An allocating function inlined into its callers, built -O2 -g: the
 * symbolizer tests expect `make_buffer` and `make_record` as inlined frames
 * of `build_records`, with the lines addr2line -i gives.
 *
 *     workload_inline [N [-v]]   N records of 1..64 KiB (default 1000), the odd
 *                                ones still in use at exit; -v prints VARIANT
 *
 * The Makefile builds it as released code is built, several ways: -O2 -g
 * (workload_inline), stripped with its debug info split out beside it
 * (workload_debuglink + .debug, found through .gnu_debuglink), stripped
 * with no link (workload_debuginfod: its .debug only on a debuginfod
 * server), stripped with MiniDebugInfo (workload_minidebug).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each fixture built from this file names itself: one build-id each. */
#ifndef VARIANT
#define VARIANT "workload_inline"
#endif

static char *make_buffer(size_t n)
{
	char *p = malloc(n); /* the allocating line */

	if (p)
		memset(p, 1, n);
	return p;
}

static char *make_record(size_t n)
{
	return make_buffer(n + 16);
}

__attribute__((noinline)) char *build_records(size_t i)
{
	return make_record(1024 * (1 + i % 64));
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	char **keep = calloc(n ? n : 1, sizeof(*keep));
	unsigned sum = 0;

	if (!keep)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "-v"))
		puts(VARIANT);
	for (size_t i = 0; i < n; i++) {
		keep[i] = build_records(i);
		sum += keep[i] ? (unsigned char)keep[i][0] : 0;
	}
	for (size_t i = 0; i < n; i += 2)
		free(keep[i]);
	return sum == n ? 0 : 2;
}
