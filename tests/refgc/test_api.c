/* Public API behaviour, each test in its own process (Criterion's default),
 * in both collector modes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>

#include "refgc.h"

struct pair {
	struct pair *a, *b;
	uint64_t val;
};

static const size_t pair_offs[] = { 0, 8 };
static const refgc_type pair_type = { "pair", sizeof(struct pair), REFGC_TYPE_PLAIN, 2, pair_offs };
static const refgc_type blob_type = { "blob", 0, REFGC_TYPE_NOSCAN, 0, NULL };
static const refgc_type arr_type = { "arr", 0, REFGC_TYPE_PTRARRAY, 0, NULL };

static void start(refgc_mode mode)
{
	refgc_config c;

	refgc_config_default(&c);
	c.ignore_env = 1;
	c.mode = mode;
	c.procs = 2;
	cr_assert_eq(refgc_init(&c), 0, "%s", refgc_last_error());
}

static uint64_t objects(void)
{
	refgc_stats st;

	refgc_read_stats(&st);
	return st.objects;
}

static struct pair *chain(int n)
{
	struct pair *head = NULL, *p = NULL;
	refgc_scope s = refgc_scope_enter();

	REFGC_ROOT(head);
	for (int i = 0; i < n; i++) {
		p = refgc_alloc(&pair_type);
		p->val = (uint64_t)i;
		refgc_store(p, (void **)&p->a, head);
		head = p;
	}
	refgc_scope_leave(s);
	return head;
}

static void reclaim_body(refgc_mode mode)
{
	static struct pair *keep;
	uint64_t base;

	start(mode);
	base = objects();
	cr_assert_eq(refgc_root_add((void **)&keep, 1), 0);
	keep = chain(1000);
	(void)chain(5000); /* garbage */
	refgc_collect();
	refgc_collect();
	cr_expect_eq(objects() - base, 1000);
	int n = 0;
	for (struct pair *p = keep; p; p = p->a, n++)
		cr_assert_eq(p->val, (uint64_t)(999 - n));
	cr_expect_eq(n, 1000);
	keep = NULL;
	refgc_collect();
	refgc_collect();
	cr_expect_eq(objects(), base);
	refgc_root_remove((void **)&keep);
	refgc_shutdown();
}

Test(api, reclaim_stw) { reclaim_body(REFGC_MODE_STW); }
Test(api, reclaim_incremental) { reclaim_body(REFGC_MODE_INCREMENTAL); }

Test(api, zeroed_typed_sized)
{
	start(REFGC_MODE_INCREMENTAL);
	for (size_t sz = 1; sz < 20000; sz = sz * 3 + 1) {
		unsigned char *b = refgc_alloc_size(&blob_type, sz);

		cr_assert_not_null(b);
		cr_expect_geq(refgc_object_size(b), sz);
		cr_expect_eq(refgc_object_type(b), &blob_type);
		cr_expect_eq((uintptr_t)b % 8, 0);
		for (size_t i = 0; i < sz; i++)
			cr_assert_eq(b[i], 0);
		memset(b, 0xab, sz);
	}
	refgc_shutdown();
}

Test(api, handle_scope_and_large_arrays)
{
	void **arr = NULL;
	uint64_t base;

	start(REFGC_MODE_STW);
	base = objects();
	refgc_scope s = refgc_scope_enter();
	REFGC_ROOT(arr);
	/* Large pointer array (> 8 KiB) holding small objects. */
	arr = refgc_alloc_size(&arr_type, 4096 * sizeof(void *));
	for (int i = 0; i < 4096; i++)
		refgc_store(arr, &arr[i], chain(2));
	refgc_collect();
	cr_expect_eq(objects() - base, 1 + 4096 * 2);
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(((struct pair *)arr[i])->val, 1);
	refgc_scope_leave(s);
	refgc_collect();
	refgc_collect();
	cr_expect_eq(objects(), base);
	refgc_shutdown();
}

