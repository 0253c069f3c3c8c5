// SPDX-License-Identifier: MIT
/*
 * --follow: the threads that load a child's GC, fault and pymalloc probes
 * after it runs, and the detached one that closes its pool probes after it
 * ended, so the event loop stays free for the next fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <bpf/libbpf.h>

#include "follow_threads.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "session_state.h"
#include "unwind_load.h"

static void *gc_thread(void *arg)
{
	struct session *k = arg;

	plain_priority();
	if (gc_open_watch(&k->gc_loaded, k->pid, k->opts->verbose))
		k->gc_loaded = NULL;
	__atomic_store_n(&k->gc_done, true, __ATOMIC_RELEASE);
	return NULL;
}

void gc_start(struct session *k)
{
	if (k->gc || k->gc_loading)
		return;
	k->gc_done = false;
	if (pthread_create(&k->gc_thread, NULL, gc_thread, k) == 0)
		k->gc_loading = true;
}

/* Takes the child's GC tracer in once its thread is through (with `wait`,
 * waits for it: a report needs it). */
void gc_collect_thread(struct session *k, bool wait)
{
	if (!k->gc_loading || (!wait && !__atomic_load_n(&k->gc_done, __ATOMIC_ACQUIRE)))
		return;
	pthread_join(k->gc_thread, NULL);
	k->gc_loading = false;
	k->gc = k->gc_loaded;
	k->gc_loaded = NULL;
}

/* A set comes back within a report or two of an ended child (5-30 ms);
 * a load the pool starts takes 100-300 ms. */
#define FOLLOW_POOL_WAIT_MS 500

/* A child that had no fault programs at its fork (none ready in the pool,
 * or their attach failed: bind_faults) takes the next set that comes back
 * to the pool, else loads its own.
 * Loading the fault programs takes 100-300 ms of CPU: a thread does it, so
 * the event loop stays free for the next fork.  (At nice 10 it was worse:
 * a child's tracer goes back to the pool only after its report, which
 * waits for these programs.)  The child's faults before the programs are
 * attached are not seen (the heap's are: its probes are placed while it
 * is held). */

static void *faults_thread(void *arg)
{
	struct session *k = arg;

	/* The child's own heap tracer holds the code ranges and unwind rows its
	 * fault stacks are walked by. */
	struct faults_unwind uw = {
		.mode = k->tracer.unwind ? k->tracer.unwind->mode : MT_UNWIND_FP,
		.ranges_fd = bpf_map__fd(k->tracer.skel->maps.exec_ranges),
		.rows_fd = bpf_map__fd(k->tracer.skel->maps.unwind_rows),
	};

	plain_priority();
	/* A set that comes back to the pool first: loading one (the verifier)
	 * took the CPU from the server and fell further behind. */
	if (k->kid_pool && tracer_pool_take_wait(k->kid_pool, &k->faults_loaded, FOLLOW_POOL_WAIT_MS) == 0) {
		k->faults_from_pool = faults_bind(k->faults_loaded, k->pid) == 0;
		if (!k->faults_from_pool)
			faults_close(k->faults_loaded);
	}
	if (!k->faults_from_pool &&
	    faults_open_unwind(&k->faults_loaded, k->pid, FAULTS_TRACE_ALL, k->opts->verbose, &uw))
		k->faults_loaded = NULL;
	__atomic_store_n(&k->faults_done, true, __ATOMIC_RELEASE);
	return NULL;
}

void faults_start(struct session *k)
{
	k->faults_done = false;
	if (pthread_create(&k->faults_thread, NULL, faults_thread, k) == 0)
		k->faults_loading = true;
	else
		log_error("--follow: cannot start loading PID %d's fault programs: %s (its faults are not traced)",
			  (int)k->pid, strerror(errno));
}

/* Takes the child's faults tracer in once its thread is through (with
 * `wait`, waits for it). */
void faults_collect_thread(struct session *k, bool wait)
{
	if (!k->faults_loading || (!wait && !__atomic_load_n(&k->faults_done, __ATOMIC_ACQUIRE)))
		return;
	pthread_join(k->faults_thread, NULL);
	k->faults_loading = false;
	k->faults = k->faults_loaded;
	/* From the pool: it goes back there (follow_kid_free). */
	if (k->faults_from_pool)
		k->tracer.faults = k->faults_loaded;
	k->faults_loaded = NULL;
}

static void *py_attach_thread(void *arg)
{
	struct session *k = arg;
	struct pymalloc *py = calloc(1, sizeof(*py));

	plain_priority();
	if (py)
		pymalloc_attach(py, k->tracer.skel, k->pid, k->opts->verbose);
	else
		log_error("PID %d: cannot probe pymalloc: out of memory", (int)k->pid);
	k->py_loaded = py;
	__atomic_store_n(&k->py_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Its interpreter's pools, as its parent's were, probed by a thread: in
 * the event loop the next fork waited behind them.  The pools it takes
 * before they are probed are not seen; its Tracing line waits for them. */
void py_start(struct session *k)
{
	if (k->opts->no_pymalloc || k->py || k->py_loading)
		return;
	k->py_done = false;
	if (pthread_create(&k->py_thread, NULL, py_attach_thread, k) == 0)
		k->py_loading = true;
	else
		session_probe_pymalloc(k);
}

/* Takes the child's pool probes in once its thread is through (with
 * `wait`, waits for it), and says what is traced when it had waited. */
void py_collect_thread(struct session *k, bool wait)
{
	if (!k->py_loading || (!wait && !__atomic_load_n(&k->py_done, __ATOMIC_ACQUIRE)))
		return;
	pthread_join(k->py_thread, NULL);
	k->py_loading = false;
	k->py = k->py_loaded;
	k->py_loaded = NULL;
	if (k->tracer.alloc.path[0] || otel_usdt_active(&k->tracer.otel))
		session_announce(k);
}

static void *py_detach_thread(void *arg)
{
	struct pymalloc *py = arg;

	pymalloc_detach(py);
	free(py);
	return NULL;
}

/*
 * A child's pool probes (46 perf-event uprobes) are closed by a detached
 * thread: each close waits for the kernel's readers of the probe (an RCU
 * grace period), 3.3-6.6 s in all under load here, and in the event loop
 * every fork waited behind them.  The process is gone: nothing fires.
 */
void py_detach_later(struct pymalloc *py)
{
	pthread_attr_t attr;
	pthread_t th;
	bool started;

	if (!py)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&th, &attr, py_detach_thread, py) == 0;
	pthread_attr_destroy(&attr);
	if (!started)
		py_detach_thread(py);
}

