/* The heap's memory: size classes, span-aligned arenas, the free span
 * stack and large-object mappings. Knows nothing about marking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* Block sizes, header included. Spacing keeps internal waste under ~20%. */
uint32_t class_size[] = {
	0, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
	640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 4096, 5120, 6144, 8192,
};
int nclasses = sizeof(class_size) / sizeof(class_size[0]);

static uint8_t class_of16[MAX_SMALL / 16 + 1]; /* (bytes + 15) / 16 -> class */

int size_to_class(size_t block_bytes)
{
	return class_of16[(block_bytes + 15) >> 4];
}

static void *map_aligned(size_t size)
{
	size_t len = size + SPAN_SIZE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	/* Over-map then trim both ends so the result is SPAN_SIZE aligned:
	 * span_of() relies on masking an object address. */
	a = ((uintptr_t)p + SPAN_SIZE - 1) & SPAN_MASK;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len > a + size)
		munmap((char *)a + size, (uintptr_t)p + len - (a + size));
	return (void *)a;
}

int heap_init(void)
{
	int c = 1;

	for (size_t i = 0; i <= MAX_SMALL / 16; i++) {
		while (class_size[c] < i * 16)
			c++;
		class_of16[i] = (uint8_t)c;
	}
	class_of16[0] = 1;
	rt.classes = calloc((size_t)nclasses, sizeof(*rt.classes));
	if (!rt.classes)
		return -ENOMEM;
	for (int i = 0; i < nclasses; i++)
		pthread_mutex_init(&rt.classes[i].lock, NULL);
	return 0;
}

void heap_fini(void)
{
	for (size_t i = 0; i < rt.narenas; i++) {
		ASAN_UNPOISON(rt.arenas[i], ARENA_SPANS * SPAN_SIZE);
		munmap(rt.arenas[i], ARENA_SPANS * SPAN_SIZE);
	}
	free(rt.arenas);
	rt.arenas = NULL;
	rt.narenas = rt.arenas_cap = 0;
	rt.free_spans = rt.released_spans = NULL;
	rt.nfree_spans = rt.nreleased_spans = 0;
	for (int i = 0; i < 2; i++) {
		while (rt.large[i]) {
			struct span *s = rt.large[i];

			rt.large[i] = s->next;
			munmap(s, s->map_size);
		}
	}
	for (int i = 0; i < nclasses; i++)
		pthread_mutex_destroy(&rt.classes[i].lock);
	free(rt.classes);
	rt.classes = NULL;
}

static int arena_grow(void)
{
	char *a = map_aligned(ARENA_SPANS * SPAN_SIZE);

	if (!a)
		return -ENOMEM;
	if (rt.narenas == rt.arenas_cap) {
		size_t cap = rt.arenas_cap ? rt.arenas_cap * 2 : 16;
		void **n = realloc(rt.arenas, cap * sizeof(*n));

		if (!n) {
			munmap(a, ARENA_SPANS * SPAN_SIZE);
			return -ENOMEM;
		}
		rt.arenas = n;
		rt.arenas_cap = cap;
	}
	rt.arenas[rt.narenas++] = a;
	/* Untouched pages cost nothing yet: these count as released. */
	for (int i = ARENA_SPANS - 1; i >= 0; i--) {
		struct span *s = (struct span *)(a + (size_t)i * SPAN_SIZE);

		s->next = rt.released_spans;
		rt.released_spans = s;
	}
	rt.nreleased_spans += ARENA_SPANS;
	atomic_fetch_add(&rt.heap_sys, ARENA_SPANS * SPAN_SIZE);
	return 0;
}

void span_reset_freelist(struct span *s)
{
	void *head = NULL;

	/* Never-used blocks stay out of the list and are handed out by
	 * bumping: building a list through them would fault in every page
	 * of a fresh span at once, which shows up as allocation stalls. */
	s->nfree = s->nblocks - s->bump;
	/* Built backwards so allocation walks addresses upwards. */
	for (uint32_t i = s->bump; i-- > 0;) {
		if (s->alloc[i >> 6] & (UINT64_C(1) << (i & 63)))
			continue;
		char *b = s->base + (size_t)i * s->block_size;
		*(void **)b = head;
		head = b;
		s->nfree++;
	}
	s->freelist = head;
}

