// SPDX-License-Identifier: MIT
/*
 * --follow's process tree inside one memtrace.  A forked child is held in
 * its first ptrace stop only while it is entered in the root's loaded heap
 * object (tracer_join: its tgid given a slot of tables made ahead, ~0.05
 * ms), with fault tracing a set of fault programs from the pool
 * (tracer_pool.h, loaded ahead or emptied after a child that ended; never
 * waited for: a child that finds none loads its own once it runs) is bound
 * to it, and its parent's probes, already resolved, are attached again for
 * its PID (0.2-0.4 ms here): nothing is read from the child and no BPF is
 * loaded while it waits.  Its names come from the root's symbolizer (a fork maps
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
#include "follow_threads.h"
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

/*
 * The tree shares the root's loaded heap object: a fork enters the child's
 * tables (made ahead, FOLLOW_SLOTS of them, and recycled: proc_maps.h) and
 * attaches its probes (tracer_join).  With fault tracing, fault programs
 * are loaded ahead, one set per child, on the root's code ranges and rows.
 * Forked children served one at a time hold two sets: the next fork is
 * bound before the last child's report gives its set back (kid_reports.h).
 * With three loaded ahead the pool loaded a fourth during sequential
 * connections, 250-300 ms of verifier CPU taken from the children
 * (fork_server, 20 connections: median 14.8 -> 9.1 ms at a load of 3-5);
 * four are loaded before the trace starts, so a burst of four does not
 * wait either.  Slots: four, as a report can lag a connection or two.
 */
#define FOLLOW_READY 4
/* Children's tables made ahead on the shared object (proc_maps.h). */
#define FOLLOW_SLOTS 4

void follow_ready(struct session *root)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int err;

	if (!root->tracer.skel)
		return;
	/* A running root (-p) has no exec or dynamic-linker stop to read its
	 * names ahead at: from now, without stopping it. */
	if (!root->launched)
		follow_warm_symbols(root);
	err = proc_slots_fill(root->tracer.skel, root->tracer.slots, FOLLOW_BUCKET_BITS, FOLLOW_SLOTS);
	log_debug(root->opts->verbose, 1, "--follow: tables for %d forked children made ahead in %.1f ms%s%s",
		  FOLLOW_SLOTS, (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6, err ? ": " : "", err ? strerror(-err) : "");
	if (!root->opts->faults)
		return;
	root->pool = tracer_pool_new_faults(&root->tracer, root->opts->verbose, FAULTS_TRACE_ALL);
	if (!root->pool) {
		log_warn("--follow: cannot start loading fault programs for forked children: %s (each loads its own "
			 "once it runs)", strerror(errno));
		return;
	}
	t0 = clock_ns(CLOCK_MONOTONIC);
	err = tracer_pool_wait_ready(root->pool, FOLLOW_READY);
	log_debug(root->opts->verbose, 1, "--follow: tracers for forked children loaded ahead in %.1f ms%s%s",
		  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6, err ? ": " : "", err ? strerror(-err) : "");
}

/*
 * Children that map what the root maps are symbolized by kid_reports'
 * thread, with its own symbolizer of the root: the first child's report
 * read each object's symbols and DWARF cold (87-160 ms here).  It reads
 * them ahead whenever the root's objects change (its exec and
 * dynamic-linker stops), before it can fork, off the loop.
 */
