/* refgc-poolbench: what a pool saves on a realistic reuse pattern, and
 * whether it scales to two threads. Prints one JSON object.
 *
 *   refgc-poolbench [--pool] [--threads T] [--seconds S]
 *
 * Each request, as a server encoding a response would: takes a 4 KiB
 * scratch buffer (from the pool with --pool, else refgc_alloc), builds a
 * small request record (3 objects: header, 2 fields), writes ~2 KiB of
 * output into the buffer, checksums it, and gives the buffer back (Put).
 * Without --pool the buffer is garbage after the request, as in Go code
 * that allocates a bytes.Buffer per call. Reported per request: objects
 * and bytes allocated (the runtime's own counters), and requests per
 * second over all threads. The lesson's "pools cut allocations 80%" is
 * the bytes figure here; two threads should do at least one thread's
 * requests per second (with one pool mutex they did fewer). */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refgc.h"

#define BUF_BYTES 4096

struct field {
	struct field *next;
	uint64_t key, val;
};

struct header {
	struct field *fields;
	uint64_t id;
};

static const size_t field_ptrs[] = { offsetof(struct field, next) };
static const refgc_type field_type = { "field", sizeof(struct field), REFGC_TYPE_PLAIN, 1,
				       field_ptrs };
static const size_t header_ptrs[] = { offsetof(struct header, fields) };
static const refgc_type header_type = { "header", sizeof(struct header), REFGC_TYPE_PLAIN, 1,
					header_ptrs };
static const refgc_type buf_type = { "scratch", BUF_BYTES, REFGC_TYPE_NOSCAN, 0, NULL };

static int use_pool, nthreads = 1;
static double seconds = 2;
static refgc_pool *pool;
static _Atomic int stop;
static _Atomic uint64_t sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t request(uint64_t id)
{
	struct header *h = NULL;
	struct field *f = NULL;
	unsigned char *buf = NULL;
	uint64_t sum = 0;
	refgc_scope s = refgc_scope_enter();

	REFGC_ROOT(h);
	REFGC_ROOT(f);
	REFGC_ROOT(buf);
	buf = use_pool ? refgc_pool_get(pool) : refgc_alloc(&buf_type);
	h = refgc_alloc(&header_type);
	h->id = id;
	for (int i = 0; i < 2; i++) {
		f = refgc_alloc(&field_type);
		f->key = id + (uint64_t)i;
		f->val = id * 31 + (uint64_t)i;
		refgc_store(f, (void **)&f->next, h->fields);
		refgc_store(h, (void **)&h->fields, f);
	}
	/* "Encode" the response: ~2 KiB of output. */
	for (size_t off = 0; off < 2048; off += 64) {
		for (struct field *g = h->fields; g; g = g->next)
			memcpy(buf + off, &g->val, sizeof(g->val));
		memset(buf + off + 8, (int)(id & 0xff), 56);
	}
	for (size_t off = 0; off < 2048; off += 8)
		sum += buf[off];
	if (use_pool)
		refgc_pool_put(pool, buf);
	refgc_scope_leave(s);
	return sum;
}

struct worker {
	pthread_t tid;
	int id;
	uint64_t reqs;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t sum = 0;

	if (w->id && refgc_thread_attach())
		return NULL;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		sum += request(w->reqs++ * (uint64_t)nthreads + (uint64_t)w->id);
	atomic_fetch_add(&sink, sum);
	if (w->id)
		refgc_thread_detach();
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "pool", no_argument, NULL, 'p' },
					    { "threads", required_argument, NULL, 't' },
					    { "seconds", required_argument, NULL, 's' },
					    { NULL, 0, NULL, 0 } };
	refgc_stats *st0 = malloc(sizeof(*st0)), *st1 = malloc(sizeof(*st1));
	refgc_pool_stats ps = { 0 };
	struct worker *w;
	uint64_t t0, t1, reqs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "pt:s:", lo, NULL)) != -1) {
		if (c == 'p')
			use_pool = 1;
		else if (c == 't')
			nthreads = atoi(optarg);
		else if (c == 's')
			seconds = atof(optarg);
		else
			return 2;
	}
	if (nthreads < 1 || nthreads > 64 || seconds <= 0 || !st0 || !st1) {
		fprintf(stderr, "refgc-poolbench: bad arguments (see the header of refgc-poolbench.c)\n");
		return 2;
	}
	if (refgc_init(NULL))
		return 1;
	if (use_pool && refgc_pool_create(&buf_type, 256, &pool)) {
		fprintf(stderr, "%s\n", refgc_last_error());
		return 1;
	}
	w = calloc((size_t)nthreads, sizeof(*w));
	if (!w)
		return 1;
	refgc_read_stats(st0);
	t0 = now_ns();
	for (int i = 0; i < nthreads; i++) {
		w[i].id = i;
		if (i && pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "refgc-poolbench: cannot start thread %d\n", i);
			return 1;
		}
	}
	/* Thread 0 is the main thread; a timer thread is not needed: it
	 * stops itself, and the others, when the time is up. */
	{
		uint64_t end = t0 + (uint64_t)(seconds * 1e9), sum = 0;

		while (now_ns() < end)
			for (int k = 0; k < 64; k++)
				sum += request(w[0].reqs++ * (uint64_t)nthreads);
		atomic_store(&stop, 1);
		atomic_fetch_add(&sink, sum);
	}
	refgc_enter_blocking();
	for (int i = 1; i < nthreads; i++)
		pthread_join(w[i].tid, NULL);
	refgc_leave_blocking();
	t1 = now_ns();
	refgc_read_stats(st1);
	for (int i = 0; i < nthreads; i++)
		reqs += w[i].reqs;
	if (use_pool)
		refgc_pool_read_stats(pool, &ps);
	printf("{\"pool\": %s, \"threads\": %d, \"seconds\": %.3f, \"requests\": %" PRIu64
	       ", \"req_per_s\": %.1f, \"allocs_per_req\": %.3f, \"bytes_per_req\": %.1f"
	       ", \"gc_count\": %" PRIu64 ", \"pool_hit_rate\": %.4f, \"pool_cleared\": %" PRIu64
	       ", \"checksum\": %" PRIu64 "}\n",
	       use_pool ? "true" : "false", nthreads, (double)(t1 - t0) / 1e9, reqs,
	       (double)reqs * 1e9 / (double)(t1 - t0),
	       (double)(st1->mallocs - st0->mallocs) / (double)reqs,
	       (double)(st1->total_alloc - st0->total_alloc) / (double)reqs, st1->num_gc - st0->num_gc,
	       ps.hit_rate, ps.cleared, atomic_load(&sink));
	if (use_pool)
		refgc_pool_destroy(pool);
	free(w);
	free(st0);
	free(st1);
	refgc_shutdown();
	return 0;
}