static void pauses_body(refgc_mode mode, uint64_t per_cycle)
{
	refgc_stats st;

	start(mode);
	for (int i = 0; i < 5; i++)
		refgc_collect();
	refgc_read_stats(&st);
	cr_expect_geq(st.num_gc, 5);
	cr_expect_eq(st.num_pauses, st.num_gc * per_cycle);
	cr_expect_eq(st.npause_ring, st.num_pauses);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < st.npause_ring; i++) {
		sum += st.pauses[i].duration_ns;
		cr_expect_gt(st.pauses[i].start_ns, 0);
		cr_expect_leq(st.pauses[i].ttsp_ns, st.pauses[i].duration_ns);
		if (mode == REFGC_MODE_STW)
			cr_expect_eq(st.pauses[i].phase, REFGC_PHASE_STW);
		else
			cr_expect_eq(st.pauses[i].phase, i % 2 ? REFGC_PHASE_MARK_TERM
							     : REFGC_PHASE_MARK_START);
		if (i)
			cr_expect_geq(st.pauses[i].start_ns, st.pauses[i - 1].start_ns);
	}
	cr_expect_eq(sum, st.pause_total_ns);
	cr_expect_gt(st.last_gc_ns, 0);
	cr_expect_gt(st.heap_goal, 0);
	cr_expect_geq(st.num_forced_gc, 5);
	refgc_shutdown();
}

Test(api, pauses_stw) { pauses_body(REFGC_MODE_STW, 1); }
Test(api, pauses_incremental) { pauses_body(REFGC_MODE_INCREMENTAL, 2); }

Test(api, pause_ring_wraps)
{
	refgc_stats st;

	start(REFGC_MODE_STW);
	for (int i = 0; i < 300; i++)
		refgc_collect();
	refgc_read_stats(&st);
	cr_expect_eq(st.npause_ring, REFGC_PAUSE_RING);
	cr_expect_eq(st.num_pauses, st.num_gc);
	cr_expect_eq(st.pauses[REFGC_PAUSE_RING - 1].cycle, st.num_gc);
	refgc_shutdown();
}

Test(api, knobs_at_runtime)
{
	start(REFGC_MODE_INCREMENTAL);
	cr_expect_eq(refgc_set_gc_percent(-3), -ERANGE);
	cr_expect_eq(refgc_set_gc_percent(REFGC_GCPERCENT_OFF), 0);
	cr_expect_eq(refgc_set_mem_limit(1024), -ERANGE);
	cr_expect_eq(refgc_set_mem_limit((uint64_t)64 << 20), 0);
	refgc_shutdown();
}

Test(api, pool)
{
	refgc_pool *p;
	refgc_pool_stats ps;
	void *objs[20];
	uint64_t live;

	start(REFGC_MODE_INCREMENTAL);
	cr_assert_eq(refgc_pool_create(&pair_type, 10, &p), 0);
	for (int i = 0; i < 20; i++)
		objs[i] = refgc_pool_get(p);
	refgc_pool_read_stats(p, &ps);
	cr_expect_eq(ps.total, 20);
	cr_expect_eq(ps.hits, 0);
	cr_expect_eq(ps.allocated, 20);
	for (int i = 0; i < 20; i++) {
		((struct pair *)objs[i])->val = 42;
		refgc_store(objs[i], (void **)&((struct pair *)objs[i])->a, refgc_alloc(&pair_type));
		refgc_pool_put(p, objs[i]);
	}
	/* 10 in this thread's cache (min(16, capacity)), 10 shared. */
	refgc_pool_read_stats(p, &ps);
	cr_expect_eq(ps.available, 20);
	cr_expect_eq(ps.dropped, 0);
	cr_expect_eq(ps.allocated, 0);
	/* Put clears: no stale data, no pointer keeping a graph alive. */
	for (int i = 0; i < 10; i++) {
		struct pair *o = refgc_pool_get(p);

		cr_assert_eq(o->val, 0, "a pooled object kept its last user's data");
		cr_assert_null(o->a, "a pooled object kept its last user's pointer");
		objs[i] = o;
	}
	refgc_pool_read_stats(p, &ps);
	cr_expect_eq(ps.gets, 30);
	cr_expect_eq(ps.hits, 10);
	cr_expect_float_eq(ps.hit_rate, 1.0 / 3.0, 1e-9);
	cr_expect_eq(ps.available, 10);
	/* A collection empties the pool, and what it held is reclaimed:
	 * the 10 shared objects and the 20 pairs their old users hung off
	 * them (the 10 taken back are unrooted here too). */
	refgc_collect();
	refgc_collect();
	live = objects();
	refgc_pool_read_stats(p, &ps);
	cr_expect_eq(ps.available, 0);
	cr_expect_eq(ps.cleared, 10);
	cr_expect_lt(live, 10, "the pool kept %lu objects alive across collections",
		     (unsigned long)live);
	cr_assert_not_null(refgc_pool_get(p));
	refgc_pool_read_stats(p, &ps);
	cr_expect_eq(ps.total, 21, "Get after a collection allocates");
	refgc_pool_destroy(p);
	refgc_shutdown();
}

