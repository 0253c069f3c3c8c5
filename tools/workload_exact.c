// SPDX-License-Identifier: MIT
/*
 * Known allocations from known functions, for the end-to-end tests: each
 * function below allocates an exact number of blocks of exact sizes through
 * one allocator entry point, and says so in its name.
 *
 * Usage: workload_exact [threads]    (default 4 threads in many_threads)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP 16

/* Results go here so the compiler keeps every call. */
void *volatile sink[256];

__attribute__((noinline)) void keep_malloc(void)
{
	for (int i = 0; i < KEEP; i++)
		sink[i] = malloc(1000);
}

__attribute__((noinline)) void churn_malloc(void)
{
	/* Through the sink: gcc deletes a malloc whose block is only freed. */
	for (int i = 0; i < 100; i++) {
		sink[100] = malloc(64);
		free(sink[100]);
	}
}

__attribute__((noinline)) void keep_calloc(void)
{
	for (int i = 0; i < 8; i++)
		sink[32 + i] = calloc(10, 30); /* 300 bytes each */
}

/* realloc(NULL, n) is a malloc; growing moves or resizes; realloc(p, 0) frees. */
__attribute__((noinline)) void realloc_chain(void)
{
	void *p = realloc(NULL, 100);

	p = realloc(p, 200);
	p = realloc(p, 100000);
	sink[48] = realloc(p, 5000);
}

__attribute__((noinline)) void realloc_to_zero(void)
{
	void *p = malloc(777);

	sink[49] = realloc(p, 0); /* glibc frees and returns NULL */
}

__attribute__((noinline)) void failed_calls(void)
{
	void *p = (void *)1;

	sink[50] = malloc(SIZE_MAX / 2);                /* fails: not counted */
	if (posix_memalign(&p, 3, 100) == 0)            /* EINVAL: not counted */
		sink[51] = p;
	sink[52] = malloc(123);
	p = realloc(sink[52], SIZE_MAX / 2);            /* fails: the old block stays */
	if (p)
		sink[52] = p;
}

__attribute__((noinline)) void keep_aligned(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, 256) == 0)
		sink[60] = p;
	sink[61] = aligned_alloc(128, 512);
	sink[62] = memalign(32, 1024);
	sink[63] = valloc(2048);
	sink[64] = pvalloc(100); /* a whole page */
	sink[65] = reallocarray(NULL, 7, 9); /* 63 bytes */
}

static void *thread_main(void *arg)
{
	void **mine = arg;

	for (int i = 0; i < 1000; i++) {
		void *volatile p = malloc(48);

		free(p);
	}
	for (int i = 0; i < 10; i++)
		mine[i] = malloc(4096);
	return NULL;
}

__attribute__((noinline)) void many_threads(int n)
{
	pthread_t t[16];
	static void *kept[16][10];

	for (int i = 0; i < n && i < 16; i++)
		pthread_create(&t[i], NULL, thread_main, kept[i]);
	for (int i = 0; i < n && i < 16; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;

	keep_malloc();
	churn_malloc();
	keep_calloc();
	realloc_chain();
	realloc_to_zero();
	failed_calls();
	keep_aligned();
	many_threads(threads);
	return 0;
}
