// SPDX-License-Identifier: MIT
/*
 * A library that links libmemtrace-sampler.a privately (-Wl,--exclude-libs):
 * its own allocations go through its own copy of the sampler and carry the
 * otel_memory probes in this object.  workload_otel_dlopen loads it after
 * memtrace's Tracing line.  plugin_site allocates 256 MiB in 4 KiB blocks
 * and holds the last 4096 (16 MiB); plugin_release frees them.
 */
#include <stdlib.h>

#define KEEP 4096

static void *held[KEEP];

__attribute__((noinline)) static void plugin_site(void)
{
	for (size_t i = 0; i < (256u << 20) / 4096; i++) {
		free(held[i % KEEP]);
		held[i % KEEP] = malloc(4096);
	}
}

void plugin_work(void)
{
	plugin_site();
}

void plugin_release(void)
{
	for (int i = 0; i < KEEP; i++) {
		free(held[i]);
		held[i] = NULL;
	}
}
