// SPDX-License-Identifier: MIT
/*
 * A deterministic mix of allocator calls that valgrind also supports, for
 * comparing memtrace's totals with valgrind's "total heap usage" line.
 * Usage: workload_mix [rounds]
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink[64];

__attribute__((noinline)) static char *make_name(int i)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "item-%d", i);
	return strdup(buf);
}

__attribute__((noinline)) static void *grow_buffer(void *p, size_t n)
{
	return realloc(p, n);
}

static void *worker(void *arg)
{
	int rounds = *(int *)arg;

	for (int i = 0; i < rounds; i++) {
		void *volatile p = calloc(i % 7 + 1, 24);

		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	pthread_t t;
	void *buf = NULL;

	pthread_create(&t, NULL, worker, &rounds);
	for (int i = 0; i < rounds; i++) {
		char *name = make_name(i);
		void *a = NULL;

		buf = grow_buffer(buf, (size_t)(i % 50 + 1) * 16);
		if (posix_memalign(&a, 64, (size_t)i % 300 + 1) == 0)
			free(a);
		sink[i % 64] = name;
		if (i % 3)
			free(name);
	}
	sink[0] = aligned_alloc(256, 1024);
	sink[1] = memalign(64, 333);
	sink[2] = valloc(100);
	free(buf);
	pthread_join(t, NULL);
	return 0;
}