struct span *span_new(int cls)
{
	struct span *s;

	pthread_mutex_lock(&rt.span_lock);
	if ((s = rt.free_spans)) {
		rt.free_spans = s->next;
		rt.nfree_spans--;
	} else {
		if (!rt.released_spans && arena_grow()) {
			pthread_mutex_unlock(&rt.span_lock);
			return NULL;
		}
		s = rt.released_spans;
		rt.released_spans = s->next;
		rt.nreleased_spans--;
	}
	pthread_mutex_unlock(&rt.span_lock);

	/* A recycled span still carries the poison of its last life. */
	ASAN_UNPOISON(s, SPAN_SIZE);
	memset(s, 0, sizeof(*s));
	s->magic = SPAN_MAGIC;
	s->cls = (uint16_t)cls;
	s->block_size = class_size[cls];
	s->base = (char *)s + SPAN_HDR_SIZE;
	s->nblocks = (uint32_t)((SPAN_SIZE - SPAN_HDR_SIZE) / s->block_size);
	if (REFGC_DEBUG)
		memset(s->base, POISON_BYTE, SPAN_SIZE - SPAN_HDR_SIZE);
	span_reset_freelist(s);
	stats_note_heap_inuse((int64_t)SPAN_SIZE);
	return s;
}

void span_free(struct span *s)
{
	s->magic = 0;
	stats_note_heap_inuse(-(int64_t)SPAN_SIZE);
	pthread_mutex_lock(&rt.span_lock);
	s->next = rt.free_spans;
	rt.free_spans = s;
	rt.nfree_spans++;
	pthread_mutex_unlock(&rt.span_lock);
}

void heap_scavenge(uint64_t keep_bytes)
{
	size_t keep = (size_t)(keep_bytes / SPAN_SIZE);

	for (;;) {
		struct span *batch = NULL, *s;
		size_t n = 0;

		/* madvise outside the lock, a batch at a time: span_new must
		 * not wait for system calls. */
		pthread_mutex_lock(&rt.span_lock);
		while (n < 64 && rt.nfree_spans > keep) {
			s = rt.free_spans;
			rt.free_spans = s->next;
			rt.nfree_spans--;
			s->next = batch;
			batch = s;
			n++;
		}
		pthread_mutex_unlock(&rt.span_lock);
		if (!batch)
			return;
		for (s = batch; s;) {
			struct span *next = s->next;

			ASAN_UNPOISON(s, SPAN_SIZE);
			madvise(s, SPAN_SIZE, MADV_DONTNEED);
			s = next;
		}
		pthread_mutex_lock(&rt.span_lock);
		while (batch) {
			s = batch;
			batch = s->next;
			/* Writing the link touches one page of the 16 again. */
			s->next = rt.released_spans;
			rt.released_spans = s;
			rt.nreleased_spans++;
		}
		pthread_mutex_unlock(&rt.span_lock);
	}
}

uint64_t heap_released_bytes(void)
{
	size_t n;

	pthread_mutex_lock(&rt.span_lock);
	n = rt.nreleased_spans;
	pthread_mutex_unlock(&rt.span_lock);
	return (uint64_t)n * (SPAN_SIZE - 4096);
}

struct span *large_new(size_t block_bytes)
{
	size_t size = (SPAN_HDR_SIZE + block_bytes + 4095) & ~(size_t)4095;
	struct span *s;

	if (block_bytes > (SIZE_MAX >> 2))
		return NULL;
	s = map_aligned(size);
	if (!s)
		return NULL;
	s->magic = SPAN_MAGIC;
	s->cls = 0;
	s->block_size = (uint32_t)(block_bytes > UINT32_MAX ? UINT32_MAX : block_bytes);
	s->nblocks = 1;
	s->base = (char *)s + SPAN_HDR_SIZE;
	s->map_size = size;
	s->alloc[0] = 1;
	atomic_fetch_add(&rt.heap_sys, size);
	stats_note_heap_inuse((int64_t)size);
	return s;
}

void large_free(struct span *s)
{
	size_t size = s->map_size;

	atomic_fetch_sub(&rt.heap_sys, size);
	stats_note_heap_inuse(-(int64_t)size);
	munmap(s, size);
}
