// SPDX-License-Identifier: MIT
/*
 * A cache server that already holds data when memtrace attaches: fills
 * --entries entries, prints "ready", then overwrites existing entries at
 * --rate entries/s (the old key and value freed, new ones of the same sizes
 * allocated: RSS stays flat) for --seconds.  From SIGUSR1 on it also leaks
 * --leak bytes/s in 1 KiB session records (leak_session) and prints
 * "leaking".  Used by the pre-attach leak tests.
 *
 * Usage: workload_cache [--entries N] [--rate N] [--seconds S] [--leak BYTES_PER_S]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
	char *key;
	char *value;
};

struct session {
	struct session *next;
	char payload[1016];
};

static struct entry *cache;
static struct session *sessions;
static volatile sig_atomic_t leak_on;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A slot's value keeps its size across overwrites: the heap stays flat. */
static size_t value_size(long slot)
{
	return 64 + (size_t)(slot * 37 % 512);
}

__attribute__((noinline)) static void cache_set(long slot, unsigned long version)
{
	struct entry *e = &cache[slot];
	char key[32];

	snprintf(key, sizeof(key), "k%08ld.%06lu", slot, version % 1000000);
	free(e->key);
	free(e->value);
	e->key = strdup(key);
	e->value = malloc(value_size(slot));
	memset(e->value, (int)(version & 0xff), value_size(slot));
}

/* A request's scratch buffer: allocated and freed within the request. */
__attribute__((noinline)) static void serve(long slot, unsigned long version)
{
	char *scratch = malloc(512);

	memset(scratch, 0, 512);
	cache_set(slot, version);
	free(scratch);
}

__attribute__((noinline)) static void leak_session(void)
{
	struct session *s = malloc(sizeof(*s));

	memset(s->payload, 0, sizeof(s->payload));
	s->next = sessions;
	sessions = s;
}

static void on_usr1(int sig)
{
	(void)sig;
	leak_on = 1;
}

int main(int argc, char **argv)
{
	long entries = 50000, rate = 500, leak = 16384, slot = 0;
	double seconds = 20, start, leak_due = 0, next;
	unsigned long version = 1, leaked = 0;
	int announced = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--entries"))
			entries = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--leak"))
			leak = atol(argv[i + 1]);
		else {
			fprintf(stderr, "workload_cache: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (entries < 1 || rate < 1 || leak < 0)
		return 2;
	signal(SIGUSR1, on_usr1);
	cache = calloc((size_t)entries, sizeof(*cache));
	for (long i = 0; i < entries; i++)
		cache_set(i, 0);
	printf("ready\n");
	fflush(stdout);
	start = next = now_s();
	while (now_s() - start < seconds) {
		double t;

		serve(slot, version);
		if (++slot == entries) {
			slot = 0;
			version++;
		}
		t = now_s();
		if (leak_on && leak) {
			if (!announced) {
				announced = 1;
				leak_due = t;
				printf("leaking\n");
				fflush(stdout);
			}
			/* 1 KiB records at the rate, on time. */
			for (; leak_due <= t; leak_due += (double)sizeof(struct session) / (double)leak) {
				leak_session();
				leaked++;
			}
		}
		next += 1.0 / (double)rate;
		if (next > t) {
			struct timespec ts = { (time_t)(next - t), (long)((next - t - (time_t)(next - t)) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	printf("leaked %lu records\n", leaked);
	return 0;
}
