// SPDX-License-Identifier: MIT
/*
 * Forks children that allocate without exec'ing, for --follow: child i
 * keeps 10 * (i + 1) blocks of 512 bytes from child_work(); the parent
 * keeps 5 from parent_work().
 * Usage: workload_fork [children]
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile sink[64];

__attribute__((noinline)) void child_work(int n)
{
	for (int i = 0; i < n; i++)
		sink[i] = malloc(512);
}

__attribute__((noinline)) void parent_work(void)
{
	for (int i = 0; i < 5; i++)
		sink[i] = malloc(512);
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 2;

	for (int i = 0; i < children; i++) {
		pid_t p = fork();

		if (p == 0) {
			child_work(10 * (i + 1));
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	parent_work();
	return 0;
}
