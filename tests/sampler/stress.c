// SPDX-License-Identifier: MIT
/*
 * The sampler under stress, built with ASan and UBSan (make sampler-test):
 * 4 threads allocate through every wrapped function with realloc's edge
 * cases (NULL, 0, grow, shrink, failure), one thread forks mid-run and the
 * child allocates and frees before it exits.  The probes are enabled by
 * setting the semaphores directly (as the kernel does when a profiler
 * attaches), so the sampling path runs; at the end every block is freed and
 * the set of live samples must be empty again.  Exit 0 on success.
 *
 * Built twice (make sampler-test): with ASan and UBSan, where the fork comes
 * after the workers stop (gcc 12's ASan allocator keeps its locks across
 * fork(), so a child forked while a thread is inside ASan's malloc hangs in
 * ASan itself), and without sanitizers over libmemtrace-sampler.a, where the
 * fork comes while the 4 workers run, inside or between hooks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sampled_set.h"
#include "sampler.h"

extern volatile unsigned short otel_memory_alloc_semaphore, otel_memory_free_semaphore;

#define THREADS 4
#define ROUNDS 20000
#define KEEP 64

static uint64_t peak_live;
/* Threads start after the probes are on, and the probes go on after every
 * thread exists: glibc keeps a thread's TLS blocks (malloc'd) for reuse
 * past its exit, which would otherwise count as live samples at the end. */
static int go;
/* volatile: the compiler would refuse a constant this large. */
static volatile size_t huge = SIZE_MAX - 4096;

static int fail(const char *what)
{
	fprintf(stderr, "sampler stress: %s\n", what);
	exit(1);
}

static void check(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			fail("a block's contents changed under the sampler");
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *keep[KEEP] = { 0 };
	size_t size[KEEP] = { 0 };

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;

	for (int r = 0; r < ROUNDS; r++) {
		int i = rand_r(&seed) % KEEP;
		size_t n = (size_t)(rand_r(&seed) % 4096) + 1;
		void *p = NULL;

		switch (rand_r(&seed) % 8) {
		case 0:
			p = malloc(n);
			break;
		case 1:
			p = calloc(n, 1);
			check(p, n, 0);
			break;
		case 2:
			if (posix_memalign(&p, 64, n))
				fail("posix_memalign failed");
			if ((uintptr_t)p % 64)
				fail("posix_memalign misaligned");
			break;
		case 3:
			p = aligned_alloc(128, (n + 127) & ~(size_t)127);
			n = (n + 127) & ~(size_t)127;
			break;
		case 4:
			p = memalign(32, n);
			break;
		case 5: /* realloc: grow or shrink the kept block, keeping its bytes */
			if (keep[i]) {
				size_t common = size[i] < n ? size[i] : n;

				memset(keep[i], 0x5a, size[i]);
				p = realloc(keep[i], n);
				if (!p)
					fail("realloc failed");
				check(p, common, 0x5a);
				keep[i] = NULL;
			} else {
				p = realloc(NULL, n); /* realloc(NULL, n) is malloc */
			}
			break;
		case 6: /* realloc(p, 0) frees (glibc) */
			if (keep[i]) {
				free(realloc(keep[i], 0));
				keep[i] = NULL;
			}
			continue;
		case 7: /* a failing realloc leaves the block as it was (rarely:
			 * ASan warns of each) */
			if (keep[i] && r % 1000 == 7) {
				errno = 0;
				if (realloc(keep[i], huge))
					fail("an impossible realloc succeeded");
				if (malloc_usable_size(keep[i]) < size[i])
					fail("malloc_usable_size shrank");
			}
			continue;
		}
		if (!p)
			fail("an allocation failed");
		memset(p, 0xa5, n);
		free(keep[i]);
		keep[i] = p;
		size[i] = n;
		uint64_t live = sampled_set_live();
		if (live > __atomic_load_n(&peak_live, __ATOMIC_RELAXED))
			__atomic_store_n(&peak_live, live, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < KEEP; i++)
		free(keep[i]);
	return NULL;
}

static void *forker(void *arg)
{
	pid_t pid;
	int st;

	(void)arg;
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	usleep(1000);
	pid = fork();
	if (pid < 0)
		fail("fork failed");
	if (pid == 0) {
		/* The child: another thread may have been mid-hook at fork; the
		 * hooks hold no lock, so this must not hang. */
		void *p[256];

		for (int i = 0; i < 256; i++)
			p[i] = malloc((size_t)i * 97 + 1);
		for (int i = 0; i < 256; i++)
			free(p[i]);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("the forked child did not exit cleanly");
	return NULL;
}

int main(void)
{
	pthread_t th[THREADS + 1];

	if (memtrace_sampler_period() != 4096)
		fail("MEMTRACE_SAMPLE_BYTES=4096 was not read (run it as make sampler-test does)");
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)))
			fail("pthread_create failed");
#ifndef STRESS_FORK_AFTER
	if (pthread_create(&th[THREADS], NULL, forker, NULL))
		fail("pthread_create failed");
#endif
	otel_memory_alloc_semaphore = 1;
	otel_memory_free_semaphore = 1;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
#ifdef STRESS_FORK_AFTER
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	forker(NULL);
#else
	for (int i = 0; i <= THREADS; i++)
		pthread_join(th[i], NULL);
#endif
	if (!peak_live)
		fail("nothing was sampled: the sampling path did not run");
	if (sampled_set_live()) {
		fail("sampled blocks are still marked after every block was freed");
	}
	printf("sampler stress: %d threads x %d rounds, fork, realloc edge cases: ok (peak %llu live samples, "
	       "%llu refused)\n",
	       THREADS, ROUNDS, (unsigned long long)peak_live, (unsigned long long)memtrace_sampler_refused());
	return 0;
}
