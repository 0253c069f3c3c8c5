// SPDX-License-Identifier: MIT
/*
 * Allocator workloads for the benchmark (tools/bench.py).  Each mode times
 * its own loop with CLOCK_MONOTONIC, after an untimed warm-up, so the cost
 * of starting and stopping a tracer is never in the figure, and prints one
 * line of JSON on stdout:
 *
 *   {"mode": "...", "ops": N, "ns": T, "ns_per_op": x, "cpu_ns_per_op": c, ...}
 *
 * (cpu_ns_per_op: the timed thread's own CPU time per op, a cross-check that
 * holds when the machine is busy with other work.)
 *
 * Usage:
 *   bench_alloc loop  N [THREADS]  malloc(64)/free pairs; N pairs per thread;
 *                                  ns_per_op = mean over threads of that
 *                                  thread's loop time / N (per-thread cost
 *                                  of one pair, not throughput)
 *   bench_alloc mix   N            N steps of a service-like mix (sizes
 *                                  16..8192 from a fixed distribution,
 *                                  calloc and realloc sometimes, a ring of
 *                                  1024 live blocks freed later); one op =
 *                                  one allocator call (malloc, calloc,
 *                                  realloc or free); "traps" counts the
 *                                  uprobe hits a tracer with an entry probe
 *                                  on each and a return probe on all but
 *                                  free would take
 *   bench_alloc deep  N DEPTH      the loop's pairs, on the main thread,
 *                                  under DEPTH more calls of ~128-byte
 *                                  frames: what a stack walk costs when
 *                                  the stack is as deep as real code's
 *   bench_alloc pages N            N fresh anonymous pages: mmap a chunk,
 *                                  write one byte per page, munmap; one op =
 *                                  one page (one minor fault, "faults" says
 *                                  how many the kernel counted)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time (user + system, the uprobe traps included): unlike
 * the wall time it does not grow when other processes take the CPU. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_alloc loop N [THREADS] | mix N | deep N DEPTH | pages N\n");
	exit(2);
}

static long parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0)
		usage();
	return v;
}

/* ---- loop: malloc(64)/free pairs ---------------------------------------- */


struct loop_arg {
	long n;
	pthread_barrier_t *start;
	uint64_t ns, cpu;
};

__attribute__((noinline)) static void loop_pairs(long n)
{
	for (long i = 0; i < n; i++) {
		/* Through a volatile: gcc deletes a malloc whose block is only freed. */
		void *volatile p = malloc(64);

		free(p);
	}
}

static void *loop_thread(void *p)
{
	struct loop_arg *a = p;
	uint64_t t0, c0;

	loop_pairs(a->n / 20 + 1); /* warm-up: this thread's arena and tcache */
	pthread_barrier_wait(a->start);
	c0 = cpu_ns();
	t0 = now_ns();
	loop_pairs(a->n);
	a->ns = now_ns() - t0;
	a->cpu = cpu_ns() - c0;
	return NULL;
}

