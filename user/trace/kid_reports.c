// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "follow_threads.h"
#include "grow.h"
#include "kid_reports.h"
#include "log.h"
#include "session_state.h"

/*
 * At a plain priority, behind the event loop (nice -10, follow_prioritize)
 * and beside the traced processes.  At nice 19 it fell behind on a busy
 * machine: the slots and fault programs an ended child gives back came
 * late, so forks made their own in their hold (with --faults, fork_server
 * 18-52x untraced against 3.0-3.8x at nice 0; without, no better at 19).
 */
#define KID_REPORTS_NICE 0

struct kid_reports {
	struct session *root;
	pid_t root_pid;
	pthread_mutex_t lock;
	pthread_cond_t more; /* a child queued, a warm asked for, or stop */
	pthread_cond_t warmed; /* warms done went up */
	uint64_t warms_done;
	struct session **v;  /* queued children, v[head..n) */
	size_t head, n, cap;
	bool stop, started, warm_due;
	bool in_loop; /* push's fallback: the loop's own root->sym serves */
	pthread_t thread;
	/* The root's objects, for children that map what it maps: this
	 * thread's alone (NULL until the first warm). */
	struct symbolizer *sym;
};

/* One address per executable mapping: its symbols and DWARF read now, not
 * in the first child's report. */
static void warm(struct kid_reports *w, int verbose)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	const struct maps *m;
	struct resolved r;

	if (!w->sym)
		w->sym = symbolizer_new(w->root_pid);
	if (!w->sym || symbolizer_refresh(w->sym))
		return;
	m = symbolizer_maps(w->sym);
	for (size_t i = 0; m && i < m->n; i++)
		if (m->v[i].exec && m->v[i].path[0] == '/')
			symbolizer_resolve(w->sym, m->v[i].start, 0, &r);
	log_debug(verbose, 2, "--follow: symbols read ahead in %.1f ms", (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

static void finish(struct kid_reports *w, struct session *root, struct session *k)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t1, t2;
	int verbose = root->opts->verbose;
	struct mt_profile p;
	pid_t pid = k->pid;
	bool built;

	gc_collect_thread(k, true);
	faults_collect_thread(k, true);
	py_collect_thread(k, true);
	if (k->shared_sym && !w->in_loop) {
		/* The root may have mapped more since (its maps kept when it
		 * is gone); a refresh that finds nothing new keeps the cache. */
		if (!w->sym)
			warm(w, verbose);
		else
			symbolizer_refresh(w->sym);
		k->sym = w->sym;
	}
	if (!k->sym)
		log_error("--follow: no symbols for PID %d's report: out of memory (its report is missing)", (int)pid);
	built = k->sym && session_final_profile(k, &p) == 0;
	/* Its tables are read: the next fork may have its slot before the
	 * report is formatted and fsynced. */
	tracer_recycle_slot(&k->tracer);
	if (built)
		session_deliver(k, &p);
	t1 = clock_ns(CLOCK_MONOTONIC);
	follow_kid_free(root, k);
	t2 = clock_ns(CLOCK_MONOTONIC);
	log_debug(verbose, 1, "--follow: PID %d's report took %.2f ms (profile %.2f ms, freeing %.2f ms)", (int)pid,
		  (t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
}

static void *kids_main(void *arg)
{
	struct kid_reports *w = arg;

	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), KID_REPORTS_NICE);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct session *k;

		while (w->head == w->n && !w->warm_due && !w->stop)
			pthread_cond_wait(&w->more, &w->lock);
		if (w->warm_due) {
			w->warm_due = false;
			pthread_mutex_unlock(&w->lock);
			warm(w, w->root->opts->verbose);
			pthread_mutex_lock(&w->lock);
			w->warms_done++;
			pthread_cond_broadcast(&w->warmed);
			continue;
		}
		if (w->head == w->n)
			break;
		k = w->v[w->head++];
		if (w->head == w->n)
			w->head = w->n = 0;
		pthread_mutex_unlock(&w->lock);
		finish(w, w->root, k);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct kid_reports *kid_reports_new(struct session *root)
{
	struct kid_reports *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->root = root;
	w->root_pid = root->pid;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->warmed, NULL);
	return w;
}

/* With w->lock held. */
static bool start(struct kid_reports *w)
{
	if (!w->started)
		w->started = pthread_create(&w->thread, NULL, kids_main, w) == 0;
	return w->started;
}

void kid_reports_warm(struct kid_reports *w, bool wait)
{
	uint64_t gen;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	if (start(w)) {
		gen = w->warms_done;
		w->warm_due = true;
		pthread_cond_signal(&w->more);
		while (wait && w->warms_done == gen)
			pthread_cond_wait(&w->warmed, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
}

void kid_reports_push(struct kid_reports *w, struct session *root, struct session *k)
{
	bool queued = false;

	if (w) {
		pthread_mutex_lock(&w->lock);
		if (start(w) && !grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v), 8)) {
			w->v[w->n++] = k;
			queued = true;
			pthread_cond_signal(&w->more);
		}
		pthread_mutex_unlock(&w->lock);
	}
	if (!queued) {
		struct kid_reports here = { .root = root, .root_pid = root->pid, .in_loop = true };

		finish(&here, root, k);
	}
}

void kid_reports_free(struct kid_reports *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	symbolizer_free(w->sym);
	free(w->v);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->warmed);
	free(w);
}
