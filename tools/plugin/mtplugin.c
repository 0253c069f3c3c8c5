// SPDX-License-Identifier: MIT
/* A library loaded with dlopen after memtrace attached: its frames must
 * still be named. */
#include <stdlib.h>

void *volatile plugin_sink[64];

__attribute__((noinline)) void plugin_alloc(int n)
{
	for (int i = 0; i < n && i < 64; i++)
		plugin_sink[i] = malloc(4000);
}
