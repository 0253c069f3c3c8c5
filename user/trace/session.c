// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "clock.h"
#include "exec_ranges.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "privs.h"
#include "session_state.h"
#include "unwind_load.h"

void session_read_comm(struct session *s)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(s->comm, sizeof(s->comm), f))
		s->comm[strcspn(s->comm, "\n")] = '\0';
	fclose(f);
	if (strlen(s->comm) == 15) {
		/* comm is cut at 15 bytes: the program's file name is the full one. */
		char exe[4096];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)s->pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n > 0) {
			const char *base;

			exe[n] = '\0';
			base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
			if (strncmp(base, s->comm, 15) == 0)
				snprintf(s->comm, sizeof(s->comm), "%.63s", base);
		}
	}
}

/* The set of loaded objects changed (or a new image is running): probe
 * whatever now provides malloc, and learn the new mappings. */
int session_reprobe(struct session *s)
{
	bool changed;
	int err;

	/* Before the probes: the first stacks they take are checked too. */
	err = exec_ranges_load(bpf_map__fd(s->tracer.skel->maps.exec_ranges), s->pid, s->tracer.unwind);
	if (err < 0 && err != -ENOENT && err != -ESRCH)
		log_error("cannot give the stack walk PID %d's code mappings: %s (its stacks end as [truncated])",
			  (int)s->pid, strerror(-err));
	if (s->faults)
		faults_refresh_ranges(s->faults);
	symbolizer_refresh(s->sym);
	if (s->gc)
		gc_refresh(s->gc);
	err = session_try_usdt(s);
	if (err <= 0) {
		if (!err && otel_usdt_active(&s->tracer.otel))
			session_announce(s);
		return err;
	}
	session_probe_runtimes(s);
	err = tracer_attach_allocator(&s->tracer, &changed);
	if (err == -ESRCH)
		return 0; /* the process is gone */
	if (err && err != -ENOENT)
		return err;
	/* -ENOENT: nothing defines malloc (yet, or ever in a static Go program). */
	if (!err && changed) {
		log_debug(s->opts->verbose, 1, "probing the allocator in %s", s->tracer.alloc.path);
		if (s->announced)
			fprintf(stderr, "memtrace: PID %d now allocates through %s: probes moved there\n",
				(int)s->pid, s->tracer.alloc.path);
	}
	if (!session_traces_something(s))
		return 0;
	err = tracer_attach_custom(&s->tracer, s->opts->custom, s->opts->ncustom);
	if (err)
		return err;
	session_announce(s);
	return 0;
}

int session_on_exec(struct session *s)
{
	int err;

	session_read_comm(s);
	session_read_cgroup(s);
	err = tracer_attach_dl_hook(&s->tracer);
	if (err && err != -ESRCH) {
		log_error("cannot hook the dynamic linker of PID %d: %s", (int)s->pid, strerror(-err));
		return err;
	}
	return session_reprobe(s);
}

/* The target is about to exit with its memory map intact: resolve every
 * frame now, while its objects can still be read. */
