// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tracer_pool.h"

/* One ready is enough for forks that come one after another; a burst
 * waits for loads.  Dead tracers beyond what is kept are closed. */
#define POOL_READY 2
#define POOL_DEAD 16

struct tracer_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool quit;
	int err; /* of the last load, 0 after one that worked */
	struct tracer ready[POOL_READY];
	int nready;
	struct tracer dead[POOL_DEAD];
	int ndead;
	uint64_t sample_bytes;
	int verbose;
	bool floor;
	unsigned bits;
};

static int load(struct tracer_pool *p, struct tracer *t)
{
	int err = tracer_open_sized(t, 0, true, p->sample_bytes, p->verbose, p->bits);

	if (err)
		return err;
	t->floor = p->floor;
	err = tracer_prefault(t);
	if (err)
		tracer_close(t);
	return err;
}

static void *run(void *arg)
{
	struct tracer_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		struct tracer t;
		bool reuse;
		int err;

		if (p->ndead) {
			t = p->dead[--p->ndead];
			reuse = p->nready < POOL_READY;
			pthread_mutex_unlock(&p->mu);
			err = reuse ? tracer_reset(&t) : -EEXIST;
			if (err)
				tracer_close(&t);
		} else if (p->nready < 1) {
			pthread_mutex_unlock(&p->mu);
			err = load(p, &t);
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		if (!err && p->nready < POOL_READY)
			p->ready[p->nready++] = t;
		else if (!err)
			tracer_close(&t); /* cannot happen: only this thread fills ready */
		if (err != -EEXIST)
			p->err = err;
		pthread_cond_broadcast(&p->cv);
		/* A load that failed is not retried until a take asks again. */
		if (err && err != -EEXIST && !p->ndead)
			pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct tracer_pool *tracer_pool_new(uint64_t sample_bytes, int verbose, bool floor, unsigned bucket_bits)
{
	struct tracer_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->sample_bytes = sample_bytes;
	p->verbose = verbose;
	p->floor = floor;
	p->bits = bucket_bits;
	if (pthread_create(&p->thread, NULL, run, p)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

int tracer_pool_take(struct tracer_pool *p, struct tracer *out)
{
	int err = 0;

	pthread_mutex_lock(&p->mu);
	p->err = 0;
	pthread_cond_broadcast(&p->cv);
	while (!p->nready && !p->err)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nready)
		*out = p->ready[--p->nready];
	else
		err = p->err;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return err;
}

void tracer_pool_give(struct tracer_pool *p, struct tracer *t)
{
	pthread_mutex_lock(&p->mu);
	if (p->ndead < POOL_DEAD) {
		p->dead[p->ndead++] = *t;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	} else {
		pthread_mutex_unlock(&p->mu);
		tracer_close(t);
	}
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
	while (p->nready)
		tracer_close(&p->ready[--p->nready]);
	while (p->ndead)
		tracer_close(&p->dead[--p->ndead]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