static int mode_loop(long n, int threads)
{
	pthread_t tid[64];
	struct loop_arg arg[64];
	pthread_barrier_t start;
	uint64_t wall0, wall, sum = 0, cpu = 0;

	if (threads < 1 || threads > 64)
		usage();
	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		arg[i] = (struct loop_arg){ .n = n, .start = &start };
		if (pthread_create(&tid[i], NULL, loop_thread, &arg[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	wall0 = now_ns();
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		sum += arg[i].ns;
		cpu += arg[i].cpu;
	}
	wall = now_ns() - wall0;
	printf("{\"mode\": \"loop\", \"threads\": %d, \"ops\": %ld, \"ns\": %llu, "
	       "\"ns_per_op\": %.2f, \"cpu_ns_per_op\": %.2f, \"wall_ns\": %llu, \"traps\": %ld}\n",
	       threads, n * threads, (unsigned long long)(sum / (uint64_t)threads),
	       (double)sum / threads / (double)n, (double)cpu / threads / (double)n,
	       (unsigned long long)wall, 3 * n * threads);
	return 0;
}

/* ---- deep: the loop's pairs under a deep call chain ---------------------- */

struct deep_arg {
	long n;
	uint64_t ns, cpu;
};

__attribute__((noinline)) static void deep_frames(int depth, struct deep_arg *a)
{
	char pad[96]; /* a frame the size real code's are */
	uint64_t t0, c0;

	memset(pad, depth, sizeof(pad));
	if (depth > 0) {
		deep_frames(depth - 1, a);
	} else {
		loop_pairs(a->n / 20 + 1); /* warm-up */
		c0 = cpu_ns();
		t0 = now_ns();
		loop_pairs(a->n);
		a->ns = now_ns() - t0;
		a->cpu = cpu_ns() - c0;
	}
	/* Uses pad after the call: no tail call, every frame stays. */
	__asm__ volatile("" : : "r"(pad) : "memory");
}

static int mode_deep(long n, long depth)
{
	struct deep_arg a = { .n = n };

	if (depth > 1000)
		usage();
	deep_frames((int)depth, &a);
	printf("{\"mode\": \"deep\", \"depth\": %ld, \"ops\": %ld, \"ns\": %llu, "
	       "\"ns_per_op\": %.2f, \"cpu_ns_per_op\": %.2f, \"traps\": %ld}\n",
	       depth, n, (unsigned long long)a.ns, (double)a.ns / (double)n, (double)a.cpu / (double)n, 3 * n);
	return 0;
}

/* ---- mix: a service-like mix ------------------------------------------- */

#define RING 1024

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	/* xorshift64*: fixed seed, the same sequence on every run */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* Request sizes, weighted toward the small ones as in most services. */
static const struct {
	size_t size;
	unsigned weight;
} size_dist[] = {
	{ 16, 14 },  { 24, 12 },  { 32, 14 },  { 48, 10 },  { 64, 12 },   { 96, 7 },
	{ 128, 8 },  { 200, 5 },  { 256, 5 },  { 512, 4 },  { 1024, 3 },  { 2000, 2 },
	{ 4096, 2 }, { 8192, 2 },
};

static size_t pick_size(void)
{
	unsigned total = 0, r;

	for (size_t i = 0; i < sizeof(size_dist) / sizeof(size_dist[0]); i++)
		total += size_dist[i].weight;
	r = next_rand() % total;
	for (size_t i = 0; i < sizeof(size_dist) / sizeof(size_dist[0]); i++) {
		if (r < size_dist[i].weight)
			return size_dist[i].size;
		r -= size_dist[i].weight;
	}
	return 64;
}

struct mix_count {
	long mallocs, callocs, reallocs, frees;
};

static void *ring[RING];
void *volatile mix_sink;

__attribute__((noinline)) static void mix_steps(long n, struct mix_count *c)
{
	for (long i = 0; i < n; i++) {
		uint32_t r = next_rand();
		size_t size = pick_size();
		unsigned kind = r % 100;
		void *p;

		if (kind < 50) {
			/* short-lived: allocate, use, free at once */
			p = malloc(size);
			memset(p, 0x5a, size < 64 ? size : 64);
			mix_sink = p;
			free(p);
			c->mallocs++;
			c->frees++;
			continue;
		}
		/* long-lived: replace a block of the ring, freeing the old one */
		unsigned slot = (r >> 8) % RING;

		if (kind < 60 && ring[slot]) {
			/* grow or shrink in place of the old block */
			p = realloc(ring[slot], size);
			c->reallocs++;
		} else {
			if (ring[slot]) {
				free(ring[slot]);
				c->frees++;
			}
			if (kind < 70) {
				p = calloc(1, size);
				c->callocs++;
			} else {
				p = malloc(size);
				c->mallocs++;
			}
		}
		if (!p) {
			perror("alloc");
			exit(1);
		}
		memset(p, 0xa5, size < 64 ? size : 64);
		ring[slot] = p;
	}
}

static int mode_mix(long n)
{
	struct mix_count warm = { 0 }, c = { 0 };
	uint64_t t0, c0, ns, cpu;
	long ops, traps;

	mix_steps(RING * 4, &warm); /* warm-up: fill the ring */
	c0 = cpu_ns();
	t0 = now_ns();
	mix_steps(n, &c);
	ns = now_ns() - t0;
	cpu = cpu_ns() - c0;
	ops = c.mallocs + c.callocs + c.reallocs + c.frees;
	traps = 2 * (c.mallocs + c.callocs + c.reallocs) + c.frees;
	printf("{\"mode\": \"mix\", \"steps\": %ld, \"ops\": %ld, \"ns\": %llu, "
	       "\"ns_per_op\": %.2f, \"cpu_ns_per_op\": %.2f, \"traps\": %ld, \"mallocs\": %ld, "
	       "\"callocs\": %ld, \"reallocs\": %ld, \"frees\": %ld}\n",
	       n, ops, (unsigned long long)ns, (double)ns / (double)ops, (double)cpu / (double)ops,
	       traps, c.mallocs,
	       c.callocs, c.reallocs, c.frees);
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	return 0;
}

/* ---- pages: one minor fault per page ----------------------------------- */

#define CHUNK_PAGES 1024

__attribute__((noinline)) static void touch_chunk(size_t pages, size_t page)
{
	char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* one fault per page, not one per 2 MiB */
	madvise(p, pages * page, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * page] = 1;
	munmap(p, pages * page);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int mode_pages(long n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	long f0, faults, done = 0;
	uint64_t t0, c0, ns, cpu;

	touch_chunk(CHUNK_PAGES, page); /* warm-up */
	f0 = minflt();
	c0 = cpu_ns();
	t0 = now_ns();
	while (done < n) {
		long k = n - done < CHUNK_PAGES ? n - done : CHUNK_PAGES;

		touch_chunk((size_t)k, page);
		done += k;
	}
	ns = now_ns() - t0;
	cpu = cpu_ns() - c0;
	faults = minflt() - f0;
	printf("{\"mode\": \"pages\", \"ops\": %ld, \"ns\": %llu, \"ns_per_op\": %.2f, "
	       "\"cpu_ns_per_op\": %.2f, \"faults\": %ld, \"chunks\": %ld}\n",
	       n, (unsigned long long)ns, (double)ns / (double)n, (double)cpu / (double)n, faults,
	       (n + CHUNK_PAGES - 1) / CHUNK_PAGES);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "loop"))
		return mode_loop(parse_count(argv[2]), argc > 3 ? (int)parse_count(argv[3]) : 1);
	if (!strcmp(argv[1], "mix"))
		return mode_mix(parse_count(argv[2]));
	if (!strcmp(argv[1], "deep") && argc > 3)
		return mode_deep(parse_count(argv[2]), parse_count(argv[3]));
	if (!strcmp(argv[1], "pages"))
		return mode_pages(parse_count(argv[2]));
	usage();
	return 2;
}