static void *thr(void *arg)
{
	(void)arg;
	cr_assert_eq(refgc_thread_attach(), 0);
	for (int i = 0; i < 2000; i++)
		(void)chain(50);
	refgc_thread_detach();
	return NULL;
}

Test(api, threads_allocate_while_collecting)
{
	pthread_t t[3];
	uint64_t base;

	start(REFGC_MODE_INCREMENTAL);
	base = objects();
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, thr, NULL);
	for (int i = 0; i < 10; i++)
		refgc_collect();
	for (int i = 0; i < 3; i++) {
		refgc_enter_blocking();
		pthread_join(t[i], NULL);
		refgc_leave_blocking();
	}
	refgc_collect();
	refgc_collect();
	cr_expect_eq(objects(), base);
	refgc_shutdown();
}

Test(api, mem_limit_bounds_heap)
{
	refgc_config c;
	refgc_stats st;

	refgc_config_default(&c);
	c.ignore_env = 1;
	c.mem_limit = (uint64_t)32 << 20;
	c.gc_percent = REFGC_GCPERCENT_OFF; /* only the limit triggers */
	cr_assert_eq(refgc_init(&c), 0);
	for (int i = 0; i < 200000; i++)
		(void)chain(10); /* ~2M objects, ~100 MiB allocated */
	refgc_read_stats(&st);
	cr_expect_gt(st.num_gc, 0);
	cr_expect_lt(st.heap_inuse_peak, (uint64_t)48 << 20, "peak %lu",
		     (unsigned long)st.heap_inuse_peak);
	refgc_shutdown();
}

Test(api, gcpercent_off_never_collects_by_itself)
{
	refgc_config c;
	refgc_stats st;

	refgc_config_default(&c);
	c.ignore_env = 1;
	c.gc_percent = REFGC_GCPERCENT_OFF;
	cr_assert_eq(refgc_init(&c), 0);
	for (int i = 0; i < 20000; i++)
		(void)chain(10); /* ~7 MiB of garbage, past the 4 MiB minimum goal */
	refgc_read_stats(&st);
	cr_expect_eq(st.num_gc, 0);
	refgc_collect();
	refgc_read_stats(&st);
	cr_expect_eq(st.num_gc, 1);
	refgc_shutdown();
}

/* With the pacer off, the only thing that can reclaim garbage is the
 * allocator itself when the address space runs out: it must collect
 * before it answers ENOMEM (it used to return NULL at once). */
Test(api, collects_before_enomem)
{
	refgc_config c;
	struct rlimit rl;
	refgc_stats st;

	refgc_config_default(&c);
	c.ignore_env = 1;
	c.mode = REFGC_MODE_STW;
	c.gc_percent = REFGC_GCPERCENT_OFF;
	c.procs = 1;
	cr_assert_eq(refgc_init(&c), 0, "%s", refgc_last_error());
	/* Warm up (thread stacks, arenas), then cap the address space 256 MiB
	 * above what is mapped now: 1 GiB of 1 MiB garbage cannot fit. */
	for (int i = 0; i < 8; i++)
		cr_assert_not_null(refgc_alloc_size(&blob_type, 1 << 20));
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * 4096 + (256UL << 20);
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
	for (int i = 0; i < 1024; i++)
		cr_assert_not_null(refgc_alloc_size(&blob_type, 1 << 20),
				   "allocation %d of 1 MiB garbage failed: %s", i, strerror(errno));
	refgc_read_stats(&st);
	cr_expect_geq(st.num_forced_gc, 1);
	refgc_shutdown();
}
