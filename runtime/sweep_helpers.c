/* Background sweeping on more than one thread: procs - 1 helper threads
 * join the coordinator's sweep of the small-object spans. Sweeping pops
 * spans under each class's lock, as lazy sweepers already do, so any
 * number of threads may share it.
 *
 * Why: the next cycle cannot start marking before the sweep has cleared
 * every mark bit, and on the loaded 2-CPU VM one thread took 44-508 ms to
 * sweep a 256 MiB-live heap (as long as the mark itself), while the
 * trigger had already passed: cycles started late, at the sweep's end,
 * and the mutator paid the difference in assists. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <stdlib.h>

#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static pthread_t *thr;
static int nthr, active;
static uint64_t gen;
static bool quit;
static void (*job)(void);

static void *helper_main(void *arg)
{
	uint64_t seen = 0, cpu0;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (gen == seen && !quit)
			pthread_cond_wait(&go, &lock);
		if (quit)
			break;
		seen = gen;
		pthread_mutex_unlock(&lock);
		cpu0 = thread_cpu_ns();
		job();
		atomic_fetch_add(&rt.gc_cpu_ns, thread_cpu_ns() - cpu0);
		pthread_mutex_lock(&lock);
		if (--active == 0)
			pthread_cond_broadcast(&done);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int sweep_helpers_start(int n)
{
	thr = calloc((size_t)(n > 0 ? n : 1), sizeof(*thr));
	if (!thr)
		return -1;
	quit = false;
	for (nthr = 0; nthr < n; nthr++) {
		if (pthread_create(&thr[nthr], NULL, helper_main, NULL))
			return -1;
		pthread_setname_np(thr[nthr], "refgc-sweep");
	}
	return 0;
}

void sweep_helpers_stop(void)
{
	pthread_mutex_lock(&lock);
	quit = true;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nthr; i++)
		pthread_join(thr[i], NULL);
	free(thr);
	thr = NULL;
	nthr = 0;
}

void sweep_helpers_run(void (*fn)(void))
{
	pthread_mutex_lock(&lock);
	job = fn;
	active = nthr;
	gen++;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);
	fn();
	pthread_mutex_lock(&lock);
	while (active)
		pthread_cond_wait(&done, &lock);
	pthread_mutex_unlock(&lock);
}
