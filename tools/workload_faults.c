// SPDX-License-Identifier: MIT
/*
 * Known page faults from known functions, for the end-to-end tests: each
 * touch_* function below takes exactly the number of first-touch faults its
 * comment says, in the region it names.  Each is first called with 0 pages
 * so its code and stack pages are already mapped when it counts.
 *
 * Transparent huge pages are turned off for the process (one THP fault
 * would map 512 pages).  The file is sparse and never written, read with
 * MADV_RANDOM (no readahead: a fault reads one page) one page per 64 KiB
 * window, so the kernel's fault-around (16 pages by default, cached pages
 * only) never maps a page before its own touch.
 *
 * Usage: workload_faults [--wait] [--bench PAGES RUNS]
 *   --wait   print "ready" and wait for a line on stdin before touching,
 *            print "done" and wait for another line before exiting (-p tests)
 *   --bench  time first-touch faults: PAGES pages of a fresh anonymous
 *            mapping per run, RUNS runs; prints the median ns per fault
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define HEAP_PAGES 64
#define MMAP_PAGES 256
#define MMAP_TOUCHED 100
#define FILE_PAGES 512
#define FILE_TOUCHED 24
#define FILE_STRIDE 16 /* pages: one touch per fault-around window */
#define STACK_PAGES 32

/* HEAP_PAGES faults in the brk heap. */
__attribute__((noinline)) void touch_heap_pages(int pages)
{
	char *cur = sbrk(0), *base;
	uintptr_t pad = (PAGE - (uintptr_t)cur % PAGE) % PAGE;

	if (!pages)
		return;
	if (sbrk((intptr_t)(pad + pages * PAGE)) == (void *)-1) {
		perror("sbrk");
		exit(1);
	}
	base = cur + pad;
	for (int i = 0; i < pages; i++)
		((volatile char *)base)[i * PAGE] = 1;
}

/* MMAP_TOUCHED faults in an anonymous mapping of MMAP_PAGES pages. */
__attribute__((noinline)) void touch_mmap_pages(int pages)
{
	static char *map;

	if (!map) {
		map = mmap(NULL, MMAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
	}
	for (int i = 0; i < pages; i++)
		((volatile char *)map)[i * PAGE] = 1;
}

/* FILE_TOUCHED (read) faults in a file mapping. */
__attribute__((noinline)) int touch_file_pages(int pages, const char *map)
{
	int sum = 0;

	for (int i = 0; i < pages; i++)
		sum += ((volatile const char *)map)[i * FILE_STRIDE * PAGE];
	return sum;
}

static const char *map_file(void)
{
	char path[] = "/tmp/workload_faults.XXXXXX", *map;
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	unlink(path);
	/* Sparse and never written: no page is cached before its own fault
	 * (written data may sit in large folios, mapped many pages at once). */
	if (ftruncate(fd, FILE_PAGES * PAGE)) {
		perror("ftruncate");
		exit(1);
	}
	map = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap file");
		exit(1);
	}
	madvise(map, FILE_PAGES * PAGE, MADV_RANDOM);
	close(fd);
	return map;
}

/* STACK_PAGES faults on a fresh thread's stack, below everything it used. */
__attribute__((noinline)) void touch_stack_pages(int pages)
{
	volatile char buf[(STACK_PAGES + 2) * PAGE];
	volatile char *lo = (volatile char *)(((uintptr_t)buf + PAGE - 1) & ~(PAGE - 1));

	for (int i = 0; i < pages && i < STACK_PAGES; i++)
		lo[i * PAGE] = 1;
	buf[sizeof(buf) - 1] = 0;
}

static void *stack_thread(void *arg)
{
	(void)arg;
	touch_stack_pages(STACK_PAGES);
	return NULL;
}

static void wait_line(const char *say)
{
	char line[64];

	printf("%s\n", say);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* First-touch faults on fresh anonymous pages; median ns per fault over runs. */
__attribute__((noinline)) void bench_faults(long pages, int runs)
{
	uint64_t *ns = calloc((size_t)runs, sizeof(*ns));

	for (int r = 0; r < runs; r++) {
		char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t t0;

		if (m == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		t0 = now_ns();
		for (long i = 0; i < pages; i++)
			((volatile char *)m)[i * PAGE] = 1;
		ns[r] = (now_ns() - t0) / (uint64_t)pages;
		munmap(m, pages * PAGE);
	}
	qsort(ns, (size_t)runs, sizeof(*ns), cmp_u64);
	printf("bench: %ld pages x %d runs: median %llu ns/fault (min %llu, max %llu)\n", pages, runs,
	       (unsigned long long)ns[runs / 2], (unsigned long long)ns[0], (unsigned long long)ns[runs - 1]);
	free(ns);
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
	pthread_t th;
	const char *file;

	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	if (argc > 3 && strcmp(argv[1], "--bench") == 0) {
		bench_faults(atol(argv[2]), atoi(argv[3]));
		return 0;
	}
	file = map_file();
	if (wait)
		wait_line("ready");
	/* Warm-up: code and stack pages of every function are mapped first. */
	touch_heap_pages(0);
	touch_mmap_pages(0);
	touch_file_pages(0, file);
	touch_heap_pages(HEAP_PAGES);
	touch_mmap_pages(MMAP_TOUCHED);
	touch_file_pages(FILE_TOUCHED, file);
	if (pthread_create(&th, NULL, stack_thread, NULL) || pthread_join(th, NULL)) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	if (wait)
		wait_line("done");
	return 0;
}
