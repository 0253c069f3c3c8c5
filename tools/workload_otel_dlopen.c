// SPDX-License-Identifier: MIT
/*
 * Loads a library that carries the otel_memory probes after the trace has
 * begun: workload_otel_dlopen LIBRARY FLAG [free] waits until the file FLAG
 * exists (a test creates it once memtrace's Tracing line is out), then
 * dlopens LIBRARY (build/tools/libotel_plugin.so) and runs its
 * plugin_work; with "free", plugin_release too, and it waits 300 ms so a
 * tracer sees the heap empty.  main_site allocates 64 MiB in 4 KiB blocks
 * through the program's own malloc first (held: 4 MiB).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP 1024

static void *held[KEEP];

__attribute__((noinline)) void main_site(void)
{
	for (size_t i = 0; i < (64u << 20) / 4096; i++) {
		free(held[i % KEEP]);
		held[i % KEEP] = malloc(4096);
	}
}

int main(int argc, char **argv)
{
	void (*work)(void), (*release)(void);
	void *lib;

	if (argc < 3) {
		fprintf(stderr, "usage: workload_otel_dlopen LIBRARY FLAG [free]\n");
		return 2;
	}
	main_site();
	for (int i = 0; access(argv[2], F_OK); i++) {
		if (i == 6000) {
			fprintf(stderr, "workload_otel_dlopen: %s never appeared\n", argv[2]);
			return 1;
		}
		usleep(10000);
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "workload_otel_dlopen: %s\n", dlerror());
		return 1;
	}
	work = (void (*)(void))dlsym(lib, "plugin_work");
	release = (void (*)(void))dlsym(lib, "plugin_release");
	if (!work || !release)
		return 1;
	work();
	if (argc > 3 && !strcmp(argv[3], "free")) {
		release();
		usleep(300000);
	}
	return 0;
}
