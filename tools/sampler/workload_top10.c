// SPDX-License-Identifier: MIT
/*
 * Ten allocation sites with known bytes, large enough that a 512 KiB
 * sampler's estimates are within 5% (tests/e2e/test_otel_top10.py):
 * site_N (N = 0..9) makes 24,000 + 1,000 N malloc+free pairs of 120 KiB
 * (2.75 to 3.78 GiB allocated), then holds N + 1 blocks of 16 MiB until exit
 * (never touched: no memory is used for them).  A held block missed by the
 * sampler is a whole block off its site's in-use estimate: at 4 MiB (8
 * periods, missed with probability e^-8) one of the 55 was missed in 1.8%
 * of runs (a CI run: site_6 at 6 of 7); at 16 MiB, e^-32 each.
 */
#include <stdio.h>
#include <stdlib.h>

#define SMALL (120u << 10)
#define BIG (16u << 20)

static void *held[64];
static int nheld;

/* The body is in each site (a macro, not a call): each site_N is its own
 * allocations' first frame. */
#define SITE(n)                                                        \
	__attribute__((noinline)) void site_##n(void)                  \
	{                                                              \
		for (unsigned i = 0; i < 24000 + 1000 * (n); i++) {    \
			void *p = malloc(SMALL);                       \
                                                                       \
			if (!p)                                        \
				exit(1);                               \
			*(volatile char *)p = 1;                       \
			free(p);                                       \
		}                                                      \
		for (unsigned i = 0; i <= (n); i++)                    \
			if (!(held[nheld++] = malloc(BIG)))            \
				exit(1);                               \
	}
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7) SITE(8) SITE(9)

int main(void)
{
	site_0();
	site_1();
	site_2();
	site_3();
	site_4();
	site_5();
	site_6();
	site_7();
	site_8();
	site_9();
	return 0;
}
