// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "otel_memory.h"
#include "otel_sample.h"
#include "sampled_set.h"
#include "sampler.h"
#include "sampler_hooks.h"

#define EXPORT __attribute__((visibility("default")))

/* The semaphores the kernel counts up while a profiler's probe is attached
 * (sdt.h looks for <provider>_<name>_semaphore in .probes). */
EXPORT volatile unsigned short otel_memory_alloc_semaphore __attribute__((section(".probes")));
EXPORT volatile unsigned short otel_memory_free_semaphore __attribute__((section(".probes")));

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*memalign_fn)(size_t, size_t);

static malloc_fn next_malloc;
static calloc_fn next_calloc;
static realloc_fn next_realloc;
static free_fn next_free;
static posix_memalign_fn next_posix_memalign;
static memalign_fn next_aligned_alloc, next_memalign;

uint64_t sampler_period_bytes = MEMTRACE_SAMPLER_DEFAULT_BYTES;

__thread struct sampler_thread sampler_ts __attribute__((tls_model("initial-exec")));

/*
 * dlsym may itself call calloc (its error buffer) before the next
 * allocator is known: those few calls are served from here, and their
 * frees ignored.
 */
static char boot_arena[16384] __attribute__((aligned(16)));
static size_t boot_used;

/* Both run before a sanitizer's runtime is up (the stress test's ASan
 * build calls malloc from its own init): not instrumented. */
#define BOOT_CODE __attribute__((no_sanitize_address))

BOOT_CODE static void *boot_alloc(size_t n)
{
	size_t at = __atomic_fetch_add(&boot_used, (n + 15) & ~(size_t)15, __ATOMIC_RELAXED);

	if (at + n > sizeof(boot_arena))
		return NULL;
	return boot_arena + at;
}

static bool is_boot(const void *p)
{
	return (const char *)p >= boot_arena && (const char *)p < boot_arena + sizeof(boot_arena);
}

BOOT_CODE static void resolve(void)
{
	static int resolving;

	if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL))
		return;
	next_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
	next_malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
	next_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
	next_free = (free_fn)dlsym(RTLD_NEXT, "free");
	next_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
	next_aligned_alloc = (memalign_fn)dlsym(RTLD_NEXT, "aligned_alloc");
	next_memalign = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
}

/* The period is read here, not in resolve(): the first malloc may come
 * from the dynamic linker before the environment is set up. */
__attribute__((constructor)) static void sampler_init(void)
{
	const char *env;

	if (!next_malloc)
		resolve();
	env = getenv("MEMTRACE_SAMPLE_BYTES");
	if (env && *env) {
		char *end;
		unsigned long long n = strtoull(env, &end, 10);

		if (!*end && n >= 1 && n <= (1ull << 40))
			sampler_period_bytes = n;
	}
}

/* Whether an allocation of size bytes is sampled.  Cold: reached only
 * while a profiler has the alloc probe enabled. */
__attribute__((noinline)) bool sampler_take_sample(size_t size)
{
	return otel_sample_take(&sampler_ts.left, &sampler_ts.rng, &sampler_ts, size, sampler_period_bytes);
}

EXPORT void *malloc(size_t size)
{
	void *p;

	if (__builtin_expect(!next_malloc, 0)) {
		resolve();
		if (!next_malloc)
			return boot_alloc(size);
	}
	p = next_malloc(size);
	sampler_after_alloc(p, size);
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	void *p;
	size_t total;

	if (__builtin_expect(!next_calloc, 0)) {
		resolve();
		if (!next_calloc) {
			if (__builtin_mul_overflow(n, size, &total))
				return NULL;
			return boot_alloc(total); /* static: already zero */
		}
	}
	p = next_calloc(n, size);
	if (p && OTEL_MEMORY_ALLOC_ENABLED())
		sampler_after_alloc(p, n * size);
	return p;
}

EXPORT void free(void *p)
{
	if (__builtin_expect(is_boot(p), 0))
		return;
	sampler_before_free(p);
	if (__builtin_expect(!next_free, 0))
		resolve();
	next_free(p);
}

EXPORT void *realloc(void *old, size_t size)
{
	bool was_sampled = false;
	void *p;

	if (__builtin_expect(!next_realloc || is_boot(old), 0)) {
		if (!next_realloc)
			resolve();
		if (is_boot(old)) {
			/* A block from the boot arena moves to the real heap. */
			p = malloc(size);
			if (p)
				memcpy(p, old, size < sizeof(boot_arena) - (size_t)((char *)old - boot_arena) ?
						       size : sizeof(boot_arena) - (size_t)((char *)old - boot_arena));
			return p;
		}
	}
	/* Unmarked before the call: once realloc has freed old, another thread
	 * may be handed the same address, sample it and mark it. */
	if (old && sampled_set_live())
		was_sampled = sampled_set_remove((uintptr_t)old);
	p = next_realloc(old, size);
	if (was_sampled) {
		if (!p && size) {
			/* Failed: old is still the program's, and still sampled. */
			if (!sampled_set_insert((uintptr_t)old) && OTEL_MEMORY_FREE_ENABLED())
				OTEL_MEMORY_FREE(old);
			return p;
		}
		if (OTEL_MEMORY_FREE_ENABLED())
			OTEL_MEMORY_FREE(old);
	}
	sampler_after_alloc(p, size);
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int err;

	if (__builtin_expect(!next_posix_memalign, 0)) {
		resolve();
		if (!next_posix_memalign)
			return ENOMEM;
	}
	err = next_posix_memalign(out, align, size);
	if (!err)
		sampler_after_alloc(*out, size);
	return err;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (__builtin_expect(!next_aligned_alloc, 0)) {
		resolve();
		if (!next_aligned_alloc)
			return NULL;
	}
	p = next_aligned_alloc(align, size);
	sampler_after_alloc(p, size);
	return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
	void *p;

	if (__builtin_expect(!next_memalign, 0)) {
		resolve();
		if (!next_memalign)
			return NULL;
	}
	p = next_memalign(align, size);
	sampler_after_alloc(p, size);
	return p;
}

EXPORT uint64_t memtrace_sampler_period(void)
{
	return sampler_period_bytes;
}

EXPORT uint64_t memtrace_sampler_refused(void)
{
	return sampled_set_refused();
}

/* For sampler_new.c's fallbacks (sampler_hooks.h). */
void *sampler_next_malloc(size_t size)
{
	if (__builtin_expect(!next_malloc, 0))
		resolve();
	return next_malloc ? next_malloc(size) : NULL;
}

int sampler_next_posix_memalign(void **out, size_t align, size_t size)
{
	if (__builtin_expect(!next_posix_memalign, 0))
		resolve();
	return next_posix_memalign ? next_posix_memalign(out, align, size) : ENOMEM;
}

void sampler_next_free(void *p)
{
	if (__builtin_expect(is_boot(p), 0))
		return;
	if (__builtin_expect(!next_free, 0))
		resolve();
	next_free(p);
}
