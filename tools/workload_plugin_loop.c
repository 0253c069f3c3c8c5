// SPDX-License-Identifier: MIT
/*
 * For the container tests: loads PLUGIN.so with dlopen, says "ready", then
 * for each line N on stdin calls the plugin's plugin_alloc(N) (N blocks of
 * 4,000 bytes) and says "done"; exits at end of input.
 * Usage: workload_plugin_loop PLUGIN.so
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	void (*plugin_alloc)(int);
	char line[32];
	void *h;

	if (argc != 2 || !(h = dlopen(argv[1], RTLD_NOW))) {
		fprintf(stderr, "workload_plugin_loop: %s\n", argc == 2 ? dlerror() : "usage: PLUGIN.so");
		return 2;
	}
	*(void **)&plugin_alloc = dlsym(h, "plugin_alloc");
	if (!plugin_alloc)
		return 2;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		plugin_alloc(atoi(line));
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