void follow_warm_symbols(struct session *root)
{
	if (!root->reports)
		root->reports = kid_reports_new(root);
	kid_reports_warm(root->reports, root->launched);
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

void follow_exec(struct session *k)
{
	follow_own_symbols(k);
	if (k->opts->gc)
		gc_start(k);
}

/* Its fault programs go back to the pool, to be emptied for a next fork.
 * kid_reports' thread calls it too: nothing here is the loop's. */
void follow_kid_free(struct session *root, struct session *k)
{
	gc_collect_thread(k, true);
	faults_collect_thread(k, true);
	py_collect_thread(k, true);
	if (!k->shared_sym)
		symbolizer_free(k->sym);
	if (k->faults != k->tracer.faults)
		faults_close(k->faults);
	gc_close(k->gc);
	leakwatch_close(&k->watch);
	py_detach_later(k->py);
	k->py = NULL;
	if (k->tracer.faults && root->pool) {
		tracer_pool_give(root->pool, k->tracer.faults);
		k->tracer.faults = NULL;
	}
	/* Its slot on the root's object is made ready again by a thread
	 * (proc_maps_remove_later). */
	tracer_close(&k->tracer);
	free(k->series);
	free(k);
}

void follow_own_symbols(struct session *k)
{
	struct symbolizer *sym;

	/* Before its objects are looked at again (exec, dlopen): its pool
	 * probes are in place. */
	py_collect_thread(k, true);

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
	/* Its own code ranges (and unwind rows), unless its parent's serve
	 * (tracer_join): until now its walks asked its VMAs. */
	err = k->tracer.ranges_inherited ? 0 :
		exec_ranges_load(bpf_map__fd(k->tracer.skel->maps.exec_ranges), k->pid, k->tracer.unwind);
	if (err < 0 && err != -ENOENT && err != -ESRCH)
		log_debug(o->verbose, 1, "--follow: PID %d's code ranges: %s (its walks ask the kernel)", (int)k->pid,
			  strerror(-err));
	/* Its tables mapped now; its events come on the root's ring buffer
	 * (follow_kid_event). */
	err = tracer_map_heap(&k->tracer);
	if (err)
		log_error("--follow: cannot read PID %d's tables: %s (its report will be missing)", (int)k->pid,
			  strerror(-err));
	err = !k->sym ? -ENOMEM : leakwatch_open(&k->watch, o, root->hooks);
	k->watch.start_ns = k->start_ns;
	k->watch.pid = k->pid;
	k->watch.comm = k->comm;
	/* Faults and GC are traced from here on, as the parent's options say
	 * (each loads BPF programs, in a thread of its own). */
	if (!err && o->faults && !k->faults) {
		k->kid_pool = root->pool;
		faults_start(k);
	}
	/* A fork has its parent's runtimes: none to look for when the parent
	 * had none (an exec looks again, follow_exec). */
	if (!err && o->gc && gc_runtime_name(parent->gc))
		gc_start(k);
	/* Its interpreter's pools, as its parent's were (the decoded code is
	 * kept: this is the attach alone). */
	if (!err && parent->py && parent->py->path[0])
		py_start(k);
	if (err)
		log_error("--follow: cannot complete the trace of PID %d: %s (its report may be missing)", (int)k->pid,
			  strerror(-err));
	if (!k->py_loading && (k->tracer.alloc.path[0] || otel_usdt_active(&k->tracer.otel)))
		session_announce(k);
}

/*
 * Its fault programs, loaded with its tracer: attached while it is held, so
 * its faults count from its first instruction (a load after the fork missed
 * a short child's faults, 100-300 ms of them).  Without them (their load or
 * attach failed) kid_settle loads its own, as before.
 */
static void bind_faults(struct session *root, struct session *k, pid_t child)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int err;

	if (!k->tracer.faults)
		return;
	err = faults_bind(k->tracer.faults, child);
	if (err) {
		log_debug(root->opts->verbose, 1, "--follow: cannot attach PID %d's fault programs: %s (loading its own)",
			  (int)child, strerror(-err));
		faults_close(k->tracer.faults);
		k->tracer.faults = NULL;
		return;
	}
	k->faults = k->tracer.faults;
	log_debug(root->opts->verbose, 2, "--follow: PID %d's fault programs attached in %.2f ms", (int)child,
		  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

/* Probes child, joined to the root's object, where its parent probes its
 * own, and makes it one of root's children; a negative errno (nothing
 * attached) and *why when that fails. */
static int bind_child(struct session *root, struct session *parent, struct session *k, pid_t child,
		      const char **why)
{
	int err;

	if (grow((void **)&root->kids, &root->kids_cap, root->nkids, sizeof(*root->kids), 8)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	*why = "cannot probe it";
	/* The root's exec program serves a child on its object. */
	err = tracer_attach_like(&k->tracer, &parent->tracer);
	if (err)
		return err;
	if (root->opts->faults)
		bind_faults(root, k, child);
	k->opts = root->opts;
	k->hooks = root->hooks;
	k->pid = child;
	k->launched = k->ptraced = k->many = true;
	k->fork_parent = parent->pid;
	k->start_real_ns = clock_ns(CLOCK_REALTIME);
	k->dl_stops_seen = 0;
	snprintf(k->comm, sizeof(k->comm), "%s", parent->comm);
	root->kids[root->nkids++] = k;
	root->many = true;
	return 0;
}

static void held_for(struct session *root, uint64_t held)
{
	root->held_total_ns += held;
	root->nheld++;
	if (held > root->held_max_ns)
		root->held_max_ns = held;
}

void follow_adopt(struct session *root, pid_t child, pid_t ppid)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t_take, held;
	struct session *parent, *k = NULL;
	const char *why = "out of memory";
	int err = -ENOMEM;

	if (ppid <= 0)
		ppid = status_field(child, "PPid");
	parent = follow_find(root, ppid);
	if (!parent)
		parent = root;
	/* Its exit is not stopped: a socket it leaves open closes on time.
	 * Set now, in this stop. */
	ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)(launch_ptrace_options(true) & ~PTRACE_O_TRACEEXIT));
	k = calloc(1, sizeof(*k));
	if (!k)
		goto fail;
	why = "cannot create its tables";
	err = tracer_join(&k->tracer, &root->tracer, child, parent->pid, FOLLOW_BUCKET_BITS);
	/* Its fault programs, when a set is ready: none is waited for
	 * (without, it loads its own once it runs: kid_settle). */
	if (!err && root->pool && tracer_pool_take(root->pool, &k->tracer.faults) != 0)
		k->tracer.faults = NULL;
	t_take = clock_ns(CLOCK_MONOTONIC);
	if (err)
		goto fail;
	err = bind_child(root, parent, k, child, &why);
	if (err)
		goto fail;
	k->start_ns = k->prev_view_ns = t0;
	ptrace(PTRACE_CONT, child, NULL, NULL);
	held = clock_ns(CLOCK_MONOTONIC) - t0;
	held_for(root, held);
	log_debug(root->opts->verbose, 1, "--follow: PID %d held %.2f ms to probe it (%.2f ms for its tracer or tables)",
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
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		k->settle_parent = NULL;
		kid_settle(root, parent, k);
		log_debug(root->opts->verbose, 2, "--follow: PID %d's trace completed in %.2f ms, while it runs",
			  (int)k->pid, (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
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
	follow_kid_free(root, k);
}

void follow_exited(struct session *root, struct session *kid, int status)
{
	(void)root;
	kid->exited = true;
	kid->wait_status = status;
	kid->end_ns = clock_ns(CLOCK_MONOTONIC);
}

/* Its GC, fault and pool programs, if still loading, are waited for by
 * kid_reports' thread, not here: a fork may be waiting. */
bool follow_finish_one(struct session *root)
{
	for (size_t i = 0; i < root->nkids; i++) {
		struct session *k = root->kids[i];

		if (k->exited && !k->settle_parent) {
			root->kids[i] = root->kids[--root->nkids];
			/* Its slot is cleared for a next fork once its report is read. */
			tracer_untrace(&k->tracer);
			if (!root->reports)
				root->reports = kid_reports_new(root);
			kid_reports_push(root->reports, root, k);
			return true;
		}
	}
	return false;
}

void follow_kid_event(struct session *root, const struct mt_event *ev)
{
	struct session *k = follow_find(root, (pid_t)ev->pid);

	if (k)
		on_kid_event(k, (void *)ev, sizeof(*ev));
}

void follow_poll(struct session *root, uint64_t now)
{
	for (size_t i = 0; i < root->nkids; i++) {
		struct session *k = root->kids[i];

		k->tracer.skel->bss->now_ns = now;
		gc_collect_thread(k, false);
		if (k->gc)
			gc_poll(k->gc);
		faults_collect_thread(k, false);
		py_collect_thread(k, false);
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
	/* The reports of children that ended come before the others'. */
	kid_reports_free(root->reports);
	root->reports = NULL;
	while (root->nkids) {
		struct session *k = root->kids[root->nkids - 1];

		gc_collect_thread(k, true);
		faults_collect_thread(k, true);
		py_collect_thread(k, true);
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
