// SPDX-License-Identifier: MIT
/*
 * A refgc program for memtrace's refgc heap tests (the otel_memory probes
 * refgc emits, runtime/sample.h).  Modes:
 *
 *   sites    make_nodes allocates 96 MiB of 64-byte nodes and make_buffers
 *            32 MiB of 1000-byte buffers, each keeping its last 4096
 *            objects; then everything is dropped, collected twice, and the
 *            process waits 300 ms, so a tracer sees the heap fall to zero.
 *            Prints one JSON line: the bytes refgc accounted to each
 *            function (block sizes, header included) and refgc's own
 *            stats (total_alloc, mallocs, frees).
 *   leak     for --seconds (default 20): handle_request churns ~8 MiB/s of
 *            garbage and replaces entries of a fixed 4096-entry cache;
 *            after 3 s remember_session also appends 64 sessions of 1 KiB a
 *            second to a list that stays reachable (the leak).
 *   steady   the same without the leak.
 *
 * Built with frame pointers; every allocating function is noinline so
 * that stacks name it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refgc.h"

struct node {
	struct node *next;
	uint64_t payload[6];
};
static const size_t node_ptrs[] = { 0 };
static const refgc_type node_type = { "node", sizeof(struct node), REFGC_TYPE_PLAIN, 1, node_ptrs };

struct session {
	struct session *next;
	char data[1016];
};
static const refgc_type session_type = { "session", sizeof(struct session), REFGC_TYPE_PLAIN, 1, node_ptrs };
static const refgc_type bytes_type = { "bytes", 0, REFGC_TYPE_NOSCAN, 0, NULL };

#define KEEP 4096
static void *kept_nodes[KEEP], *kept_bufs[KEEP], *cache[KEEP];
static struct session *sessions;
static uint64_t node_bytes, buf_bytes;

/* refgc accounts a small object's whole block: the object and its 8-byte header. */
static uint64_t accounted(const void *obj)
{
	return refgc_object_size(obj) + 8;
}

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "workload_refgc_heap: %s\n", refgc_last_error());
		exit(1);
	}
	return p;
}

__attribute__((noinline)) void make_nodes(void)
{
	for (uint64_t i = 0; node_bytes < (96u << 20); i++) {
		struct node *n = must(refgc_alloc(&node_type));

		n->payload[0] = i;
		node_bytes += accounted(n);
		kept_nodes[i % KEEP] = n;
	}
}

__attribute__((noinline)) void make_buffers(void)
{
	for (uint64_t i = 0; buf_bytes < (32u << 20); i++) {
		char *b = must(refgc_alloc_size(&bytes_type, 1000));

		b[0] = (char)i;
		buf_bytes += accounted(b);
		kept_bufs[i % KEEP] = b;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ~80 KiB of garbage and one cache entry replaced. */
__attribute__((noinline)) void handle_request(unsigned i)
{
	for (int k = 0; k < 80; k++) {
		char *tmp = must(refgc_alloc_size(&bytes_type, 1000));

		tmp[0] = (char)k;
	}
	cache[(i * 2654435761u) % KEEP] = must(refgc_alloc(&node_type));
}

__attribute__((noinline)) void remember_session(void)
{
	struct session *s = must(refgc_alloc(&session_type));

	s->next = sessions;
	sessions = s;
}

static void service(double seconds, int leak)
{
	double t0 = now_s(), next_session = t0 + 3.0;
	unsigned i = 0;

	while (now_s() - t0 < seconds) {
		/* 100 requests a second: ~8 MiB/s of garbage. */
		handle_request(i++);
		while (leak && now_s() >= next_session) {
			remember_session();
			next_session += 1.0 / 64;
		}
		usleep(10000);
		refgc_safepoint();
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sites";
	double seconds = 20;
	refgc_stats st;

	if (argc > 3 && !strcmp(argv[2], "--seconds"))
		seconds = atof(argv[3]);
	if (refgc_init(NULL) || refgc_thread_attach()) {
		fprintf(stderr, "workload_refgc_heap: %s\n", refgc_last_error());
		return 1;
	}
	refgc_root_add(kept_nodes, KEEP);
	refgc_root_add(kept_bufs, KEEP);
	refgc_root_add(cache, KEEP);
	refgc_root_add((void **)&sessions, 1);
	if (!strcmp(mode, "sites")) {
		make_nodes();
		make_buffers();
		memset(kept_nodes, 0, sizeof(kept_nodes));
		memset(kept_bufs, 0, sizeof(kept_bufs));
		refgc_collect();
		refgc_collect();
		usleep(300000);
	} else if (!strcmp(mode, "leak") || !strcmp(mode, "steady")) {
		service(seconds, !strcmp(mode, "leak"));
	} else {
		fprintf(stderr, "usage: workload_refgc_heap sites|leak|steady [--seconds N]\n");
		return 2;
	}
	refgc_read_stats(&st);
	printf("{\"make_nodes\": %llu, \"make_buffers\": %llu, \"total_alloc\": %llu, \"mallocs\": %llu, "
	       "\"frees\": %llu, \"heap_alloc\": %llu}\n",
	       (unsigned long long)node_bytes, (unsigned long long)buf_bytes, (unsigned long long)st.total_alloc,
	       (unsigned long long)st.mallocs, (unsigned long long)st.frees, (unsigned long long)st.heap_alloc);
	fflush(stdout);
	refgc_thread_detach();
	refgc_shutdown();
	return 0;
}
