// SPDX-License-Identifier: MIT
/*
 * alloc_loop FUNC N: calls the allocator function FUNC N times (each paired
 * with the malloc/free it needs) and prints the ns per iteration.  Run with
 * and without a uprobe on FUNC: the difference is the probe's cost per call.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *f = argc > 1 ? argv[1] : "free";
	long n = argc > 2 ? atol(argv[2]) : 200000;
	void *volatile sink;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *p = NULL;

		if (!strcmp(f, "malloc") || !strcmp(f, "free"))
			p = malloc(32);
		else if (!strcmp(f, "calloc"))
			p = calloc(2, 16);
		else if (!strcmp(f, "realloc"))
			p = realloc(malloc(16), 48);
		else if (!strcmp(f, "reallocarray"))
			p = reallocarray(malloc(16), 3, 16);
		else if (!strcmp(f, "posix_memalign")) {
			if (posix_memalign(&p, 64, 32))
				p = NULL;
		} else if (!strcmp(f, "aligned_alloc"))
			p = aligned_alloc(64, 64);
		else if (!strcmp(f, "memalign"))
			p = memalign(64, 32);
		else if (!strcmp(f, "valloc"))
			p = valloc(32);
		else if (!strcmp(f, "pvalloc"))
			p = pvalloc(32);
		else
			return 2;
		sink = p;
		free(sink);
	}
	printf("%.1f\n", (now_ns() - t0) / n);
	return 0;
}
