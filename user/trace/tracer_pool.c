// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "faults.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "tracer_pool.h"
#include "unwind_load.h"

/*
 * Up to POOL_READY kept ready; a load starts when fewer than POOL_SPARE
 * are ready or being emptied: each load costs 100-300 ms of CPU (the
 * verifier) that the traced server would want on a 2-core machine, and a
 * fork-per-connection server served one connection at a time needs one
 * set in use and one spare.  A set that comes back is emptied by a thread
 * of its own: what it costs is mostly the kernel's wait for readers of the
 * programs it detaches (an RCU grace period per link, 100-600 ms on this
 * loaded 2-core VM), and waits that run at once end together, so forks
 * that come faster than one grace period still find sets ready.
 */
#define POOL_READY 8
#define POOL_SPARE 2

struct tracer_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool quit;
	int err; /* of the last load, 0 after one that worked */
	struct faults_tracer *ready[POOL_READY];
	int nready;
	int nresetting; /* threads emptying a set that came back */
	int verbose;
	int want;     /* tracer_pool_wait_ready's n while it waits */
	unsigned faults_flags; /* faults_open's flags for each set */
	const struct tracer *root; /* whose code ranges and rows the sets walk stacks on */
};

static int load(struct tracer_pool *p, struct faults_tracer **f)
{
	struct faults_unwind uw = {
		.mode = p->root->unwind ? p->root->unwind->mode : MT_UNWIND_FP,
		.ranges_fd = bpf_map__fd(p->root->skel->maps.exec_ranges),
		.rows_fd = bpf_map__fd(p->root->skel->maps.unwind_rows),
	};

	return faults_load_unbound(f, p->faults_flags, p->verbose, &uw);
}

/* Takes f in when there is room; the caller holds the lock. */
static bool keep(struct tracer_pool *p, struct faults_tracer *f)
{
	if (p->nready == POOL_READY)
		return false;
	p->ready[p->nready++] = f;
	pthread_cond_broadcast(&p->cv);
	return true;
}

/* Started by a thread that may run at a raised priority: not this work. */
static void plain(void)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 0);
}

static void *run(void *arg)
{
	struct tracer_pool *p = arg;

	plain();
	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		struct faults_tracer *f = NULL;
		int err;

		if ((p->nready + p->nresetting >= POOL_SPARE && p->nready >= p->want) || p->err) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		err = load(p, &f);
		pthread_mutex_lock(&p->mu);
		/* A load that failed is tried again when a take asks (p->err = 0). */
		p->err = err;
		if (!err && !keep(p, f))
			faults_close(f);
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct reset_job {
	struct tracer_pool *p;
	struct faults_tracer *f;
};

static void *reset_one(void *arg)
{
	struct reset_job *j = arg;
	struct tracer_pool *p = j->p;
	bool kept = false;
	int err;

	plain();
	err = faults_reset(j->f);
	pthread_mutex_lock(&p->mu);
	if (!err)
		kept = keep(p, j->f);
	pthread_mutex_unlock(&p->mu);
	if (!kept)
		faults_close(j->f);
	pthread_mutex_lock(&p->mu);
	p->nresetting--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	free(j);
	return NULL;
}

struct tracer_pool *tracer_pool_new_faults(const struct tracer *root, int verbose, unsigned faults_flags)
{
	struct tracer_pool *p;

	/* The thread reads root from its first load on: set before it runs. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->verbose = verbose;
	p->faults_flags = faults_flags;
	p->root = root;
	if (pthread_create(&p->thread, NULL, run, p)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

int tracer_pool_take(struct tracer_pool *p, struct faults_tracer **out)
{
	int err = 0;

	pthread_mutex_lock(&p->mu);
	if (p->nready)
		*out = p->ready[--p->nready];
	else
		err = p->err ? p->err : -EAGAIN;
	p->err = 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return err;
}

int tracer_pool_take_wait(struct tracer_pool *p, struct faults_tracer **out, int timeout_ms)
{
	struct timespec until;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	/* A set being emptied, or a load the spare count started, comes. */
	while (!p->nready && !p->quit && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&p->cv, &p->mu, &until);
	if (p->nready) {
		*out = p->ready[--p->nready];
		err = 0;
	} else {
		err = -EAGAIN;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return err;
}

int tracer_pool_wait_ready(struct tracer_pool *p, int n)
{
	int err;

	if (n > POOL_READY)
		n = POOL_READY;
	pthread_mutex_lock(&p->mu);
	/* The thread stops at POOL_SPARE: asked for more, it loads on. */
	p->want = n;
	pthread_cond_broadcast(&p->cv);
	while (p->nready < n && !p->err)
		pthread_cond_wait(&p->cv, &p->mu);
	err = p->nready < n ? p->err : 0;
	p->want = 0;
	pthread_mutex_unlock(&p->mu);
	return err;
}

void tracer_pool_give(struct tracer_pool *p, struct faults_tracer *f)
{
	struct reset_job *j;
	pthread_attr_t attr;
	pthread_t th;
	bool started = false;

	if (!f)
		return;
	j = malloc(sizeof(*j));
	if (j) {
		j->p = p;
		j->f = f;
		pthread_mutex_lock(&p->mu);
		p->nresetting++;
		pthread_mutex_unlock(&p->mu);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&th, &attr, reset_one, j) == 0;
		pthread_attr_destroy(&attr);
		if (!started) {
			pthread_mutex_lock(&p->mu);
			p->nresetting--;
			pthread_mutex_unlock(&p->mu);
			free(j);
		}
	}
	if (!started)
		faults_close(f);
}

void tracer_pool_free(struct tracer_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_lock(&p->mu);
	while (p->nresetting)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	while (p->nready)
		faults_close(p->ready[--p->nready]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
