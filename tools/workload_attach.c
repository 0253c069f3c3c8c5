// SPDX-License-Identifier: MIT
/*
 * For attaching to a running process: allocates blocks, says "ready", waits
 * for a line on stdin (memtrace attaches meanwhile), then frees the old
 * blocks (memtrace must ignore those frees), allocates known new ones, loads
 * a plugin with dlopen that allocates too, and waits for a second line
 * before exiting.
 * Usage: workload_attach PLUGIN.so
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define OLD 50

void *volatile old_blocks[OLD];
void *volatile new_blocks[32];

__attribute__((noinline)) void before_attach(void)
{
	for (int i = 0; i < OLD; i++)
		old_blocks[i] = malloc(512);
}

__attribute__((noinline)) void free_old(void)
{
	for (int i = 0; i < OLD; i++)
		free(old_blocks[i]);
}

__attribute__((noinline)) void after_attach(void)
{
	for (int i = 0; i < 20; i++)
		new_blocks[i] = malloc(300);
	for (int i = 0; i < 5; i++)
		free(new_blocks[i]);
}

static void wait_line(void)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin))
		exit(2);
}

int main(int argc, char **argv)
{
	void *plugin;
	void (*plugin_alloc)(int);

	before_attach();
	printf("ready\n");
	fflush(stdout);
	wait_line();
	free_old();
	after_attach();
	plugin = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	if (!plugin) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 3;
	}
	plugin_alloc = (void (*)(int))dlsym(plugin, "plugin_alloc");
	if (!plugin_alloc)
		return 4;
	plugin_alloc(7);
	printf("done\n");
	fflush(stdout);
	wait_line();
	return 0;
}
