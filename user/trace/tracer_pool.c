// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "faults.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "tracer_pool.h"
#include "unwind_load.h"

/*
 * Up to POOL_READY kept ready; a load starts when fewer than POOL_SPARE
 * are ready or being emptied: each load costs 250-300 ms of CPU (the
 * verifier) that the traced server would want on a 2-core machine, and a
 * fork-per-connection server served one connection at a time needs one
 * tracer in use and one spare.  A tracer
 * that comes back is emptied by a thread of its own: what it costs is
 * mostly the kernel's wait for readers of the probes it unregisters (an
 * RCU grace period per link, 100-600 ms on this loaded 2-core VM), and
 * waits that run at once end together, so forks that come faster than one
 * grace period still find tracers ready.
 */
#define POOL_READY 8
#define POOL_SPARE 2

struct tracer_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool quit;
	int err; /* of the last load, 0 after one that worked */
	struct tracer ready[POOL_READY];
	int nready;
	int nresetting; /* threads emptying a tracer that came back */
	uint64_t sample_bytes;
	int unwind_mode;
	int verbose;
	bool floor;
	unsigned bits;
	int ready_fd; /* eventfd, written at each tracer made ready */
	int want;     /* tracer_pool_wait_ready's n while it waits */
	unsigned faults_flags; /* faults_open's flags for each tracer's fault programs; 0: none */
	const struct tracer *root; /* fault programs only, on root's maps (tracer_pool_new_faults) */
};

/* Fault programs alone, on the root's maps (tracer_pool_new_faults). */
static int load_faults(struct tracer_pool *p, struct tracer *t)
{
	struct faults_unwind uw = {
		.mode = p->root->unwind ? p->root->unwind->mode : MT_UNWIND_FP,
		.ranges_fd = bpf_map__fd(p->root->skel->maps.exec_ranges),
		.rows_fd = bpf_map__fd(p->root->skel->maps.unwind_rows),
	};

	memset(t, 0, sizeof(*t));
	t->dl_link.fd = -1;
	return faults_load_unbound(&t->faults, p->faults_flags, p->verbose, &uw);
}

static int load(struct tracer_pool *p, struct tracer *t)
{
	int err;

	if (p->root)
		return load_faults(p, t);
	err = tracer_open_sized(t, 0, true, p->sample_bytes, p->unwind_mode, p->verbose, p->bits);

	if (err)
		return err;
	t->floor = p->floor;
	/* Its fault programs too: a child's load after its fork missed its
	 * first faults and took the CPU from it.  Without them the child loads
	 * its own, as before (one line said why these failed: not again). */
	if (p->faults_flags) {
		struct faults_unwind uw = {
			.mode = t->unwind ? t->unwind->mode : MT_UNWIND_FP,
			.ranges_fd = bpf_map__fd(t->skel->maps.exec_ranges),
			.rows_fd = bpf_map__fd(t->skel->maps.unwind_rows),
		};

		if (faults_load_unbound(&t->faults, p->faults_flags, p->verbose, &uw))
			p->faults_flags = 0;
	}
	return 0;
}

/* Takes t in when there is room; the caller holds the lock. */
static bool keep(struct tracer_pool *p, struct tracer *t)
{
	if (p->nready == POOL_READY)
		return false;
	p->ready[p->nready++] = *t;
	pthread_cond_broadcast(&p->cv);
	if (p->ready_fd >= 0)
		eventfd_write(p->ready_fd, 1);
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
		struct tracer t;
		int err;

		if ((p->nready + p->nresetting >= POOL_SPARE && p->nready >= p->want) || p->err) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		err = load(p, &t);
		pthread_mutex_lock(&p->mu);
		/* A load that failed is tried again when a take asks (p->err = 0). */
		p->err = err;
		if (!err && !keep(p, &t))
			tracer_close(&t);
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct reset_job {
	struct tracer_pool *p;
	struct tracer t;
};

static void *reset_one(void *arg)
{
	struct reset_job *j = arg;
	struct tracer_pool *p = j->p;
	bool kept = false;
	int err;

	plain();
	err = tracer_reset(&j->t);
	pthread_mutex_lock(&p->mu);
	if (!err)
		kept = keep(p, &j->t);
	pthread_mutex_unlock(&p->mu);
	if (!kept)
		tracer_close(&j->t);
	pthread_mutex_lock(&p->mu);
	p->nresetting--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	free(j);
	return NULL;
}

struct tracer_pool *tracer_pool_new(uint64_t sample_bytes, int unwind_mode, int verbose, bool floor,
				    unsigned bucket_bits, unsigned faults_flags)
{
	struct tracer_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->sample_bytes = sample_bytes;
	p->unwind_mode = unwind_mode;
	p->verbose = verbose;
	p->floor = floor;
	p->bits = bucket_bits;
	p->faults_flags = faults_flags;
	p->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pthread_create(&p->thread, NULL, run, p)) {
		if (p->ready_fd >= 0)
			close(p->ready_fd);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

/* The condition variable waits by CLOCK_REALTIME (its default). */
static struct timespec after(uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns += (uint64_t)ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000ULL);
	ts.tv_nsec = (long)(ns % 1000000000ULL);
	return ts;
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
	p->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pthread_create(&p->thread, NULL, run, p)) {
		if (p->ready_fd >= 0)
			close(p->ready_fd);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

int tracer_pool_take(struct tracer_pool *p, struct tracer *out, uint64_t wait_ns)
{
	struct timespec until = after(wait_ns);
	int err = 0;

	pthread_mutex_lock(&p->mu);
	p->err = 0;
	pthread_cond_broadcast(&p->cv);
	while (!p->nready && !p->err)
		if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT)
			break;
	if (p->nready)
		*out = p->ready[--p->nready];
	else
		err = p->err ? p->err : -EAGAIN;
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

int tracer_pool_ready_fd(const struct tracer_pool *p)
{
	return p->ready_fd;
}

void tracer_pool_give(struct tracer_pool *p, struct tracer *t)
{
	struct reset_job *j = malloc(sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	bool started = false;

	if (j) {
		j->p = p;
		j->t = *t;
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
		tracer_close(t);
	memset(t, 0, sizeof(*t));
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
		tracer_close(&p->ready[--p->nready]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	if (p->ready_fd >= 0)
		close(p->ready_fd);
	free(p);
}
