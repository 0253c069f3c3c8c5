// SPDX-License-Identifier: MIT
/*
 * Allocates 256 blocks of 4 KiB from make_garbage() (1 MiB, the peak in
 * use), frees every one, then idles for ARG seconds (default 1.5) so a
 * live view is printed while nothing is in use.
 * Usage: workload_freeall [seconds]
 */
#include <stdlib.h>
#include <time.h>

void *volatile blocks[256];

__attribute__((noinline)) void make_garbage(void)
{
	for (int i = 0; i < 256; i++)
		blocks[i] = malloc(4096);
}

__attribute__((noinline)) void drop_garbage(void)
{
	for (int i = 0; i < 256; i++)
		free(blocks[i]);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.5;
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	make_garbage();
	drop_garbage();
	nanosleep(&ts, NULL);
	return 0;
}