void session_warm_symbols(struct session *s)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct mt_profile p;

	symbolizer_refresh(s->sym);
	if (session_build_profile(s, &p) == 0) {
		log_debug(s->opts->verbose, 1, "symbolized %zu stacks at exit in %.1f ms (cold cache)", p.nsites,
			  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
		profile_free(&p);
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	const struct mt_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	if (ev->pid != (uint32_t)s->pid && s->opts->follow) {
		follow_kid_event(s, ev);
		return 0;
	}
	switch (ev->type) {
	case MT_EV_EXEC:
		return session_on_exec(s);
	case MT_EV_DLOPEN:
		return session_reprobe(s);
	}
	return 0;
}

int session_final_profile(struct session *s, struct mt_profile *out)
{
	const struct trace_opts *o = s->opts;
	struct heap_snapshot snap;
	struct mt_profile p = {};
	int err;

	session_reach_at_end(s);
	/* A Go program traced with -p runs on: its probe counts straight into
	 * the maps, so it stops before they are read, or the Go totals (read
	 * later) would count calls the sites do not. */
	go_heap_stop(&s->go);
	/* A --follow child's report may be built after its exit (follow.c). */
	if (!s->end_ns)
		s->end_ns = clock_ns(CLOCK_MONOTONIC);
	err = snapshot_read(&s->tracer.heap, &snap);
	if (!err) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		err = profile_build(&snap, s->sym, &p);
		log_debug(o->verbose, 1, "symbolized %zu stacks in %.1f ms", p.nsites,
			  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	}
	if (!err) {
		p.pid = s->pid;
		p.command = profile_intern(&p, s->comm);
		p.start_realtime_ns = s->start_real_ns;
		p.start_mono_ns = s->start_ns;
		p.duration_ns = s->end_ns - s->start_ns;
		session_fork_frees(s, &p);
		session_push_sample(s, &snap, s->end_ns);
		err = session_add_leaks(s, &snap, &p);
		if (!err && s->faults)
			err = faults_collect(s->faults, s->sym, &p, &p.faults);
		if (!err)
			err = session_label_cgroup(s, &p);
	}
	if (!err)
		err = leakwatch_add_alerts(&s->watch, &p, s->sym);
	snapshot_free(&snap);
	if (!err)
		session_add_runtimes(s, &p);
	if (!err && s->gc && gc_runtime_name(s->gc)) {
		gc_stop(s->gc);
		gc_collect(s->gc, &p.gc);
	}
	if (err) {
		log_error("cannot read the trace: %s", strerror(-err));
		profile_free(&p);
		return err;
	}
	p.series = s->series;
	p.nseries = s->nseries;
	s->series = NULL;
	s->nseries = s->series_cap = 0;
	*out = p;
	return 0;
}

void session_deliver(struct session *s, struct mt_profile *p)
{
	/* An output the hook could not write is the CLI's to count (exit 74):
	 * the trace itself succeeded, and a command still running goes on. */
	if (s->many && s->hooks->report_many)
		s->hooks->report_many(s->hooks->ctx, p);
	else if (s->hooks->report)
		s->hooks->report(s->hooks->ctx, p);
	profile_free(p);
}

int session_finish(struct session *s)
{
	struct mt_profile p;
	int err = session_final_profile(s, &p);

	if (err)
		return err;
	session_deliver(s, &p);
	return 0;
}

static int load(struct session *s)
{
	int err = tracer_open(&s->tracer, s->pid, s->ptraced, s->opts->sample_bytes, s->opts->unwind,
			      s->opts->verbose);

	s->tracer.floor = s->opts->probe_floor;

	if (err) {
		log_error("cannot load the BPF programs: %s (needs a kernel with BPF, BTF and uprobes; "
			  "-vvv shows the verifier log)", strerror(-err));
		return err;
	}
	/* Without fault tracing the heap trace still stands: faults_open has
	 * said why in one line. */
	if (s->opts->faults) {
		struct faults_unwind uw = {
			.mode = s->tracer.unwind ? s->tracer.unwind->mode : MT_UNWIND_FP,
			.ranges_fd = bpf_map__fd(s->tracer.skel->maps.exec_ranges),
			.rows_fd = bpf_map__fd(s->tracer.skel->maps.unwind_rows),
		};

		if (faults_open_unwind(&s->faults, s->pid, FAULTS_TRACE_ALL, s->opts->verbose, &uw))
			s->faults = NULL;
	}
	s->sym = symbolizer_new(s->pid);
	s->rb = ring_buffer__new(bpf_map__fd(s->tracer.skel->maps.events), on_event, s, NULL);
	if (!s->sym || !s->rb)
		return -ENOMEM;
	return 0;
}

static int attach_running(struct session *s)
{
	int err;

	symbolizer_refresh(s->sym);
	err = tracer_attach_exec(&s->tracer);
	if (!err)
		err = tracer_attach_dl_hook(&s->tracer);
	if (err && err != -ESRCH) {
		log_error("cannot attach to PID %d: %s%s", (int)s->pid, strerror(-err),
			  privs_hint(err, CAP_SYS_PTRACE));
		return err;
	}
	err = session_reprobe(s);
	if (err)
		return err;
	if (!session_traces_something(s)) {
		log_error("PID %d: no loaded object defines malloc and no Go heap or GC runtime was found (a "
			  "static binary without symbols?)", (int)s->pid);
		return -ENOENT;
	}
	return 0;
}

static uint64_t advance(uint64_t due, uint64_t period, uint64_t now)
{
	due += period;
	return due < now ? now + period : due;
}

static void reap_hooks(struct session *s)
{
	int status;
	pid_t w;

	while ((w = waitpid(-1, &status, WNOHANG)) > 0)
		if (s->hooks->reap)
			s->hooks->reap(s->hooks->ctx, w, status);
}

static int event_loop(struct session *s, int sfd)
{
	const struct trace_opts *o = s->opts;
	uint64_t interval = (uint64_t)(o->interval_s * 1e9);
	uint64_t deadline = o->duration_s ? s->start_ns + (uint64_t)(o->duration_s * 1e9) : 0;
	/* Leak detection and the time series sample every second (or every
	 * interval when that is shorter); the live view prints every interval. */
	uint64_t period = interval < 1000000000ULL ? interval : 1000000000ULL;
	uint64_t snap_every = (uint64_t)(o->snapshot_every_s * 1e9);
	uint64_t next_sample = s->start_ns + period, next_view = s->start_ns + interval;
	uint64_t next_snap = snap_every ? s->start_ns + snap_every : UINT64_MAX;
	int epfd, pidfd = -1, err = 0;
	struct epoll_event ev = { .events = EPOLLIN };

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	ev.data.u32 = 0;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev);
	if (!s->launched) {
		pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
		if (pidfd >= 0) {
			ev.data.u32 = 2;
			epoll_ctl(epfd, EPOLL_CTL_ADD, pidfd, &ev);
		}
	}
	while (!s->stop && !(s->exited && !s->nkids)) {
		struct epoll_event got[4];
		uint64_t now = clock_ns(CLOCK_MONOTONIC), wake = next_sample;
		int n, timeout;

		/* The BPF side stamps blocks with this clock: keep it ticking. */
		s->tracer.skel->bss->now_ns = now;
		if (now + MT_CLOCK_TICK_NS < wake)
			wake = now + MT_CLOCK_TICK_NS;
		if (next_view < wake)
			wake = next_view;
		if (next_snap < wake)
			wake = next_snap;
		if (deadline && deadline < wake)
			wake = deadline;
		timeout = wake > now ? (int)((wake - now) / 1000000) + 1 : 0;
		n = epoll_wait(epfd, got, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.u32 == 0) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						if (!s->ptraced)
							reap_hooks(s);
						continue;
					}
					/* A terminal's Ctrl-C reaches the command by itself;
					 * a kill aimed at memtrace is passed on to it. */
					if (!s->launched || s->exited)
						s->stop = true;
					else if (si.ssi_code == SI_USER)
						kill(s->pid, (int)si.ssi_signo);
				}
			} else if (got[i].data.u32 == 2) {
				s->exited = true;
			}
		}
		ring_buffer__consume(s->rb);
		follow_poll(s, now);
		if (s->gc)
			gc_poll(s->gc);
		if (s->ptraced) {
			err = session_ptrace_stops(s);
			if (err)
				break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			s->stop = true;
		if (s->stop || (s->exited && !s->nkids))
			break;
		if (now >= next_sample) {
			if (!s->exited)
				session_sample(s);
			follow_sample(s);
			if (o->metrics)
				session_metrics(s);
			next_sample = advance(next_sample, period, now);
		}
		if (now >= next_view) {
			if (!o->quiet && !s->exited)
				session_live_view(s);
			next_view = advance(next_view, interval, now);
		}
		if (now >= next_snap) {
			session_take_snapshot(s, TRACE_SNAPSHOT_EVERY);
			next_snap = advance(next_snap, snap_every, now);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	close(epfd);
	return err;
}

static int exit_code(const struct session *s)
{
	if (!s->launched || !s->exited)
		return 0;
	if (WIFEXITED(s->wait_status))
		return WEXITSTATUS(s->wait_status);
	return 128 + WTERMSIG(s->wait_status);
}

int session_run(const struct trace_opts *opts, const struct trace_hooks *hooks)
{
	struct session s = { .opts = opts, .hooks = hooks };
	struct launch l = { .go_fd = -1, .err_fd = -1 };
	sigset_t mask;
	int sfd, err;

	if (leakwatch_open(&s.watch, opts, hooks))
		return 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	err = opts->argv ? session_start_launched(&s, &l) : session_start_attached(&s);
	if (err)
		goto out;
	err = load(&s);
	if (err)
		goto out;
	if (opts->follow)
		follow_ready(&s);
	/* A GC runtime that can't be traced is one line, not the end of the trace. */
	if (opts->gc)
		(s.launched ? gc_open_watch : gc_open)(&s.gc, s.pid, opts->verbose);
	s.start_ns = s.prev_view_ns = clock_ns(CLOCK_MONOTONIC);
	s.watch.start_ns = s.start_ns;
	s.watch.pid = s.pid;
	s.watch.comm = s.comm; /* read_comm updates it in place */
	s.start_real_ns = clock_ns(CLOCK_REALTIME);
	if (s.launched) {
		err = launch_release(&l);
		if (err) {
			log_error("cannot run '%s': %s", opts->argv[0], strerror(-err));
			s.launched = false; /* nothing to report on */
			goto out;
		}
	} else {
		err = attach_running(&s);
		if (err)
			goto out;
	}
	if (opts->follow)
		follow_prioritize(opts->verbose);
	err = event_loop(&s, sfd);
	if (err) {
		if (err != -ECANCELED)
			log_error("tracing PID %d failed: %s", (int)s.pid, strerror(-err));
		goto out;
	}
	/* If -d ended the trace first, the command runs on untraced: the kernel
	 * detaches it when memtrace exits. */
	follow_end(&s, true);
	err = session_finish(&s);
out:
	if (err && s.launched && !s.exited) {
		kill(s.pid, SIGKILL);
		waitpid(s.pid, NULL, __WALL);
	}
	follow_end(&s, false);
	births_free(&s.births);
	ring_buffer__free(s.rb);
	symbolizer_free(s.sym);
	gc_close(s.gc);
	go_heap_detach(&s.go);
	if (s.py) {
		pymalloc_report(s.py, s.tracer.skel, s.pid, s.opts->verbose);
		pymalloc_detach(s.py);
	}
	free(s.py);
	faults_close(s.faults);
	leakwatch_close(&s.watch);
	reach_result_free(&s.reach);
	tracer_close(&s.tracer);
	free(s.series);
	close(sfd);
	if (err)
		return 1;
	return exit_code(&s);
}
