// SPDX-License-Identifier: MIT
/*
 * A service-like heap: request buffers that live for one request, a bounded
 * LRU-ish cache that churns at a flat size, a free-list pool, and optionally
 * one function that leaks at a steady rate.  Used by the demo, the leak
 * tests (leaky and steady variants) and the benchmark.
 *
 * Usage: workload_service [--seconds N] [--leak-bytes-per-s N] [--leak-after S]
 *                         [--cache-entries N] [--prefill 0|1] [--rps N] [--threads N]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct config {
	double seconds, leak_after;
	long leak_rate, cache_entries, rps;
	int threads;
	int prefill; /* warm the cache before serving: a steady service */
};

static struct config cfg = { 10, 0, 0, 4096, 20000, 2, 0 };

struct entry {
	char *key;
	void *value;
	size_t size;
};

static struct entry *cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

#define POOL_MAX 256
static void *pool[POOL_MAX];
static int pool_n;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* The leak: session records appended to a list nobody trims. */
struct session {
	struct session *next;
	char payload[];
};
static struct session *sessions;
static pthread_mutex_t leak_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long leaked;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void *pool_get(void)
{
	void *p = NULL;

	pthread_mutex_lock(&pool_lock);
	if (pool_n)
		p = pool[--pool_n];
	pthread_mutex_unlock(&pool_lock);
	return p ? p : malloc(2048);
}

__attribute__((noinline)) static void pool_put(void *p)
{
	pthread_mutex_lock(&pool_lock);
	if (pool_n < POOL_MAX) {
		pool[pool_n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	free(p);
}

__attribute__((noinline)) static void cache_put(unsigned long id)
{
	struct entry *e = &cache[id % (unsigned long)cfg.cache_entries];
	char key[32];

	/* Fixed width: keys that grow a digit would make the cache grow too. */
	snprintf(key, sizeof(key), "k%012lu", id);
	pthread_mutex_lock(&cache_lock);
	free(e->key);
	free(e->value);
	e->key = strdup(key);
	e->size = 64 + id % 512;
	e->value = malloc(e->size);
	memset(e->value, 1, e->size);
	pthread_mutex_unlock(&cache_lock);
}

__attribute__((noinline)) static void remember_session(size_t n)
{
	struct session *s = malloc(sizeof(*s) + n);

	memset(s->payload, 0, n);
	pthread_mutex_lock(&leak_lock);
	s->next = sessions;
	sessions = s;
	pthread_mutex_unlock(&leak_lock);
	leaked += (long)n;
}

__attribute__((noinline)) static void handle_request(unsigned long id)
{
	char *body = malloc(256 + id % 4096);
	void *scratch = pool_get();

	memset(body, 0, 256);
	memcpy(scratch, body, 64);
	if (id % 4 == 0)
		cache_put(id);
	pool_put(scratch);
	free(body);
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	double start = now_s(), per = cfg.threads / (double)cfg.rps;
	double leak_due = start + cfg.leak_after;
	unsigned long n = 0;

	/* A warm cache, filled the way serving fills it: the same stacks. */
	if (cfg.prefill && id == 0)
		for (long i = 0; i < cfg.cache_entries; i++)
			handle_request((unsigned long)i * 4);
	while (now_s() - start < cfg.seconds) {
		handle_request((unsigned long)id + n++ * (unsigned long)cfg.threads);
		if (cfg.leak_rate && id == 0) {
			/* 1 KiB records at leak_rate bytes/s, on time. */
			double t = now_s();

			while (t - start >= cfg.leak_after && leak_due <= t) {
				remember_session(1024);
				leak_due += 1024.0 / cfg.leak_rate;
			}
		}
		if (per > 1e-6) {
			struct timespec ts = { 0, (long)(per * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[16];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			cfg.seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--leak-bytes-per-s"))
			cfg.leak_rate = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--leak-after"))
			cfg.leak_after = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--cache-entries"))
			cfg.cache_entries = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--rps"))
			cfg.rps = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			cfg.threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--prefill"))
			cfg.prefill = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "workload_service: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (cfg.threads < 1 || cfg.threads > 16 || cfg.cache_entries < 1 || cfg.rps < 1)
		return 2;
	cache = calloc((size_t)cfg.cache_entries, sizeof(*cache));

	for (int i = 0; i < cfg.threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < cfg.threads; i++)
		pthread_join(t[i], NULL);
	printf("leaked %ld bytes\n", (long)leaked);
	return 0;
}
