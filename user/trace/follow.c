// SPDX-License-Identifier: MIT
/*
 * --follow's process tree inside one memtrace.  A forked child is held in
 * its first ptrace stop only while a tracer from the pool (tracer_pool.h,
 * loaded ahead or emptied after a child that ended) is pointed at it and
 * its parent's probes, already resolved, are attached again for its PID
 * (0.3-2 ms here): nothing is read from the child and no BPF is loaded
 * while it waits.  Its names come from the root's symbolizer (a fork maps
 * what its parent maps) until it execs or dlopens, both ptrace stops.
 * When anything fails the child is detached, so it runs on untraced, and
 * one line says so.  Held in a ptrace stop (never a SIGSTOP), a child
 * also runs on when memtrace dies: the kernel detaches it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "clock.h"
#include "exec_ranges.h"
#include "grow.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "session_state.h"
#include "unwind_load.h"

/*
 * A child's block table: 2^14 buckets (4 MiB, 131,072 blocks before the
 * overflow map's 262,144), not the root's 2^18 (64 MiB): every report and
 * every reset reads the table whole, and in this memtrace that happens at
 * each child's exit, while the next fork may be waiting.
 */
#define FOLLOW_BUCKET_BITS 14
#define FOLLOW_NICE -10

/*
 * Every fork waits for this thread to run: on a loaded machine that wait
 * is mostly the scheduler's (fork_server's children waited a median 40 ms
 * at a load of 10 on this 2-core VM, 15 ms with the loop at nice -10), so
 * the event loop runs ahead of the threads it starts, which set their own
 * niceness back (plain_priority).  Without the privilege it stays as it is.
 */
void follow_prioritize(int verbose)
{
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), FOLLOW_NICE))
		log_debug(verbose, 1, "--follow: cannot raise memtrace's priority: %s", strerror(errno));
}

void plain_priority(void)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 0);
}

