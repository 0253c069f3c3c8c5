// SPDX-License-Identifier: MIT
/*
 * Many live blocks at once, for the end-to-end test of the live-block table:
 * more than its buckets can hold without overflowing, so both the table and
 * its overflow map are exercised.
 *
 * Usage: workload_many N   keeps N blocks of 24 bytes, frees every other
 *                          one, grows every fourth with realloc, and exits
 *                          with N/2 blocks still live (N even)
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void **keep_many(long n)
{
	void **v = malloc((size_t)n * sizeof(*v));

	if (!v)
		return NULL;
	for (long i = 0; i < n; i++)
		if (!(v[i] = malloc(24)))
			return NULL;
	return v;
}

__attribute__((noinline)) static int grow_some(void **v, long n)
{
	for (long i = 0; i < n; i += 4) {
		void *p = realloc(v[i], 48);

		if (!p)
			return -1;
		v[i] = p;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	void **v;

	if (n <= 0 || n % 2) {
		fprintf(stderr, "usage: workload_many N (N even)\n");
		return 2;
	}
	v = keep_many(n);
	if (!v)
		return 1;
	for (long i = 1; i < n; i += 2)
		free(v[i]);
	if (grow_some(v, n))
		return 1;
	/* v itself and the even blocks stay live: the exit's leaks. */
	printf("%p\n", (void *)v);
	return 0;
}
