/* Stress test: several mutator threads mutate random object graphs while
 * the collector runs. Checks:
 *  - after every completed cycle each thread walks everything it can reach
 *    and verifies every object (type, self-check, the id its parent edge
 *    expects): a freed-and-reused or poisoned object fails the check, and
 *    under ASan touching a freed block aborts;
 *  - at checkpoints (all mutators parked) two refgc_collect() calls must
 *    leave exactly the reachable objects: all garbage reclaimed within two
 *    cycles.
 * usage: stress [seconds] [threads]   (mode etc. from REFGC_* variables)
 * Exit status 0 on success; prints "stress: ..." lines. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refgc.h"

#define NKIDS 4
#define NROOTS 64
#define MAGIC 0x5eed5eed5eed5eedull

struct snode {
	struct snode *kid[NKIDS];
	uint64_t kid_id[NKIDS]; /* what each kid's id must be */
	uint64_t id;
	uint64_t check;
	uint64_t visit;
	uint64_t size;
};

static const size_t kid_offs[] = { 0, 8, 16, 24 };
static const refgc_type snode_type = { "snode", sizeof(struct snode), REFGC_TYPE_PLAIN, NKIDS,
				       kid_offs };

struct mut {
	pthread_t tid;
	int idx;
	uint64_t seed, next_id, epoch;
	struct snode *roots[NROOTS];
	uint64_t root_id[NROOTS];
	uint64_t ops, verifies, objects_seen, last_gc;
	struct snode **stack; /* walk_all's, reused */
	size_t stack_cap;
};

static _Atomic int stop, failed;
static pthread_barrier_t bar_in, bar_out;
static _Atomic int checkpoint;
static int nthreads = 4;
static struct mut *muts;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fail(const char *what, const struct snode *n)
{
	fprintf(stderr, "stress: FAIL: %s (object %p)\n", what, (const void *)n);
	atomic_store(&failed, 1);
	abort();
}

static struct snode *new_node(struct mut *m)
{
	size_t size = sizeof(struct snode);
	uint64_t r = rnd(&m->seed) % 1000;
	struct snode *n;

	/* Mostly small, some of every class, a few large objects. */
	if (r < 5)
		size = 9000 + rnd(&m->seed) % 60000;
	else if (r < 100)
		size = sizeof(struct snode) + rnd(&m->seed) % 4000;
	n = refgc_alloc_size(&snode_type, size);
	if (!n)
		fail("allocation failed", NULL);
	for (size_t i = 0; i < NKIDS; i++)
		if (n->kid[i])
			fail("new object not zeroed", n);
	n->id = ++m->next_id | ((uint64_t)m->idx << 48);
	n->check = (uint64_t)(uintptr_t)n ^ n->id ^ MAGIC;
	n->size = size;
	/* Touch the far end so ASan checks the usable size. */
	if (size > sizeof(*n))
		((char *)n)[size - 1] = 1;
	return n;
}

static void check_node(const struct snode *n, uint64_t want_id)
{
	if (refgc_object_type(n) != &snode_type)
		fail("object lost its type: freed while reachable", n);
	if (n->check != ((uint64_t)(uintptr_t)n ^ n->id ^ MAGIC))
		fail("object self-check broken: freed while reachable", n);
	if (n->id != want_id)
		fail("edge leads to a different object: freed and reused", n);
	if (refgc_object_size(n) < n->size)
		fail("object smaller than allocated", n);
}

/* Iterative DFS with an explicit stack; marks visits with the epoch. */
static uint64_t walk_all(struct mut *m)
{
	struct snode **stack = m->stack;
	size_t cap = m->stack_cap, sp = 0;
	uint64_t count = 0;

	m->epoch++;
	for (int r = 0; r < NROOTS; r++) {
		if (!m->roots[r])
			continue;
		check_node(m->roots[r], m->root_id[r]);
		if (m->roots[r]->visit == m->epoch)
			continue;
		m->roots[r]->visit = m->epoch;
		if (sp == cap) {
			cap = cap ? cap * 2 : 1024;
			stack = realloc(stack, cap * sizeof(*stack));
		}
		stack[sp++] = m->roots[r];
		while (sp) {
			struct snode *n = stack[--sp];

			count++;
			for (int i = 0; i < NKIDS; i++) {
				struct snode *k = n->kid[i];

				if (!k)
					continue;
				check_node(k, n->kid_id[i]);
				if (k->visit == m->epoch)
					continue;
				k->visit = m->epoch;
				if (sp == cap) {
					cap *= 2;
					stack = realloc(stack, cap * sizeof(*stack));
				}
				stack[sp++] = k;
			}
		}
	}
	m->stack = stack;
	m->stack_cap = cap;
	return count;
}

/* A random reachable node: a short random walk from a random root. */
static struct snode *pick(struct mut *m)
{
	struct snode *n = m->roots[rnd(&m->seed) % NROOTS];
	int depth = (int)(rnd(&m->seed) % 16);

	while (n && depth--) {
		struct snode *k = n->kid[rnd(&m->seed) % NKIDS];

		if (!k)
			break;
		n = k;
	}
	return n;
}