int follow_start(struct session *root)
{
	const struct trace_opts *o = root->opts;

	root->pool = tracer_pool_new(o->sample_bytes, o->unwind, o->verbose, o->probe_floor, FOLLOW_BUCKET_BITS);
	if (!root->pool) {
		log_error("--follow: cannot start loading tracers for forked children: %s (they run untraced)",
			  strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

static pid_t status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return (pid_t)v;
}

struct session *follow_find(struct session *root, pid_t pid)
{
	pid_t tgid;

	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->pid == pid && !root->kids[i]->exited)
			return root->kids[i];
	if (!root->nkids)
		return NULL;
	tgid = status_field(pid, "Tgid");
	for (size_t i = 0; tgid > 0 && tgid != pid && i < root->nkids; i++)
		if (root->kids[i]->pid == tgid && !root->kids[i]->exited)
			return root->kids[i];
	return NULL;
}

static void *gc_thread(void *arg)
{
	struct session *k = arg;

	plain_priority();
	if (gc_open_watch(&k->gc_loaded, k->pid, k->opts->verbose))
		k->gc_loaded = NULL;
	__atomic_store_n(&k->gc_done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void gc_start(struct session *k)
{
	if (k->gc || k->gc_loading)
		return;
	k->gc_done = false;
	if (pthread_create(&k->gc_thread, NULL, gc_thread, k) == 0)
		k->gc_loading = true;
}

void follow_exec(struct session *k)
{
	follow_own_symbols(k);
	if (k->opts->gc)
		gc_start(k);
}

/* Takes the child's GC tracer in once its thread is through (with `wait`,
 * waits for it: a report needs it). */
static void gc_collect_thread(struct session *k, bool wait)
{
	if (!k->gc_loading || (!wait && !__atomic_load_n(&k->gc_done, __ATOMIC_ACQUIRE)))
		return;
	pthread_join(k->gc_thread, NULL);
	k->gc_loading = false;
	k->gc = k->gc_loaded;
	k->gc_loaded = NULL;
}

/* Loading the fault programs takes 100-300 ms of CPU: a thread does it, so
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
	if (faults_open_unwind(&k->faults_loaded, k->pid, FAULTS_TRACE_ALL, k->opts->verbose, &uw))
		k->faults_loaded = NULL;
	__atomic_store_n(&k->faults_done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void faults_start(struct session *k)
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
static void faults_collect_thread(struct session *k, bool wait)
{
	if (!k->faults_loading || (!wait && !__atomic_load_n(&k->faults_done, __ATOMIC_ACQUIRE)))
		return;
	pthread_join(k->faults_thread, NULL);
	k->faults_loading = false;
	k->faults = k->faults_loaded;
	k->faults_loaded = NULL;
}

/* Its tracer goes back to the pool, to be emptied for a next fork. */
static void kid_free(struct session *root, struct session *k)
{
	gc_collect_thread(k, true);
	faults_collect_thread(k, true);
	ring_buffer__free(k->rb);
	if (!k->shared_sym)
		symbolizer_free(k->sym);
	faults_close(k->faults);
	gc_close(k->gc);
	leakwatch_close(&k->watch);
	if (k->py)
		pymalloc_detach(k->py);
	free(k->py);
	if (k->tracer.skel && root->pool)
		tracer_pool_give(root->pool, &k->tracer);
	else
		tracer_close(&k->tracer);
	free(k->series);
	free(k);
}

void follow_own_symbols(struct session *k)
{
	struct symbolizer *sym;

	if (!k->shared_sym)
		return;
	sym = symbolizer_new(k->pid);
	if (!sym)
		return; /* the root's names, as before */
	k->sym = sym;
	k->shared_sym = false;
	symbolizer_refresh(k->sym);
}

static int on_kid_event(void *ctx, void *data, size_t len)
{
	struct session *k = ctx;
	const struct mt_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	/* An exec is also a ptrace stop; a dlopen, one when it needs one. */
	if (ev->type == MT_EV_DLOPEN) {
		follow_own_symbols(k);
		session_reprobe(k);
	}
	return 0;
}

/* What waits until the child runs: it costs the child nothing. */
static void kid_settle(struct session *root, struct session *parent, struct session *k)
{
	const struct trace_opts *o = root->opts;
	int err;

	/* A fork maps what its parent does: the root's names serve it, warm,
	 * and nothing is read from a child that may be gone already. */
	if (parent == root || parent->shared_sym) {
		k->sym = root->sym;
		k->shared_sym = true;
	} else {
		k->sym = symbolizer_new(k->pid);
		if (k->sym)
			symbolizer_refresh(k->sym);
	}
	/* Its own code ranges (and unwind rows): until now its walks asked
	 * its VMAs (tracer_bind). */
	err = exec_ranges_load(bpf_map__fd(k->tracer.skel->maps.exec_ranges), k->pid, k->tracer.unwind);
	if (err < 0 && err != -ENOENT && err != -ESRCH)
		log_debug(o->verbose, 1, "--follow: PID %d's code ranges: %s (its walks ask the kernel)", (int)k->pid,
			  strerror(-err));
	k->rb = ring_buffer__new(bpf_map__fd(k->tracer.skel->maps.events), on_kid_event, k, NULL);
	err = !k->sym || !k->rb ? -ENOMEM : leakwatch_open(&k->watch, o, root->hooks);
	k->watch.start_ns = k->start_ns;
	k->watch.pid = k->pid;
	k->watch.comm = k->comm;
	/* Faults and GC are traced from here on, as the parent's options say
	 * (each loads BPF programs, in a thread of its own). */
	if (!err && o->faults)
		faults_start(k);
	/* A fork has its parent's runtimes: none to look for when the parent
	 * had none (an exec looks again, follow_exec). */
	if (!err && o->gc && gc_runtime_name(parent->gc))
		gc_start(k);
	/* Its interpreter's pools, as its parent's were (the decoded code is
	 * kept: this is the attach alone). */
	if (!err && parent->py && parent->py->path[0])
		session_probe_pymalloc(k);
	if (err)
		log_error("--follow: cannot complete the trace of PID %d: %s (its report may be missing)", (int)k->pid,
			  strerror(-err));
	if (k->tracer.alloc.path[0] || otel_usdt_active(&k->tracer.otel))
		session_announce(k);
}

void follow_adopt(struct session *root, pid_t child)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t_take = t0, held;
	pid_t ppid = status_field(child, "PPid");
	struct session *parent = follow_find(root, ppid), *k = NULL;
	const char *why = "out of memory";
	int err = -ENOMEM;

	if (!parent)
		parent = root;
	k = calloc(1, sizeof(*k));
	if (!k || grow((void **)&root->kids, &root->kids_cap, root->nkids, sizeof(*root->kids), 8))
		goto fail;
	why = "cannot load the BPF programs";
	err = root->pool ? tracer_pool_take(root->pool, &k->tracer) : -ENOMEM;
	if (err)
		goto fail;
	t_take = clock_ns(CLOCK_MONOTONIC);
	tracer_bind(&k->tracer, child);
	why = "cannot probe it";
	err = tracer_attach_like(&k->tracer, &parent->tracer);
	if (!err)
		err = tracer_attach_exec(&k->tracer);
	if (err)
		goto fail;
	k->opts = root->opts;
	k->hooks = root->hooks;
	k->pid = child;
	k->launched = k->ptraced = k->many = true;
	k->fork_parent = parent->pid;
	k->start_ns = k->prev_view_ns = t0;
	k->start_real_ns = clock_ns(CLOCK_REALTIME);
	k->dl_stops_seen = 0;
	snprintf(k->comm, sizeof(k->comm), "%s", parent->comm);
	root->kids[root->nkids++] = k;
	root->many = true;
	/* Its exit is not stopped: a socket it leaves open closes on time. */
	ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)(launch_ptrace_options(true) & ~PTRACE_O_TRACEEXIT));
	ptrace(PTRACE_CONT, child, NULL, NULL);
	held = clock_ns(CLOCK_MONOTONIC) - t0;
	root->held_total_ns += held;
	root->nheld++;
	if (held > root->held_max_ns)
		root->held_max_ns = held;
	log_debug(root->opts->verbose, 1, "--follow: PID %d held %.2f ms to probe it (%.2f ms waiting for a tracer)",
		  (int)child, held / 1e6, (t_take - t0) / 1e6);
	/* The rest waits until the stops queued now are answered (follow_settle):
	 * the parent's fork stop among them, and a server closes its copy of
	 * the connection only once it runs on. */
	k->settle_parent = parent;
	return;
fail:
	if (k && k->tracer.skel)
		tracer_close(&k->tracer);
	free(k);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
	log_error("--follow: cannot trace PID %d: %s: %s (it runs on untraced)", (int)child, why, strerror(-err));
}

