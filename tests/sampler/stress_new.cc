// SPDX-License-Identifier: MIT
/*
 * The sampler's operator new/delete wrappers under stress (make
 * sampler-test), built with ASan and UBSan over the sampler's objects
 * (ASan's operator new is then the next one) and without sanitizers over
 * libmemtrace-sampler.a: 4 threads allocate and free through every form
 * (plain, array, sized, aligned, nothrow, their deletes), one forks while
 * they run (without sanitizers: see stress.c), nothrow new of an impossible
 * size returns NULL and, without ASan (whose operator new aborts on it),
 * throwing new throws std::bad_alloc through the wrapper, which must leave
 * the thread sampling malloc again.  At the end every block is freed and
 * the set of live samples must be empty.  Exit 0 on success.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
#include "sampled_set.h"
#include "sampler.h"
extern volatile unsigned short otel_memory_alloc_semaphore, otel_memory_free_semaphore;
}

#define THREADS 4
#define ROUNDS 20000
#define KEEP 64

struct alignas(128) Wide {
	char b[384];
};

enum kind { PLAIN, ARRAY, NOTHROW, ARRAY_NOTHROW, ALIGNED, ALIGNED_ARRAY, ALIGNED_NOTHROW, SIZED, NKINDS };

struct block {
	void *p;
	size_t n;
	kind k;
};

static int go;
static uint64_t peak_live;
static volatile size_t huge = SIZE_MAX / 2;

static void fail(const char *what)
{
	fprintf(stderr, "sampler new stress: %s\n", what);
	exit(1);
}

static void *make(kind k, size_t n)
{
	switch (k) {
	case PLAIN:
		return ::operator new(n);
	case ARRAY:
		return new char[n];
	case NOTHROW:
		return ::operator new(n, std::nothrow);
	case ARRAY_NOTHROW:
		return new (std::nothrow) char[n];
	case ALIGNED:
		return new Wide;
	case ALIGNED_ARRAY:
		return new Wide[2];
	case ALIGNED_NOTHROW:
		return ::operator new(n, std::align_val_t(256), std::nothrow);
	case SIZED:
		return ::operator new(n);
	default:
		return nullptr;
	}
}

static void unmake(const block &b)
{
	switch (b.k) {
	case PLAIN:
		::operator delete(b.p);
		break;
	case ARRAY:
	case ARRAY_NOTHROW:
		delete[] static_cast<char *>(b.p);
		break;
	case NOTHROW:
		::operator delete(b.p, std::nothrow);
		break;
	case ALIGNED:
		delete static_cast<Wide *>(b.p);
		break;
	case ALIGNED_ARRAY:
		delete[] static_cast<Wide *>(b.p);
		break;
	case ALIGNED_NOTHROW:
		::operator delete(b.p, std::align_val_t(256), std::nothrow);
		break;
	case SIZED:
		::operator delete(b.p, b.n);
		break;
	default:
		break;
	}
}

static size_t block_bytes(kind k, size_t n)
{
	return k == ALIGNED ? sizeof(Wide) : k == ALIGNED_ARRAY ? 2 * sizeof(Wide) : n;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	block keep[KEEP] = {};

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	for (int r = 0; r < ROUNDS; r++) {
		int i = rand_r(&seed) % KEEP;
		size_t n = (size_t)(rand_r(&seed) % 4096) + 1;
		kind k = (kind)(rand_r(&seed) % NKINDS);
		void *p = make(k, n);

		if (!p)
			fail("an allocation failed");
		if (k == ALIGNED_NOTHROW && (uintptr_t)p % 256)
			fail("aligned new misaligned");
		if ((k == ALIGNED || k == ALIGNED_ARRAY) && (uintptr_t)p % alignof(Wide))
			fail("alignas new misaligned");
		memset(p, 0xa5, block_bytes(k, n));
		if (keep[i].p)
			unmake(keep[i]);
		keep[i] = block{ p, n, k };
		if (r % 4999 == 3 && ::operator new(huge, std::nothrow))
			fail("an impossible nothrow new succeeded");
		uint64_t live = sampled_set_live();
		if (live > __atomic_load_n(&peak_live, __ATOMIC_RELAXED))
			__atomic_store_n(&peak_live, live, __ATOMIC_RELAXED);
	}
	for (auto &b : keep)
		if (b.p)
			unmake(b);
	return nullptr;
}

static void forker()
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		fail("fork failed");
	if (pid == 0) {
		char *p[256];

		for (int i = 0; i < 256; i++)
			p[i] = new char[(size_t)i * 97 + 1];
		for (int i = 0; i < 256; i++)
			delete[] p[i];
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fail("the forked child did not exit cleanly");
}

/* A bad_alloc thrown through the wrapper must not leave the thread marked
 * as inside operator new (malloc would then never sample). */
static void bad_alloc_leaves_sampling_on()
{
#ifndef __SANITIZE_ADDRESS__
	void *p[64];
	bool threw = false;

	try {
		/* Kept in a volatile: a new/delete pair unused is elided. */
		static char *volatile q;

		q = new char[huge];
		delete[] q;
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	if (!threw)
		fail("an impossible new did not throw");
	for (auto &b : p)
		b = malloc(65536);
	if (!sampled_set_live())
		fail("malloc is not sampled after a bad_alloc went through operator new");
	for (auto &b : p)
		free(b);
#endif
}

int main()
{
	pthread_t th[THREADS];

	if (memtrace_sampler_period() != 4096)
		fail("MEMTRACE_SAMPLE_BYTES=4096 was not read (run it as make sampler-test does)");
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], nullptr, worker, (void *)(uintptr_t)(i + 1)))
			fail("pthread_create failed");
	otel_memory_alloc_semaphore = 1;
	otel_memory_free_semaphore = 1;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
#ifndef __SANITIZE_ADDRESS__
	usleep(1000);
	forker();
#endif
	for (auto &t : th)
		pthread_join(t, nullptr);
#ifdef __SANITIZE_ADDRESS__
	forker();
#endif
	if (!peak_live)
		fail("nothing was sampled: the sampling path did not run");
	if (sampled_set_live())
		fail("sampled blocks are still marked after every block was deleted");
	bad_alloc_leaves_sampling_on();
	if (sampled_set_live())
		fail("sampled blocks are still marked after the bad_alloc check");
	printf("sampler new stress: %d threads x %d rounds, every operator new/delete form, fork: ok "
	       "(peak %llu live samples)\n",
	       THREADS, ROUNDS, (unsigned long long)peak_live);
	return 0;
}
