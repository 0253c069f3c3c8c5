// SPDX-License-Identifier: MIT
/*
 * A program with its own allocators that never call malloc: a pool and an
 * arena over a static buffer.  memtrace probes them with
 *   --alloc pool_alloc:size=arg2 --free pool_release:ptr=arg2
 *   --realloc pool_resize:ptr=arg2:size=arg3 --alloc arena_alloc:size=arg3:count=arg2
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static _Alignas(16) unsigned char heap[1 << 20];
static size_t top;
/* Observable, so the compiler keeps every call to pool_release. */
volatile size_t released;

struct pool {
	int id;
};

__attribute__((noinline)) void *pool_alloc(struct pool *p, size_t n)
{
	void *r = heap + top;

	(void)p;
	top += (n + 15) & ~(size_t)15;
	return r;
}

__attribute__((noinline)) void pool_release(struct pool *p, void *ptr)
{
	(void)p;
	/* A bump allocator never reuses: release is bookkeeping only. */
	released += ptr != NULL;
}

__attribute__((noinline)) void *pool_resize(struct pool *p, void *ptr, size_t n)
{
	void *r = pool_alloc(p, n);

	memmove(r, ptr, n / 2);
	pool_release(p, ptr);
	return r;
}

__attribute__((noinline)) void *arena_alloc(struct pool *p, size_t count, size_t size)
{
	return pool_alloc(p, count * size);
}

void *volatile sink[64];

__attribute__((noinline)) void use_pool(struct pool *p)
{
	for (int i = 0; i < 10; i++)
		sink[i] = pool_alloc(p, 100);
	for (int i = 0; i < 4; i++)
		pool_release(p, sink[i]);
}

__attribute__((noinline)) void use_arena(struct pool *p)
{
	for (int i = 0; i < 3; i++)
		sink[20 + i] = arena_alloc(p, 8, 32);
}

__attribute__((noinline)) void use_resize(struct pool *p)
{
	void *b = pool_alloc(p, 64);

	sink[30] = pool_resize(p, b, 4096);
}

int main(void)
{
	struct pool p = { 1 };

	use_pool(&p);
	use_arena(&p);
	use_resize(&p);
	return 0;
}
