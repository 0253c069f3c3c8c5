// SPDX-License-Identifier: MIT
/*
 * A large live heap for the reachability benchmark (tools/bench_reach.py):
 * MIB mebibytes in blocks of BYTES, every byte written (resident), each
 * block's first word pointing to the one allocated before it; the newest
 * block is kept in a global, so the whole chain is still reachable, except
 * every LOST-th block, which is left out of the chain (definitely lost).
 *
 * usage: workload_bigheap MIB BYTES LOST SECONDS
 *   prints "built", sleeps SECONDS, returns from main.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *g_newest;

int main(int argc, char **argv)
{
	unsigned long long mib, bytes, lost, n;
	unsigned seconds;

	if (argc != 5) {
		fprintf(stderr, "usage: workload_bigheap MIB BYTES LOST SECONDS\n");
		return 64;
	}
	mib = strtoull(argv[1], NULL, 10);
	bytes = strtoull(argv[2], NULL, 10);
	lost = strtoull(argv[3], NULL, 10);
	seconds = (unsigned)atoi(argv[4]);
	if (bytes < 16 || !lost)
		return 64;
	n = (mib << 20) / bytes;
	for (unsigned long long i = 0; i < n; i++) {
		void **b = malloc(bytes);

		if (!b)
			return 1;
		memset(b, 0x41, bytes);
		if (i % lost == lost - 1) {
			b[0] = NULL;
			continue;
		}
		b[0] = g_newest;
		g_newest = b;
	}
	printf("built %llu blocks\n", n);
	fflush(stdout);
	sleep(seconds);
	return 0;
}
