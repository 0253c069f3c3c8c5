// SPDX-License-Identifier: MIT
/*
 * 2^DEPTH distinct allocation stacks: a binary tree of calls where each
 * level calls down from one of two call sites, and each leaf allocates.
 * For the collector's symbolization benchmark.
 * Usage: workload_stacks [depth]   (default 14: 16384 stacks)
 */
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) static void leaf(void)
{
	sink = malloc(32);
}

__attribute__((noinline)) static void walk(int depth, unsigned path)
{
	if (!depth) {
		leaf();
		return;
	}
	/* Two call sites, two return addresses: the path is in the stack. */
	if (path & 1)
		walk(depth - 1, path >> 1);
	else
		walk(depth - 1, path >> 1);
	sink = sink;
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 14;

	for (unsigned p = 0; p < (1u << depth); p++)
		walk(depth, p);
	return 0;
}
