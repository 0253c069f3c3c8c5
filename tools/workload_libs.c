// SPDX-License-Identifier: MIT
/*
 * A process with many shared libraries, for the attach benchmark: loads
 * every library given (copies of one library load as distinct objects),
 * calls each one's plugin_alloc, says "ready", and waits for a line on
 * stdin before exiting.
 * Usage: workload_libs LIB.so...
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char line[16];

	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		void (*fn)(int);

		if (!h) {
			fprintf(stderr, "workload_libs: %s\n", dlerror());
			return 1;
		}
		*(void **)&fn = dlsym(h, "plugin_alloc");
		if (fn)
			fn(1);
	}
	printf("ready\n");
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) ? 0 : 1;
}
