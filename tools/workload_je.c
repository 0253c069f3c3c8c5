// SPDX-License-Identifier: MIT
/*
 * A program with its own je_-prefixed allocator entry points linked in, as
 * Redis has with jemalloc built --with-jemalloc-prefix=je_.  Here they wrap
 * glibc (so the calls nest), which is enough to check that memtrace finds
 * them in the program's .symtab and charges their callers once.
 */
#include <stdlib.h>

__attribute__((noinline)) void *je_malloc(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) void *je_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

__attribute__((noinline)) void *je_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

__attribute__((noinline)) void je_free(void *p)
{
	free(p);
}

void *volatile sink[64];

__attribute__((noinline)) void use_je(void)
{
	for (int i = 0; i < 12; i++)
		sink[i] = je_malloc(100);
	for (int i = 0; i < 4; i++)
		je_free(sink[i]);
	sink[20] = je_calloc(4, 50);
	sink[21] = je_realloc(je_malloc(10), 1000);
}

int main(void)
{
	use_je();
	return 0;
}
