// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "report_writer.h"
#include "session_state.h"

struct report_writer {
	const struct trace_hooks *hooks;
	pthread_mutex_t lock;
	pthread_cond_t more; /* a report queued, or stop */
	struct mt_profile *v;      /* queued reports, v[head..n) */
	size_t head, n, cap;
	bool stop, started;
	pthread_t thread;
};

static void write_one(const struct trace_hooks *hooks, struct mt_profile *p)
{
	if (hooks->report_many)
		hooks->report_many(hooks->ctx, p);
	else if (hooks->report)
		hooks->report(hooks->ctx, p);
	profile_free(p);
}

static void *writer_main(void *arg)
{
	struct report_writer *w = arg;

	/* Behind the event loop (follow_prioritize): a fork's stop first. */
	plain_priority();
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct mt_profile p;

		while (w->head == w->n && !w->stop)
			pthread_cond_wait(&w->more, &w->lock);
		if (w->head == w->n)
			break;
		p = w->v[w->head++];
		if (w->head == w->n)
			w->head = w->n = 0;
		pthread_mutex_unlock(&w->lock);
		write_one(w->hooks, &p);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct report_writer *report_writer_new(const struct trace_hooks *hooks)
{
	struct report_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->hooks = hooks;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	return w;
}

void report_writer_push(struct report_writer *w, const struct trace_hooks *hooks, struct mt_profile *p)
{
	bool queued = false;

	if (w) {
		pthread_mutex_lock(&w->lock);
		/* Started at the first report: a trace with no ended child has
		 * no thread. */
		if (!w->started)
			w->started = pthread_create(&w->thread, NULL, writer_main, w) == 0;
		if (w->started && !grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v), 8)) {
			w->v[w->n++] = *p;
			queued = true;
			pthread_cond_signal(&w->more);
		}
		pthread_mutex_unlock(&w->lock);
	}
	if (queued)
		memset(p, 0, sizeof(*p));
	else
		write_one(hooks, p);
}

void report_writer_free(struct report_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	free(w->v);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	free(w);
}
