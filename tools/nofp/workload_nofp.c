// SPDX-License-Identifier: MIT
/*
 * Known allocation chains in code built the way distributions build it:
 * -O2 -fomit-frame-pointer (see the Makefile), so rbp is a general register
 * and a frame-pointer walk reads stack data.  Each chain is 3 to 6 calls
 * deep from main to one allocator call:
 *
 *   main > m1 > m2 > m3                     malloc   N     times
 *   main > c1 > c2 > c3 > c4                calloc   2*N   times
 *   main > r1 > r2 > r3 > r4 > r5           realloc  3*N   times (growing one block)
 *   main > s1 > s2 > s3 > s4 > s5 > s6      strdup   4*N   times
 *
 * Every function is noinline and uses its callee's result after the call,
 * so none is folded away or reached by a tail call.  Blocks are kept to the
 * end.  Usage: workload_nofp [N (default 1000)] [file to copy
 * /proc/self/maps into before exiting].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINL __attribute__((noinline))

static volatile unsigned long sink;
static void **keep;
static size_t nkeep;

/* A few live values in callee-saved registers, rbp among them, as real code has. */
static NOINL unsigned long mix(unsigned long a, unsigned long b)
{
	return a * 0x9e3779b97f4a7c15UL ^ (b >> 7);
}

static NOINL void *m3(size_t n, unsigned long k)
{
	void *p = malloc(n + (k & 15));

	sink += mix((unsigned long)p, k);
	return p;
}

static NOINL void *m2(size_t n, unsigned long k)
{
	unsigned long a = mix(k, n), b = mix(a, k);
	void *p = m3(n, a ^ b);

	sink += a + b;
	return p;
}

static NOINL void *m1(size_t n, unsigned long k)
{
	unsigned long a = mix(n, k);
	void *p = m2(n + 1, a);

	sink += a;
	return p;
}

static NOINL void *c4(size_t n, unsigned long k)
{
	void *p = calloc(n, 1 + (k & 3));

	sink += mix((unsigned long)p, k);
	return p;
}

static NOINL void *c3(size_t n, unsigned long k)
{
	unsigned long a = mix(k, 3), b = mix(a, n), c = mix(b, a);
	void *p = c4(n, a ^ b ^ c);

	sink += a + b + c;
	return p;
}

static NOINL void *c2(size_t n, unsigned long k)
{
	void *p = c3(n + 2, mix(k, n));

	sink += k;
	return p;
}

static NOINL void *c1(size_t n, unsigned long k)
{
	unsigned long a = mix(k, 1);
	void *p = c2(n, a);

	sink += a;
	return p;
}

static NOINL void *r5(void *old, size_t n)
{
	void *p = realloc(old, n);

	sink += (unsigned long)p;
	return p;
}

static NOINL void *r4(void *old, size_t n, unsigned long k)
{
	unsigned long a = mix(k, n), b = mix(a, 4);
	void *p = r5(old, n);

	sink += a ^ b;
	return p;
}

static NOINL void *r3(void *old, size_t n, unsigned long k)
{
	void *p = r4(old, n, mix(k, 3));

	sink += k;
	return p;
}

static NOINL void *r2(void *old, size_t n, unsigned long k)
{
	unsigned long a = mix(k, 2);
	void *p = r3(old, n, a);

	sink += a;
	return p;
}

static NOINL void *r1(void *old, size_t n)
{
	void *p = r2(old, n, n);

	sink += n;
	return p;
}

static NOINL char *s6(const char *s)
{
	char *p = strdup(s);

	sink += (unsigned long)p;
	return p;
}

#define S_STEP(name, next)                                        \
	static NOINL char *name(const char *s, unsigned long k)  \
	{                                                         \
		unsigned long a = mix(k, (unsigned long)s[0]);    \
		char *p = next;                                   \
		sink += a;                                        \
		return p;                                         \
	}
S_STEP(s5, s6(s))
S_STEP(s4, s5(s, a))
S_STEP(s3, s4(s, a))
S_STEP(s2, s3(s, a))
S_STEP(s1, s2(s, a))

static void hold(void *p)
{
	keep[nkeep++] = p;
}

static void copy_maps(const char *path)
{
	char buf[65536];
	FILE *in = fopen("/proc/self/maps", "r"), *out = fopen(path, "w");
	size_t n;

	if (!in || !out)
		exit(3);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out))
		exit(3);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	void *grow = NULL;

	if (n <= 0)
		return 2;
	keep = malloc(sizeof(void *) * (size_t)(7 * n + 1));
	if (!keep)
		return 1;
	for (long i = 0; i < n; i++)
		hold(m1(16 + (size_t)(i & 63), (unsigned long)i));
	for (long i = 0; i < 2 * n; i++)
		hold(c1(8 + (size_t)(i & 31), (unsigned long)i));
	for (long i = 0; i < 3 * n; i++)
		grow = r1(grow, 64 + 16 * (size_t)i);
	hold(grow);
	for (long i = 0; i < 4 * n; i++)
		hold(s1(i & 1 ? "an odd string" : "an even one", (unsigned long)i));
	printf("%lu\n", (unsigned long)nkeep + (sink & 1));
	if (argc > 2)
		copy_maps(argv[2]);
	return 0;
}