void follow_settle_kid(struct session *root, struct session *k)
{
	struct session *parent = k->settle_parent;

	if (parent) {
		k->settle_parent = NULL;
		kid_settle(root, parent, k);
	}
}

void follow_settle(struct session *root)
{
	for (size_t i = 0; i < root->nkids; i++)
		follow_settle_kid(root, root->kids[i]);
}

static void kid_remove(struct session *root, struct session *k)
{
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i] == k) {
			root->kids[i] = root->kids[--root->nkids];
			break;
		}
	kid_free(root, k);
}

void follow_exited(struct session *root, struct session *kid, int status)
{
	(void)root;
	kid->exited = true;
	kid->wait_status = status;
}

bool follow_finish_one(struct session *root)
{
	for (size_t i = 0; i < root->nkids; i++) {
		struct session *k = root->kids[i];

		if (k->exited) {
			/* Its report waits for its GC and fault programs, if they are
			 * still loading; the loop does not: a fork may be waiting. */
			if ((k->gc_loading && !__atomic_load_n(&k->gc_done, __ATOMIC_ACQUIRE)) ||
			    (k->faults_loading && !__atomic_load_n(&k->faults_done, __ATOMIC_ACQUIRE)))
				continue;
			uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
			pid_t pid = k->pid;

			gc_collect_thread(k, true);
			faults_collect_thread(k, true);
			if (k->sym)
				session_finish(k);
			kid_remove(root, k);
			/* The next fork waits for this: it runs in the event loop. */
			log_debug(root->opts->verbose, 1, "--follow: PID %d's report took %.2f ms", (int)pid,
				  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
			return true;
		}
	}
	return false;
}

void follow_poll(struct session *root, uint64_t now)
{
	for (size_t i = 0; i < root->nkids; i++) {
		struct session *k = root->kids[i];

		k->tracer.skel->bss->now_ns = now;
		if (k->rb)
			ring_buffer__consume(k->rb);
		gc_collect_thread(k, false);
		if (k->gc)
			gc_poll(k->gc);
		faults_collect_thread(k, false);
	}
}

void follow_sample(struct session *root)
{
	for (size_t i = 0; i < root->nkids; i++)
		if (root->kids[i]->sym && !root->kids[i]->exited)
			session_sample(root->kids[i]);
}

void follow_end(struct session *root, bool report)
{
	if (report)
		follow_settle(root);
	while (root->nkids) {
		struct session *k = root->kids[root->nkids - 1];

		gc_collect_thread(k, true);
		faults_collect_thread(k, true);
		if (report && k->sym)
			session_finish(k);
		kid_remove(root, k);
	}
	free(root->kids);
	root->kids = NULL;
	root->kids_cap = 0;
	tracer_pool_free(root->pool);
	root->pool = NULL;
	if (report && root->nheld)
		log_debug(root->opts->verbose, 1, "--follow: %llu forked children held %.2f ms on average, %.2f ms at most",
			  (unsigned long long)root->nheld, root->held_total_ns / 1e6 / (double)root->nheld,
			  root->held_max_ns / 1e6);
}
