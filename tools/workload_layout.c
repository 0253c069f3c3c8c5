// SPDX-License-Identifier: MIT
/*
 * A heap of padded structs, for `memtrace layout --profile`
 * (tests/e2e/test_layout.py): N orders allocated one by one with
 * malloc(sizeof(struct order)), one in four freed, and one calloc'd array
 * of ARRAY orders; every block still held at exit.  struct order is the
 * lesson's 32-byte layout; built with -DREORDERED it is the 16-byte order
 * `memtrace layout` suggests, so the two builds' live heaps show the
 * saving for real.  struct point (16 bytes, no padding) is a distractor.
 *
 * Usage: workload_layout [N] [wait]    (default 100000)
 * With "wait" (for -p): prints "ready", allocates after a line on stdin,
 * prints "done", and exits after another line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY 64

#ifndef REORDERED
struct order {
	bool paid;
	int64_t id;
	bool shipped;
	int32_t qty;
	bool gift;
};
#else
struct order {
	int64_t id;
	int32_t qty;
	bool paid;
	bool shipped;
	bool gift;
};
#endif

struct point {
	double x, y;
};

/* Results go here so the compiler keeps every call. */
struct order **orders;
struct order *volatile order_array;
struct point *volatile origin;

__attribute__((noinline)) struct order *new_order(int64_t id)
{
	struct order *o = malloc(sizeof(*o));

	if (o) {
		o->id = id;
		o->qty = (int32_t)(id % 7);
		o->paid = o->shipped = o->gift = false;
	}
	return o;
}

__attribute__((noinline)) struct point *new_point(void)
{
	return calloc(1, sizeof(struct point));
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	bool wait = argc > 2 && strcmp(argv[2], "wait") == 0;
	char line[64];

	if (n <= 0)
		return 64;
	if (wait) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	orders = malloc((size_t)n * sizeof(*orders));
	if (!orders)
		return 1;
	for (long i = 0; i < n; i++)
		orders[i] = new_order(i);
	for (long i = 0; i < n; i += 4) {
		free(orders[i]);
		orders[i] = NULL;
	}
	order_array = calloc(ARRAY, sizeof(struct order));
	origin = new_point();
	printf("orders %ld live %ld size %zu\n", n, n - (n + 3) / 4, sizeof(struct order));
	if (wait) {
		printf("done\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	return 0;
}
