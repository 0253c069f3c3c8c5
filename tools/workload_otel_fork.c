// SPDX-License-Identifier: MIT
/*
 * Forked children that allocate through the otel_memory sampler, for
 * --follow --source usdt (libmemtrace-sampler.so preloaded): child i
 * (from 0) allocates (i + 1) x 32 MiB in 4 KiB blocks from child_work()
 * and holds its last 1024 blocks (4 MiB) when it exits; the parent
 * allocates nothing there and waits for them.  No exec: the children run
 * the parent's image, whose probes memtrace already found.
 * Usage: workload_otel_fork [children]
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP 1024

static void *kept[KEEP];

__attribute__((noinline)) void child_work(size_t bytes)
{
	for (size_t i = 0; i < bytes / 4096; i++) {
		free(kept[i % KEEP]);
		kept[i % KEEP] = malloc(4096);
	}
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 2;

	for (int i = 0; i < children; i++) {
		pid_t c = fork();

		if (c < 0)
			return 1;
		if (c == 0) {
			child_work((size_t)(i + 1) * (32u << 20));
			_exit(0);
		}
		/* One at a time: each child's numbers are its own. */
		if (waitpid(c, NULL, 0) != c)
			return 1;
	}
	return 0;
}
