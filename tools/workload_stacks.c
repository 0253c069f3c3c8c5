// SPDX-License-Identifier: MIT
/*
 * 2^DEPTH distinct allocation stacks: a binary tree of calls where each
 * level calls down from one of two call sites, and each leaf allocates.
 * For the collector's benchmarks: symbolization, and with HOLD the cost of
 * its reads each second while that many sites are live.
 * Usage: workload_stacks [DEPTH [HOLD]]   (default 14: 16384 stacks;
 *        HOLD: seconds to sleep before exiting, blocks still live)
 */
#include <stdlib.h>
#include <unistd.h>

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
	int hold = argc > 2 ? atoi(argv[2]) : 0;

	for (unsigned p = 0; p < (1u << depth); p++)
		walk(depth, p);
	if (hold > 0)
		sleep((unsigned)hold);
	return 0;
}
