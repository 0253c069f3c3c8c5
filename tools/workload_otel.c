// SPDX-License-Identifier: MIT
/*
 * Known bytes per function, for the otel_memory sampler's estimates:
 * site_big allocates 256 MiB in 4 KiB blocks, site_small 128 MiB in 1 KiB
 * blocks, each holding its last 4096 blocks (16 MiB and 4 MiB) in use at
 * the peak.  With "free" as argument everything is freed before exit and
 * the process waits 300 ms, so a tracer sees the heap empty.  With "wait"
 * (for -p) it prints "ready", runs on a line from stdin, prints "done"
 * with its blocks still held and exits on the next line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP 4096

static void *big[KEEP], *small[KEEP];

__attribute__((noinline)) void site_big(void)
{
	for (size_t i = 0; i < (256u << 20) / 4096; i++) {
		free(big[i % KEEP]);
		big[i % KEEP] = malloc(4096);
	}
}

__attribute__((noinline)) void site_small(void)
{
	for (size_t i = 0; i < (128u << 20) / 1024; i++) {
		free(small[i % KEEP]);
		small[i % KEEP] = malloc(1024);
	}
}

int main(int argc, char **argv)
{
	char line[64];
	int wait = argc > 1 && !strcmp(argv[1], "wait");

	if (wait) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	site_big();
	site_small();
	if (argc > 1 && !strcmp(argv[1], "free")) {
		for (int i = 0; i < KEEP; i++) {
			free(big[i]);
			free(small[i]);
		}
		usleep(300000);
	}
	if (wait) {
		printf("done\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	return 0;
}
