// SPDX-License-Identifier: MIT
/*
 * Linked against jemalloc (DT_NEEDED, not LD_PRELOAD): its malloc serves the
 * process, and its non-standard mallocx/rallocx/sdallocx/dallocx are used
 * directly.  Declared here so no jemalloc headers are needed.
 */
#include <stdlib.h>

void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
void sdallocx(void *ptr, size_t size, int flags);
void dallocx(void *ptr, int flags);

void *volatile sink[32];

__attribute__((noinline)) void use_mallocx(void)
{
	for (int i = 0; i < 8; i++)
		sink[i] = mallocx(256, 0);
	sdallocx(sink[0], 256, 0);
	dallocx(sink[1], 0);
	sink[2] = rallocx(sink[2], 4096, 0);
}

__attribute__((noinline)) void use_malloc(void)
{
	for (int i = 0; i < 5; i++)
		sink[10 + i] = malloc(100);
	free(sink[10]);
}

int main(void)
{
	use_mallocx();
	use_malloc();
	return 0;
}
