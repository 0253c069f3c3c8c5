// SPDX-License-Identifier: MIT
/*
 * Ten allocation sites holding 16 MiB each in blocks of 64 B to 32 KiB
 * (site_0 to site_9), each having allocated twice that and freed every
 * other block: the reference for --sample-bytes estimates.
 * Usage: workload_sites [MiB per site [smallest block, bytes]]
 * Blocks of 128 KiB and more are mmap'd and never touched, so GiB-sized
 * sites cost address space, not memory.
 */
#include <stdio.h>
#include <stdlib.h>

static void **keep[10];
static size_t base = 64;

#define SITE(i)                                                                  \
	__attribute__((noinline)) void site_##i(size_t total)                     \
	{                                                                         \
		size_t size = base << i, n = 2 * total / size;                    \
		keep[i] = malloc(n * sizeof(void *));                             \
		for (size_t k = 0; k < n; k++)                                    \
			keep[i][k] = malloc(size);                                \
		for (size_t k = 0; k < n; k += 2)                                 \
			free(keep[i][k]);                                         \
	}

SITE(0)
SITE(1)
SITE(2)
SITE(3)
SITE(4)
SITE(5)
SITE(6)
SITE(7)
SITE(8)
SITE(9)

int main(int argc, char **argv)
{
	size_t total = (size_t)(argc > 1 ? atoi(argv[1]) : 16) << 20;

	if (argc > 2)
		base = (size_t)atol(argv[2]);

	site_0(total);
	site_1(total);
	site_2(total);
	site_3(total);
	site_4(total);
	site_5(total);
	site_6(total);
	site_7(total);
	site_8(total);
	site_9(total);
	return 0;
}