static void step(struct mut *m)
{
	uint64_t r = rnd(&m->seed) % 100;
	struct snode *n, *p = NULL;
	refgc_scope sc = refgc_scope_enter();

	REFGC_ROOT(p);
	if (r < 45) {
		/* Link a new object (which may get a child of its own). */
		p = pick(m);
		n = new_node(m);
		if (p) {
			int i = (int)(rnd(&m->seed) % NKIDS);

			p->kid_id[i] = n->id;
			refgc_store(p, (void **)&p->kid[i], n);
		} else {
			int r2 = (int)(rnd(&m->seed) % NROOTS);

			m->root_id[r2] = n->id;
			m->roots[r2] = n;
		}
	} else if (r < 46) {
		/* Cut an edge: whatever hung only there becomes garbage. */
		p = pick(m);
		if (p)
			refgc_store(p, (void **)&p->kid[rnd(&m->seed) % NKIDS], NULL);
	} else if (r < 47) {
		int r2 = (int)(rnd(&m->seed) % NROOTS);

		m->roots[r2] = NULL;
	} else if (r < 55) {
		/* Move a subgraph: link an existing node somewhere else. */
		struct snode *q = pick(m);

		p = pick(m);
		if (p && q && p != q) {
			int i = (int)(rnd(&m->seed) % NKIDS);

			p->kid_id[i] = q->id;
			refgc_store(p, (void **)&p->kid[i], q);
		}
	} else {
		/* Short-lived garbage, sometimes a small chain of it. */
		p = new_node(m);
		n = new_node(m);
		p->kid_id[0] = n->id;
		refgc_store(p, (void **)&p->kid[0], n);
	}
	refgc_scope_leave(sc);
	m->ops++;
}

static void *mut_main(void *arg)
{
	struct mut *m = arg;
	refgc_stats *st = malloc(sizeof(*st));

	if (refgc_thread_attach() || refgc_root_add((void **)m->roots, NROOTS)) {
		fprintf(stderr, "stress: %s\n", refgc_last_error());
		exit(1);
	}
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 64; i++)
			step(m);
		refgc_read_stats(st);
		if (st->num_gc != m->last_gc) {
			m->last_gc = st->num_gc;
			m->objects_seen = walk_all(m);
			m->verifies++;
		}
		if (atomic_load(&checkpoint)) {
			/* Parked, so the collections below do not wait for us. */
			refgc_enter_blocking();
			pthread_barrier_wait(&bar_in);
			pthread_barrier_wait(&bar_out);
			refgc_leave_blocking();
		}
	}
	/* Our roots stay registered: main's final check still counts them. */
	refgc_thread_detach();
	free(st);
	return NULL;
}

static uint64_t count_reachable(void)
{
	uint64_t total = 0;

	for (int i = 0; i < nthreads; i++)
		total += walk_all(&muts[i]);
	return total;
}

/* Must be called with every mutator parked or gone. */
static void check_reclaim(const char *when)
{
	refgc_stats *st = malloc(sizeof(*st));
	uint64_t live;

	refgc_collect();
	refgc_collect();
	live = count_reachable();
	refgc_read_stats(st);
	if (st->objects != live) {
		fprintf(stderr, "stress: FAIL: %s: %" PRIu64 " objects remain, %" PRIu64
				" reachable (garbage not reclaimed in two cycles)\n",
			when, st->objects, live);
		exit(1);
	}
	printf("stress: %s: %" PRIu64 " reachable objects, heap_alloc %" PRIu64 " bytes, ok\n",
	       when, live, st->heap_alloc);
	free(st);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5;
	refgc_stats *st = malloc(sizeof(*st));
	uint64_t ops = 0, verifies = 0;
	struct timespec ts = { 0, 0 };
	int checkpoints = 3;

	if (argc > 2)
		nthreads = atoi(argv[2]);
	if (refgc_init(NULL))
		return 1;
	muts = calloc((size_t)nthreads, sizeof(*muts));
	pthread_barrier_init(&bar_in, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&bar_out, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		muts[i].idx = i;
		muts[i].seed = 0x12345678ull * (uint64_t)(i + 1) + (uint64_t)time(NULL);
		pthread_create(&muts[i].tid, NULL, mut_main, &muts[i]);
	}
	refgc_enter_blocking();
	for (int c = 0; c < checkpoints; c++) {
		double slice = seconds / (checkpoints + 1);

		ts.tv_sec = (time_t)slice;
		ts.tv_nsec = (long)((slice - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		atomic_store(&checkpoint, 1);
		pthread_barrier_wait(&bar_in);
		atomic_store(&checkpoint, 0);
		refgc_leave_blocking();
		check_reclaim("checkpoint");
		refgc_enter_blocking();
		pthread_barrier_wait(&bar_out);
	}
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(muts[i].tid, NULL);
	refgc_leave_blocking();
	check_reclaim("final");
	for (int i = 0; i < nthreads; i++) {
		ops += muts[i].ops;
		verifies += muts[i].verifies;
		refgc_root_remove((void **)muts[i].roots);
		free(muts[i].stack);
	}
	refgc_read_stats(st);
	printf("stress: mode=%s threads=%d ops=%" PRIu64 " cycles=%" PRIu64
	       " graph verifications=%" PRIu64 " pauses=%" PRIu64 " termination resumes=%" PRIu64
	       " ok\n",
	       refgc_mode_name(st->mode), nthreads, ops, st->num_gc, verifies, st->num_pauses,
	       st->term_retries);
	if (st->num_gc < 3 || verifies == 0) {
		fprintf(stderr, "stress: FAIL: too few cycles (%" PRIu64 ") to mean anything\n",
			st->num_gc);
		return 1;
	}
	refgc_shutdown();
	free(muts);
	free(st);
	return atomic_load(&failed);
}
